// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * AMD IOMMU v1: the host I/O page tables (AMD I/O Virtualization Technology
 * specification, pub. 48882, section 2.2.3). 3 to 6 levels of 512 entries
 * (the sixth indexes only input bits [63:57]); the DTE's Mode is the number
 * of levels. An entry is present with PR; its NextLevel field says what it
 * is: the level of the table it points to, 0 for a page of the level's own
 * size, or 7 for a page whose size is encoded in its address field (a run
 * of ones from bit 12, then a zero: n ones give 2^(13 + n) bytes), copied
 * into every entry the page covers. So every power of two from 4K up is a
 * page size: map_range uses 64K or 32M pages where they fit. Permissions
 * (IR, IW) are ANDed down the walk, so tables grant both.
 *
 * Levels here count from 0 (AMD level 1, the 4K level). Pages exist at
 * levels 0..4: the top level of a 6-level table has none (the
 * specification's level 6), and 512G (a level-3 page of its own size) is
 * left out, as Linux does, for a hardware erratum; runs at level 3 (1T to
 * 128T) stay. Nothing larger than 2^51 (the address field's end).
 * IOPT_QUIRK_NO_CONTIG keeps to the levels' own sizes (4K, 2M, 1G, and
 * 256T with 5 or 6 levels), as drivers that never write NextLevel 7 do.
 */
#include "pt/pt_internal.h"

#define AMD_PR        (1ULL << 0)
#define AMD_NL_SHIFT  9           /* NextLevel [11:9] */
#define AMD_NL_MASK   (7ULL << AMD_NL_SHIFT)
#define AMD_NL_SIZED  7           /* a page whose size is in its address */
#define AMD_ADDR      0x000ffffffffff000ULL /* [51:12] */
#define AMD_FC        (1ULL << 60) /* force coherent (snooped) */
#define AMD_IR        (1ULL << 61)
#define AMD_IW        (1ULL << 62)

#define AMD_LEAF_TOP  4           /* the highest level with pages */
#define AMD_MAX_LG2   51          /* the largest page: 2^51 */

static inline unsigned int amd_nl(uint64_t pte)
{
	return (unsigned int)(pte >> AMD_NL_SHIFT) & 7;
}

static inline unsigned int amd_item_lg2(unsigned int lvl)
{
	return 12 + 9 * lvl;
}

/*
 * log2 of the bytes of a NextLevel-7 page: 13 plus the run of ones from
 * bit 12. Bits above the address field are never all ones (bit 63 aside,
 * those are reserved), so the count stops inside the word.
 */
static inline unsigned int amd_sized_lg2(uint64_t pte)
{
	return 13 + pt_ctz64(~(pte >> 12));
}

/*
 * log2 of the entries of a NextLevel-7 page at @lvl: 1 to 8 (it stays in
 * one table and is larger than one entry), 0 when the encoding does not
 * fit the level (or the address field): not a page the IOMMU translates.
 */
static inline unsigned int amd_run(uint64_t pte, unsigned int lvl)
{
	unsigned int s = amd_sized_lg2(pte), item = amd_item_lg2(lvl);

	return s > item && s < item + 9 && s <= 52 ? s - item : 0;
}

static inline enum pt_kind amd_kind(uint64_t pte, unsigned int lvl)
{
	unsigned int nl = amd_nl(pte);

	if (!(pte & AMD_PR))
		return PT_EMPTY;
	if (nl == 0)
		return lvl <= AMD_LEAF_TOP ? PT_LEAF : PT_EMPTY;
	if (nl == AMD_NL_SIZED)
		return lvl <= AMD_LEAF_TOP && amd_run(pte, lvl) ? PT_LEAF : PT_EMPTY;
	/*
	 * A pointer to the next level down. A pointer that skips levels is
	 * valid for the hardware, but iopt never writes one and reads it as
	 * absent; one pointing up, or sideways, the IOMMU faults on.
	 */
	return nl == lvl ? PT_TABLE : PT_EMPTY;
}

/* A level-0 leaf: present, NextLevel 0, or 7 with 2 to 256 entries. */
static inline uint64_t amd_is_leaf0(uint64_t pte)
{
	unsigned int nl = amd_nl(pte);

	return (pte & AMD_PR) &
	       ((nl == 0) | ((nl == AMD_NL_SIZED) & (((pte >> 12) & 0xff) != 0xff)));
}

/*
 * Is every entry of a level-0 table a leaf? Proved in one pass for the
 * usual case, 4K pages: PR in every entry and NextLevel 0 in all. A table
 * holding NextLevel-7 runs is counted entry by entry instead.
 */
static inline unsigned int amd_all_leaf0(const uint64_t *tab)
{
	uint64_t a, o;

	pt_and_or_words(tab, 512, &a, &o);
	return (unsigned int)((iopt_le64(a) & AMD_PR) &&
			      !(iopt_le64(o) & AMD_NL_MASK));
}

/* A page's output address: the address field with the size encoding (or,
 * for a page of the level's size, the bits below it) cleared. */
static inline uint64_t amd_leaf_oa(uint64_t pte, unsigned int lvl)
{
	unsigned int s = amd_nl(pte) == AMD_NL_SIZED ? amd_sized_lg2(pte)
						      : amd_item_lg2(lvl);

	if (s > 52)
		s = 52;
	return pte & AMD_ADDR & ~((1ULL << s) - 1);
}

/* The ones that encode a run of 2^@run entries at @lvl (0: none). */
static inline uint64_t amd_size_code(unsigned int lvl, unsigned int run)
{
	unsigned int s = amd_item_lg2(lvl) + run;

	return run ? ((1ULL << (s - 1)) - 1) & ~0xfffULL : 0;
}

/* Run lengths map may write at @lvl: 2..256 entries, up to 2^51 bytes. */
static inline uint32_t amd_runs_at(unsigned int lvl)
{
	unsigned int max;

	if (lvl > AMD_LEAF_TOP)
		return 0;
	max = AMD_MAX_LG2 - amd_item_lg2(lvl);
	if (max > 8)
		max = 8;
	return (uint32_t)((2u << max) - 1) & ~1u;
}

static uint64_t amd_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = AMD_PR;

	(void)t;
	if (prot & IOPT_READ)
		a |= AMD_IR;
	if (prot & IOPT_WRITE)
		a |= AMD_IW;
	/* Force coherent: the device's accesses snoop whatever it asks. */
	if ((prot & IOPT_CACHE) && !(prot & IOPT_MMIO))
		a |= AMD_FC;
	return a;
}

