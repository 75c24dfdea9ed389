/* fuzz_target.h: what a fuzz target (tests/fuzz/fuzz_<name>.c) gives fuzz_driver.c, which
 * runs it under ctest without libFuzzer: the entry point libFuzzer calls, and the seed inputs
 * the driver mutates (libFuzzer builds ignore them). */
#ifndef OC_FUZZ_TARGET_H
#define OC_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* The longest input the driver makes, bytes. */
#define FUZZ_INPUT_BYTES_MAX 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the target's seed inputs into out, concatenated (the target reads such a
 * concatenation as one input), their count in *count; returns the bytes, 0 when a seed does
 * not check (a bug of the target file: it would be missing from the corpus silently). */
size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count);

/* The target's name, for the driver's report. */
extern const char fuzz_name[];

#endif
