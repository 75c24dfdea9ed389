/* mem.h: allocation of the engine's large tables and rings at setup. A table is mapped with
 * transparent huge pages where the kernel allows (fewer TLB misses on random lookups) and
 * touched at once, so that no page fault lands on the hot path: on the virtual machines this
 * engine is measured on, a first-touch fault costs several microseconds. */
#ifndef OC_MEM_H
#define OC_MEM_H

#include <stddef.h>

/* A zeroed, populated region of at least `bytes`, 64-byte aligned, or NULL. */
void *oc_mem_table_alloc(size_t bytes);

/* Frees a region from oc_mem_table_alloc; `bytes` is the size it was asked for. p may be
 * NULL. */
void oc_mem_table_free(void *p, size_t bytes);

#endif
