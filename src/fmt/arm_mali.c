// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The Arm Mali GPU's MMU in its LPAE address-space mode: VMSAv8-64-like
 * 4K-granule tables with a few differences from ARM LPAE proper.
 *
 *  - The walk always has four levels and starts from a full 512-entry table
 *    indexed by IOVA[47:39], whatever the input size: a smaller ias only
 *    leaves the upper part of the space unused.
 *  - Descriptor type 0b11 is a table at the three upper levels; 0b01 is a
 *    translation entry ("ATE", a leaf) at every level that holds leaves,
 *    including the last one, where LPAE proper uses 0b11 for pages. Leaves
 *    are 4K, 2M and 1G; there is no contiguous hint.
 *  - Permissions are stage-2-like (bit 6 read, bit 7 write, bit 54 no
 *    execute) and there is no privilege distinction, no access flag, no nG.
 *  - Memory attributes are stage-1-like: AttrIndx [4:2] selects a byte of the
 *    address space's MEMATTR register. Like Linux, iopt uses index 0 for
 *    plain memory, 1 for CACHE and 2 for MMIO, and always sets SH = 0b10,
 *    which Mali reads as "outer": shared with agents outside the GPU (its
 *    inner domain is the GPU's own cores).
 *  - Output addresses are at most 40 bits; table addresses are [47:12].
 */
#include "pt/pt_internal.h"

#define MALI_TYPE_MASK   3ULL
#define MALI_ATE         1ULL          /* leaf at levels 0..2 */
#define MALI_TABLE       3ULL          /* table at levels 1..3 */
#define MALI_ATTRIDX(n)  ((uint64_t)(n) << 2)
#define MALI_RD          (1ULL << 6)
#define MALI_WR          (1ULL << 7)
#define MALI_SH_OUTER    (2ULL << 8)
#define MALI_XN          (1ULL << 54)
#define MALI_ADDR_MASK   0x0000fffffffff000ULL /* [47:12] */

/* MEMATTR indices (the library's choice, the same as Linux's). */
#define MALI_IDX_PLAIN   0
#define MALI_IDX_CACHE   1
#define MALI_IDX_MMIO    2

#define MALI_TOP_LEVEL   3
#define MALI_LEAF_TOP    2             /* 1G leaves; none at the top level */

static inline enum pt_kind mali_kind(uint64_t pte, unsigned int lvl)
{
	switch (pte & MALI_TYPE_MASK) {
	case MALI_TABLE:
		/* 0b11 in a last-level table translates nothing */
		return lvl > 0 ? PT_TABLE : PT_EMPTY;
	case MALI_ATE:
		/* an ATE in the top table translates nothing either */
		return lvl <= MALI_LEAF_TOP ? PT_LEAF : PT_EMPTY;
	default:
		return PT_EMPTY;
	}
}

static uint64_t mali_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = MALI_SH_OUTER;

	(void)t;
	if (prot & IOPT_READ)
		a |= MALI_RD;
	if (prot & IOPT_WRITE)
		a |= MALI_WR;
	if (prot & IOPT_MMIO)
		a |= MALI_ATTRIDX(MALI_IDX_MMIO);
	else if (prot & IOPT_CACHE)
		a |= MALI_ATTRIDX(MALI_IDX_CACHE);
	else
		a |= MALI_ATTRIDX(MALI_IDX_PLAIN);
	/*
	 * Bit 54 only: it is the ATE's execute-never bit. Linux's shared LPAE
	 * code sets bits 53 and 54 for every format; bit 53 has no meaning
	 * that Mali documents, so it is left clear.
	 */
	if (prot & IOPT_NOEXEC)
		a |= MALI_XN;
	return a;
}

/* PRIV is never reported: the GPU makes no privilege distinction. */
static unsigned int mali_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0, idx = (unsigned int)(pte >> 2) & 7;

	(void)t;
	if (pte & MALI_RD)
		prot |= IOPT_READ;
	if (pte & MALI_WR)
		prot |= IOPT_WRITE;
	if (pte & MALI_XN)
		prot |= IOPT_NOEXEC;
	if (idx == MALI_IDX_MMIO)
		prot |= IOPT_MMIO;
	else if (idx == MALI_IDX_CACHE)
		prot |= IOPT_CACHE;
	return prot;
}

static unsigned int mali_prot_effective(const struct iopt_table *t,
					unsigned int prot)
{
	return mali_leaf_prot(t, mali_prot_attrs(t, prot) | MALI_ATE);
}

/*
 * Every entry of a last-level table is an ATE: the type bits of all of
 * them are 0b01, so bit 0 survives an AND and bit 1 is absent from an OR.
 * (The AND alone would take a table mixing 0b01 and 0b11 for a full one.)
 */
static inline unsigned int mali_all_ate(const uint64_t *tab)
{
	uint64_t a, o;

	pt_and_or_words(tab, 512, &a, &o);
	a = iopt_le64(a);
	o = iopt_le64(o);
	return (unsigned int)(a & ~(o >> 1) & 1);
}

#define PT_KIND(t, pte, lvl)            mali_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             ((pte) & MALI_ADDR_MASK)
#define PT_IS_LEAF0(pte)                ((pte) & ~((pte) >> 1) & 1) /* 0b01 */
#define PT_ALL_LEAF0(tab)               mali_all_ate(tab)
#define PT_LEAF_OA(t, pte, lvl)                                              \
	((pte) & MALI_ADDR_MASK & ~((1ULL << (12 + 9 * (lvl))) - 1))
#define PT_LEAF_CONTIG(t, pte, lvl)     0
#define PT_LEAF_AT(t, lvl)              ((lvl) <= MALI_LEAF_TOP)
#define PT_CONTIG_SIZES(t, lvl)         0u
#define PT_MAKE_TABLE(t, pa, lvl)       (((pa) & MALI_ADDR_MASK) | MALI_TABLE)
#define PT_LEAF_BITS(t, attrs, lvl, run) ((attrs) | MALI_ATE)
#define PT_OA_BITS(t, oa)               ((oa) & MALI_ADDR_MASK)
#define PT_PROT_ATTRS(t, prot)          mali_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       mali_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               mali_prot_effective

#define PT_GRANULE_LG2 12
#define PT_NAME(x) mali_##x
#include "pt/pt_engine.h"

int iopt_arm_mali_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;

	if (cfg->quirks)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias < 32 || cfg->ias > 48)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 40)
		return -ENOTSUP;
	/* Four levels from a full table whatever ias: the API's range checks
	 * (cfg->ias) keep IOVAs below 2^ias, so with a small ias only the
	 * first entries of the root are ever used. */
	t->top_level = MALI_TOP_LEVEL;
	t->top_index_bits = 9;
	t->sign_extend = false;
	t->root_size = 4096;
	t->root_tables = 1;
	t->pgsize_bitmap = (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
	t->ops = &mali_ops;
	return 0;
}
