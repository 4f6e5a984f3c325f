// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Bit-exact checks of the in-memory formats.
 *
 * Every expected entry below is a literal worked out by hand from the
 * architecture facts (formats.md sections 1 and 5, io_pgtable.md 2.1-2.2),
 * with a comment that derives it. Nothing here reuses the library's
 * encoders: a test that computed its expectations with the same formulas
 * would only prove that the library agrees with itself.
 *
 * The raw entries are read with iopt_walk_path(); the geometry (levels, root
 * size, top-level index width) is checked through iopt_levels(), the arena's
 * byte count right after iopt_init() and the top index of a walk at the last
 * IOVA of the input space.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <iopt/mem.h>
#include <iopt/hwsim.h>
#include "model.h"

#define R IOPT_READ
#define W IOPT_WRITE
#define NX IOPT_NOEXEC
#define CA IOPT_CACHE
#define MM IOPT_MMIO
#define PV IOPT_PRIV

#define SZ_4K 0x1000ULL
#define SZ_16K 0x4000ULL
#define SZ_64K 0x10000ULL
#define SZ_2M 0x200000ULL
#define SZ_32M 0x2000000ULL
#define SZ_512M 0x20000000ULL
#define SZ_1G 0x40000000ULL
#define SZ_16G 0x400000000ULL
#define SZ_4T 0x40000000000ULL

/* The ARM contiguous hint, bit 52. */
#define ARM_CONT (1ULL << 52)

static bool get_path(struct tenv *e, uint64_t iova, struct iopt_path *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = iopt_walk_path(&e->t, iova, p);
	if (ret || p->depth == 0 || p->depth > 8) {
		H_FAIL("walk_path 0x%" PRIx64 ": ret %d depth %u", iova, ret,
		       p->depth);
		return false;
	}
	return true;
}

/* Map one page of @size at @iova to @pa and walk to it. */
static bool map_path(struct tenv *e, uint64_t iova, uint64_t pa, uint64_t size,
		     unsigned int prot, struct iopt_path *p)
{
	return !tenv_map(e, iova, pa, size, 1, prot) && get_path(e, iova, p);
}

/* The raw entry that a walk of @iova ends on, and its level. */
static uint64_t leaf_pte(struct tenv *e, uint64_t iova, unsigned int *level)
{
	struct iopt_path p;

	if (!get_path(e, iova, &p))
		return 0;
	if (level)
		*level = p.level[p.depth - 1];
	return p.pte[p.depth - 1];
}

/*
 * Check every table entry on the walk of @iova: it must hold exactly the
 * next table's address plus @tbits, and that next table must be live,
 * aligned table memory in the arena. table_phys[0] must be the root.
 */
static void check_table_entries(struct tenv *e, uint64_t iova, uint64_t tbits,
				uint64_t tbl_align)
{
	struct iopt_path p;

	if (!get_path(e, iova, &p))
		return;
	CHECK_EQ(p.table_phys[0], iopt_root_phys(&e->t));
	CHECK_EQ(p.level[0], iopt_levels(&e->t) - 1);
	for (unsigned int i = 0; i + 1 < p.depth; i++) {
		uint64_t next = p.table_phys[i + 1];

		CHECK_EQ(p.level[i + 1], p.level[i] - 1);
		if (p.pte[i] != (next | tbits))
			H_FAIL("iova 0x%" PRIx64 " level %u: table entry 0x%016"
			       PRIx64 ", expected next table 0x%" PRIx64
			       " | 0x%016" PRIx64, iova, p.level[i], p.pte[i],
			       next, tbits);
		CHECK(next % tbl_align == 0);
		CHECK(next >= ARENA_PHYS && next < ARENA_PHYS + ARENA_BYTES);
		CHECK(!iopt_arena_is_free(&e->a, next, tbl_align));
	}
}

struct enc_case {
	unsigned int prot;
	uint64_t pte;
	const char *why;
};

/*
 * Map one page of @pgsize per case at @iova0 + i * @stride, all to @pa, and
 * compare the leaf entry with the hand-derived value.
 */
static void check_cases(struct tenv *e, const char *what, uint64_t iova0,
			uint64_t stride, uint64_t pa, uint64_t pgsize,
			unsigned int level, const struct enc_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t iova = iova0 + i * stride, pte;
		unsigned int lvl = ~0u;

		if (tenv_map(e, iova, pa, pgsize, 1, c[i].prot))
			continue;
		pte = leaf_pte(e, iova, &lvl);
		if (pte != c[i].pte)
			H_FAIL("%s prot 0x%x (%s): pte 0x%016" PRIx64
			       " expected 0x%016" PRIx64, what, c[i].prot,
			       c[i].why, pte, c[i].pte);
		if (lvl != level)
			H_FAIL("%s prot 0x%x: leaf at level %u, expected %u",
			       what, c[i].prot, lvl, level);
		CHECK_EQ(iopt_iova_to_phys(&e->t, iova + pgsize - 1),
			 pa + pgsize - 1);
	}
}

/* One read/write page and its hand-derived leaf entry. */
struct page_case {
	uint64_t iova, pa, size;
	unsigned int level;
	uint64_t pte;
	const char *why;
};

/* check_cases() for each page, mapped R | W. */
static void check_pages(struct tenv *e, const char *what,
			const struct page_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct enc_case ec = { R | W, c[i].pte, c[i].why };

		check_cases(e, what, c[i].iova, 0, c[i].pa, c[i].size,
			    c[i].level, &ec, 1);
	}
}

/*
 * Check a contiguous run: @n entries of @esize from @iova, each carrying
 * ARM_CONT and the OA @pa + i * @esize over the low attribute bits @low
 * (derived by hand by the caller), and a lookup reporting the whole run.
 */
static void check_run(struct tenv *e, uint64_t iova, uint64_t pa,
		      uint64_t esize, unsigned int n, unsigned int level,
		      uint64_t low, bool sides)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int lvl = ~0u;
		uint64_t want = ARM_CONT | (pa + i * esize) | low;
		uint64_t pte = leaf_pte(e, iova + i * esize, &lvl);
		uint64_t phys = 0, len = 0;

		if (pte != want)
			H_FAIL("run at 0x%" PRIx64 " entry %u: pte 0x%016" PRIx64
			       " expected 0x%016" PRIx64, iova, i, pte, want);
		CHECK_EQ(lvl, level);
		CHECK_EQ(iopt_iova_to_phys_length(&e->t, iova + i * esize + 8,
						  &phys, &len, NULL), 0);
		CHECK_EQ(phys, pa + i * esize + 8);
		CHECK_EQ(len, esize * n);
	}
	/* The entries on either side are not part of the run. */
	if (sides) {
		CHECK_EQ(iopt_iova_to_phys(&e->t, iova + esize * n),
			 IOPT_PHYS_NONE);
		if (iova)
			CHECK_EQ(iopt_iova_to_phys(&e->t, iova - 1),
				 IOPT_PHYS_NONE);
	}
}

/* Map @n entries of @esize as one page and check_run() it, with its sides. */
static void map_run(struct tenv *e, uint64_t iova, uint64_t pa,
		    uint64_t esize, unsigned int n, unsigned int prot,
		    unsigned int level, uint64_t low)
{
	if (!tenv_map(e, iova, pa, esize * n, 1, prot))
		check_run(e, iova, pa, esize, n, level, low, true);
}

/* ------------------------------------------------------------------ */

TEST(config_names)
{
	static const struct {
		const char *name;
		enum iopt_format fmt;
		unsigned int granule, ias, oas;
	} named[] = {
		{ "arm-lpae-s1-4k", IOPT_FMT_ARM_LPAE_S1, 12, 48, 48 },
		{ "arm-lpae-s1-16k", IOPT_FMT_ARM_LPAE_S1, 14, 48, 48 },
		{ "arm-lpae-s1-64k", IOPT_FMT_ARM_LPAE_S1, 16, 48, 48 },
		{ "arm-lpae-s2-4k", IOPT_FMT_ARM_LPAE_S2, 12, 48, 48 },
		{ "arm-lpae-s2-16k", IOPT_FMT_ARM_LPAE_S2, 14, 48, 48 },
		{ "arm-lpae-s2-64k", IOPT_FMT_ARM_LPAE_S2, 16, 48, 48 },
		{ "x86-64-4lvl", IOPT_FMT_X86_64, 12, 48, 52 },
		{ "x86-64-5lvl", IOPT_FMT_X86_64, 12, 57, 52 },
		{ "arm-mali-lpae", IOPT_FMT_ARM_MALI_LPAE, 12, 48, 40 },
		{ "arm-v7s", IOPT_FMT_ARM_V7S, 12, 32, 32 },
		{ "apple-dart", IOPT_FMT_APPLE_DART, 12, 32, 36 },
		{ "apple-dart2", IOPT_FMT_APPLE_DART2, 14, 36, 42 },
		{ "amd-v1", IOPT_FMT_AMD_V1, 12, 48, 52 },
		{ "vtd-ss-3lvl", IOPT_FMT_VTD_SS, 12, 39, 52 },
		{ "vtd-ss-4lvl", IOPT_FMT_VTD_SS, 12, 48, 52 },
		{ "vtd-ss-5lvl", IOPT_FMT_VTD_SS, 12, 57, 52 },
		{ "riscv-sv39", IOPT_FMT_RISCV, 12, 39, 56 },
		{ "riscv-sv48", IOPT_FMT_RISCV, 12, 48, 56 },
		{ "riscv-sv57", IOPT_FMT_RISCV, 12, 57, 56 },
	};
	static const char *const bad[] = {
		"", "arm-lpae", "arm-lpae-s1-8k", "x86-64", "arm-lpae-s1-4k:",
		"arm-lpae-s1-4k:ias=", "arm-lpae-s1-4k:ias=x",
		"arm-lpae-s1-4k:bogus=3", "arm-lpae-s1-4k:ias=40,",
		"arm-lpae-s1-4k:ias=40;oas=40", "ARM-LPAE-S1-4K ",
		/* levels=N is AMD v1's Mode, 1..6 */
		"amd-v1:levels=0", "amd-v1:levels=7", "x86-64-4lvl:levels=4",
		"arm-lpae-s1-4k:levels=3", "riscv-sv39:levels=3",
		"riscv-sv39:svnapot", "riscv", "riscv-sv32",
	};
	struct iopt_config cfg, cfg2;
	unsigned int found = 0, n;
	const char *name;

	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		memset(&cfg, 0, sizeof(cfg));
		ASSERT_EQ(iopt_config_from_name(named[i].name, &cfg), 0);
		CHECK_EQ(cfg.format, named[i].fmt);
		/* x86 may leave 0 for "the default, 12". */
		CHECK(cfg.granule_lg2 == named[i].granule ||
		      (named[i].fmt == IOPT_FMT_X86_64 && !cfg.granule_lg2));
		CHECK_EQ(cfg.ias, named[i].ias);
		CHECK_EQ(cfg.oas, named[i].oas);
		CHECK_EQ(cfg.quirks, 0);
	}

	ASSERT_EQ(iopt_config_from_name("arm-lpae-s2-4k:ias=40,oas=40", &cfg),
		  0);
	CHECK_EQ(cfg.format, IOPT_FMT_ARM_LPAE_S2);
	CHECK_EQ(cfg.ias, 40);
	CHECK_EQ(cfg.oas, 40);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-64k:oas=52", &cfg), 0);
	CHECK_EQ(cfg.granule_lg2, 16);
	CHECK_EQ(cfg.ias, 48);
	CHECK_EQ(cfg.oas, 52);
	ASSERT_EQ(iopt_config_from_name("x86-64-4lvl:ias=57", &cfg), 0);
	CHECK_EQ(cfg.ias, 57);
	CHECK_EQ(cfg.oas, 52);
	ASSERT_EQ(iopt_config_from_name("arm-mali-lpae:ias=39,oas=36", &cfg), 0);
	CHECK_EQ(cfg.format, IOPT_FMT_ARM_MALI_LPAE);
	CHECK_EQ(cfg.granule_lg2, 12);
	CHECK_EQ(cfg.ias, 39);
	CHECK_EQ(cfg.oas, 36);
	/* RISC-V: napot is IOPT_QUIRK_RISCV_NAPOT; oas=N as elsewhere. */
	ASSERT_EQ(iopt_config_from_name("riscv-sv48:napot,oas=44", &cfg), 0);
	CHECK_EQ(cfg.format, IOPT_FMT_RISCV);
	CHECK_EQ(cfg.ias, 48);
	CHECK_EQ(cfg.oas, 44);
	CHECK_EQ(cfg.quirks, IOPT_QUIRK_RISCV_NAPOT);
	/* AMD v1: levels=N sets ias to 12 + 9N (64 for 6 levels). */
	{
		static const unsigned int ias[] = { 21, 30, 39, 48, 57, 64 };
		char buf[32];

		for (unsigned int l = 1; l <= 6; l++) {
			snprintf(buf, sizeof(buf), "amd-v1:levels=%u", l);
			ASSERT_EQ(iopt_config_from_name(buf, &cfg), 0);
			CHECK_EQ(cfg.format, IOPT_FMT_AMD_V1);
			CHECK_EQ(cfg.ias, ias[l - 1]);
			CHECK_EQ(cfg.oas, 52);
		}
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&cfg, 0x5a, sizeof(cfg));
		memcpy(&cfg2, &cfg, sizeof(cfg));
		if (iopt_config_from_name(bad[i], &cfg) != -EINVAL)
			H_FAIL("name \"%s\" not refused with -EINVAL", bad[i]);
		if (memcmp(&cfg, &cfg2, sizeof(cfg)))
			H_FAIL("name \"%s\": cfg changed on error", bad[i]);
	}
	CHECK_EQ(iopt_config_from_name(NULL, &cfg), -EINVAL);
	CHECK_EQ(iopt_config_from_name("arm-lpae-s1-4k", NULL), -EINVAL);

	/* The enumeration lists each named configuration, consistently. */
	for (n = 0; (name = iopt_config_name(n, &cfg)); n++) {
		ASSERT(n < 1000);
		ASSERT_EQ(iopt_config_from_name(name, &cfg2), 0);
		CHECK(!memcmp(&cfg, &cfg2, sizeof(cfg)));
		CHECK_EQ(iopt_config_name(n, NULL) == name, 1);
		for (size_t i = 0; i < ARRAY_SIZE(named); i++)
			if (!strcmp(name, named[i].name))
				found |= 1u << i;
	}
	CHECK_EQ(found, (1u << ARRAY_SIZE(named)) - 1);
	CHECK(iopt_config_name(n, &cfg) == NULL);
	CHECK(iopt_config_name(~0u, NULL) == NULL);
}

