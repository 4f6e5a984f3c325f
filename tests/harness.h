/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A single-header test harness printing TAP.
 *
 *   TEST(name) { ... }           one test point
 *   TEST_CFG(name) { ... cfg }   one test point per configuration in
 *                                h_configs[] (the body sees `cfg`, a
 *                                const struct h_cfg *)
 *   CHECK(cond)                  records a failure and continues
 *   ASSERT(cond)                 records a failure and leaves the body
 *   CHECK_EQ(a, b)               compares two integers, printing both
 *   ASSERT_EQ(a, b)
 *
 * Exactly one file per executable defines HARNESS_MAIN before including
 * this header. The program prints "1..N", one "ok"/"not ok" line per test
 * point, diagnostics as "# ..." lines, and finally "N passed, N failed".
 * Exit status: 0 when nothing failed. Arguments: a substring filter on test
 * names; IOPT_TEST_SEED and IOPT_TEST_OPS in the environment are read by
 * randomised tests through h_seed() and h_env_u64().
 */
#ifndef IOPT_TEST_HARNESS_H
#define IOPT_TEST_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iopt/iopt.h>

struct h_cfg {
	const char *name;    /* a name iopt_config_from_name() accepts */
};

/* Every configuration the per-format tests run on: the named ones plus
 * geometry variants (short input sizes, stage-2 concatenation, 52-bit OA). */
static const struct h_cfg h_configs[] = {
	{ "arm-lpae-s1-4k" }, { "arm-lpae-s1-16k" }, { "arm-lpae-s1-64k" },
	{ "arm-lpae-s2-4k" }, { "arm-lpae-s2-16k" }, { "arm-lpae-s2-64k" },
	{ "x86-64-4lvl" }, { "x86-64-5lvl" },
	{ "arm-lpae-s1-4k:ias=32,oas=32" },
	{ "arm-lpae-s1-4k:ias=39,oas=44" },
	{ "arm-lpae-s1-16k:ias=36,oas=40" },
	{ "arm-lpae-s1-64k:ias=42,oas=52" },
	{ "arm-lpae-s1-64k:ias=48,oas=52" },
	{ "arm-lpae-s2-4k:ias=40,oas=40" },
	{ "arm-lpae-s2-4k:ias=42,oas=42" },
	{ "arm-lpae-s2-16k:ias=40,oas=40" },
	{ "arm-lpae-s2-16k:ias=47,oas=48" },
	{ "arm-lpae-s2-64k:ias=36,oas=36" },
	/* Entries above were the first H_NR_CONFIGS_V1; later ones go below. */
	{ "arm-v7s" }, { "arm-v7s:ns" }, { "arm-v7s:no_perms,mtk_ext,oas=35" },
	{ "arm-mali-lpae" },
	{ "arm-mali-lpae:ias=39,oas=36" },
	{ "arm-lpae-s1-64k:ias=52,oas=52" },
	{ "arm-lpae-s1-4k:lpa2,ias=52,oas=52" },
	{ "arm-lpae-s1-16k:lpa2,ias=52,oas=52" },
	{ "arm-lpae-s2-4k:lpa2,ias=52,oas=52" },
	{ "arm-lpae-s2-16k:lpa2,ias=48,oas=48" },
	{ "apple-dart" }, { "apple-dart2" }, { "apple-dart2:ias=42" },
	/* ARM TTBR1 (upper-half IOVAs, from tests/env.h tenv.base) */
	{ "arm-lpae-s1-4k:ttbr1" },
	{ "arm-lpae-s1-64k:ttbr1,ias=52,oas=52" },
	{ "arm-lpae-s1-16k:ttbr1,lpa2,ias=52,oas=52" },
	/* AMD IOMMU v1: 4 levels, 3 and 5, natural sizes only */
	{ "amd-v1" }, { "amd-v1:levels=3" }, { "amd-v1:levels=5" },
	{ "amd-v1:nocontig" },
	/* Intel VT-d second stage */
	{ "vtd-ss-3lvl" }, { "vtd-ss-4lvl" }, { "vtd-ss-5lvl" },
	{ "vtd-ss-4lvl:no1g" },
	/* RISC-V (sign-extended IOVAs; tests use the lower half) */
	{ "riscv-sv39" }, { "riscv-sv48" }, { "riscv-sv57" },
	{ "riscv-sv39:napot" }, { "riscv-sv57:napot" },
};
#define H_NR_CONFIGS (sizeof(h_configs) / sizeof(h_configs[0]))
/* The fuzz corpora's configuration bytes select among the first this many
 * entries, then tests/fuzz/fuzz.h's extras, then the rest: appending a
 * configuration here does not change what a recorded input selects. */
