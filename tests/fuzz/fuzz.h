/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c) and the replay program.
 *
 * A target is one C file defining LLVMFuzzerTestOneInput(). It is built
 * three ways:
 *  - with clang -fsanitize=fuzzer (mk/fuzz.mk, `make fuzz`): libFuzzer's
 *    main() drives it;
 *  - with tests/fuzz/replay_main.c (`make fuzz-replay`): a plain main() that
 *    runs saved inputs and prints TAP;
 *  - #included by tests/test_fuzz_corpus.c, which `make check` builds like
 *    every tests/test_*.c and which replays all the committed corpora.
 * For the last one the entry point is renamed with a macro before the file
 * is included, and every file-scope name of a target carries the target's
 * own prefix, so the targets share one translation unit.
 *
 * Inputs are decoded with the little-endian byte reader below, never by
 * casting, so an input means the same on every host (the corpora also run
 * on big-endian machines under `make check-be`).
 *
 * A failed check prints what went wrong as TAP diagnostics ("# ...") and
 * calls abort(), which is what libFuzzer reports as a crash; the replay
 * program runs each input in a child process, so it reports the input as
 * "not ok" and goes on.
 */
#ifndef IOPT_FUZZ_H
#define IOPT_FUZZ_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"   /* h_configs[]: the configurations every test covers */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- configurations ---- */

/*
 * What a configuration byte selects: every entry of tests/harness.h
 * h_configs[] (the named configurations and the geometry variants the other
 * tests run on), then these: the quirks (nocontig, ns, s2fwb) on each
 * family, and geometries h_configs[] lacks (sixteen concatenated stage-2
 * start tables, the 64K granule's 4T blocks with 52-bit output at stage 2,
 * the shortest input spaces, x86-64 with a short MAXPHYADDR).
 */
static const char *const fz_extra_configs[] = {
	"arm-lpae-s1-4k:nocontig",
	"arm-lpae-s1-4k:ias=39,oas=44,nocontig,ns",
	"arm-lpae-s1-16k:ias=47,oas=44,ns",
	"arm-lpae-s1-16k:nocontig",
	"arm-lpae-s1-64k:ias=32,oas=32",
	"arm-lpae-s1-64k:nocontig,ns",
	"arm-lpae-s2-4k:ias=43,oas=40",
	"arm-lpae-s2-4k:ias=44,oas=44,s2fwb",
	"arm-lpae-s2-4k:ias=32,oas=32,nocontig",
	"arm-lpae-s2-16k:ias=48,oas=40,s2fwb",
	"arm-lpae-s2-16k:ias=32,oas=32",
	"arm-lpae-s2-64k:ias=48,oas=52",
	"arm-lpae-s2-64k:nocontig,s2fwb",
	"x86-64-4lvl:oas=32",
	"x86-64-5lvl:oas=40",
};

static inline unsigned int fz_nr_configs(void)
{
	return (unsigned int)(H_NR_CONFIGS + sizeof(fz_extra_configs) /
			      sizeof(fz_extra_configs[0]));
}

#define FZ_NR_EXTRA (sizeof(fz_extra_configs) / sizeof(fz_extra_configs[0]))

/* The configuration selected by @sel (taken modulo their number): the
 * first H_NR_CONFIGS_V1 of h_configs[], the extras, then the rest of
 * h_configs[], so that a recorded byte below 33 keeps its meaning. */
static inline const char *fz_config_name(unsigned int sel)
{
	_Static_assert(H_NR_CONFIGS_V1 <= H_NR_CONFIGS, "h_configs shrank");
	sel %= fz_nr_configs();
	if (sel < H_NR_CONFIGS_V1)
		return h_configs[sel].name;
	if (sel < H_NR_CONFIGS_V1 + FZ_NR_EXTRA)
		return fz_extra_configs[sel - H_NR_CONFIGS_V1];
	return h_configs[sel - FZ_NR_EXTRA].name;
}

/* ---- input decoding ---- */

struct fz {
	const uint8_t *p;
	size_t n;    /* bytes in all */
	size_t i;    /* bytes consumed */
};

static inline void fz_init(struct fz *f, const uint8_t *p, size_t n)
{
	f->p = p;
	f->n = n;
	f->i = 0;
}

static inline bool fz_more(const struct fz *f)
{
	return f->i < f->n;
}

static inline size_t fz_left(const struct fz *f)
{
	return f->n - f->i;
}

/* The next byte; 0 once the input is used up (decoders stop on !fz_more). */
static inline uint8_t fz_u8(struct fz *f)
{
	return f->i < f->n ? f->p[f->i++] : 0;
}

/* @bytes (1..8) bytes, little-endian. */
static inline uint64_t fz_uint(struct fz *f, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int k = 0; k < bytes; k++)
		v |= (uint64_t)fz_u8(f) << (8 * k);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)fz_uint(f, 2);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_uint(f, 4);
}

static inline uint64_t fz_u64(struct fz *f)
{
	return fz_uint(f, 8);
}

/* Store @v little-endian at @p (table memory is little-endian). */
/* The name of an iopt return value, for failure messages. */
static inline const char *fz_err_name(int rc)
{
	switch (rc) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -EOVERFLOW: return "-EOVERFLOW";
	case -ERANGE: return "-ERANGE";
	case -EEXIST: return "-EEXIST";
	case -EXDEV: return "-EXDEV";
	case -ENOENT: return "-ENOENT";
	case -ENOMEM: return "-ENOMEM";
	case -EFAULT: return "-EFAULT";
	default: return "another value";
	}
}

static inline void fz_put_le64(void *p, uint64_t v)
{
	unsigned char *b = p;

	for (unsigned int k = 0; k < 8; k++)
		b[k] = (unsigned char)(v >> (8 * k));
}

static inline uint64_t fz_get_le64(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (unsigned int k = 0; k < 8; k++)
		v |= (uint64_t)b[k] << (8 * k);
	return v;
}

/* ---- small arithmetic ---- */

static inline unsigned int fz_lg2(uint64_t v) /* v != 0 */
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

static inline uint64_t fz_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t fz_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- failures ---- */

/* Print one diagnostic line as TAP comment; the caller aborts after. */
__attribute__((format(printf, 1, 2)))
static inline void fz_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#define FZ_FAIL(...)                                                         \
	do {                                                                 \
		fz_note("%s:%d: check failed", __FILE__, __LINE__);          \
		fz_note(__VA_ARGS__);                                        \
		abort();                                                     \
	} while (0)

#define FZ_CHECK(cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			fz_note("%s:%d: %s", __FILE__, __LINE__, #cond);     \
			fz_note(__VA_ARGS__);                                \
			abort();                                             \
		}                                                            \
	} while (0)

#endif /* IOPT_FUZZ_H */