/* Geometries and quirks iopt_init() must refuse, without keeping memory. */
TEST(config_errors)
{
	static const struct {
		const char *name;
		int granule;     /* -1: keep */
		uint32_t quirks;
		int err;
		const char *why;
	} cases[] = {
		{ "arm-lpae-s1-4k:ias=31", -1, 0, -ENOTSUP, "ias below 32" },
		{ "arm-lpae-s1-4k:ias=49", -1, 0, -ENOTSUP, "ias above 48" },
		{ "arm-lpae-s1-64k:ias=53", -1, 0, -ENOTSUP, "ias above 52" },
		{ "arm-lpae-s1-4k:lpa2,ias=53", -1, 0, -ENOTSUP,
		  "ias above 52" },
		{ "arm-lpae-s1-4k:ias=52", -1, 0, -ENOTSUP,
		  "52-bit IA with 4K needs lpa2" },
		{ "arm-lpae-s1-16k:ias=50", -1, 0, -ENOTSUP,
		  "IA above 48 with 16K needs lpa2" },
		{ "arm-lpae-s1-4k:oas=52", -1, 0, -ENOTSUP,
		  "52-bit OA needs the 64K granule or lpa2" },
		{ "arm-lpae-s1-16k:oas=52", -1, 0, -ENOTSUP,
		  "52-bit OA needs the 64K granule or lpa2" },
		{ "arm-lpae-s2-4k:oas=52", -1, 0, -ENOTSUP,
		  "52-bit OA needs the 64K granule or lpa2" },
		{ "arm-lpae-s1-64k:lpa2", -1, 0, -ENOTSUP,
		  "TCR.DS is for the 4K and 16K granules" },
		{ "arm-lpae-s2-4k:ttbr1", -1, 0, -EINVAL,
		  "stage 2 has no TTBR1" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_ARM_TTBR1, -EINVAL,
		  "TTBR1 on x86" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_ARM_LPA2, -EINVAL,
		  "LPA2 on x86" },
		{ "arm-lpae-s1-4k:oas=41", -1, 0, -ENOTSUP,
		  "41 is not a PS encoding" },
		{ "arm-lpae-s1-4k:oas=50", -1, 0, -ENOTSUP,
		  "50 is not a PS encoding" },
		{ "arm-lpae-s1-4k", 13, 0, -ENOTSUP, "8K granule" },
		{ "arm-lpae-s1-4k", 15, 0, -ENOTSUP, "32K granule" },
		{ "x86-64-4lvl", 14, 0, -ENOTSUP, "x86 has only 4K" },
		{ "x86-64-4lvl:ias=47", -1, 0, -ENOTSUP, "x86 ias 47" },
		{ "x86-64-4lvl:ias=39", -1, 0, -ENOTSUP, "x86 ias 39" },
		{ "x86-64-4lvl:ias=56", -1, 0, -ENOTSUP, "x86 ias 56" },
		{ "x86-64-4lvl:oas=53", -1, 0, -ENOTSUP, "x86 oas 53" },
		{ "x86-64-4lvl:oas=31", -1, 0, -ENOTSUP, "x86 oas 31" },
		/* 4K, ias 44: start at L0; oas 40 forces L1 with 2^(44-39) =
		 * 32 concatenated tables, over the limit of 16. */
		{ "arm-lpae-s2-4k:ias=44,oas=40", -1, 0, -ENOTSUP,
		  "32 concatenated tables" },
		/* 4K, ias 48, oas 42: L1 with 2^(48-39) = 512 tables. */
		{ "arm-lpae-s2-4k:ias=48,oas=42", -1, 0, -ENOTSUP,
		  "512 concatenated tables" },
		/* 16K, ias 41: start at L1 ([40:36]); oas 40 forces L2 with
		 * 2^(41-36) = 32 tables. */
		{ "arm-lpae-s2-16k:ias=41,oas=40", -1, 0, -ENOTSUP,
		  "32 concatenated tables" },
		{ "arm-lpae-s1-4k", -1, 1u << 31, -EINVAL, "unknown quirk" },
		{ "arm-lpae-s2-4k", -1, IOPT_QUIRK_ARM_NS, -EINVAL,
		  "NS is a stage-1 quirk" },
		{ "arm-lpae-s1-4k", -1, IOPT_QUIRK_ARM_S2FWB, -EINVAL,
		  "S2FWB is a stage-2 quirk" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_NO_CONTIG, -EINVAL,
		  "x86 has no contiguous hint" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_ARM_NS, -EINVAL,
		  "ARM quirk on x86" },
		/* Mali: ias 32..48, oas 32..40, 4K only, no quirks */
		{ "arm-mali-lpae:ias=31", -1, 0, -ENOTSUP, "Mali ias below 32" },
		{ "arm-mali-lpae:ias=49", -1, 0, -ENOTSUP, "Mali ias above 48" },
		{ "arm-mali-lpae:oas=31", -1, 0, -ENOTSUP, "Mali oas below 32" },
		{ "arm-mali-lpae:oas=41", -1, 0, -ENOTSUP, "Mali oas above 40" },
		{ "arm-mali-lpae:oas=48", -1, 0, -ENOTSUP, "Mali oas above 40" },
		{ "arm-mali-lpae", 14, 0, -ENOTSUP, "Mali has only 4K" },
		{ "arm-mali-lpae", 16, 0, -ENOTSUP, "Mali has only 4K" },
		{ "arm-mali-lpae", -1, IOPT_QUIRK_NO_CONTIG, -EINVAL,
		  "Mali has no contiguous hint" },
		{ "arm-mali-lpae", -1, IOPT_QUIRK_ARM_NS, -EINVAL,
		  "Mali has no NS bit" },
		{ "arm-mali-lpae", -1, IOPT_QUIRK_ARM_S2FWB, -EINVAL,
		  "Mali is not stage 2" },
		/* the ends of the ranges are accepted */
		{ "arm-mali-lpae:ias=32,oas=32", -1, 0, 0, "Mali smallest" },
		{ "arm-mali-lpae:ias=48,oas=40", -1, 0, 0, "Mali largest" },
		{ "arm-mali-lpae:ias=41,oas=35", -1, 0, 0, "Mali in between" },
		{ "apple-dart:ias=29", -1, 0, -ENOTSUP, "DART v1 ias below 30" },
		{ "apple-dart:ias=33", -1, 0, -ENOTSUP,
		  "DART v1 ias 33: eight TTBRs" },
		{ "apple-dart:oas=42", -1, 0, -ENOTSUP, "DART v1 oas is 36" },
		{ "apple-dart", 14, 0, -ENOTSUP, "DART v1 has only 4K" },
		{ "apple-dart2:ias=31", -1, 0, -ENOTSUP, "DART v2 ias below 32" },
		{ "apple-dart2:ias=43", -1, 0, -ENOTSUP, "DART v2 ias above 42" },
		{ "apple-dart2:oas=36", -1, 0, -ENOTSUP, "DART v2 oas is 42" },
		{ "apple-dart2", 12, 0, -ENOTSUP, "DART v2 has only 16K" },
		{ "apple-dart", -1, IOPT_QUIRK_NO_CONTIG, -EINVAL,
		  "DART has no contiguous hint" },
		{ "apple-dart2", -1, IOPT_QUIRK_ARM_NS, -EINVAL,
		  "ARM quirk on DART" },
		{ "amd-v1:levels=2", -1, 0, -ENOTSUP, "AMD v1: 2 levels" },
		{ "amd-v1:ias=40", -1, 0, -ENOTSUP,
		  "AMD v1: ias is the Mode's 39, 48, 57 or 64" },
		{ "amd-v1:oas=53", -1, 0, -ENOTSUP, "AMD v1 oas above 52" },
		{ "amd-v1:oas=31", -1, 0, -ENOTSUP, "AMD v1 oas below 32" },
		{ "amd-v1", 14, 0, -ENOTSUP, "AMD v1 has only 4K" },
		{ "amd-v1", -1, IOPT_QUIRK_ARM_NS, -EINVAL,
		  "AMD v1 takes no ARM quirk" },
		{ "amd-v1", -1, IOPT_QUIRK_V7S_NO_PERMS, -EINVAL,
		  "AMD v1 takes no v7s quirk" },
		{ "amd-v1:levels=3,oas=32", -1, 0, 0, "AMD v1 smallest" },
		{ "amd-v1:levels=6", -1, 0, 0, "AMD v1 largest" },
		/* VT-d second stage: ias 39/48/57 (AGAW), oas 32..52, 4K,
		 * quirk VTD_NO_1G only, and VTD_NO_1G nowhere else */
		{ "vtd-ss-4lvl:ias=47", -1, 0, -ENOTSUP, "VT-d ias 47" },
		{ "vtd-ss-3lvl:ias=40", -1, 0, -ENOTSUP, "VT-d ias 40" },
		{ "vtd-ss-5lvl:ias=56", -1, 0, -ENOTSUP, "VT-d ias 56" },
		{ "vtd-ss-5lvl:ias=64", -1, 0, -ENOTSUP, "VT-d ias 64" },
		{ "vtd-ss-4lvl:oas=53", -1, 0, -ENOTSUP, "VT-d oas 53" },
		{ "vtd-ss-4lvl:oas=31", -1, 0, -ENOTSUP, "VT-d oas 31" },
		{ "vtd-ss-4lvl", 14, 0, -ENOTSUP, "VT-d has only 4K" },
		{ "vtd-ss-4lvl", 21, 0, -ENOTSUP, "VT-d has only 4K" },
		{ "vtd-ss-4lvl", -1, IOPT_QUIRK_NO_CONTIG, -EINVAL,
		  "VT-d has no contiguous hint" },
		{ "vtd-ss-3lvl", -1, IOPT_QUIRK_ARM_TTBR1, -EINVAL,
		  "ARM quirk on VT-d" },
		{ "vtd-ss-5lvl", -1, 1u << 31, -EINVAL, "unknown quirk" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_VTD_NO_1G, -EINVAL,
		  "VT-d quirk on x86-64" },
		{ "arm-lpae-s1-4k", -1, IOPT_QUIRK_VTD_NO_1G, -EINVAL,
		  "VT-d quirk on ARM" },
		{ "arm-mali-lpae", -1, IOPT_QUIRK_VTD_NO_1G, -EINVAL,
		  "VT-d quirk on Mali" },
		{ "vtd-ss-4lvl:oas=32", -1, 0, 0, "VT-d smallest oas" },
		{ "vtd-ss-3lvl:no1g,oas=46", -1, 0, 0, "VT-d no1g" },
		{ "vtd-ss-5lvl", 0, 0, 0, "VT-d granule 0 is 4K" },
		/* RISC-V: ias 39/48/57 (iosatp.MODE Sv39/48/57), oas 32..56
		 * (PPN is 44 bits), 4K only, quirk RISCV_NAPOT only, and
		 * RISCV_NAPOT nowhere else */
		{ "riscv-sv39:ias=40", -1, 0, -ENOTSUP, "RISC-V ias 40" },
		{ "riscv-sv48:ias=47", -1, 0, -ENOTSUP, "RISC-V ias 47" },
		{ "riscv-sv57:ias=56", -1, 0, -ENOTSUP, "RISC-V ias 56" },
		{ "riscv-sv57:ias=64", -1, 0, -ENOTSUP, "RISC-V ias 64" },
		{ "riscv-sv39:ias=32", -1, 0, -ENOTSUP, "Sv32 is RV32 only" },
		{ "riscv-sv48:oas=57", -1, 0, -ENOTSUP, "RISC-V oas 57" },
		{ "riscv-sv48:oas=31", -1, 0, -ENOTSUP, "RISC-V oas 31" },
		{ "riscv-sv39", 14, 0, -ENOTSUP, "RISC-V has only 4K" },
		{ "riscv-sv39", 16, 0, -ENOTSUP, "RISC-V has only 4K" },
		{ "riscv-sv39", -1, IOPT_QUIRK_NO_CONTIG, -EINVAL,
		  "RISC-V: napot, not nocontig" },
		{ "riscv-sv48", -1, IOPT_QUIRK_ARM_TTBR1, -EINVAL,
		  "ARM quirk on RISC-V" },
		{ "riscv-sv57", -1, IOPT_QUIRK_VTD_NO_1G, -EINVAL,
		  "VT-d quirk on RISC-V" },
		{ "riscv-sv39", -1, 1u << 31, -EINVAL, "unknown quirk" },
		{ "x86-64-4lvl", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on x86-64" },
		{ "arm-lpae-s1-4k", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on ARM" },
		{ "arm-v7s", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on v7s" },
		{ "vtd-ss-4lvl", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on VT-d" },
		{ "amd-v1", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on AMD v1" },
		{ "apple-dart", -1, IOPT_QUIRK_RISCV_NAPOT, -EINVAL,
		  "RISC-V quirk on DART" },
		{ "riscv-sv39:oas=32", -1, 0, 0, "RISC-V smallest oas" },
		{ "riscv-sv57:napot,oas=56", -1, 0, 0, "RISC-V napot" },
		{ "riscv-sv48", 0, 0, 0, "RISC-V granule 0 is 4K" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tenv e;
		int ret;

		memset(&e, 0, sizeof(e));
		ASSERT_EQ(iopt_config_from_name(cases[i].name, &e.cfg), 0);
		if (cases[i].granule >= 0)
			e.cfg.granule_lg2 = (unsigned int)cases[i].granule;
		e.cfg.quirks |= cases[i].quirks;
		e.buf = aligned_alloc(4096, ARENA_BYTES);
		ASSERT(e.buf);
		ASSERT_EQ(iopt_arena_init(&e.a, e.buf, ARENA_BYTES, ARENA_PHYS),
			  0);
		iopt_arena_mem(&e.a, &e.mem);
		ret = iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL);
		if (ret != cases[i].err)
			H_FAIL("%s granule %d quirks 0x%x (%s): iopt_init = %d,"
			       " expected %d", cases[i].name, cases[i].granule,
			       cases[i].quirks, cases[i].why, ret,
			       cases[i].err);
		if (!ret)
			iopt_fini(&e.t);
		else if (e.a.used)
			H_FAIL("%s: failed init kept %zu bytes", cases[i].name,
			       e.a.used);
		free(e.buf);
	}

	{
		struct tenv e;

		memset(&e, 0, sizeof(e));
		ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &e.cfg), 0);
		e.buf = aligned_alloc(4096, ARENA_BYTES);
		ASSERT(e.buf);
		ASSERT_EQ(iopt_arena_init(&e.a, e.buf, ARENA_BYTES, ARENA_PHYS),
			  0);
		iopt_arena_mem(&e.a, &e.mem);
		CHECK_EQ(iopt_init(NULL, &e.cfg, &e.mem, NULL, NULL), -EINVAL);
		CHECK_EQ(iopt_init(&e.t, NULL, &e.mem, NULL, NULL), -EINVAL);
		CHECK_EQ(iopt_init(&e.t, &e.cfg, NULL, NULL, NULL), -EINVAL);
		e.cfg.format = (enum iopt_format)0;
		CHECK_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), -EINVAL);
		e.cfg.format = (enum iopt_format)77;
		CHECK_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), -EINVAL);
		CHECK_EQ(e.a.used, 0);
		/* granule 0 selects the default 4K */
		ASSERT_EQ(iopt_config_from_name("x86-64-4lvl", &e.cfg), 0);
		e.cfg.granule_lg2 = 0;
		ASSERT_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), 0);
		CHECK_EQ(iopt_pgsize_bitmap(&e.t), 0x40201000ULL);
		iopt_fini(&e.t);
		ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &e.cfg), 0);
		e.cfg.granule_lg2 = 0;
		ASSERT_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), 0);
		CHECK_EQ(iopt_pgsize_bitmap(&e.t) & 0xffffULL, 0x1000ULL);
		iopt_fini(&e.t);
		ASSERT_EQ(iopt_config_from_name("arm-mali-lpae", &e.cfg), 0);
		e.cfg.granule_lg2 = 0;
		ASSERT_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), 0);
		CHECK_EQ(iopt_pgsize_bitmap(&e.t), 0x40201000ULL);
		iopt_fini(&e.t);
		CHECK_EQ(e.a.used, 0);
		/* -ENOMEM when the root cannot be allocated; nothing kept */
		e.a.fail_at = e.a.attempts + 1;
		CHECK_EQ(iopt_init(&e.t, &e.cfg, &e.mem, NULL, NULL), -ENOMEM);
		CHECK_EQ(e.a.used, 0);
		e.a.fail_at = 0;
		free(e.buf);
	}
}

/*
 * io_pgtable.md 2.1, worked geometry: levels, root table bytes, and the
 * index the top level uses for the last page of the input space. The root
 * size is what the arena holds right after iopt_init() (at least 64 bytes,
 * the smallest block); the top index proves how many IOVA bits the root
 * decodes, including concatenated stage-2 roots.
 */
