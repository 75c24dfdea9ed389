/* table.h: an open-addressing hash map from a non-zero 64-bit key to a 32-bit value, hashed
 * with XXH3 and probed linearly. One entry is 16 bytes, so a lookup costs one cache miss;
 * the table is kept at most half full (OC_TABLE_LOAD_DENOMINATOR) because an emptier table
 * probes less. Storage is allocated once at init; inserts past count_max fail with -ENOSPC.
 * A map is owned by one thread; nothing here is synchronised. Key 0 marks an empty entry. */
#ifndef OC_TABLE_H
#define OC_TABLE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/assert.h"
#include "core/hash.h"

struct oc_u64map_entry {
	uint64_t key;
	uint32_t value;
	uint32_t aux; /* free for the owner's use (a counter, a flag) */
};

struct oc_u64map {
	struct oc_u64map_entry *entries;
	uint32_t mask;      /* entry count - 1 */
	uint32_t count;     /* keys present */
	uint32_t count_max; /* keys allowed */
};

/* Sizes the map for count_max keys. 0, -EINVAL or -ENOMEM. Setup time only. */
int oc_u64map_init(struct oc_u64map *m, uint32_t count_max);
void oc_u64map_destroy(struct oc_u64map *m);

static inline void oc_u64map_prefetch(const struct oc_u64map *m, uint64_t hash)
{
	__builtin_prefetch(&m->entries[hash & m->mask]);
}

/* Finds key (hash = oc_hash_u64(key)); returns its entry or NULL. */
static inline struct oc_u64map_entry *oc_u64map_find(const struct oc_u64map *m, uint64_t key,
						    uint64_t hash)
{
	OC_DEBUG_ASSERT(key != 0);
	for (uint32_t i = (uint32_t)hash & m->mask;; i = (i + 1) & m->mask) {
		struct oc_u64map_entry *e = &m->entries[i];
		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
	}
}

/* Finds key or inserts it with value 0 and aux 0. *found says which. Returns NULL when the
 * key is absent and the map already holds count_max keys. */
static inline struct oc_u64map_entry *oc_u64map_upsert(struct oc_u64map *m, uint64_t key,
						      uint64_t hash, bool *found)
{
	OC_DEBUG_ASSERT(key != 0);
	for (uint32_t i = (uint32_t)hash & m->mask;; i = (i + 1) & m->mask) {
		struct oc_u64map_entry *e = &m->entries[i];
		if (e->key == key) {
			*found = true;
			return e;
		}
		if (e->key == 0) {
			*found = false;
			if (m->count == m->count_max)
				return NULL;
			m->count++;
			e->key = key;
			e->value = 0;
			e->aux = 0;
			return e;
		}
	}
}

/* Folds every entry into a hash in slot order, for state hashes. */
uint64_t oc_u64map_hash(const struct oc_u64map *m, uint64_t seed);

#endif