#define H_NR_CONFIGS_V1 18u

/* Inputs sign-extended from bit ias - 1 (x86-64, RISC-V): tests use the
 * lower half, [0, 2^(ias-1)). */
static inline int h_sign_extended(const struct iopt_config *c)
{
	return c->format == IOPT_FMT_X86_64 || c->format == IOPT_FMT_RISCV;
}

struct h_test {
	const char *name;
	void (*fn)(void);
	void (*cfg_fn)(const struct h_cfg *cfg);
};

#define H_MAX_TESTS 256
extern struct h_test h_tests[H_MAX_TESTS];
extern unsigned int h_nr_tests;
extern int h_failed_now;

static inline void h_register(const char *name, void (*fn)(void),
			      void (*cfg_fn)(const struct h_cfg *))
{
	if (h_nr_tests < H_MAX_TESTS)
		h_tests[h_nr_tests++] = (struct h_test){ name, fn, cfg_fn };
}

#define TEST(name)                                                           \
	static void name(void);                                              \
	__attribute__((constructor)) static void h_reg_##name(void)          \
	{ h_register(#name, name, NULL); }                                   \
	static void name(void)

#define TEST_CFG(name)                                                       \
	static void name(const struct h_cfg *cfg);                           \
	__attribute__((constructor)) static void h_reg_##name(void)          \
	{ h_register(#name, NULL, name); }                                   \
	static void name(const struct h_cfg *cfg)

#define H_FAIL(...)                                                          \
	do {                                                                 \
		h_failed_now++;                                              \
		printf("#   %s:%d: ", __FILE__, __LINE__);                   \
		printf(__VA_ARGS__);                                         \
		printf("\n");                                                \
	} while (0)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			H_FAIL("check failed: %s", #cond);                   \
	} while (0)

#define ASSERT(cond)                                                         \
	do {                                                                 \
		if (!(cond)) {                                               \
			H_FAIL("assertion failed: %s", #cond);               \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t h_a_ = (uint64_t)(a), h_b_ = (uint64_t)(b);         \
		if (h_a_ != h_b_)                                            \
			H_FAIL("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,      \
			       #a, #b, h_a_, h_b_);                          \
	} while (0)

#define ASSERT_EQ(a, b)                                                      \
	do {                                                                 \
		uint64_t h_a_ = (uint64_t)(a), h_b_ = (uint64_t)(b);         \
		if (h_a_ != h_b_) {                                          \
			H_FAIL("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,      \
			       #a, #b, h_a_, h_b_);                          \
			return;                                              \
		}                                                            \
	} while (0)

/* Environment knobs for randomised tests; the value used is printed. */
static inline uint64_t h_env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static inline uint64_t h_seed(void)
{
	uint64_t seed = h_env_u64("IOPT_TEST_SEED", 0);
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
	return seed;
}

/* xorshift64*: small, fast and replayable. */
static inline uint64_t h_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#ifdef HARNESS_MAIN
struct h_test h_tests[H_MAX_TESTS];
unsigned int h_nr_tests;
int h_failed_now;

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned int total = 0, passed = 0, failed = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int i = 0; i < h_nr_tests; i++) {
		if (filter && !strstr(h_tests[i].name, filter))
			continue;
		total += h_tests[i].fn ? 1 : (unsigned int)H_NR_CONFIGS;
	}
	printf("1..%u\n", total);
	for (unsigned int i = 0; i < h_nr_tests; i++) {
		const struct h_test *t = &h_tests[i];
		unsigned int runs = t->fn ? 1 : (unsigned int)H_NR_CONFIGS;

		if (filter && !strstr(t->name, filter))
			continue;
		for (unsigned int c = 0; c < runs; c++) {
			h_failed_now = 0;
			if (t->fn)
				t->fn();
			else
				t->cfg_fn(&h_configs[c]);
			n++;
			if (h_failed_now) {
				failed++;
				printf("not ok %u - %s%s%s\n", n, t->name,
				       t->fn ? "" : " ",
				       t->fn ? "" : h_configs[c].name);
			} else {
				passed++;
				printf("ok %u - %s%s%s\n", n, t->name,
				       t->fn ? "" : " ",
				       t->fn ? "" : h_configs[c].name);
			}
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif /* HARNESS_MAIN */
#endif /* IOPT_TEST_HARNESS_H */