TEST(geometry)
{
	static const struct {
		const char *name;
		unsigned int levels;
		uint64_t root_bytes;
		uint64_t last_iova;  /* last page of the input space */
		unsigned int top_index;
		unsigned int below;  /* index at every lower level */
		const char *why;
	} g[] = {
		{ "arm-lpae-s1-4k:ias=32,oas=32", 3, 64, 0xfffff000ULL, 3, 511,
		  "L1 [31:30]: 4 entries = 32 B, allocated as 64 B" },
		{ "arm-lpae-s1-4k:ias=36,oas=36", 3, 512, 0xffffff000ULL, 63,
		  511, "L1 [35:30]: 64 entries" },
		{ "arm-lpae-s1-4k:ias=39,oas=44", 3, 4096, 0x7ffffff000ULL, 511,
		  511, "L1 [38:30]: 512 entries" },
		{ "arm-lpae-s1-4k:ias=40,oas=40", 4, 64, 0xfffffff000ULL, 1, 511,
		  "L0 [39]: 2 entries" },
		{ "arm-lpae-s2-4k:ias=40,oas=40", 3, 8192, 0xfffffff000ULL,
		  1023, 511, "S2 oas 40: L1 [39:30], 2 concatenated tables" },
		{ "arm-lpae-s1-4k:ias=42,oas=42", 4, 64, 0x3fffffff000ULL, 7,
		  511, "L0 [41:39]: 8 entries" },
		{ "arm-lpae-s2-4k:ias=42,oas=42", 3, 32768, 0x3fffffff000ULL,
		  4095, 511, "S2 oas 42: L1 [41:30], 8 concatenated tables" },
		{ "arm-lpae-s2-4k:ias=42,oas=40", 3, 32768, 0x3fffffff000ULL,
		  4095, 511, "S2 oas 40: L1 [41:30], 8 concatenated tables" },
		{ "arm-lpae-s2-4k:ias=40,oas=44", 4, 64, 0xfffffff000ULL, 1, 511,
		  "S2 oas 44: no concatenation, L0 [39]" },
		{ "arm-lpae-s1-4k", 4, 4096, 0xfffffffff000ULL, 511, 511,
		  "L0 [47:39]" },
		{ "arm-lpae-s2-4k", 4, 4096, 0xfffffffff000ULL, 511, 511,
		  "S2 oas 48: no concatenation" },
		{ "arm-lpae-s1-16k:ias=36,oas=40", 2, 16384, 0xfffffc000ULL,
		  2047, 2047, "L2 [35:25]: 2048 entries" },
		{ "arm-lpae-s1-16k:ias=40,oas=40", 3, 128, 0xffffffc000ULL, 15,
		  2047, "L1 [39:36]: 16 entries" },
		{ "arm-lpae-s2-16k:ias=40,oas=40", 2, 262144, 0xffffffc000ULL,
		  32767, 2047, "S2 oas 40: L2 [39:25], 16 concatenated tables" },
		{ "arm-lpae-s1-16k", 4, 64, 0xffffffffc000ULL, 1, 2047,
		  "L0 [47]: 2 entries" },
		{ "arm-lpae-s2-16k", 3, 32768, 0xffffffffc000ULL, 4095, 2047,
		  "S2 ias 48: L1 [47:36], 2 concatenated tables" },
		{ "arm-lpae-s2-16k:ias=48,oas=44", 3, 32768, 0xffffffffc000ULL,
		  4095, 2047, "S2 ias 48: L1 [47:36], 2 concatenated tables" },
		{ "arm-lpae-s2-16k:ias=47,oas=48", 3, 16384, 0x7fffffffc000ULL,
		  2047, 2047, "start L1 [46:36]: no concatenation" },
		{ "arm-lpae-s2-16k:ias=44,oas=48", 3, 2048, 0xfffffffc000ULL,
		  255, 2047, "start L1 [43:36]: no concatenation" },
		{ "arm-lpae-s1-64k:ias=42,oas=48", 2, 65536, 0x3ffffff0000ULL,
		  8191, 8191, "L2 [41:29]: 8192 entries" },
		{ "arm-lpae-s1-64k", 3, 512, 0xffffffff0000ULL, 63, 8191,
		  "L1 [47:42]: 64 entries" },
		{ "arm-lpae-s1-64k:ias=48,oas=52", 3, 512, 0xffffffff0000ULL, 63,
		  8191, "L1 [47:42]: 64 entries" },
		{ "arm-lpae-s2-64k:ias=36,oas=36", 2, 1024, 0xfffff0000ULL, 127,
		  8191, "L2 [35:29]: 128 entries" },
		{ "arm-lpae-s2-64k", 3, 512, 0xffffffff0000ULL, 63, 8191,
		  "L1 [47:42]: 64 entries" },
		{ "x86-64-4lvl", 4, 4096, 0x7ffffffff000ULL, 255, 511,
		  "PML4 [47:39], last lower-half page" },
		{ "x86-64-5lvl", 5, 4096, 0xfffffffffff000ULL, 255, 511,
		  "PML5 [56:48], last lower-half page" },
		{ "arm-mali-lpae", 4, 4096, 0xfffffffff000ULL, 511, 511,
		  "Mali L0 [47:39]" },
		/* Mali walks 4 levels from a full root whatever ias: below
		 * 2^39 only its entry 0 is used, [38:30] = 511. */
		{ "arm-mali-lpae:ias=39,oas=36", 4, 4096, 0x7ffffff000ULL, 0,
		  511, "Mali ias 39: full root, entry 0" },
		{ "arm-mali-lpae:ias=40,oas=40", 4, 4096, 0xfffffff000ULL, 1,
		  511, "Mali ias 40: full root, entries 0 and 1" },
		{ "apple-dart", 2, 16384, 0xfffff000ULL, 2047, 511,
		  "4 TTBR pages [31:30] walked as one L1 [31:21]" },
		{ "apple-dart:ias=31", 2, 8192, 0x7ffff000ULL, 1023, 511,
		  "2 TTBR pages, L1 [30:21]" },
		{ "apple-dart:ias=30", 2, 4096, 0x3ffff000ULL, 511, 511,
		  "1 TTBR, L1 [29:21]" },
		{ "apple-dart2", 2, 16384, 0xfffffc000ULL, 2047, 2047,
		  "L1 [35:25]" },
		{ "apple-dart2:ias=32", 2, 16384, 0xffffc000ULL, 127, 2047,
		  "L1 [31:25]: 128 entries, but a whole page (TTBR)" },
		{ "apple-dart2:ias=42", 3, 16384, 0x3ffffffc000ULL, 63, 2047,
		  "L2 [41:36]: 64 entries in a whole page" },
		{ "amd-v1:levels=3", 3, 4096, 0x7ffffff000ULL, 511, 511,
		  "Mode 3: L3 [38:30]" },
		{ "amd-v1", 4, 4096, 0xfffffffff000ULL, 511, 511,
		  "Mode 4: L4 [47:39]" },
		{ "amd-v1:levels=5", 5, 4096, 0x1fffffffffff000ULL, 511, 511,
		  "Mode 5: L5 [56:48]" },
		{ "amd-v1:levels=6", 6, 4096, 0xfffffffffffff000ULL, 127, 511,
		  "Mode 6: L6 [63:57], 128 entries in a whole page (DTE root)" },
		/* RISC-V: 512 entries at every level; the last lower-half
		 * page (bit ias - 1 clear) has top index 255 */
		{ "riscv-sv39", 3, 4096, 0x3ffffff000ULL, 255, 511,
		  "Sv39 root [38:30], last lower-half page" },
		{ "riscv-sv48", 4, 4096, 0x7ffffffff000ULL, 255, 511,
		  "Sv48 root [47:39], last lower-half page" },
		{ "riscv-sv57", 5, 4096, 0xfffffffffff000ULL, 255, 511,
		  "Sv57 root [56:48], last lower-half page" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
		struct tenv e;
		struct iopt_path p;
		uint64_t pg;

		if (tenv_open(&e, g[i].name, NULL)) {
			tenv_close(&e);
			continue;
		}
		if (iopt_levels(&e.t) != g[i].levels)
			H_FAIL("%s (%s): %u levels, expected %u", g[i].name,
			       g[i].why, iopt_levels(&e.t), g[i].levels);
		if (e.a.used != g[i].root_bytes)
			H_FAIL("%s (%s): root holds %zu bytes, expected %" PRIu64,
			       g[i].name, g[i].why, e.a.used, g[i].root_bytes);
		/* The root is aligned to its own size (concatenated too). */
		CHECK_EQ(iopt_root_phys(&e.t) % g[i].root_bytes, 0);
		/* Concatenated start tables, counted in granule-sized tables. */
		CHECK_EQ(iopt_root_tables(&e.t),
			 g[i].root_bytes > e.gsz ? g[i].root_bytes / e.gsz : 1);
		pg = iopt_pgsize_bitmap(&e.t) & -iopt_pgsize_bitmap(&e.t);
		if (tenv_map(&e, g[i].last_iova, 0x80000000ULL, pg, 1, R | W)) {
			tenv_close(&e);
			continue;
		}
		if (get_path(&e, g[i].last_iova, &p)) {
			if (p.depth != g[i].levels)
				H_FAIL("%s: path depth %u", g[i].name, p.depth);
			if (p.index[0] != g[i].top_index)
				H_FAIL("%s (%s): top index %u, expected %u",
				       g[i].name, g[i].why, p.index[0],
				       g[i].top_index);
			CHECK_EQ(p.level[0], g[i].levels - 1);
			CHECK_EQ(p.table_phys[0], iopt_root_phys(&e.t));
			for (unsigned int d = 1; d < p.depth; d++) {
				CHECK_EQ(p.index[d], g[i].below);
				CHECK_EQ(p.level[d], g[i].levels - 1 - d);
			}
		}
		/* Page 0: index 0 everywhere. */
		if (map_path(&e, 0, 0x80000000ULL, pg, R, &p)) {
			CHECK_EQ(p.depth, g[i].levels);
			for (unsigned int d = 0; d < p.depth; d++)
				CHECK_EQ(p.index[d], 0);
		}
		/* One page past the end is outside the input space (unless
		 * the space is all 64 bits: AMD v1 with 6 levels). */
		if (g[i].last_iova + pg)
			CHECK_EQ(iopt_walk_path(&e.t, g[i].last_iova + pg, &p),
				 -ERANGE);
		tenv_close(&e);
	}
}

/*
 * Page sizes: ARM 4K granule 4K|64K(16x4K)|2M|32M(16x2M)|1G; 16K granule
 * 16K|2M(128x16K)|32M|1G(32x32M); 64K granule 64K|2M(32x64K)|512M|
 * 16G(32x512M), plus 4T at the 64K L1 when oas is 52 and that level
 * exists; NO_CONTIG drops the hint sizes; x86 4K|2M|1G.
 */
TEST(pgsize_bitmaps)
{
	static const struct {
		const char *name;
		uint32_t quirks;
		uint64_t bitmap;
	} b[] = {
		/* 0x1000 | 0x10000 | 0x200000 | 0x2000000 | 0x40000000 */
		{ "arm-lpae-s1-4k", 0, 0x42211000ULL },
		{ "arm-lpae-s2-4k", 0, 0x42211000ULL },
		{ "arm-lpae-s1-4k:ias=32,oas=32", 0, 0x42211000ULL },
		{ "arm-lpae-s1-4k:ias=39,oas=44", 0, 0x42211000ULL },
		{ "arm-lpae-s2-4k:ias=40,oas=40", 0, 0x42211000ULL },
		{ "arm-lpae-s2-4k:ias=42,oas=42", 0, 0x42211000ULL },
		/* 0x1000 | 0x200000 | 0x40000000 */
		{ "arm-lpae-s1-4k", IOPT_QUIRK_NO_CONTIG, 0x40201000ULL },
		{ "arm-lpae-s2-4k", IOPT_QUIRK_NO_CONTIG, 0x40201000ULL },
		/* 0x4000 | 0x200000 | 0x2000000 | 0x40000000 */
		{ "arm-lpae-s1-16k", 0, 0x42204000ULL },
		{ "arm-lpae-s2-16k", 0, 0x42204000ULL },
		{ "arm-lpae-s1-16k:ias=36,oas=40", 0, 0x42204000ULL },
		{ "arm-lpae-s2-16k:ias=40,oas=40", 0, 0x42204000ULL },
		{ "arm-lpae-s2-16k:ias=47,oas=48", 0, 0x42204000ULL },
		/* 0x4000 | 0x2000000 */
		{ "arm-lpae-s1-16k", IOPT_QUIRK_NO_CONTIG, 0x02004000ULL },
		/* 0x10000 | 0x200000 | 0x20000000 | 0x400000000 */
		{ "arm-lpae-s1-64k", 0, 0x420210000ULL },
		{ "arm-lpae-s2-64k", 0, 0x420210000ULL },
		{ "arm-lpae-s2-64k:ias=36,oas=36", 0, 0x420210000ULL },
		/* ias 42: two levels, no L1, so no 4T block even at oas 52 */
		{ "arm-lpae-s1-64k:ias=42,oas=52", 0, 0x420210000ULL },
		/* + 0x40000000000 (4T) */
		{ "arm-lpae-s1-64k:ias=48,oas=52", 0, 0x40420210000ULL },
		{ "arm-lpae-s2-64k:oas=52", 0, 0x40420210000ULL },
		/* 0x10000 | 0x20000000 (+ 4T) */
		{ "arm-lpae-s1-64k", IOPT_QUIRK_NO_CONTIG, 0x20010000ULL },
		{ "arm-lpae-s1-64k:oas=52", IOPT_QUIRK_NO_CONTIG,
		  0x40020010000ULL },
		/* 0x1000 | 0x200000 | 0x40000000 */
		{ "x86-64-4lvl", 0, 0x40201000ULL },
		{ "x86-64-5lvl", 0, 0x40201000ULL },
		/* Mali: 4K, 2M, 1G whatever the geometry */
		{ "arm-mali-lpae", 0, 0x40201000ULL },
		{ "arm-mali-lpae:ias=32,oas=32", 0, 0x40201000ULL },
		{ "arm-mali-lpae:ias=39,oas=36", 0, 0x40201000ULL },
		/* DART: the page only */
		{ "apple-dart", 0, 0x1000ULL },
		{ "apple-dart:ias=30", 0, 0x1000ULL },
		{ "apple-dart2", 0, 0x4000ULL },
		{ "apple-dart2:ias=42", 0, 0x4000ULL },
		/* AMD v1: every power of two from 4K through what the top
		 * level holds (runs of up to 256 entries), but 512G (bit 39):
		 * 3 levels: [38:12]; 4 levels: [47:12]; 5 and 6: [51:12]. */
		{ "amd-v1:levels=3", 0, 0x0000007ffffff000ULL },
		{ "amd-v1", 0, 0x0000ff7ffffff000ULL },
		{ "amd-v1:levels=5", 0, 0x000fff7ffffff000ULL },
		{ "amd-v1:levels=6", 0, 0x000fff7ffffff000ULL },
		/* nocontig: 4K, 2M, 1G; 256T too with 5 levels */
		{ "amd-v1", IOPT_QUIRK_NO_CONTIG, 0x40201000ULL },
		{ "amd-v1:levels=5", IOPT_QUIRK_NO_CONTIG, 0x1000040201000ULL },
		/* RISC-V: a leaf at every level: Sv39 4K|2M|1G = 0x40201000,
		 * Sv48 + 512G (0x8000000000), Sv57 + 256T (0x1000000000000);
		 * napot adds 64K (0x10000) */
		{ "riscv-sv39", 0, 0x40201000ULL },
		{ "riscv-sv48", 0, 0x8040201000ULL },
		{ "riscv-sv57", 0, 0x1008040201000ULL },
		{ "riscv-sv39", IOPT_QUIRK_RISCV_NAPOT, 0x40211000ULL },
		{ "riscv-sv57", IOPT_QUIRK_RISCV_NAPOT, 0x1008040211000ULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(b); i++) {
		struct tenv_opts o = { .quirks = b[i].quirks };
		struct tenv e;

		if (!tenv_open(&e, b[i].name, &o) &&
		    iopt_pgsize_bitmap(&e.t) != b[i].bitmap)
			H_FAIL("%s quirks 0x%x: bitmap 0x%" PRIx64
			       " expected 0x%" PRIx64, b[i].name, b[i].quirks,
			       iopt_pgsize_bitmap(&e.t), b[i].bitmap);
		tenv_close(&e);
	}
}

/* ---- ARM stage 1 ---- */

/*
 * Stage-1 attribute bits used below (formats.md 1.4):
 *   [1:0] 11 page / 01 block; AttrIndx [4:2]: 0 NC, 1 (0x4) cache,
 *   2 (0x8) device; NS 0x20; AP[1] 0x40; AP[2] 0x80; SH 10 = 0x200,
 *   11 = 0x300; AF 0x400; nG 0x800; Cont bit 52; PXN|UXN bits 53,54 =
 *   0x0060000000000000.
 * So a read/write normal page is 0x800 | 0x400 | 0x200 | 0x40 | 0x3 = 0xe43.
 */
static const struct enc_case s1_page[] = {
	{ R, 0x0000000080000ec3ULL,
	  "nG|AF|SH=10|AP[2]|AP[1]|AttrIndx 0|page = 0xec3" },
	{ R | W, 0x0000000080000e43ULL, "nG|AF|SH=10|AP[1]|page = 0xe43" },
	{ W, 0x0000000080000e43ULL, "write-only is read/write in S1" },
	{ R | W | NX, 0x0060000080000e43ULL, "UXN|PXN | 0xe43" },
	{ R | W | CA, 0x0000000080000f47ULL,
	  "nG|AF|SH=11|AP[1]|AttrIndx 1|page = 0xf47" },
	{ R | W | MM, 0x0000000080000e4bULL,
	  "nG|AF|SH=10|AP[1]|AttrIndx 2|page = 0xe4b" },
	{ R | W | PV, 0x0000000080000e03ULL, "no AP[1]: 0xe03" },
	{ R | W | MM | CA, 0x0000000080000e4bULL, "MMIO wins: as MMIO" },
	{ R | CA | NX | PV, 0x0060000080000f87ULL,
	  "UXN|PXN | nG|AF|SH=11|AP[2]|AttrIndx 1|page = 0xf87" },
	{ W | NX, 0x0060000080000e43ULL, "write-only no-exec" },
	{ R | PV, 0x0000000080000e83ULL, "nG|AF|SH=10|AP[2]|page = 0xe83" },
};

/* The same as blocks: type 01 instead of 11 (2 less). */
static const struct enc_case s1_block[] = {
	{ R, 0x0000000080000ec1ULL, "0xec3 - 2" },
	{ R | W, 0x0000000080000e41ULL, "0xe43 - 2" },
	{ W, 0x0000000080000e41ULL, "write-only is read/write" },
	{ R | W | NX, 0x0060000080000e41ULL, "UXN|PXN | 0xe41" },
	{ R | W | CA, 0x0000000080000f45ULL, "0xf47 - 2" },
	{ R | W | MM, 0x0000000080000e49ULL, "0xe4b - 2" },
	{ R | W | PV, 0x0000000080000e01ULL, "0xe03 - 2" },
	{ R | W | MM | CA, 0x0000000080000e49ULL, "MMIO wins" },
};

TEST(arm_s1_4k_encoding)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-4k", NULL), 0);
	/* Fresh arena: the 4K root sits at its base. */
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);

	/* Level 0: 4K pages at iova 0, 4K, 8K, ... all to OA 0x80000000. */
	check_cases(&e, "s1 4k page", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0,
		    s1_page, ARRAY_SIZE(s1_page));
	/*
	 * The first map allocated L1, L2 and L3 tables in that order from
	 * the bump pointer: 0x40001000, 0x40002000, 0x40003000. A table
	 * entry is next-table PA | 0b11.
	 */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.pte[0], 0x0000000040001003ULL);
		CHECK_EQ(p.pte[1], 0x0000000040002003ULL);
		CHECK_EQ(p.pte[2], 0x0000000040003003ULL);
		CHECK_EQ(p.table_phys[3], 0x40003000ULL);
		CHECK_EQ(p.index[3], 0);
	}
	check_table_entries(&e, 0, 0x3, SZ_4K);

	/* Level 1: 2M blocks at 1G + i * 2M, OA 0x80000000. */
	check_cases(&e, "s1 4k 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    s1_block, ARRAY_SIZE(s1_block));
	check_table_entries(&e, SZ_1G, 0x3, SZ_4K);

	/* Level 2: 1G blocks at 512G + i * 1G, OA 0x140000000 (5G). */
	{
		static const struct enc_case c[] = {
			{ R | W, 0x0000000140000e41ULL, "OA 5G | 0xe41" },
			{ R | PV, 0x0000000140000e81ULL,
			  "OA 5G | nG|AF|SH=10|AP[2]|block = 0xe81" },
			{ R | W | CA | NX, 0x0060000140000f45ULL,
			  "UXN|PXN | OA 5G | 0xf45" },
		};
		check_cases(&e, "s1 4k 1G", 0x8000000000ULL, SZ_1G,
			    0x140000000ULL, SZ_1G, 2, c, 3);
		check_table_entries(&e, 0x8000000000ULL, 0x3, SZ_4K);
	}

	/* 64K = 16 x 4K contiguous, iova 4G, OA 0x80010000: each entry
	 * Cont | OA + i * 4K | 0xe43. */
	map_run(&e, 0x100000000ULL, 0x80010000ULL, SZ_4K, 16, R | W, 0, 0xe43);
	/* Two 64K runs in one call: 32 entries, two runs of 16. */
	if (!tenv_map(&e, 0x100100000ULL, 0x80100000ULL, SZ_64K, 2, R)) {
		/* adjacent runs: each reports its own 64K */
		check_run(&e, 0x100100000ULL, 0x80100000ULL, SZ_4K, 16, 0,
			  0xec3, false);
		check_run(&e, 0x100110000ULL, 0x80110000ULL, SZ_4K, 16, 0,
			  0xec3, false);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x1000fffffULL),
			 IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x100120000ULL),
			 IOPT_PHYS_NONE);
	}
	/* 32M = 16 x 2M contiguous, iova 8G, OA 0x102000000: each entry
	 * Cont | OA + i * 2M | 0xe41 (block). */
	map_run(&e, 0x200000000ULL, 0x102000000ULL, SZ_2M, 16, R | W, 1, 0xe41);
	/* Plain 4K and 2M leaves never carry the hint. */
	CHECK_EQ(leaf_pte(&e, 0, NULL) & ARM_CONT, 0);
	CHECK_EQ(leaf_pte(&e, SZ_1G, NULL) & ARM_CONT, 0);

	/* Highest OA for oas 48: PA 2^48 - size. */
	{
		static const struct page_case c[] = {
			{ 0x300000000ULL, 0xfffffffff000ULL, SZ_4K, 0,
			  0x0000fffffffffe43ULL, "OA 0xfffffffff000 | 0xe43" },
			{ 0x300200000ULL, 0xffffffe00000ULL, SZ_2M, 1,
			  0x0000ffffffe00e41ULL, "OA 0xffffffe00000 | 0xe41" },
			{ 0x340000000ULL, 0xffffc0000000ULL, SZ_1G, 2,
			  0x0000ffffc0000e41ULL, "OA 0xffffc0000000 | 0xe41" },
		};

		check_pages(&e, "s1 4k max OA", c, ARRAY_SIZE(c));
	}
	/* The highest IOVA: indices 511 at every level. */
	if (map_path(&e, 0xfffffffff000ULL, 0x80000000ULL, SZ_4K, R | W, &p)) {
		CHECK_EQ(p.depth, 4);
		for (unsigned int d = 0; d < 4; d++) {
			CHECK_EQ(p.index[d], 511);
			CHECK_EQ(p.level[d], 3 - d);
		}
		CHECK_EQ(p.pte[3], 0x0000000080000e43ULL);
	}
	check_table_entries(&e, 0xfffffffff000ULL, 0x3, SZ_4K);
	tenv_close(&e);
}

/* IOPT_QUIRK_ARM_NS: NS (bit 5) on leaves, NSTable (bit 63) on tables. */
TEST(arm_s1_ns_quirk)
{
	static const struct enc_case page[] = {
		{ R | W, 0x0000000080000e63ULL, "NS | 0xe43" },
		{ R | CA, 0x0000000080000fe7ULL, "NS | 0xfc7" },
	};
	static const struct enc_case block[] = {
		{ R | W | MM, 0x0000000080000e69ULL, "NS | 0xe49" },
	};
	static const struct tenv_opts ns = { .quirks = IOPT_QUIRK_ARM_NS };
	struct tenv e;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-4k", &ns), 0);
	check_cases(&e, "s1 ns page", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, page,
		    2);
	check_cases(&e, "s1 ns 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    block, 1);
	check_table_entries(&e, 0, 0x8000000000000003ULL, SZ_4K);
	check_table_entries(&e, SZ_1G, 0x8000000000000003ULL, SZ_4K);
	tenv_close(&e);
}

TEST(arm_s1_16k_encoding)
{
	struct tenv e;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-16k", NULL), 0);
	/* Level 0: 16K pages, same attribute bits as 4K pages. */
	check_cases(&e, "s1 16k page", 0, SZ_16K, 0x80000000ULL, SZ_16K, 0,
		    s1_page, ARRAY_SIZE(s1_page));
	check_table_entries(&e, 0, 0x3, SZ_16K);
	/* Level 1: 32M blocks. */
	check_cases(&e, "s1 16k 32M", SZ_1G, SZ_32M, 0x80000000ULL, SZ_32M, 1,
		    s1_block, ARRAY_SIZE(s1_block));
	check_table_entries(&e, SZ_1G, 0x3, SZ_16K);
	/* 2M = 128 x 16K contiguous at iova 4G: Cont | OA | 0xe43. */
	map_run(&e, 0x100000000ULL, 0x80000000ULL, SZ_16K, 128, R | W, 0,
		0xe43);
	/* 1G = 32 x 32M contiguous at iova 8G, OA 2G: Cont | OA | 0xe41. */
	map_run(&e, 0x200000000ULL, 0x80000000ULL, SZ_32M, 32, R | W, 1, 0xe41);
	/* Highest OA: 2^48 - 16K and 2^48 - 32M. */
	{
		static const struct page_case c[] = {
			{ 0x300000000ULL, 0xffffffffc000ULL, SZ_16K, 0,
			  0x0000ffffffffce43ULL, "OA 0xffffffffc000 | 0xe43" },
			{ 0x302000000ULL, 0xfffffe000000ULL, SZ_32M, 1,
			  0x0000fffffe000e41ULL, "OA 0xfffffe000000 | 0xe41" },
		};

		check_pages(&e, "s1 16k max OA", c, ARRAY_SIZE(c));
	}
	tenv_close(&e);
}

TEST(arm_s1_64k_encoding)
{
	struct tenv e;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-64k", NULL), 0);
	check_cases(&e, "s1 64k page", 0, SZ_64K, 0x80000000ULL, SZ_64K, 0,
		    s1_page, ARRAY_SIZE(s1_page));
	check_table_entries(&e, 0, 0x3, SZ_64K);
	/* Level 1: 512M blocks at 8G + i * 512M. */
	check_cases(&e, "s1 64k 512M", 0x200000000ULL, SZ_512M, 0x80000000ULL,
		    SZ_512M, 1, s1_block, ARRAY_SIZE(s1_block));
	check_table_entries(&e, 0x200000000ULL, 0x3, SZ_64K);
	/* 2M = 32 x 64K contiguous. */
	map_run(&e, 0x100000000ULL, 0x80000000ULL, SZ_64K, 32, R | W, 0, 0xe43);
	/* 16G = 32 x 512M contiguous at iova 16G, OA 16G. */
	map_run(&e, SZ_16G, SZ_16G, SZ_512M, 32, R | W, 1, 0xe41);
	/* oas 48: no 4T, and OA bits [15:12] stay clear. */
	{
		static const struct page_case c[] = {
			{ 0x300000000ULL, 0xffffffff0000ULL, SZ_64K, 0,
			  0x0000ffffffff0e43ULL, "OA 0xffffffff0000 | 0xe43" },
			{ 0x320000000ULL, 0xffffe0000000ULL, SZ_512M, 1,
			  0x0000ffffe0000e41ULL, "OA 0xffffe0000000 | 0xe41" },
		};

		check_pages(&e, "s1 64k max OA", c, ARRAY_SIZE(c));
	}
	tenv_close(&e);
}

/*
 * 52-bit OA with the 64K granule: OA[47:size] in place, OA[51:48] in PTE
 * bits [15:12]. Lookups return the full 52-bit address.
 */
TEST(arm_64k_oas52_packing)
{
	static const struct page_case c[] = {
		{ 0, 0x000a000012340000ULL, SZ_64K, 0, 0x000000001234ae43ULL,
		  "OA[47:16] 0x12340000 | OA[51:48]=0xa << 12 | 0xe43" },
		{ 0x10000, 0x000fffffffff0000ULL, SZ_64K, 0,
		  0x0000fffffffffe43ULL,
		  "2^52 - 64K: [47:16] ones | 0xf000 | 0xe43" },
		{ 0x20000, 0x0001000000000000ULL, SZ_64K, 0,
		  0x0000000000001e43ULL, "2^48: only OA[48] -> bit 12" },
		{ SZ_1G, 0x0005000060000000ULL, SZ_512M, 1,
		  0x0000000060005e41ULL,
		  "OA[47:29] 0x60000000 | 0x5 << 12 | 0xe41" },
		{ SZ_1G + SZ_512M, 0x000fffffe0000000ULL, SZ_512M, 1,
		  0x0000ffffe000fe41ULL,
		  "2^52 - 512M: [47:29] ones | 0xf000 | 0xe41" },
		{ SZ_4T, 0x000c040000000000ULL, SZ_4T, 2,
		  0x000004000000ce41ULL,
		  "4T block: OA[47:42] 0x040000000000 | 0xc << 12 | 0xe41" },
		{ 2 * SZ_4T, 0x000ffc0000000000ULL, SZ_4T, 2,
		  0x0000fc000000fe41ULL,
		  "2^52 - 4T: [47:42] ones | 0xf000 | 0xe41" },
	};
	const char *names[] = { "arm-lpae-s1-64k:oas=52",
				"arm-lpae-s1-64k:ias=42,oas=52" };

	for (unsigned int n = 0; n < 2; n++) {
		struct tenv e;

		ASSERT_EQ(tenv_open(&e, names[n], NULL), 0);
		for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
			unsigned int lvl = ~0u;
			uint64_t pte, phys = 0, len = 0;

			/* ias 42 has no 4T level */
			if (c[i].size == SZ_4T && n == 1)
				continue;
			if (tenv_map(&e, c[i].iova, c[i].pa, c[i].size, 1,
				     R | W))
				continue;
			pte = leaf_pte(&e, c[i].iova, &lvl);
			if (pte != c[i].pte)
				H_FAIL("%s %s: pte 0x%016" PRIx64
				       " expected 0x%016" PRIx64, names[n],
				       c[i].why, pte, c[i].pte);
			CHECK_EQ(lvl, c[i].level);
			CHECK_EQ(iopt_iova_to_phys_length(&e.t,
					c[i].iova + c[i].size - 8, &phys, &len,
					NULL), 0);
			CHECK_EQ(phys, c[i].pa + c[i].size - 8);
			CHECK_EQ(len, c[i].size);
		}
		/* A contiguous run above 2^48: Cont | OA | 0xf000 | 0xe43 */
		{
			uint64_t m = 1;

			/* A 2M run needs a 2M-aligned OA. */
			CHECK_EQ(iopt_map_pages(&e.t, 0x100000000ULL,
					0x000fffffffe20000ULL, SZ_2M, 1, R | W,
					0, &m), -EINVAL);
			CHECK_EQ(m, 0);
			CHECK_EQ(iopt_map_pages(&e.t, 0x100000000ULL,
					0x000fffffffe00000ULL, SZ_2M, 1, R | W,
					0, &m), 0);
			for (unsigned int i = 0; i < 32; i++) {
				uint64_t want = ARM_CONT |
					(0x0000ffffffe00000ULL + i * SZ_64K) |
					0xf000 | 0xe43;
				uint64_t pte = leaf_pte(&e, 0x100000000ULL +
							i * SZ_64K, NULL);
				if (pte != want)
					H_FAIL("52-bit run entry %u: 0x%016"
					       PRIx64 " expected 0x%016" PRIx64,
					       i, pte, want);
			}
		}
		/* The first address past 2^52 is refused. */
		{
			uint64_t m = 1;

			CHECK_EQ(iopt_map_pages(&e.t, 0x200000000ULL,
					1ULL << 52, SZ_64K, 1, R, 0, &m),
				 -ERANGE);
			CHECK_EQ(m, 0);
		}
		check_table_entries(&e, 0, 0x3, SZ_64K);
		tenv_close(&e);
	}
}

