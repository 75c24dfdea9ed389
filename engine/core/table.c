/* table.c: setup and teardown of the open-addressing map (table.h holds the lookups). */
#include "core/table.h"

#include "core/mem.h"

#include "core/limits.h"

int oc_u64map_init(struct oc_u64map *m, uint32_t count_max)
{
	if (count_max == 0 || count_max > (1u << 30))
		return -EINVAL;
	uint64_t entries = 2;
	while (entries < (uint64_t)count_max * OC_TABLE_LOAD_DENOMINATOR)
		entries <<= 1;
	m->entries = oc_mem_table_alloc(entries * sizeof(*m->entries));
	if (!m->entries)
		return -ENOMEM;
	m->mask = (uint32_t)(entries - 1);
	m->count = 0;
	m->count_max = count_max;
	return 0;
}

void oc_u64map_destroy(struct oc_u64map *m)
{
	if (m->entries)
		oc_mem_table_free(m->entries, ((size_t)m->mask + 1) * sizeof(*m->entries));
	m->entries = NULL;
}

uint64_t oc_u64map_hash(const struct oc_u64map *m, uint64_t seed)
{
	/* Slot order depends only on the keys and the insertion order, which are functions of
	 * the command stream, so this hash is deterministic too. */
	return XXH3_64bits_withSeed(m->entries, ((size_t)m->mask + 1) * sizeof(*m->entries),
				    seed);
}
