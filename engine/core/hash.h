/* hash.h: XXH3, compiled inline into each user (XXH_INLINE_ALL) so that hashing a 64-bit key
 * on the hot path is a few instructions, not a call into the shared library. Every engine
 * file hashes through this header. */
#ifndef OC_HASH_H
#define OC_HASH_H

#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t oc_hash_u64(uint64_t key) { return XXH3_64bits(&key, sizeof(key)); }

#endif