/* ---- ARM stage 2 ---- */

/*
 * Stage-2 attribute bits (formats.md 1.5): MemAttr [5:2]: 0101 NC = 0x14,
 * 1111 WB = 0x3c, 0001 Device-nGnRE = 0x04, 0110 FWB-WB = 0x18;
 * S2AP read 0x40, write 0x80; SH 10 = 0x200, 11 = 0x300; AF 0x400;
 * XN[1] (bit 54) = 0x0040000000000000 for NOEXEC. No nG, no AP[1].
 */
static const struct enc_case s2_page[] = {
	{ R, 0x0000000080000657ULL, "AF|SH=10|S2AP R|MemAttr 0101|page" },
	{ R | W, 0x00000000800006d7ULL, "AF|SH=10|S2AP RW|0101|page" },
	{ W, 0x0000000080000697ULL, "AF|SH=10|S2AP W|0101|page" },
	{ R | W | NX, 0x00400000800006d7ULL, "XN[1] | 0x6d7" },
	{ R | W | CA, 0x00000000800007ffULL, "AF|SH=11|RW|MemAttr 1111|page" },
	{ R | W | MM, 0x00000000800006c7ULL, "AF|SH=10|RW|MemAttr 0001|page" },
	{ R | W | PV, 0x00000000800006d7ULL, "PRIV means nothing in S2" },
	{ R | W | MM | CA, 0x00000000800006c7ULL, "MMIO wins: as MMIO" },
	{ R | CA, 0x000000008000077fULL, "AF|SH=11|R|1111|page" },
	{ W | NX | MM, 0x0040000080000687ULL, "XN[1] | AF|SH=10|W|0001|page" },
};

static const struct enc_case s2_block[] = {
	{ R, 0x0000000080000655ULL, "0x657 - 2" },
	{ R | W, 0x00000000800006d5ULL, "0x6d7 - 2" },
	{ W, 0x0000000080000695ULL, "0x697 - 2" },
	{ R | W | NX, 0x00400000800006d5ULL, "XN[1] | 0x6d5" },
	{ R | W | CA, 0x00000000800007fdULL, "0x7ff - 2" },
	{ R | W | MM, 0x00000000800006c5ULL, "0x6c7 - 2" },
	{ R | W | MM | CA, 0x00000000800006c5ULL, "MMIO wins" },
};

TEST(arm_s2_4k_encoding)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-4k", NULL), 0);
	check_cases(&e, "s2 4k page", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0,
		    s2_page, ARRAY_SIZE(s2_page));
	check_table_entries(&e, 0, 0x3, SZ_4K);
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.pte[0], 0x0000000040001003ULL);
		CHECK_EQ(p.pte[1], 0x0000000040002003ULL);
		CHECK_EQ(p.pte[2], 0x0000000040003003ULL);
	}
	check_cases(&e, "s2 4k 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    s2_block, ARRAY_SIZE(s2_block));
	{
		static const struct enc_case c[] = {
			{ R | W, 0x00000001400006d5ULL, "OA 5G | 0x6d5" } };
		check_cases(&e, "s2 4k 1G", 0x8000000000ULL, SZ_1G,
			    0x140000000ULL, SZ_1G, 2, c, 1);
	}
	check_table_entries(&e, 0x8000000000ULL, 0x3, SZ_4K);
	/* 64K contiguous: Cont | OA + i * 4K | 0x6d7 */
	map_run(&e, 0x100000000ULL, 0x80010000ULL, SZ_4K, 16, R | W, 0, 0x6d7);
	/* 32M contiguous: Cont | OA + i * 2M | 0x7fd (cacheable block) */
	map_run(&e, 0x200000000ULL, 0x102000000ULL, SZ_2M, 16, R | W | CA, 1,
		0x7fd);
	{
		static const struct enc_case c[] = {
			{ R | W, 0x0000fffffffff6d7ULL,
			  "OA 0xfffffffff000 | 0x6d7" } };
		check_cases(&e, "s2 4k max OA", 0x300000000ULL, SZ_4K,
			    0xfffffffff000ULL, SZ_4K, 0, c, 1);
	}
	tenv_close(&e);
}

/* FEAT_S2FWB: CACHE becomes MemAttr 0110 (0x18); the rest is unchanged. */
TEST(arm_s2_fwb)
{
	static const struct enc_case c[] = {
		{ R | W | CA, 0x00000000800007dbULL,
		  "AF|SH=11|RW|MemAttr 0110|page = 0x7db" },
		{ R | W, 0x00000000800006d7ULL, "NC unchanged" },
		{ R | W | MM, 0x00000000800006c7ULL, "device unchanged" },
		{ R | CA, 0x000000008000075bULL, "AF|SH=11|R|0110|page" },
	};
	static const struct enc_case b[] = {
		{ R | W | CA, 0x00000000800007d9ULL, "0x7db - 2" },
	};
	static const struct tenv_opts fwb = { .quirks = IOPT_QUIRK_ARM_S2FWB };
	struct tenv e;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-4k", &fwb), 0);
	check_cases(&e, "s2 fwb page", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, c,
		    4);
	check_cases(&e, "s2 fwb 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1, b,
		    1);
	tenv_close(&e);
}

TEST(arm_s2_16k_64k_encoding)
{
	struct tenv e;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-16k", NULL), 0);
	check_cases(&e, "s2 16k page", 0, SZ_16K, 0x80000000ULL, SZ_16K, 0,
		    s2_page, ARRAY_SIZE(s2_page));
	check_cases(&e, "s2 16k 32M", SZ_1G, SZ_32M, 0x80000000ULL, SZ_32M, 1,
		    s2_block, ARRAY_SIZE(s2_block));
	check_table_entries(&e, 0, 0x3, SZ_16K);
	check_table_entries(&e, SZ_1G, 0x3, SZ_16K);
	map_run(&e, 0x100000000ULL, 0x80000000ULL, SZ_16K, 128, R, 0, 0x657);
	tenv_close(&e);

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-64k", NULL), 0);
	check_cases(&e, "s2 64k page", 0, SZ_64K, 0x80000000ULL, SZ_64K, 0,
		    s2_page, ARRAY_SIZE(s2_page));
	check_cases(&e, "s2 64k 512M", 0x200000000ULL, SZ_512M, 0x80000000ULL,
		    SZ_512M, 1, s2_block, ARRAY_SIZE(s2_block));
	check_table_entries(&e, 0, 0x3, SZ_64K);
	map_run(&e, SZ_16G, SZ_16G, SZ_512M, 32, R | W, 1, 0x6d5);
	tenv_close(&e);
}

/*
 * Concatenated stage-2 roots: the top index spans the concatenated tables,
 * and the entries below are ordinary.
 */
TEST(arm_s2_concatenated_walks)
{
	struct tenv e;
	struct iopt_path p;

	/* 4K, ias=oas=40: root L1 indexes [39:30] (1024 entries). */
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-4k:ias=40,oas=40", NULL), 0);
	/* iova 0x8040201000: [39:30] = 0x201, [29:21] = 1, [20:12] = 1 */
	if (map_path(&e, 0x8040201000ULL, 0xfffffff000ULL, SZ_4K, R | W, &p)) {
		CHECK_EQ(p.depth, 3);
		CHECK_EQ(p.index[0], 0x201);
		CHECK_EQ(p.index[1], 1);
		CHECK_EQ(p.index[2], 1);
		/* max OA for oas 40: 0xfffffff000 | 0x6d7 */
		CHECK_EQ(p.pte[2], 0x000000fffffff6d7ULL);
	}
	check_table_entries(&e, 0x8040201000ULL, 0x3, SZ_4K);
	/* 1G block in the upper concatenated table: index 0x3ff */
	if (map_path(&e, 0xffc0000000ULL, 0xffc0000000ULL, SZ_1G, R, &p)) {
		CHECK_EQ(p.depth, 1);
		CHECK_EQ(p.index[0], 0x3ff);
		CHECK_EQ(p.level[0], 2);
		/* OA 0xffc0000000 | AF|SH=10|R|0101|block = 0x655 */
		CHECK_EQ(p.pte[0], 0x000000ffc0000655ULL);
	}
	tenv_close(&e);

	/* 16K, ias=oas=40: root L2 indexes [39:25] (32768 entries). */
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-16k:ias=40,oas=40", NULL), 0);
	/* iova 0xa002004000: [39:25] = 0x5001, [24:14] = 1 */
	if (map_path(&e, 0xa002004000ULL, 0x80000000ULL, SZ_16K, R | W, &p)) {
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.index[0], 0x5001);
		CHECK_EQ(p.index[1], 1);
		CHECK_EQ(p.pte[1], 0x00000000800006d7ULL);
	}
	check_table_entries(&e, 0xa002004000ULL, 0x3, SZ_16K);
	tenv_close(&e);

	/* 16K, ias 48: root L1 indexes [47:36] (4096 entries). */
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-16k", NULL), 0);
	/* iova 0x900000000000: [47:36] = 0x900 */
	if (map_path(&e, 0x900000000000ULL, 0x80000000ULL, SZ_16K, R, &p)) {
		CHECK_EQ(p.depth, 3);
		CHECK_EQ(p.index[0], 0x900);
		CHECK_EQ(p.level[0], 2);
	}
	tenv_close(&e);
}

/* ---- x86-64 ---- */

/*
 * x86 bits (formats.md 5): P 0x1, RW 0x2, U 0x4, PWT 0x8, PCD 0x10,
 * A 0x20, D 0x40, PS 0x80, XD bit 63. Read/write user leaf: 0x67.
 * Table entries: P|RW|U|A = 0x27.
 */
static const struct enc_case x86_4k[] = {
	{ R, 0x0000000080000025ULL, "P|U|A" },
	{ R | W, 0x0000000080000067ULL, "P|RW|U|A|D" },
	{ W, 0x0000000080000067ULL, "write-only is read/write" },
	{ R | W | NX, 0x8000000080000067ULL, "XD | 0x67" },
	{ R | W | CA, 0x0000000080000067ULL, "no cache bits" },
	{ R | W | MM, 0x000000008000007fULL, "PCD|PWT | 0x67" },
	{ R | W | PV, 0x0000000080000063ULL, "no U" },
	{ R | W | MM | CA, 0x000000008000007fULL, "MMIO wins" },
	{ R | PV | NX, 0x8000000080000021ULL, "XD | P|A" },
};

static const struct enc_case x86_2m[] = {
	{ R, 0x00000000800000a5ULL, "PS|P|U|A" },
	{ R | W, 0x00000000800000e7ULL, "PS|P|RW|U|A|D" },
	{ R | W | NX, 0x80000000800000e7ULL, "XD | 0xe7" },
	{ R | W | MM, 0x00000000800000ffULL, "PS|PCD|PWT | 0x67" },
	{ R | W | PV, 0x00000000800000e3ULL, "PS | no U" },
};

/*
 * FEAT_LPA2 (TCR.DS = 1), 4K and 16K: OA[49:G] in place, OA[51:50] in bits
 * [9:8], so no SH field: an R | W stage-1 leaf is AF 0x400 | nG 0x800 |
 * AP[1] 0x40 (AttrIndx 0) = 0xc40, plus 0b11 for a page, 0b01 for a block.
 * Blocks at ARM level 0 (4K: 512G) and level 1 (16K: 64G).
 */
TEST(arm_lpa2_4k_encoding)
{
	static const struct page_case c[] = {
		{ 0, 0x000c000012345000ULL, SZ_4K, 0, 0x0000000012345f43ULL,
		  "OA[51:50]=3 -> 0x300 | OA[49:12] 0x12345000 | 0xc43" },
		{ 0x1000, 0x0003fffffffff000ULL, SZ_4K, 0,
		  0x0003fffffffffc43ULL, "OA[49:12] all ones, [51:50] 0" },
		{ SZ_2M, 0x0008000000200000ULL, SZ_2M, 1, 0x0000000000200e41ULL,
		  "2M: OA[51:50]=2 -> 0x200 | 0x200000 | 0xc41" },
		{ SZ_1G, 0x000fffffc0000000ULL, SZ_1G, 2, 0x0003ffffc0000f41ULL,
		  "1G at 2^52 - 1G: [49:30] ones | 0x300 | 0xc41" },
		{ 512 * SZ_1G, 0x0004008000000000ULL, 512 * SZ_1G, 3,
		  0x0000008000000d41ULL,
		  "512G block at ARM level 0: OA[50] -> 0x100 | 0x8000000000" },
	};
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-4k:lpa2,ias=52,oas=52", NULL), 0);
	/* Five levels: ARM level -1 indexes IOVA[51:48] (16 entries). */
	CHECK_EQ(iopt_levels(&e.t), 5);
	CHECK_EQ(iopt_pgsize_bitmap(&e.t),
		 SZ_4K | 16 * SZ_4K | SZ_2M | 16 * SZ_2M | SZ_1G | 512 * SZ_1G);
	check_pages(&e, "lpa2 4k", c, ARRAY_SIZE(c));
	check_table_entries(&e, 0, 3, SZ_4K);
	/* IOVA[51:48] = 0xb: entry 11 of the 16-entry start table. */
	ASSERT_EQ(tenv_map(&e, 0x000b000000000000ULL, 0x1000, SZ_4K, 1, R), 0);
	ASSERT(get_path(&e, 0x000b000000000000ULL, &p));
	CHECK_EQ(p.depth, 5);
	CHECK_EQ(p.index[0], 11);
	CHECK_EQ(p.level[0], 4);
	CHECK_EQ(p.pte[4], 0x0000000000001cc3ULL); /* RO: AP[2] 0x80 */
	tenv_close(&e);

	/* Stage 2, no concatenation at level -1: R | W page = AF 0x400 |
	 * S2AP 0xc0 | MemAttr NC 0x14 (no SH) | 0b11. */
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-4k:lpa2,ias=52,oas=52", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 5);
	CHECK_EQ(iopt_root_tables(&e.t), 1);
	ASSERT_EQ(tenv_map(&e, 0, 0x000c000000007000ULL, SZ_4K, 1, R | W), 0);
	CHECK_EQ(leaf_pte(&e, 0, NULL), 0x00000000000077d7ULL);
	tenv_close(&e);
}

TEST(arm_lpa2_16k_encoding)
{
	static const struct page_case c[] = {
		{ 0, 0x000800001234c000ULL, SZ_16K, 0, 0x000000001234ce43ULL,
		  "OA[51:50]=2 -> 0x200 | OA[49:14] 0x1234c000 | 0xc43" },
		{ SZ_32M, 0x0004000002000000ULL, SZ_32M, 1,
		  0x0000000002000d41ULL, "32M: OA[50] -> 0x100 | 0xc41" },
		{ 64 * SZ_1G, 0x000c001000000000ULL, 64 * SZ_1G, 2,
		  0x0000001000000f41ULL,
		  "64G block at ARM level 1: 0x300 | 0x1000000000 | 0xc41" },
	};
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-16k:lpa2,ias=52,oas=52", NULL),
		  0);
	/* ias 52 = 14 + 3 * 11 + 5: four levels, a 32-entry level-0 table. */
	CHECK_EQ(iopt_levels(&e.t), 4);
	check_pages(&e, "lpa2 16k", c, ARRAY_SIZE(c));
	check_table_entries(&e, 0, 3, SZ_16K);
	ASSERT_EQ(tenv_map(&e, 0x000f800000000000ULL, 0x4000, SZ_16K, 1, R),
		  0);
	ASSERT(get_path(&e, 0x000f800000000000ULL, &p));
	CHECK_EQ(p.index[0], 31);	/* IOVA[51:47] */
	tenv_close(&e);

	/* Stage 2, ias 48: DS allows the level-0 start (SL0 = 3), so no
	 * concatenated level-1 tables as without LPA2. */
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-16k:lpa2,ias=48,oas=48", NULL),
		  0);
	CHECK_EQ(iopt_levels(&e.t), 4);
	CHECK_EQ(iopt_root_tables(&e.t), 1);
	tenv_close(&e);
	ASSERT_EQ(tenv_open(&e, "arm-lpae-s2-16k", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 3);
	CHECK_EQ(iopt_root_tables(&e.t), 2);
	tenv_close(&e);
}

/* Table descriptors with OA[51:50] set: table memory above 2^50. */
TEST(arm_lpa2_high_tables)
{
	static const struct {
		const char *name;
		uint64_t gsz;
	} v[] = {
		{ "arm-lpae-s1-4k:lpa2,ias=52,oas=52", SZ_4K },
		{ "arm-lpae-s1-16k:lpa2,ias=52,oas=52", SZ_16K },
	};
	const uint64_t phys = 0x000c000040000000ULL;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config cfg;
		struct iopt_arena a;
		struct iopt_mem mem;
		struct iopt_table t;
		struct iopt_path p;
		uint64_t mapped;
		void *buf = aligned_alloc(4096, ARENA_BYTES);

		ASSERT(buf);
		ASSERT_EQ(iopt_config_from_name(v[i].name, &cfg), 0);
		ASSERT_EQ(iopt_arena_init(&a, buf, ARENA_BYTES, phys), 0);
		iopt_arena_mem(&a, &mem);
		ASSERT_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), 0);
		CHECK_EQ(iopt_map_pages(&t, 0x1234ULL * v[i].gsz, 0x5000000,
					v[i].gsz, 1, R | W, 0, &mapped), 0);
		CHECK_EQ(iopt_walk_path(&t, 0x1234ULL * v[i].gsz, &p), 0);
		CHECK_EQ(p.depth, iopt_levels(&t));
		CHECK_EQ(p.table_phys[0], iopt_root_phys(&t));
		for (unsigned int d = 0; d + 1 < p.depth; d++) {
			uint64_t next = p.table_phys[d + 1];

			/* [49:G] in place, [51:50] = 3 in bits [9:8], 0b11 */
			CHECK(next >> 50 == 3);
			CHECK_EQ(p.pte[d], (next & 0x0003ffffffffffffULL) |
				 0x300 | 3);
		}
		CHECK_EQ(iopt_iova_to_phys(&t, 0x1234ULL * v[i].gsz + 8),
			 0x5000008);
		iopt_fini(&t);
		CHECK_EQ(a.used, 0);
		free(buf);
	}
}

