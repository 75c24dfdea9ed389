/* replay.h: ordercore-loadgen --replay FILE (replay.c; docs/loadgen.md, "Replay"): a recorded
 * order stream, one place a row, read into the stream the modes send. */
#ifndef LG_REPLAY_H
#define LG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/table.h"
#include "loadgen.h"

#define LG_REPLAY_COLUMNS 7u
/* Rows at most: the engine's orders at most (OC_LIMIT_ORDERS_MAX). */
#define LG_REPLAY_ROWS_MAX (1u << 28)
/* Keys at most: the load generator's players take theirs from 2^62 up (lifecycle.h). */
#define LG_REPLAY_KEY_MAX ((1ull << 62) - 1)
/* sku_idx of a line whose SKU the dataset does not have. */
#define LG_NO_SKU UINT32_MAX

/* Reads row f[0..LG_REPLAY_COLUMNS) into a place (c) and its lines' catalog indices
 * (sku_idx[line], LG_NO_SKU for a SKU not in by_sku: SKU number -> index); the ship-to region
 * is the customer's number modulo `regions`. 0, or -EINVAL with the reason in err. */
int lg_replay_row(char *const *f, const struct oc_u64map *by_sku, uint32_t regions,
		  struct oc_command *c, uint32_t *sku_idx, char *err, size_t err_bytes);

/* Fills st with the rows of path over dataset d. 0, or -EINVAL / -ENOMEM / -errno, said on
 * stderr; call lg_stream_free anyway. */
int lg_replay_load(struct lg_stream *st, const struct oc_dataset *d, const char *path);

#endif