/* No execute or privilege control exists: every request may fetch. */
static unsigned int amd_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0;

	(void)t;
	if (pte & AMD_IR)
		prot |= IOPT_READ;
	if (pte & AMD_IW)
		prot |= IOPT_WRITE;
	if (pte & AMD_FC)
		prot |= IOPT_CACHE;
	return prot;
}

static unsigned int amd_prot_effective(const struct iopt_table *t,
				       unsigned int prot)
{
	return amd_leaf_prot(t, amd_prot_attrs(t, prot));
}

#define PT_REPLICATED 1
#define PT_KIND(t, pte, lvl)            amd_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             ((pte) & AMD_ADDR)
#define PT_IS_LEAF0(pte)                amd_is_leaf0(pte)
#define PT_ALL_LEAF0(tab)               amd_all_leaf0(tab)
#define PT_LEAF_OA(t, pte, lvl)         amd_leaf_oa(pte, lvl)
#define PT_LEAF_CONTIG(t, pte, lvl)                                          \
	(amd_nl(pte) == AMD_NL_SIZED ? amd_run(pte, lvl) : 0u)
#define PT_LEAF_AT(t, lvl)              ((lvl) <= AMD_LEAF_TOP)
#define PT_CONTIG_SIZES(t, lvl)         ((t)->fmt_priv[0] ? amd_runs_at(lvl) : 0u)
#define PT_MAKE_TABLE(t, pa, lvl)                                            \
	((pa) | AMD_PR | AMD_IR | AMD_IW | ((uint64_t)(lvl) << AMD_NL_SHIFT))
#define PT_LEAF_BITS(t, attrs, lvl, run)                                     \
	((attrs) | ((run) ? ((uint64_t)AMD_NL_SIZED << AMD_NL_SHIFT) |       \
			    amd_size_code(lvl, run) : 0))
#define PT_OA_BITS(t, oa)               (oa)
#define PT_PROT_ATTRS(t, prot)          amd_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       amd_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               amd_prot_effective

#define PT_GRANULE_LG2 12
#define PT_NAME(x) amdv1_##x
#include "pt/pt_engine.h"

int iopt_amd_v1_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;
	unsigned int levels;
	uint64_t sizes = 0;

	if (cfg->quirks & ~IOPT_QUIRK_NO_CONTIG)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12)
		return -ENOTSUP;
	/* The Mode is the geometry: 3..6 levels cover 39, 48, 57, 64 bits. */
	if (cfg->ias != 39 && cfg->ias != 48 && cfg->ias != 57 && cfg->ias != 64)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 52)
		return -ENOTSUP;
	levels = cfg->ias == 64 ? 6 : (cfg->ias - 12) / 9;
	t->top_level = levels - 1;
	t->top_index_bits = cfg->ias - amd_item_lg2(levels - 1);
	t->sign_extend = false;
	t->root_size = 4096; /* the DTE holds root bits [51:12] */
	/* Runs (NextLevel 7) unless the caller wants natural sizes only. */
	t->fmt_priv[0] = !(cfg->quirks & IOPT_QUIRK_NO_CONTIG);
	for (unsigned int lvl = 0; lvl <= t->top_level && lvl <= AMD_LEAF_TOP; lvl++) {
		uint32_t runs = (t->fmt_priv[0] ? amd_runs_at(lvl) : 0) | 1;

		for (; runs; runs &= runs - 1)
			sizes |= 1ULL << (amd_item_lg2(lvl) + pt_ctz64(runs));
	}
	t->pgsize_bitmap = sizes & ~(1ULL << 39);
	t->ops = &amdv1_ops;
	return 0;
}