/* FEAT_LVA: 64K with ias 52, a 1024-entry (8 KB) level-1 start table. */
TEST(arm_lva_64k)
{
	struct tenv e;
	struct iopt_path p;
	const uint64_t top = 0x000ffc0000000000ULL; /* IOVA[51:42] all ones */

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-64k:ias=52,oas=52", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 3);
	CHECK_EQ(iopt_root_phys(&e.t) % 8192, 0);
	CHECK_EQ(e.a.used, 8192);
	CHECK_EQ(iopt_pgsize_bitmap(&e.t), SZ_64K | 32 * SZ_64K | SZ_512M |
		 32 * SZ_512M | SZ_4T);
	ASSERT_EQ(tenv_map(&e, top, 0x000a000012340000ULL, SZ_64K, 1, R | W),
		  0);
	ASSERT(get_path(&e, top, &p));
	CHECK_EQ(p.index[0], 1023);
	CHECK_EQ(p.pte[2], 0x000000001234ae43ULL);
	/* a 4T block in the last entry of the start table */
	ASSERT_EQ(tenv_map(&e, top - SZ_4T, 0x000c040000000000ULL, SZ_4T, 1,
			   R | W), 0);
	CHECK_EQ(leaf_pte(&e, top - SZ_4T, NULL), 0x000004000000ce41ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.t, top + SZ_4T - 8), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 1ULL << 52), IOPT_PHYS_NONE);
	tenv_close(&e);
}

/*
 * TTBR1: IOVAs [2^64 - 2^ias, 2^64 - 1], indexed by their bits below ias
 * exactly as TTBR0's; the same leaves as a TTBR0 table at IOVA mod 2^ias.
 */
TEST(arm_ttbr1)
{
	const uint64_t base = 0xffff000000000000ULL; /* 2^64 - 2^48 */
	const uint64_t last = 0xfffffffffffff000ULL;
	struct tenv e, z;
	struct iopt_path p, q;
	uint64_t mapped, phys, len;
	unsigned int prot;
	struct iopt_hwsim_geom g;

	ASSERT_EQ(tenv_open(&e, "arm-lpae-s1-4k:ttbr1", NULL), 0);
	ASSERT_EQ(tenv_open(&z, "arm-lpae-s1-4k", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 4);
	/* the first and the last page of the upper half, and a 2M block */
	ASSERT_EQ(tenv_map(&e, base, 0x1000, SZ_4K, 1, R | W), 0);
	ASSERT_EQ(tenv_map(&e, last, 0x2000, SZ_4K, 1, R), 0);
	ASSERT_EQ(tenv_map(&e, 0xffff800000200000ULL, 0x400000, SZ_2M, 1,
			   R | W), 0);
	ASSERT_EQ(tenv_map(&z, 0x800000200000ULL, 0x400000, SZ_2M, 1, R | W),
		  0);
	ASSERT(get_path(&e, last, &p));
	CHECK_EQ(p.depth, 4);
	for (unsigned int d = 0; d < 4; d++)
		CHECK_EQ(p.index[d], 511);	/* IOVA[47:39] ... [20:12] */
	CHECK_EQ(p.pte[3], 0x0000000000002ec3ULL);
	ASSERT(get_path(&e, base, &p));
	CHECK_EQ(p.index[0], 0);
	ASSERT(get_path(&e, 0xffff800000200000ULL, &p));
	ASSERT(get_path(&z, 0x800000200000ULL, &q));
	CHECK_EQ(p.index[0], 256);
	CHECK_EQ(p.depth, q.depth);
	CHECK_EQ(p.pte[p.depth - 1], q.pte[q.depth - 1]);
	CHECK_EQ(iopt_iova_to_phys(&e.t, last + 0xfff), 0x2fff);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0xffff800000300000ULL, &phys,
					  &len, &prot), 0);
	CHECK_EQ(phys, 0x500000);
	CHECK_EQ(len, SZ_2M);
	/* Lower-half and in-between IOVAs are outside the input space. */
	CHECK_EQ(iopt_map_pages(&e.t, 0, 0x1000, SZ_4K, 1, R, 0, &mapped),
		 -ERANGE);
	CHECK_EQ(iopt_map_pages(&e.t, base - SZ_4K, 0x1000, SZ_4K, 1, R, 0,
				&mapped), -ERANGE);
	/* one page below the half and one inside: still outside */
	CHECK_EQ(iopt_map_pages(&e.t, base - SZ_4K, 0x1000, SZ_4K, 2, R, 0,
				&mapped), -ERANGE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0x2000), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_walk_path(&e.t, 0x800000200000ULL, &p), -ERANGE);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, base - 1, &phys, &len, NULL),
		 -ERANGE);
	/* The whole upper half in one call, up to 2^64 - 1. */
	{
		uint64_t unmapped;

		CHECK_EQ(iopt_unmap_range(&e.t, base, 0 - base, 0, &e.g,
					  &unmapped), 0);
		CHECK_EQ(unmapped, 2 * SZ_4K + SZ_2M);
		iopt_gather_sync(&e.g);
		CHECK_EQ(iopt_iova_to_phys(&e.t, last), IOPT_PHYS_NONE);
	}
	/* The simulated IOMMU's TTBR1 region check. */
	ASSERT_EQ(iopt_hwsim_geometry(&e.cfg, &g), 0);
	CHECK(g.ttbr1);
	CHECK_EQ(g.levels, 4);
	tenv_close(&z);
	tenv_close(&e);
}

TEST(x86_4lvl_encoding)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "x86-64-4lvl", NULL), 0);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	check_cases(&e, "x86 4k", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, x86_4k,
		    ARRAY_SIZE(x86_4k));
	/* Tables from the bump pointer: PA | P|RW|U|A. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.pte[0], 0x0000000040001027ULL);
		CHECK_EQ(p.pte[1], 0x0000000040002027ULL);
		CHECK_EQ(p.pte[2], 0x0000000040003027ULL);
	}
	check_table_entries(&e, 0, 0x27, SZ_4K);
	check_cases(&e, "x86 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    x86_2m, ARRAY_SIZE(x86_2m));
	{
		static const struct enc_case c[] = {
			{ R | W, 0x00000000400000e7ULL, "1G PA | 0xe7" },
			{ R, 0x00000000400000a5ULL, "1G PA | 0xa5" },
		};
		check_cases(&e, "x86 1G", 0x8000000000ULL, SZ_1G, SZ_1G, SZ_1G,
			    2, c, 2);
	}
	/* Highest PA, oas 52. */
	{
		static const struct page_case c[] = {
			{ 0x300000000ULL, 0xffffffffff000ULL, SZ_4K, 0,
			  0x000ffffffffff067ULL, "PA 0xffffffffff000 | 0x67" },
			{ 0x300200000ULL, 0xfffffffe00000ULL, SZ_2M, 1,
			  0x000fffffffe000e7ULL, "PA 0xfffffffe00000 | 0xe7" },
			{ 0x340000000ULL, 0xfffffc0000000ULL, SZ_1G, 2,
			  0x000fffffc00000e7ULL, "PA 0xfffffc0000000 | 0xe7" },
		};

		check_pages(&e, "x86 max PA", c, ARRAY_SIZE(c));
	}
	/* Upper half: the first canonical upper address, index 256. */
	if (map_path(&e, 0xffff800000000000ULL, 0x80000000ULL, SZ_4K, R | W,
		     &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.index[0], 256);
		CHECK_EQ(p.index[1], 0);
		CHECK_EQ(p.pte[3], 0x0000000080000067ULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0xffff800000000123ULL),
			 0x80000123ULL);
	}
	check_table_entries(&e, 0xffff800000000000ULL, 0x27, SZ_4K);
	/* The last page of the space: 511 everywhere. */
	if (map_path(&e, 0xfffffffffffff000ULL, 0xabcde000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, 4);
		for (unsigned int d = 0; d < 4; d++) {
			CHECK_EQ(p.index[d], 511);
			CHECK_EQ(p.level[d], 3 - d);
		}
		CHECK_EQ(p.pte[3], 0x00000000abcde025ULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0xffffffffffffffffULL),
			 0xabcdefffULL);
	}
	/* A 1G page at the top of the upper half. */
	if (map_path(&e, 0xffffffff80000000ULL, 0x80000000ULL, SZ_1G, R | W,
		     &p)) {
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.index[0], 511);
		CHECK_EQ(p.index[1], 510);
		CHECK_EQ(p.pte[1], 0x00000000800000e7ULL);
	}
	/* Non-canonical addresses. */
	{
		static const uint64_t bad[] = {
			0x0000800000000000ULL, 0xffff7ffffffff000ULL,
			0x00ff000000000000ULL, 0x8000000000000000ULL,
		};
		for (unsigned int i = 0; i < 4; i++) {
			uint64_t m = 1, phys, len;

			CHECK_EQ(iopt_map_pages(&e.t, bad[i], 0, SZ_4K, 1, R, 0,
						&m), -ERANGE);
			CHECK_EQ(m, 0);
			CHECK_EQ(iopt_walk_path(&e.t, bad[i], &p), -ERANGE);
			CHECK_EQ(iopt_iova_to_phys_length(&e.t, bad[i], &phys,
							  &len, NULL), -ERANGE);
			CHECK_EQ(iopt_iova_to_phys(&e.t, bad[i]),
				 IOPT_PHYS_NONE);
		}
	}
	tenv_close(&e);
}

TEST(x86_5lvl_encoding)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "x86-64-5lvl", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 5);
	check_cases(&e, "x86-5 4k", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, x86_4k,
		    ARRAY_SIZE(x86_4k));
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 5);
		CHECK_EQ(p.pte[0], 0x0000000040001027ULL);
		CHECK_EQ(p.pte[1], 0x0000000040002027ULL);
		CHECK_EQ(p.pte[2], 0x0000000040003027ULL);
		CHECK_EQ(p.pte[3], 0x0000000040004027ULL);
		for (unsigned int d = 0; d < 5; d++)
			CHECK_EQ(p.level[d], 4 - d);
	}
	check_table_entries(&e, 0, 0x27, SZ_4K);
	check_cases(&e, "x86-5 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    x86_2m, ARRAY_SIZE(x86_2m));
	/* Lower-half top 0x00fffffffffff000: 255, then 511 x 4. */
	if (map_path(&e, 0x00fffffffffff000ULL, 0x80000000ULL, SZ_4K, R | W,
		     &p)) {
		CHECK_EQ(p.depth, 5);
		CHECK_EQ(p.index[0], 255);
		for (unsigned int d = 1; d < 5; d++)
			CHECK_EQ(p.index[d], 511);
	}
	/* Upper-half start 0xff00000000000000: index 256 at PML5. */
	if (map_path(&e, 0xff00000000000000ULL, 0x80000000ULL, SZ_2M, R | W,
		     &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.index[0], 256);
		CHECK_EQ(p.pte[3], 0x00000000800000e7ULL);
	}
	check_table_entries(&e, 0xff00000000000000ULL, 0x27, SZ_4K);
	/* Top page: 511 x 5. */
	if (map_path(&e, 0xfffffffffffff000ULL, 0x80000000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, 5);
		for (unsigned int d = 0; d < 5; d++)
			CHECK_EQ(p.index[d], 511);
		CHECK_EQ(p.pte[4], 0x0000000080000025ULL);
	}
	/* 48-bit-canonical but not 57-bit-canonical, and vice versa. */
	{
		uint64_t m = 1;

		CHECK_EQ(iopt_map_pages(&e.t, 0x0100000000000000ULL, 0, SZ_4K,
					1, R, 0, &m), -ERANGE);
		CHECK_EQ(iopt_map_pages(&e.t, 0xfeff000000000000ULL, 0, SZ_4K,
					1, R, 0, &m), -ERANGE);
		/* 0x0000800000000000 is fine with 57 bits */
		CHECK_EQ(iopt_map_pages(&e.t, 0x0000800000000000ULL, 0, SZ_4K,
					1, R, 0, &m), 0);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x0000800000000010ULL), 0x10);
	}
	tenv_close(&e);
}

/* ---- Arm Mali LPAE ---- */

/*
 * Mali ATE bits (Linux io-pgtable-arm.c, ARM_MALI_LPAE; kbase's LPAE MMU
 * mode): [1:0] 01 = ATE at every level that holds leaves (also the last,
 * where LPAE proper has 11), 11 = table; AttrIndx [4:2]: 0 plain, 1 (0x4)
 * cache, 2 (0x8) MMIO; read 0x40, write 0x80; SH 10 = 0x200 always (Mali's
 * "outer", for CACHE too); no AF (0x400), no nG (0x800); NOEXEC: bit 54
 * only = 0x0040000000000000. PRIV changes nothing.
 * So a read/write plain leaf is 0x200 | 0x80 | 0x40 | 0x1 = 0x2c1.
 */
static const struct enc_case mali_leaf[] = {
	{ R, 0x0000000080000241ULL, "SH=10|R|AttrIndx 0|ATE = 0x241" },
	{ R | W, 0x00000000800002c1ULL, "SH=10|W|R|ATE = 0x2c1" },
	{ W, 0x0000000080000281ULL, "write-only exists: SH=10|W|ATE" },
	{ R | W | NX, 0x00400000800002c1ULL, "XN (bit 54 only) | 0x2c1" },
	{ R | W | CA, 0x00000000800002c5ULL, "AttrIndx 1, SH stays 10" },
	{ R | W | MM, 0x00000000800002c9ULL, "AttrIndx 2 | 0x2c1" },
	{ R | W | PV, 0x00000000800002c1ULL, "PRIV means nothing" },
	{ R | W | MM | CA, 0x00000000800002c9ULL, "MMIO wins: AttrIndx 2" },
	{ R | CA, 0x0000000080000245ULL, "AttrIndx 1 | SH=10|R|ATE" },
	{ W | NX | MM, 0x0040000080000289ULL, "XN | SH=10|W|AttrIndx 2|ATE" },
};

/* The raw 64-bit entry at @phys in the tenv's arena (little-endian). */
static unsigned char *mali_raw(struct tenv *e, uint64_t phys)
{
	return (unsigned char *)e->a.base + (phys - e->a.phys_base);
}

static uint64_t mali_get(struct tenv *e, uint64_t phys)
{
	const unsigned char *b = mali_raw(e, phys);
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static void mali_put(struct tenv *e, uint64_t phys, uint64_t v)
{
	unsigned char *b = mali_raw(e, phys);

	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (unsigned char)v;
}

TEST(arm_mali_encoding)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, "arm-mali-lpae", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 4);
	CHECK_EQ(iopt_root_tables(&e.t), 1);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	/* 4K pages: 01 at the last level, the same bits as a block. */
	check_cases(&e, "mali 4k", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0,
		    mali_leaf, ARRAY_SIZE(mali_leaf));
	/* Tables: PA[47:12] | 11, from the bump pointer after the root. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.pte[0], 0x0000000040001003ULL);
		CHECK_EQ(p.pte[1], 0x0000000040002003ULL);
		CHECK_EQ(p.pte[2], 0x0000000040003003ULL);
	}
	check_table_entries(&e, 0, 0x3, SZ_4K);
	/* 2M blocks at level 1: the same entries as the pages. */
	check_cases(&e, "mali 2M", SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1,
		    mali_leaf, ARRAY_SIZE(mali_leaf));
	check_table_entries(&e, SZ_1G, 0x3, SZ_4K);
	/* 1G blocks at level 2. */
	{
		static const struct enc_case c[] = {
			{ R | W, 0x00000001400002c1ULL, "OA 5G | 0x2c1" },
			{ R | NX | CA, 0x0040000140000245ULL,
			  "XN | OA 5G | AttrIndx 1 | SH=10|R|ATE" },
		};
		check_cases(&e, "mali 1G", 0x8000000000ULL, SZ_1G,
			    0x140000000ULL, SZ_1G, 2, c, ARRAY_SIZE(c));
	}
	/* The largest output addresses of oas 40. */
	{
		static const struct page_case c[] = {
			{ 0x300000000ULL, 0xfffffff000ULL, SZ_4K, 0,
			  0x000000fffffff2c1ULL, "OA 0xfffffff000 | 0x2c1" },
			{ 0x300200000ULL, 0xffffe00000ULL, SZ_2M, 1,
			  0x000000ffffe002c1ULL, "OA 0xffffe00000 | 0x2c1" },
			{ 0x340000000ULL, 0xffc0000000ULL, SZ_1G, 2,
			  0x000000ffc00002c1ULL, "OA 0xffc0000000 | 0x2c1" },
		};

		check_pages(&e, "mali max OA", c, ARRAY_SIZE(c));
	}
	/* Nothing at or above 2^40, and no 512G leaf at the top. */
	{
		uint64_t m = 1;

		CHECK_EQ(iopt_map_pages(&e.t, 0x400000000ULL, 1ULL << 40, SZ_4K,
					1, R, 0, &m), -ERANGE);
		CHECK_EQ(iopt_map_pages(&e.t, 0x400000000ULL,
					(1ULL << 40) - SZ_4K, SZ_4K, 2, R, 0,
					&m), -ERANGE);
		CHECK_EQ(iopt_map_pages(&e.t, 0, 0, 1ULL << 39, 1, R, 0, &m),
			 -EINVAL);
		CHECK_EQ(m, 0);
	}
	/* The last page of the 48-bit space: 511 at every level. */
	if (map_path(&e, 0xfffffffff000ULL, 0xabcde000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, 4);
		for (unsigned int d = 0; d < 4; d++) {
			CHECK_EQ(p.index[d], 511);
			CHECK_EQ(p.level[d], 3 - d);
		}
		CHECK_EQ(p.pte[3], 0x00000000abcde241ULL);
	}
	CHECK_EQ(iopt_walk_path(&e.t, 1ULL << 48, &p), -ERANGE);
	tenv_close(&e);
}

/* Entries the engine must decode as Mali does: 11 in a last-level table,
 * 01 in the root and 10 anywhere translate nothing. */
TEST(arm_mali_decode)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t leaf, slot, v, phys, len;
	unsigned int prot;

	ASSERT_EQ(tenv_open(&e, "arm-mali-lpae", NULL), 0);
	if (!map_path(&e, 0x200000ULL + SZ_4K, 0x80001000ULL, SZ_4K, R | W,
		      &p))
		goto out;
	ASSERT_EQ(p.depth, 4);
	leaf = p.table_phys[3] + 8ULL * p.index[3];
	v = mali_get(&e, leaf);
	CHECK_EQ(v, 0x00000000800012c1ULL);
	/* As mapped: read/write, 4K. */
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x201010ULL, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, 0x80001010ULL);
	CHECK_EQ(len, SZ_4K);
	CHECK_EQ(prot, R | W);
	/* Type 11 at the last level: not a page. */
	mali_put(&e, leaf, v | 2);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0x201010ULL), IOPT_PHYS_NONE);
	/* Type 10: invalid. */
	mali_put(&e, leaf, v ^ 3);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0x201010ULL), IOPT_PHYS_NONE);
	/* Hand-made attributes decode to flags: XN | AttrIndx 2 | W only. */
	mali_put(&e, leaf, 0x0040000080001289ULL);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x201010ULL, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, 0x80001010ULL);
	CHECK_EQ(prot, W | NX | MM);
	/* AttrIndx 1, read only. */
	mali_put(&e, leaf, 0x0000000080001245ULL);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x201010ULL, &phys, &len,
					  &prot), 0);
	CHECK_EQ(prot, R | CA);
	mali_put(&e, leaf, v);
	/* A root entry of type 01 is no 512G leaf: nothing there. */
	slot = iopt_root_phys(&e.t) + 8 * 5;
	mali_put(&e, slot, 0x0000000000000241ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 5ULL << 39), IOPT_PHYS_NONE);
	/* and a map over it treats it as empty (it writes a table). */
	CHECK_EQ(tenv_map(&e, 5ULL << 39, 0x80000000ULL, SZ_4K, 1, R), 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, (5ULL << 39) + 8), 0x80000008ULL);
	CHECK_EQ(mali_get(&e, slot) & 3, 3);
