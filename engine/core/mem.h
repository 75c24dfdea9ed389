/* mem.h: allocation of the engine's large tables and rings at setup. A table is mapped with
 * transparent huge pages where the kernel allows (fewer TLB misses on random lookups) and
 * touched at once, so that no page fault lands on the hot path: on the virtual machines this
 * engine is measured on, a first-touch fault costs several microseconds. And files mapped
 * read-only whole, for recovery's readers (the log's segments, snapshot parts). */
#ifndef OC_MEM_H
#define OC_MEM_H

#include <stddef.h>
#include <stdint.h>

/* A zeroed, populated region of at least `bytes`, 64-byte aligned, or NULL. */
void *oc_mem_table_alloc(size_t bytes);

/* Frees a region from oc_mem_table_alloc; `bytes` is the size it was asked for. p may be
 * NULL. */
void oc_mem_table_free(void *p, size_t bytes);

/* A file mapped read-only; data is NULL for an empty file. */
struct oc_mapped_file {
	const uint8_t *data;
	size_t bytes;
};

/* Maps path whole for a sequential read. 0, or -errno with "path: reason" in err. */
int oc_mem_map_file(const char *path, struct oc_mapped_file *out, char *err, size_t err_bytes);
void oc_mem_unmap_file(struct oc_mapped_file *m);

#endif