out:
	tenv_close(&e);
}

/*
 * Unmapping a whole last-level table counts its pages. A full table of
 * ATEs (type 01) counts 512; one entry turned into 11, which is no page
 * at the last level, must not be counted: an AND of the entries alone
 * still reads 01 there, so a shortcut built on it would claim 512.
 */
TEST(arm_mali_unmap_counts_pages)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t slot, unmapped;

	ASSERT_EQ(tenv_open(&e, "arm-mali-lpae", NULL), 0);
	/* 512 pages of one 2M-aligned range: one full last-level table. */
	if (tenv_map(&e, SZ_1G, 0x80000000ULL, SZ_4K, 512, R | W))
		goto out;
	ASSERT_EQ(iopt_iova_to_pgsize(&e.t, SZ_1G), SZ_4K);
	ASSERT(get_path(&e, SZ_1G + 7 * SZ_4K, &p));
	ASSERT_EQ(p.depth, 4);
	slot = p.table_phys[3] + 8ULL * p.index[3];
	CHECK_EQ(mali_get(&e, slot), 0x00000000800072c1ULL);
	mali_put(&e, slot, mali_get(&e, slot) | 2);
	CHECK_EQ(iopt_unmap_range(&e.t, SZ_1G, SZ_2M, 0, &e.g, &unmapped), 0);
	CHECK_EQ(unmapped, 511 * SZ_4K);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, SZ_1G), IOPT_PHYS_NONE);
	/* The same full table, untouched: 512 pages. */
	if (tenv_map(&e, SZ_1G, 0x80000000ULL, SZ_4K, 512, R))
		goto out;
	CHECK_EQ(iopt_unmap_range(&e.t, SZ_1G, SZ_2M, 0, &e.g, &unmapped), 0);
	CHECK_EQ(unmapped, SZ_2M);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
out:
	tenv_close(&e);
}

/* Small input sizes: the same four levels from a full root. */
TEST(arm_mali_small_ias)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t m = 1;

	ASSERT_EQ(tenv_open(&e, "arm-mali-lpae:ias=32,oas=32", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 4);
	/* root + nothing else: one 4K table */
	CHECK_EQ(e.a.used, 4096);
	/* 1G leaf at 3G: [47:39] 0, [38:30] 3 */
	if (map_path(&e, 0xc0000000ULL, 0x40000000ULL, SZ_1G, R | W, &p)) {
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.index[0], 0);
		CHECK_EQ(p.index[1], 3);
		CHECK_EQ(p.level[1], 2);
		CHECK_EQ(p.pte[0] & 3, 3);
		CHECK_EQ(p.pte[1], 0x00000000400002c1ULL);
	}
	/* 2^32 and above: outside the input space, whatever the root holds. */
	CHECK_EQ(iopt_map_pages(&e.t, 1ULL << 32, 0, SZ_4K, 1, R, 0, &m),
		 -ERANGE);
	CHECK_EQ(m, 0);
	CHECK_EQ(iopt_map_pages(&e.t, 0xfffff000ULL, 0, SZ_4K, 2, R, 0, &m),
		 -ERANGE);
	CHECK_EQ(iopt_walk_path(&e.t, 1ULL << 32, &p), -ERANGE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0x1c0000000ULL), IOPT_PHYS_NONE);
	/* Output addresses: below 2^32 only. */
	CHECK_EQ(iopt_map_pages(&e.t, 0, 1ULL << 32, SZ_4K, 1, R, 0, &m),
		 -ERANGE);
	tenv_close(&e);

	ASSERT_EQ(tenv_open(&e, "arm-mali-lpae:ias=39,oas=36", NULL), 0);
	/* The top of a 39-bit space: root entry 0, then 511 x 3. */
	if (map_path(&e, 0x7ffffff000ULL, 0xffffff000ULL, SZ_4K, R | W, &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.index[0], 0);
		for (unsigned int d = 1; d < 4; d++)
			CHECK_EQ(p.index[d], 511);
		CHECK_EQ(p.pte[3], 0x0000000ffffff2c1ULL);
	}
	CHECK_EQ(iopt_map_pages(&e.t, 1ULL << 39, 0, SZ_4K, 1, R, 0, &m),
		 -ERANGE);
	CHECK_EQ(iopt_map_pages(&e.t, 0, 1ULL << 36, SZ_4K, 1, R, 0, &m),
		 -ERANGE);
	tenv_close(&e);
}

/* ---- protection read-back ---- */

struct eff_case {
	unsigned int prot, eff;
};

static void check_effective(const char *name, const struct eff_case *c,
			    size_t n, unsigned int ignore)
{
	struct tenv e;
	uint64_t pg;

	if (tenv_open(&e, name, NULL)) {
		tenv_close(&e);
		return;
	}
	pg = iopt_pgsize_bitmap(&e.t) & -iopt_pgsize_bitmap(&e.t);
	for (size_t i = 0; i < n; i++) {
		unsigned int eff = iopt_prot_effective(&e.t, c[i].prot);
		unsigned int got = ~0u;
		uint64_t phys = 0, len = 0;

		if ((eff & ~ignore) != c[i].eff ||
		    ((c[i].prot & MM) && (eff & CA)))
			H_FAIL("%s: prot_effective(0x%x) = 0x%x, expected 0x%x",
			       name, c[i].prot, eff, c[i].eff);
		/* What a leaf reports must be what prot_effective says. */
		if (tenv_map(&e, i * pg, 0x80000000ULL, pg, 1, c[i].prot))
			continue;
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, i * pg, &phys, &len,
						  &got), 0);
		if (got != eff)
			H_FAIL("%s: leaf mapped with 0x%x reports 0x%x, "
			       "prot_effective says 0x%x", name, c[i].prot,
			       got, eff);
	}
	tenv_close(&e);
}

TEST(prot_effective)
{
	static const struct eff_case s1[] = {
		{ R, R }, { W, R | W }, { R | W, R | W },
		{ R | W | NX, R | W | NX }, { R | CA, R | CA },
		{ R | W | MM, R | W | MM }, { R | W | PV, R | W | PV },
		{ R | W | MM | CA, R | W | MM }, { W | PV, R | W | PV },
		{ IOPT_PROT_ALL, R | W | NX | MM | PV },
		{ R | NX | CA | PV, R | NX | CA | PV },
	};
	static const struct eff_case s2[] = {
		{ R, R }, { W, W }, { R | W, R | W },
		{ R | W | NX, R | W | NX }, { W | CA, W | CA },
		{ R | MM, R | MM }, { R | W | PV, R | W },
		{ R | W | MM | CA, R | W | MM },
		{ IOPT_PROT_ALL, R | W | NX | MM },
	};
	/*
	 * x86: the present bit means readable, so W reads back as R|W; the
	 * leaf has no cacheability bit of its own (PAT 0 is write-back), so
	 * whether CACHE is reported is the library's choice and is ignored
	 * here, except that MMIO must never read back as CACHE.
	 */
	static const struct eff_case x86[] = {
		{ R, R }, { W, R | W }, { R | W, R | W },
		{ R | W | NX, R | W | NX }, { R | W | CA, R | W },
		{ R | MM, R | MM }, { R | W | PV, R | W | PV },
		{ R | W | MM | CA, R | W | MM },
		{ IOPT_PROT_ALL, R | W | NX | MM | PV },
	};

	/* Mali: stage-2-like permissions (write-only exists, no PRIV),
	 * plain / CACHE / MMIO from AttrIndx. */
	static const struct eff_case mali[] = {
		{ R, R }, { W, W }, { R | W, R | W },
		{ R | W | NX, R | W | NX }, { W | CA, W | CA },
		{ R | MM, R | MM }, { R | W | PV, R | W },
		{ R | W | MM | CA, R | W | MM }, { R | CA | PV, R | CA },
		{ W | NX | PV, W | NX },
		{ IOPT_PROT_ALL, R | W | NX | MM },
	};

	check_effective("arm-lpae-s1-4k", s1, ARRAY_SIZE(s1), 0);
	check_effective("arm-lpae-s1-64k", s1, ARRAY_SIZE(s1), 0);
	check_effective("arm-lpae-s2-4k", s2, ARRAY_SIZE(s2), 0);
	check_effective("arm-lpae-s2-16k", s2, ARRAY_SIZE(s2), 0);
	check_effective("x86-64-4lvl", x86, ARRAY_SIZE(x86), CA);
	check_effective("arm-mali-lpae", mali, ARRAY_SIZE(mali), 0);
	check_effective("arm-mali-lpae:ias=32,oas=32", mali, ARRAY_SIZE(mali),
			0);
	/*
	 * DART: NO_READ / NO_WRITE only; no execute, privilege or device
	 * bit. v2 is cacheable with CACHE (NO_CACHE clear) unless MMIO.
	 */
	{
		static const struct eff_case d1[] = {
			{ R, R }, { W, W }, { R | W, R | W },
			{ R | W | NX, R | W }, { R | CA, R }, { W | MM, W },
			{ R | PV, R }, { IOPT_PROT_ALL, R | W },
		};
		static const struct eff_case d2[] = {
			{ R, R }, { W, W }, { R | W, R | W },
			{ R | CA, R | CA }, { W | CA, W | CA },
			{ R | W | NX | PV, R | W }, { R | W | MM, R | W },
			{ R | W | MM | CA, R | W },
			{ IOPT_PROT_ALL, R | W },
		};

		check_effective("apple-dart", d1, ARRAY_SIZE(d1), 0);
		check_effective("apple-dart2", d2, ARRAY_SIZE(d2), 0);
		check_effective("apple-dart2:ias=42", d2, ARRAY_SIZE(d2), 0);
	}
	/*
	 * RISC-V: W needs R (W alone is reserved), NOEXEC is X clear, PRIV
	 * is U clear; no PBMT, so neither CACHE nor MMIO reads back.
	 */
	{
		static const struct eff_case rv[] = {
			{ R, R }, { W, R | W }, { R | W, R | W },
			{ R | W | NX, R | W | NX }, { R | CA, R },
			{ R | W | MM, R | W }, { R | W | PV, R | W | PV },
			{ W | NX | PV, R | W | NX | PV },
			{ IOPT_PROT_ALL, R | W | NX | PV },
		};

		check_effective("riscv-sv39", rv, ARRAY_SIZE(rv), 0);
		check_effective("riscv-sv57:napot", rv, ARRAY_SIZE(rv), 0);
	}
	CHECK_EQ(iopt_prot_effective(NULL, R | W), 0);
}

/* ---- ARM v7s (short descriptors, 32-bit entries) ---- */

/*
 * Hand-derived from the Armv7 short-descriptor format (DDI 0406C B3.5)
 * with AFE = 1 and TEX remap off, as Linux programs it. The attribute byte
 * (AP[0]=AF bit 0, AP[1] 1, TEX 2-4, AP[2] 5, S 6, nG 7) sits at bit 4 of
 * a small page and bit 10 of a section; nG|S|TEX=001 for normal memory.
 */
static const struct enc_case v7s_small[] = {
	{ R | W, 0x87654c72ULL, "byte 0xc7 (nG S TEX1 AP1 AF) << 4 | small" },
	{ R, 0x87654e72ULL, "+ AP[2] (bit 9)" },
	{ R | NX | CA, 0x87654e7fULL, "+ XN (bit 0), C|B (bits 3, 2)" },
	{ R | W | MM, 0x87654c36ULL, "TEX 000, B: device" },
	{ R | W | PV, 0x87654c52ULL, "no AP[1]" },
	{ R | W | MM | CA, 0x87654c36ULL, "MMIO wins" },
};

static const struct enc_case v7s_section[] = {
	{ R | W, 0x87631c02ULL, "byte 0xc7 << 10 | section" },
	{ R | NX, 0x87639c12ULL, "+ AP[2] (bit 15), XN (bit 4)" },
	{ R | W | CA, 0x87631c0eULL, "C|B" },
	{ R | W | MM | PV, 0x87630406ULL, "TEX 000, no AP[1], B" },
};

TEST(v7s_encoding)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t phys, len;
	unsigned int prot;

	ASSERT_EQ(tenv_open(&e, "arm-v7s", NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), 2);
	CHECK_EQ(iopt_root_tables(&e.t), 1);
	CHECK_EQ(iopt_root_phys(&e.t) % 0x4000, 0); /* TTBR: 16 KB aligned */
	check_cases(&e, "v7s 4k", 0x12340000, SZ_4K, 0x87654000ULL, SZ_4K, 0,
		    v7s_small, ARRAY_SIZE(v7s_small));
	check_cases(&e, "v7s 1m", 0x40000000, 1u << 20, 0x87600000ULL,
		    1u << 20, 1, v7s_section, ARRAY_SIZE(v7s_section));
	/* The L1 entry: the 1 KB L2 table's address | 01. */
	check_table_entries(&e, 0x12340000, 0x1, 1024);
	if (get_path(&e, 0x12340000, &p)) {
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.index[0], 0x123);
		CHECK_EQ(p.index[1], 0x40);
		CHECK_EQ(p.table_phys[1] % 1024, 0);
	}
	/* 64K large page: 16 identical copies; TEX to [14:12], XN to bit 15,
	 * type 01: 0xc3 << 4 | TEX1 << 12 | XN | 01. */
	ASSERT_EQ(tenv_map(&e, 0x12350000, 0x87650000, SZ_64K, 1, R | W | NX), 0);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(leaf_pte(&e, 0x12350000 + i * SZ_4K, NULL),
			 0x87659c31ULL);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x1235f123, &phys, &len, &prot), 0);
	CHECK_EQ(phys, 0x8765f123);
	CHECK_EQ(len, SZ_64K);
	CHECK_EQ(prot, R | W | NX);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x12350000), SZ_64K);
	/* 16M supersection: bit 18, 16 copies in the L1 table. */
	ASSERT_EQ(tenv_map(&e, 0x81000000, 0x86000000, 1u << 24, 1, R | NX), 0);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(leaf_pte(&e, 0x81000000 + i * (1u << 20), NULL),
			 0x86079c12ULL);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x81abcdef, &phys, &len, &prot), 0);
	CHECK_EQ(phys, 0x86abcdef);
	CHECK_EQ(len, 1u << 24);
	CHECK_EQ(prot, R | NX);
	/* Inputs are 32 bits. */
	CHECK_EQ(iopt_map_pages(&e.t, 1ULL << 32, 0, SZ_4K, 1, R, 0, &len),
		 -ERANGE);
	tenv_close(&e);
}

TEST(v7s_ns_and_mtk)
{
	struct tenv e;
	uint64_t phys, len;
	unsigned int prot;

	/* NS: bit 19 in sections, bit 3 in table entries. */
	ASSERT_EQ(tenv_open(&e, "arm-v7s:ns", NULL), 0);
	ASSERT_EQ(tenv_map(&e, 0x00100000, 0x87600000, 1u << 20, 1, R | W), 0);
	CHECK_EQ(leaf_pte(&e, 0x00100000, NULL), 0x876b1c02ULL);
	ASSERT_EQ(tenv_map(&e, 0x00200000, 0x87654000, SZ_4K, 1, R | W), 0);
	CHECK_EQ(leaf_pte(&e, 0x00200000, NULL), 0x87654c72ULL);
	check_table_entries(&e, 0x00200000, 0x9, 1024);
	tenv_close(&e);

	/* NO_PERMS: no AF, AP or XN; MTK_EXT: PA[32] bit 9, PA[34] bit 5,
	 * PA[33] bit 4. */
	ASSERT_EQ(tenv_open(&e, "arm-v7s:no_perms,mtk_ext,oas=35", NULL), 0);
	ASSERT_EQ(tenv_map(&e, 0x1000, 0x523456000ULL, SZ_4K, 1,
			   R | NX | PV), 0);
	CHECK_EQ(leaf_pte(&e, 0x1000, NULL), 0x23456e62ULL);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x1abc, &phys, &len, &prot), 0);
	CHECK_EQ(phys, 0x523456abcULL);
	CHECK_EQ(prot, R | W);
	ASSERT_EQ(tenv_map(&e, 0x00300000, 0x300300000ULL, 1u << 20, 1, R), 0);
	CHECK_EQ(leaf_pte(&e, 0x00300000, NULL), 0x00331212ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0x00312345), 0x300312345ULL);
	CHECK_EQ(iopt_map_pages(&e.t, 0x2000, 1ULL << 35, SZ_4K, 1, R, 0, &len),
		 -ERANGE);
	tenv_close(&e);
}

/* ---- Apple DART ---- */

/*
 * DART v1 leaf (io-pgtable-dart.c's layout): valid 0x1, SP_DIS 0x2,
 * NO_WRITE 0x80, NO_READ 0x100, PA[35:12] in place, sub-page END 0xfff
 * in [51:40] = 0x000fff0000000000, START 0 in [63:52]. So a read/write
 * page at 0x80000000 is 0x000fff0080000003.
 */
static const struct enc_case dart1_page[] = {
	{ R | W, 0x000fff0080000003ULL, "END 0xfff | PA | SP_DIS | V" },
	{ R, 0x000fff0080000083ULL, "+ NO_WRITE 0x80" },
	{ W, 0x000fff0080000103ULL, "+ NO_READ 0x100" },
	{ R | W | NX | PV, 0x000fff0080000003ULL, "no XN or privilege bit" },
	{ R | W | CA, 0x000fff0080000003ULL, "v1 has no cache bit" },
	{ R | MM, 0x000fff0080000083ULL, "nor a device type" },
};

TEST(apple_dart_v1_encoding)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t root;

	ASSERT_EQ(tenv_open(&e, "apple-dart", NULL), 0);
	root = iopt_root_phys(&e.t);
	CHECK_EQ(root, ARENA_PHYS);
	CHECK_EQ(iopt_levels(&e.t), 2);
	CHECK_EQ(iopt_root_tables(&e.t), 4);
	CHECK_EQ(iopt_pgsize_bitmap(&e.t), SZ_4K);
	check_cases(&e, "dart1", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, dart1_page,
		    ARRAY_SIZE(dart1_page));
	/* The first leaf table comes after the 16K TTBR block: the L1 entry
	 * is its address | valid, nothing else. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.pte[0], 0x0000000040004001ULL);
	}
	check_table_entries(&e, 0, 0x1, SZ_4K);
	/* Highest PA (oas 36): PA[35:12] all set. */
	{
		static const struct page_case c[] = {
			{ 0x200000, 0xffffff000ULL, SZ_4K, 0,
			  0x000fff0ffffff003ULL, "PA 0xffffff000 | END | 0x3" },
			{ 0x201000, 0x123456000ULL, SZ_4K, 0,
			  0x000fff0123456003ULL, "PA 0x123456000 | END | 0x3" },
		};

		check_pages(&e, "dart1 PA", c, ARRAY_SIZE(c));
	}
	/*
	 * The TTBRs: IOVA n << 30 is entry 0 of TTBR n, which is the page at
	 * root + n * 4K; the walk sees it as index n * 512 of one start table.
	 */
	for (uint64_t n = 0; n < 4; n++) {
		uint64_t iova = (n << 30) + 0x400000, pa = 0x10000000 * (n + 1);
		const unsigned char *ttbr = (const unsigned char *)e.a.base +
			(root + n * SZ_4K + 2 * 8 - ARENA_PHYS);
		uint64_t word = 0;

		if (!map_path(&e, iova, pa, SZ_4K, R | W, &p))
			continue;
		CHECK_EQ(p.depth, 2);
		CHECK_EQ(p.index[0], n * 512 + 2); /* [29:21] = 2 */
		CHECK_EQ(p.index[1], 0);
		CHECK_EQ(p.pte[1], 0x000fff0000000003ULL | pa);
		/* The L1 entry lies in TTBR n's page, as little-endian bytes. */
		for (unsigned int k = 0; k < 8; k++)
			word |= (uint64_t)ttbr[k] << (8 * k);
		CHECK_EQ(word, p.pte[0]);
		CHECK_EQ(p.pte[0] & ~0x0000000ffffff000ULL, 1);
		CHECK_EQ(iopt_iova_to_phys(&e.t, iova + 0x123), pa + 0x123);
	}
	/* Above ias 32: outside the input space. */
	{
		uint64_t m = 1;

		CHECK_EQ(iopt_map_pages(&e.t, 1ULL << 32, 0, SZ_4K, 1, R, 0, &m),
			 -ERANGE);
		CHECK_EQ(m, 0);
		CHECK_EQ(iopt_map_pages(&e.t, 0x300000, 1ULL << 36, SZ_4K, 1, R,
					0, &m), -ERANGE);
	}
	tenv_close(&e);
}

/*
 * DART v2 leaf: valid 0x1, NO_CACHE 0x2, NO_WRITE 0x4, NO_READ 0x8; PTE
 * bits [37:10] hold PA[41:14] (the PA shifted right by 4); END 0xfff in
 * [51:40]. PA 0x80000000 >> 4 = 0x08000000, so a read/write cacheable page
 * is 0x000fff0008000001.
 */
static const struct enc_case dart2_page[] = {
	{ R | W | CA, 0x000fff0008000001ULL, "END | PA >> 4 | V" },
	{ R | W, 0x000fff0008000003ULL, "+ NO_CACHE 0x2" },
	{ R | CA, 0x000fff0008000005ULL, "+ NO_WRITE 0x4" },
	{ W | CA, 0x000fff0008000009ULL, "+ NO_READ 0x8" },
	{ R, 0x000fff0008000007ULL, "NO_WRITE | NO_CACHE" },
	{ W, 0x000fff000800000bULL, "NO_READ | NO_CACHE" },
	{ R | W | MM | CA, 0x000fff0008000003ULL, "MMIO wins: NO_CACHE" },
	{ R | W | NX | PV | CA, 0x000fff0008000001ULL, "no XN or privilege" },
};

static void dart2_checks(const char *name, unsigned int levels)
{
	struct tenv e;
	struct iopt_path p;

	ASSERT_EQ(tenv_open(&e, name, NULL), 0);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	CHECK_EQ(iopt_levels(&e.t), levels);
	CHECK_EQ(iopt_root_tables(&e.t), 1);
	CHECK_EQ(iopt_pgsize_bitmap(&e.t), SZ_16K);
	check_cases(&e, name, 0, SZ_16K, 0x80000000ULL, SZ_16K, 0, dart2_page,
		    ARRAY_SIZE(dart2_page));
	/* Tables are encoded as leaves: 0x40004000 >> 4 = 0x4000400, | V;
	 * with three levels the L1 table comes first, then the leaf table. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, levels);
		if (levels == 2) {
			CHECK_EQ(p.pte[0], 0x0000000004000401ULL);
			CHECK_EQ(p.table_phys[1], 0x40004000ULL);
		} else {
			CHECK_EQ(p.pte[0], 0x0000000004000401ULL);
			CHECK_EQ(p.pte[1], 0x0000000004000801ULL);
			CHECK_EQ(p.table_phys[2], 0x40008000ULL);
		}
	}
	/* High PAs: bit 41 lands in PTE bit 37, bit 14 in bit 10. */
	{
		static const struct page_case c[] = {
			{ 0x4000000, 0x20000000000ULL, SZ_16K, 0,
			  0x000fff2000000003ULL, "PA bit 41 -> bit 37" },
			{ 0x4004000, 0x20000004000ULL, SZ_16K, 0,
			  0x000fff2000000403ULL, "+ PA bit 14 -> bit 10" },
			{ 0x4008000, 0x3ffffffc000ULL, SZ_16K, 0,
			  0x000fff3ffffffc03ULL, "PA[41:14] all set" },
		};

		check_pages(&e, name, c, ARRAY_SIZE(c));
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x400bfffULL), 0x3ffffffffffULL);
	}
	{
		uint64_t m = 1;

		CHECK_EQ(iopt_map_pages(&e.t, 1ULL << e.cfg.ias, 0, SZ_16K, 1, R,
					0, &m), -ERANGE);
		CHECK_EQ(iopt_map_pages(&e.t, 0x4010000, 1ULL << 42, SZ_16K, 1,
					R, 0, &m), -ERANGE);
		CHECK_EQ(m, 0);
	}
	tenv_close(&e);
}

TEST(apple_dart_v2_encoding)
{
	dart2_checks("apple-dart2", 2);
	dart2_checks("apple-dart2:ias=42", 3);
}

/* ------------------------------------------------------ VT-d second stage */

/*
 * VT-d second-stage entries (VT-d spec 9.8; formats.md section 7), worked
 * out bit by bit: R is bit 0, W bit 1, PS bit 7 (2M in a PDE, 1G in a
 * PDPE), SNP bit 11 (IOPT_CACHE, leaves only), the address in [51:12].
 * No present bit, no privilege and (without SLEE) no execute bit, so
 * NOEXEC and PRIV add nothing; MMIO keeps CACHE from setting SNP.
 */
static const struct enc_case vtd_4k[] = {
	{ R | W, 0x0000000080000003ULL, "PA | W (1) | R (0)" },
	{ R, 0x0000000080000001ULL, "PA | R" },
	{ W, 0x0000000080000002ULL, "PA | W: present through W alone" },
	{ R | W | CA, 0x0000000080000803ULL, "PA | SNP (11) | W | R" },
	{ R | W | CA | MM, 0x0000000080000003ULL, "MMIO: no SNP" },
	{ R | NX | PV, 0x0000000080000001ULL, "NOEXEC, PRIV: no bits" },
};

static const struct enc_case vtd_2m[] = {
	{ R | W, 0x0000000080000083ULL, "PA | PS (7) | W | R" },
	{ R, 0x0000000080000081ULL, "PA | PS | R" },
	{ R | W | CA, 0x0000000080000883ULL, "PA | SNP | PS | W | R" },
};

static void vtd_checks(const char *name, unsigned int levels)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t m = 1, top, phys, len;
	unsigned int prot = 0;

	ASSERT_EQ(tenv_open(&e, name, NULL), 0);
	top = 1ULL << e.cfg.ias;
	CHECK_EQ(iopt_levels(&e.t), levels);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	check_cases(&e, name, 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, vtd_4k,
		    ARRAY_SIZE(vtd_4k));
	/* Tables from the bump pointer after the root: PA | W | R. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, levels);
		for (unsigned int d = 0; d + 1 < levels; d++)
			CHECK_EQ(p.pte[d], ARENA_PHYS + (d + 1) * SZ_4K + 3);
	}
	check_table_entries(&e, 0, 0x3, SZ_4K);
	check_cases(&e, name, SZ_1G, SZ_2M, 0x80000000ULL, SZ_2M, 1, vtd_2m,
		    ARRAY_SIZE(vtd_2m));
	{
		static const struct enc_case c[] = {
			{ R | W, 0x0000000040000083ULL, "1G PA | PS | W | R" },
			{ R | W | CA, 0x0000000040000883ULL,
			  "1G PA | SNP | PS | W | R" },
		};

		check_cases(&e, name, 4 * SZ_1G, SZ_1G, SZ_1G, SZ_1G, 2, c,
			    ARRAY_SIZE(c));
	}
	/* Real captures (formats.md): a 2M leaf 0x0000000694200883 = PA
	 * 0x694200000 | SNP | PS | W | R and a 4K leaf 0x1539fb803 = PA
	 * 0x1539fb000 | SNP | W | R, both mapped coherent and writable. */
	{
		static const struct enc_case c2[] = {
			{ R | W | CA, 0x0000000694200883ULL, "captured 2M leaf" },
		};
		static const struct enc_case c4[] = {
			{ R | W | CA, 0x00000001539fb803ULL, "captured 4K leaf" },
		};

		check_cases(&e, name, 8 * SZ_1G, 0, 0x694200000ULL, SZ_2M, 1,
			    c2, 1);
		check_cases(&e, name, 9 * SZ_1G, 0, 0x1539fb000ULL, SZ_4K, 0,
			    c4, 1);
		check_table_entries(&e, 9 * SZ_1G, 0x3, SZ_4K);
	}
	/* The highest PA with oas 52: address bits [51:12], [51:21], [51:30]. */
	{
		static const struct page_case c[] = {
			{ 10 * SZ_1G, 0xffffffffff000ULL, SZ_4K, 0,
			  0x000ffffffffff003ULL, "PA[51:12] all set | W | R" },
			{ 10 * SZ_1G + SZ_2M, 0xfffffffe00000ULL, SZ_2M, 1,
			  0x000fffffffe00083ULL, "PA[51:21] | PS | W | R" },
			{ 11 * SZ_1G, 0xfffffc0000000ULL, SZ_1G, 2,
			  0x000fffffc0000083ULL, "PA[51:30] | PS | W | R" },
		};

		check_pages(&e, name, c, ARRAY_SIZE(c));
	}
	/* What a leaf reports: R, W and SNP as CACHE. */
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 3 * SZ_4K + 5, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, 0x80000005ULL);
	CHECK_EQ(len, SZ_4K);
	CHECK_EQ(prot, R | W | CA);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 2 * SZ_4K, &phys, &len, &prot),
		 0);
	CHECK_EQ(prot, W);
	CHECK_EQ(iopt_prot_effective(&e.t, R | W | NX | PV | CA), R | W | CA);
	CHECK_EQ(iopt_prot_effective(&e.t, R | CA | MM), R);
	CHECK_EQ(iopt_prot_effective(&e.t, W | NX), W);
	/* The last page of the input space: index 511 at every level. */
	if (map_path(&e, top - SZ_4K, 0xabcde000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, levels);
		for (unsigned int d = 0; d < levels; d++) {
			CHECK_EQ(p.index[d], 511);
			CHECK_EQ(p.level[d], levels - 1 - d);
		}
		CHECK_EQ(p.pte[levels - 1], 0x00000000abcde001ULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, top - 1), 0xabcdefffULL);
	}
	/* Not sign-extended: 2^ias and the x86 upper half are outside. */
	CHECK_EQ(iopt_map_pages(&e.t, top, 0, SZ_4K, 1, R, 0, &m), -ERANGE);
	CHECK_EQ(iopt_map_pages(&e.t, 0 - top, 0, SZ_4K, 1, R, 0, &m), -ERANGE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0 - SZ_4K), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_map_pages(&e.t, 12 * SZ_1G, 1ULL << 52, SZ_4K, 1, R, 0,
				&m), -ERANGE);
	CHECK_EQ(m, 0);
	tenv_close(&e);
}

TEST(vtd_ss_encoding)
{
	vtd_checks("vtd-ss-3lvl", 3);
	vtd_checks("vtd-ss-4lvl", 4);
	vtd_checks("vtd-ss-5lvl", 5);
}

/* CAP.SLLPS bit 1 clear: no 1G leaves; 1G ranges become 2M superpages. */
TEST(vtd_ss_no1g)
{
	struct tenv e;
	uint64_t m = 1;
	unsigned int lvl = ~0u;

	ASSERT_EQ(tenv_open(&e, "vtd-ss-4lvl:no1g", NULL), 0);
	CHECK_EQ(e.cfg.quirks, IOPT_QUIRK_VTD_NO_1G);
	CHECK_EQ(iopt_pgsize_bitmap(&e.t), SZ_4K | SZ_2M);
	CHECK_EQ(iopt_map_pages(&e.t, SZ_1G, SZ_1G, SZ_1G, 1, R | W, 0, &m),
		 -EINVAL);
	CHECK_EQ(m, 0);
	ASSERT_EQ(iopt_map_range(&e.t, SZ_1G, SZ_1G, SZ_1G, R | W, 0, &m), 0);
	CHECK_EQ(m, SZ_1G);
	/* A PDE with PS at 1G + 2M: PA 0x40200000 | PS | W | R. */
	CHECK_EQ(leaf_pte(&e, SZ_1G + SZ_2M, &lvl), 0x0000000040200083ULL);
	CHECK_EQ(lvl, 1);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, SZ_1G + SZ_1G - 1), SZ_2M);
	check_table_entries(&e, SZ_1G, 0x3, SZ_4K);
	tenv_close(&e);
}

/* ---- AMD IOMMU v1 ---- */

/*
 * AMD v1 entry bits (AMD IOMMU specification 48882, 2.2.3, "I/O page table
 * entry"; formats.md 6.2): PR bit 0, NextLevel [11:9], address [51:12],
 * FC bit 60, IR bit 61, IW bit 62. IR|IW = 0x6000000000000000.
 * A 4K page (NextLevel 0) at 0x80000000: 0x6000000080000001.
 */
static const struct enc_case amd_page[] = {
	{ R | W, 0x6000000080000001ULL, "IR|IW | PA | PR" },
	{ R, 0x2000000080000001ULL, "IR only" },
	{ W, 0x4000000080000001ULL, "IW only" },
	{ R | W | CA, 0x7000000080000001ULL, "+ FC (bit 60)" },
	{ R | W | CA | MM, 0x6000000080000001ULL, "MMIO wins: no FC" },
	{ R | NX | PV, 0x2000000080000001ULL, "no execute or privilege bits" },
};

/*
 * A NextLevel-7 page of 2^@lg2 bytes at @iova -> @pa: @copies identical
 * entries at @level, each @want, and lookups reporting the whole page.
 */
static void amd_sized(struct tenv *e, uint64_t iova, uint64_t pa,
		      unsigned int lg2, unsigned int level, unsigned int copies,
		      uint64_t want)
{
	const uint64_t size = 1ULL << lg2, step = size / copies;
	uint64_t phys = 0, len = 0;
	unsigned int lvl = ~0u, prot = 0;

	if (tenv_map(e, iova, pa, size, 1, R | W))
		return;
	for (unsigned int i = 0; i < copies; i++) {
		uint64_t pte = leaf_pte(e, iova + i * step, &lvl);

		if (pte != want)
			H_FAIL("2^%u page at 0x%" PRIx64 ", copy %u: 0x%016" PRIx64
			       " expected 0x%016" PRIx64, lg2, iova, i, pte, want);
		CHECK_EQ(lvl, level);
	}
	CHECK_EQ(iopt_iova_to_phys_length(&e->t, iova + size - 8, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, pa + size - 8);
	CHECK_EQ(len, size);
	CHECK_EQ(prot, R | W);
	CHECK_EQ(iopt_iova_to_pgsize(&e->t, iova + step), size);
	/* Neighbours are not part of it. */
	CHECK_EQ(iopt_iova_to_phys(&e->t, iova + size), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e->t, iova - 1), IOPT_PHYS_NONE);
}

TEST(amd_v1_encoding)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t u = 0;

	ASSERT_EQ(tenv_open(&e, "amd-v1", NULL), 0);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	CHECK_EQ(iopt_levels(&e.t), 4);
	check_cases(&e, "amd 4k", 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, amd_page,
		    ARRAY_SIZE(amd_page));
	/* Tables: PR | IR | IW | NextLevel = the level of the table pointed
	 * to (AMD numbering: an entry of AMD level L names level L - 1):
	 * root entry 3 << 9 = 0x600, then 0x400, then 0x200. */
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, 4);
		CHECK_EQ(p.pte[0], 0x6000000040001601ULL);
		CHECK_EQ(p.pte[1], 0x6000000040002401ULL);
		CHECK_EQ(p.pte[2], 0x6000000040003201ULL);
	}
	/* Pages of a level's own size: NextLevel 0 at levels 1 and 2. */
	{
		static const struct page_case c[] = {
			{ SZ_1G, 0x80000000ULL, SZ_2M, 1,
			  0x6000000080000001ULL, "2M: NextLevel 0 at level 1" },
			{ 0x8000000000ULL, SZ_1G, SZ_1G, 2,
			  0x6000000040000001ULL, "1G: NextLevel 0 at level 2" },
			{ 0x300000000ULL, 0xffffffffff000ULL, SZ_4K, 0,
			  0x600ffffffffff001ULL, "PA[51:12] all set" },
		};

		check_pages(&e, "amd natural", c, ARRAY_SIZE(c));
	}
	/*
	 * NextLevel 7 (0xe00): the size is a run of ones from address bit 12
	 * ending in a zero, n ones for 2^(13 + n) bytes, copied into every
	 * entry the page covers.
	 */
	/* 8K: no ones (bit 12 clear), 2 copies of 0x90000000. */
	amd_sized(&e, 0x10000000, 0x90000000, 13, 0, 2, 0x6000000090000e01ULL);
	/* 16K: bit 12, 4 copies: 0x90004000 | 0x1000. */
	amd_sized(&e, 0x10004000, 0x90004000, 14, 0, 4, 0x6000000090005e01ULL);
	/* 64K: bits 12..14 (0x7000), 16 copies. */
	amd_sized(&e, 0x10010000, 0x90010000, 16, 0, 16, 0x6000000090017e01ULL);
	/* 1M: bits 12..18 (0x7f000), 256 copies (the largest at level 0). */
	amd_sized(&e, 0x10100000, 0x90100000, 20, 0, 256, 0x600000009017fe01ULL);
	/* 4M: bits 12..20 (0x1ff000), 2 copies at level 1. */
	amd_sized(&e, 0x20000000, 0xa0000000, 22, 1, 2, 0x60000000a01ffe01ULL);
	/* 32M: bits 12..23 (0xfff000), 16 copies at level 1. */
	amd_sized(&e, 0x22000000, 0xa2000000, 25, 1, 16, 0x60000000a2fffe01ULL);
	/* 2G: bits 12..29 (0x3ffff000), 2 copies at level 2. */
	amd_sized(&e, 0x100000000ULL, 0x180000000ULL, 31, 2, 2,
		  0x60000001bffffe01ULL);
	/* 1T at level 3 (no 512G page): bits 12..38 (0x7ffffff000) over PA
	 * 2T, 2 copies. */
	amd_sized(&e, 0x10000000000ULL, 0x20000000000ULL, 40, 3, 2,
		  0x6000027ffffffe01ULL);
	/* 128T, the largest with 4 levels: bits 12..45 (0x3ffffffff000) over
	 * PA 128T, 256 copies in the root's upper half. */
	amd_sized(&e, 0x800000000000ULL, 0x800000000000ULL, 47, 3, 256,
		  0x6000bffffffffe01ULL);
	/* No 512G page: map_pages refuses the size, map_range uses two 256G
	 * pages (level 2, bits 12..36 = 0x1ffffff000 over PA 512G). */
	CHECK_EQ(iopt_map_pages(&e.t, 0x8000000000ULL * 2, 0x8000000000ULL,
				0x8000000000ULL, 1, R | W, 0, &u), -EINVAL);
	if (!iopt_map_range(&e.t, 0x8000000000ULL * 2, 0x8000000000ULL,
			    0x8000000000ULL, R | W, 0, &u)) {
		unsigned int lvl = ~0u;

		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10000000000ULL - 1),
			 0x4000000000ULL);
		CHECK_EQ(leaf_pte(&e, 0x8000000000ULL * 2, &lvl),
			 0x6000009ffffffe01ULL);
		CHECK_EQ(lvl, 2);
	}
	/* Unmap never splits a page: a 4K page inside the 64K one is
	 * refused; the whole page goes at once, all 16 copies. */
	CHECK_EQ(iopt_unmap_range(&e.t, 0x10014000, SZ_4K, 0, &e.g, &u),
		 -EXDEV);
	CHECK_EQ(tenv_unmap(&e, 0x10010000, SZ_64K, SZ_64K), 0);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(leaf_pte(&e, 0x10010000 + i * SZ_4K, NULL), 0);
	/* Inputs are 48 bits: the Mode's. */
	CHECK_EQ(iopt_map_pages(&e.t, 1ULL << 48, 0, SZ_4K, 1, R, 0, &u),
		 -ERANGE);
	tenv_close(&e);

	/* 6 levels: all 64 input bits, the top level indexes [63:57]. */
	ASSERT_EQ(tenv_open(&e, "amd-v1:levels=6", NULL), 0);
	if (map_path(&e, 0xfffffffffffff000ULL, 0x80000000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, 6);
		CHECK_EQ(p.index[0], 127);
		/* 5 << 9 = 0xa00 in the root entry. */
		CHECK_EQ(p.pte[0], 0x6000000040001a01ULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0xffffffffffffffffULL),
			 0x80000fffULL);
	}
	/* 2^51, the largest page: 8 copies of a level-4 (2^48) entry, bits
	 * 12..49 = 0x3fffffffff000 over PA 2^51. */
	amd_sized(&e, 0x8000000000000ULL, 0x8000000000000ULL, 51, 4, 8,
		  0x600bfffffffffe01ULL);
	tenv_close(&e);
}

/*
 * AMD v1 offers every power-of-two size: for each, map_range over a region
 * around a page of that size, at random offsets (a head and a tail of
 * random whole 4K pages, IOVA and PA aligned alike), must decompose as the
 * model's greedy map_range does: at each address the largest size that is
 * aligned and fits. Checked leaf by leaf with iova_to_phys_length, then the
 * unmap must remove exactly the region.
 */
TEST(amd_v1_map_range_every_size)
{
	uint64_t seed = h_seed(), s = seed;
	struct tenv e;

	printf("# seed %" PRIu64 " (IOPT_TEST_SEED to replay)\n", seed);
	ASSERT_EQ(tenv_open(&e, "amd-v1", NULL), 0);
	for (unsigned int lg2 = 12; lg2 < 48; lg2++) {
		const uint64_t size = 1ULL << lg2, space = 1ULL << 48;
		const uint64_t bitmap = iopt_pgsize_bitmap(&e.t);
		uint64_t head, tail, base, pa_base, iova, pa, len, m = 0;
		unsigned int leaves = 0;

		if (!(bitmap & size))
			continue; /* 512G */
		/* A page-aligned base with room for a head and a tail. */
		base = space / size >= 3 ?
		       size * (1 + h_rand(&s) % (space / size - 2)) : size;
		head = (h_rand(&s) % (size >> 12)) << 12;
		tail = base + size < space ?
		       (h_rand(&s) % (size >> 12)) << 12 : 0;
		pa_base = size * (1 + h_rand(&s) % ((1ULL << 51) / size - 1));
		iova = base - head;
		pa = pa_base - head;
		len = head + size + tail;
		if (iopt_map_range(&e.t, iova, pa, len, R | W, 0, &m)) {
			H_FAIL("2^%u: map_range 0x%" PRIx64 "+0x%" PRIx64
			       " -> 0x%" PRIx64 " failed", lg2, iova, len, pa);
			continue;
		}
		CHECK_EQ(m, len);
		for (uint64_t off = 0; off < len;) {
			uint64_t want = model_range_pgsize(bitmap, iova + off,
							   pa + off, len - off);
			uint64_t phys = 0, l = 0;

			if (iopt_iova_to_phys_length(&e.t, iova + off, &phys,
						     &l, NULL) || l != want ||
			    phys != pa + off) {
				H_FAIL("2^%u: at 0x%" PRIx64 " leaf 0x%" PRIx64
				       " -> 0x%" PRIx64 ", model 0x%" PRIx64
				       " -> 0x%" PRIx64, lg2, iova + off, l,
				       phys, want, pa + off);
				break;
			}
			off += l;
			leaves++;
		}
		/* The page of this size itself is one leaf. */
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, base), size);
		CHECK(leaves <= 2 * 48);
		CHECK_EQ(iopt_iova_to_phys(&e.t, iova - 1), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, iova + len), IOPT_PHYS_NONE);
		CHECK_EQ(tenv_unmap(&e, iova, len, len), 0);
		CHECK_EQ(iopt_iova_to_phys(&e.t, base), IOPT_PHYS_NONE);
		iopt_gather_sync(&e.g);
	}
	tenv_close(&e);
}

/* ---- RISC-V IOMMU first stage (Sv39, Sv48, Sv57, Svnapot) ---- */

/*
 * RISC-V PTE bits (privileged spec, "Sv39"/"Sv48"/"Sv57", "Svnapot",
 * "Svpbmt"; the IOMMU spec's first stage uses them unchanged): V bit 0 =
 * 0x1, R 1 = 0x2, W 2 = 0x4, X 3 = 0x8, U 4 = 0x10, G 5 = 0x20, A 6 =
 * 0x40, D 7 = 0x80, RSW [9:8], PPN [53:10] (PA[55:12]), reserved [60:54],
 * PBMT [62:61], N bit 63.
 *
 * The format presets A (and D on writable leaves) so the IOMMU never has
 * to update them, sets U unless IOPT_PRIV (device requests without a
 * privileged PASID are U-mode), never sets G or RSW, and turns W alone
 * into R | W (W without R is reserved). It writes no PBMT (0: the PMA's
 * memory type), so IOPT_CACHE and IOPT_MMIO change no bit: the platform's
 * PMAs decide cacheability, and an MMIO leaf is the same leaf.
 *
 * A 4K read/write user leaf at PA 0x80000000: PPN 0x80000, << 10 =
 * 0x20000000; V|R|W|X|U|A|D = 0x1+0x2+0x4+0x8+0x10+0x40+0x80 = 0xdf.
 * A leaf's size is its level: the same bits make a 2M, 1G, 512G or 256T
 * leaf one, two, three or four levels up (no PS bit).
 */
static const struct enc_case rv_4k[] = {
	{ R | W, 0x00000000200000dfULL, "PPN 0x80000 << 10 | D|A|U|X|W|R|V" },
	{ R, 0x000000002000005bULL, "A|U|X|R|V = 0x5b: no W, no D" },
	{ W, 0x00000000200000dfULL, "W alone is reserved: R|W, 0xdf" },
	{ R | W | NX, 0x00000000200000d7ULL, "0xdf without X (0x8)" },
	{ R | W | PV, 0x00000000200000cfULL, "0xdf without U (0x10)" },
	{ R | NX | PV, 0x0000000020000043ULL, "A|R|V only" },
	{ R | W | CA, 0x00000000200000dfULL, "CACHE: no PBMT, 0xdf" },
	{ R | W | MM, 0x00000000200000dfULL, "MMIO: no PBMT (not IO = 2)" },
	{ R | W | CA | MM, 0x00000000200000dfULL, "no PBMT bits at all" },
};

/* 2M leaves (level 1) at PA 0x80200000: PPN 0x80200, << 10 = 0x20080000. */
static const struct enc_case rv_2m[] = {
	{ R | W, 0x00000000200800dfULL, "PPN 0x80200 << 10 | 0xdf" },
	{ R | NX, 0x0000000020080053ULL, "A|U|R|V = 0x53" },
	{ R | W | PV | MM, 0x00000000200800cfULL, "no U, no PBMT" },
};

/* A table pointer: V alone (R = W = X = 0 make it non-leaf; A, D and U
 * are reserved in a non-leaf entry and left 0) over the next table's PPN.
 * The tables come from the bump pointer after the root at ARENA_PHYS
 * 0x40000000: 0x40001000 -> PPN 0x40001 << 10 = 0x10000400 | V, and so on
 * by 0x400 per 4K table. */
static const uint64_t rv_tables[] = {
	0x0000000010000401ULL, 0x0000000010000801ULL,
	0x0000000010000c01ULL, 0x0000000010001001ULL,
};

/*
 * check_table_entries() for RISC-V, whose address field is not in place:
 * a pointer to the table at PA @next holds PPN = @next >> 12 at bit 10,
 * and V alone.
 */
static void rv_table_entries(struct tenv *e, uint64_t iova)
{
	struct iopt_path p;

	if (!get_path(e, iova, &p))
		return;
	CHECK_EQ(p.table_phys[0], iopt_root_phys(&e->t));
	for (unsigned int i = 0; i + 1 < p.depth; i++) {
		uint64_t next = p.table_phys[i + 1];
		uint64_t want = ((next >> 12) << 10) | 0x1;

		CHECK_EQ(p.level[i + 1], p.level[i] - 1);
		if (p.pte[i] != want)
			H_FAIL("iova 0x%" PRIx64 " level %u: pointer 0x%016" PRIx64
			       ", expected 0x%016" PRIx64, iova, p.level[i],
			       p.pte[i], want);
		CHECK(next % SZ_4K == 0);
		CHECK(!iopt_arena_is_free(&e->a, next, SZ_4K));
	}
}

struct rv_geo {
	const char *name;
	unsigned int levels;
	uint64_t upper;       /* first upper-half (sign-extended) IOVA */
	uint64_t bad[4];      /* non-canonical IOVAs */
};

static void rv_checks(const struct rv_geo *gi)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t m = 1, phys, len;
	unsigned int prot = 0, levels = gi->levels;

	ASSERT_EQ(tenv_open(&e, gi->name, NULL), 0);
	CHECK_EQ(iopt_levels(&e.t), levels);
	CHECK_EQ(iopt_root_phys(&e.t), ARENA_PHYS);
	check_cases(&e, gi->name, 0, SZ_4K, 0x80000000ULL, SZ_4K, 0, rv_4k,
		    ARRAY_SIZE(rv_4k));
	if (get_path(&e, 0, &p)) {
		CHECK_EQ(p.depth, levels);
		for (unsigned int d = 0; d + 1 < levels; d++)
			CHECK_EQ(p.pte[d], rv_tables[d]);
	}
	rv_table_entries(&e, 0);
	check_cases(&e, gi->name, SZ_1G, SZ_2M, 0x80200000ULL, SZ_2M, 1, rv_2m,
		    ARRAY_SIZE(rv_2m));
	rv_table_entries(&e, SZ_1G);
	/* 1G (level 2) at PA 0xc0000000: PPN 0xc0000 << 10 = 0x30000000. */
	{
		static const struct enc_case c[] = {
			{ R | W, 0x00000000300000dfULL, "1G PPN 0xc0000 | 0xdf" },
			{ R | PV, 0x000000003000004bULL, "1G A|X|R|V = 0x4b" },
		};

		check_cases(&e, gi->name, 4 * SZ_1G, SZ_1G, 0xc0000000ULL, SZ_1G,
			    2, c, ARRAY_SIZE(c));
	}
	/* 512G (level 3, Sv48 and Sv57) at IOVA and PA 2^39: PPN 2^27,
	 * << 10 = 2^37 = 0x2000000000. */
	if (levels >= 4) {
		static const struct enc_case c[] = {
			{ R | W, 0x00000020000000dfULL, "512G PPN 2^27 | 0xdf" },
		};

		check_cases(&e, gi->name, 1ULL << 39, 0, 1ULL << 39, 1ULL << 39,
			    3, c, 1);
	}
	/* 256T (level 4, Sv57 only) at IOVA and PA 2^48: PPN 2^36, << 10 =
	 * 2^46 = 0x400000000000. */
	if (levels >= 5) {
		static const struct enc_case c[] = {
			{ R | W, 0x00004000000000dfULL, "256T PPN 2^36 | 0xdf" },
		};

		check_cases(&e, gi->name, 1ULL << 48, 0, 1ULL << 48, 1ULL << 48,
			    4, c, 1);
	}
	/* The highest PA with oas 56: PPN bits [53:10], [53:19], [53:28]
	 * all set: 2^54 - 2^10 = 0x3ffffffffffc00, 2^54 - 2^19 =
	 * 0x3ffffffff80000, 2^54 - 2^28 = 0x3ffffff0000000. */
	{
		static const struct page_case c[] = {
			{ 10 * SZ_1G, 0x00fffffffffff000ULL, SZ_4K, 0,
			  0x003ffffffffffcdfULL, "PA[55:12] all set | 0xdf" },
			{ 10 * SZ_1G + SZ_2M, 0x00ffffffffe00000ULL, SZ_2M, 1,
			  0x003ffffffff800dfULL, "PA[55:21] | 0xdf" },
			{ 11 * SZ_1G, 0x00ffffffc0000000ULL, SZ_1G, 2,
			  0x003ffffff00000dfULL, "PA[55:30] | 0xdf" },
		};

		check_pages(&e, gi->name, c, ARRAY_SIZE(c));
	}
	CHECK_EQ(iopt_map_pages(&e.t, 12 * SZ_1G, 1ULL << 56, SZ_4K, 1, R, 0,
				&m), -ERANGE);
	CHECK_EQ(m, 0);
	/* What the leaves report: R, W, NOEXEC for X clear, PRIV for U
	 * clear; never CACHE or MMIO. */
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0 * SZ_4K + 5, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, 0x80000005ULL);
	CHECK_EQ(len, SZ_4K);
	CHECK_EQ(prot, R | W);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, 5 * SZ_4K, &phys, &len, &prot),
		 0);
	CHECK_EQ(prot, R | NX | PV);
	CHECK_EQ(iopt_iova_to_phys_length(&e.t, SZ_1G + SZ_2M + 7, &phys, &len,
					  &prot), 0);
	CHECK_EQ(phys, 0x80200007ULL);
	CHECK_EQ(len, SZ_2M);
	CHECK_EQ(prot, R | NX);
	CHECK_EQ(iopt_prot_effective(&e.t, W), R | W);
	CHECK_EQ(iopt_prot_effective(&e.t, R | W | CA | MM), R | W);
	CHECK_EQ(iopt_prot_effective(&e.t, IOPT_PROT_ALL), R | W | NX | PV);
	/* Upper half: the first sign-extended IOVA, root index 256. */
	if (map_path(&e, gi->upper, 0x80000000ULL, SZ_4K, R | W, &p)) {
		CHECK_EQ(p.depth, levels);
		CHECK_EQ(p.index[0], 256);
		for (unsigned int d = 1; d < levels; d++)
			CHECK_EQ(p.index[d], 0);
		CHECK_EQ(p.pte[levels - 1], 0x00000000200000dfULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, gi->upper + 0x123),
			 0x80000123ULL);
	}
	rv_table_entries(&e, gi->upper);
	/* The last page of the space: index 511 at every level. PA
	 * 0xabcde000, read-only: PPN 0xabcde << 10 = 0x2af37800 | 0x5b. */
	if (map_path(&e, 0xfffffffffffff000ULL, 0xabcde000ULL, SZ_4K, R, &p)) {
		CHECK_EQ(p.depth, levels);
		for (unsigned int d = 0; d < levels; d++) {
			CHECK_EQ(p.index[d], 511);
			CHECK_EQ(p.level[d], levels - 1 - d);
		}
		CHECK_EQ(p.pte[levels - 1], 0x000000002af3785bULL);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0xffffffffffffffffULL),
			 0xabcdefffULL);
	}
	/* Bits [63:ias] must all equal bit ias - 1: anything else is
	 * refused by every entry point. */
	for (unsigned int i = 0; i < 4; i++) {
		const uint64_t bad = gi->bad[i];

		m = 1;
		CHECK_EQ(iopt_map_pages(&e.t, bad, 0, SZ_4K, 1, R, 0, &m),
			 -ERANGE);
		CHECK_EQ(m, 0);
		CHECK_EQ(iopt_walk_path(&e.t, bad, &p), -ERANGE);
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, bad, &phys, &len, NULL),
			 -ERANGE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, bad), IOPT_PHYS_NONE);
	}
	tenv_close(&e);
}

TEST(riscv_encoding)
{
	static const struct rv_geo g[] = {
		/* Sv39: bits [63:39] copy bit 38. 2^38 = 0x4000000000 is the
		 * first address past the lower half, 2^64 - 2^38 =
		 * 0xffffffc000000000 the first of the upper one. */
		{ "riscv-sv39", 3, 0xffffffc000000000ULL,
		  { 0x0000004000000000ULL, 0xffffffbffffff000ULL,
		    0x0000008000000000ULL, 0x8000000000000000ULL } },
		/* Sv48: bits [63:48] copy bit 47. */
		{ "riscv-sv48", 4, 0xffff800000000000ULL,
		  { 0x0000800000000000ULL, 0xffff7ffffffff000ULL,
		    0x0001000000000000ULL, 0x8000000000000000ULL } },
		/* Sv57: bits [63:57] copy bit 56. */
		{ "riscv-sv57", 5, 0xff00000000000000ULL,
		  { 0x0100000000000000ULL, 0xfeffffffffff0000ULL,
		    0x0200000000000000ULL, 0x8000000000000000ULL } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(g); i++)
		rv_checks(&g[i]);
}

/*
 * Svnapot 64K: 16 level-0 entries, all identical, with N (bit 63) set and
 * PPN[3:0] = 0b1000 in place of PA[15:12] (the hardware takes those from
 * the IOVA). 64K at PA 0x90010000: PPN 0x90010 -> 0x90018, << 10 =
 * 0x24006000; | 0xdf | N 0x8000000000000000.
 */
TEST(riscv_napot)
{
	struct tenv e;
	uint64_t u = 0, phys = 0, len = 0;
	unsigned int lvl = ~0u, prot = 0;

	ASSERT_EQ(tenv_open(&e, "riscv-sv39:napot", NULL), 0);
	CHECK_EQ(e.cfg.quirks, IOPT_QUIRK_RISCV_NAPOT);
	if (!tenv_map(&e, 0x10010000ULL, 0x90010000ULL, SZ_64K, 1, R | W)) {
		for (unsigned int i = 0; i < 16; i++) {
			CHECK_EQ(leaf_pte(&e, 0x10010000ULL + i * SZ_4K, &lvl),
				 0x80000000240060dfULL);
			CHECK_EQ(lvl, 0);
		}
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, 0x1001fff8ULL, &phys,
						  &len, &prot), 0);
		CHECK_EQ(phys, 0x9001fff8ULL);
		CHECK_EQ(len, SZ_64K);
		CHECK_EQ(prot, R | W);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10015000ULL), SZ_64K);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x1000ffffULL), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, 0x10020000ULL), IOPT_PHYS_NONE);
	}
	/* Read-only, no exec, at PA 0xa0000000: PPN 0xa0000 -> 0xa0008,
	 * << 10 = 0x28002000; V|R|U|A = 0x53; N. */
	if (!tenv_map(&e, 0x10020000ULL, 0xa0000000ULL, SZ_64K, 1, R | NX)) {
		CHECK_EQ(leaf_pte(&e, 0x10020000ULL, NULL),
			 0x8000000028002053ULL);
		CHECK_EQ(leaf_pte(&e, 0x1002f000ULL, NULL),
			 0x8000000028002053ULL);
	}
	/* map_range over 128K + 4K, 64K aligned: two runs, then one page
	 * (PA 0xb0020000: PPN 0xb0020 << 10 = 0x2c008000 | 0xdf). */
	if (!iopt_map_range(&e.t, 0x10200000ULL, 0xb0000000ULL,
			    2 * SZ_64K + SZ_4K, R | W, 0, &u)) {
		CHECK_EQ(u, 2 * SZ_64K + SZ_4K);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10200000ULL), SZ_64K);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10210000ULL), SZ_64K);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10220000ULL), SZ_4K);
		/* 0xb0010000: PPN 0xb0010 -> 0xb0018 << 10 = 0x2c006000 */
		CHECK_EQ(leaf_pte(&e, 0x10213000ULL, NULL),
			 0x800000002c0060dfULL);
		CHECK_EQ(leaf_pte(&e, 0x10220000ULL, NULL),
			 0x000000002c0080dfULL);
	} else {
		H_FAIL("map_range over 128K + 4K failed");
	}
	/* Never split: a 4K page inside the run is refused; the whole run
	 * goes at once, all 16 copies. */
	CHECK_EQ(iopt_unmap_range(&e.t, 0x10014000ULL, SZ_4K, 0, &e.g, &u),
		 -EXDEV);
	CHECK_EQ(leaf_pte(&e, 0x10014000ULL, NULL), 0x80000000240060dfULL);
	CHECK_EQ(tenv_unmap(&e, 0x10010000ULL, SZ_64K, SZ_64K), 0);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(leaf_pte(&e, 0x10010000ULL + i * SZ_4K, NULL), 0);
	CHECK_EQ(leaf_pte(&e, 0x10020000ULL, NULL), 0x8000000028002053ULL);
	tenv_close(&e);

	/* Without the quirk: no 64K size; map_range writes 16 plain 4K
	 * leaves, each with its own PPN and no N: 0x90010 + i, << 10 =
	 * 0x24004000 + i * 0x400, | 0xdf. */
	ASSERT_EQ(tenv_open(&e, "riscv-sv39", NULL), 0);
	CHECK_EQ(iopt_map_pages(&e.t, 0x10010000ULL, 0x90010000ULL, SZ_64K, 1,
				R | W, 0, &u), -EINVAL);
	if (!iopt_map_range(&e.t, 0x10010000ULL, 0x90010000ULL, SZ_64K, R | W,
			    0, &u)) {
		CHECK_EQ(leaf_pte(&e, 0x10010000ULL, NULL), 0x00000000240040dfULL);
		CHECK_EQ(leaf_pte(&e, 0x10011000ULL, NULL), 0x00000000240044dfULL);
		CHECK_EQ(leaf_pte(&e, 0x1001f000ULL, NULL), 0x0000000024007cdfULL);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, 0x10015000ULL), SZ_4K);
	} else {
		H_FAIL("map_range 64K without napot failed");
	}
	tenv_close(&e);
}
