/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * ARM LPAE descriptors and the engine's primitives over them, shared by
 * arm_lpae.c (the 4K, 16K and 64K instances and the configuration) and
 * arm_lpae_ds.c (the FEAT_LPA2 instances, in a unit of their own so that
 * the others compile exactly as without them). Not installed.
 */
#ifndef IOPT_FMT_ARM_LPAE_H
#define IOPT_FMT_ARM_LPAE_H

#include "pt/pt_internal.h"

/* Descriptor bits. */
#define ARM_VALID        (1ULL << 0)
#define ARM_TYPE         (1ULL << 1)  /* table at levels above 0, page at 0 */
#define ARM_S1_ATTRIDX(n) ((uint64_t)(n) << 2)
#define ARM_S1_NS        (1ULL << 5)
#define ARM_S1_AP1       (1ULL << 6)  /* unprivileged access allowed */
#define ARM_S1_AP2       (1ULL << 7)  /* read-only */
#define ARM_S2_MEMATTR(n) ((uint64_t)(n) << 2)
#define ARM_S2_AP_R      (1ULL << 6)
#define ARM_S2_AP_W      (1ULL << 7)
#define ARM_SH_OUTER     (2ULL << 8)
#define ARM_SH_INNER     (3ULL << 8)
#define ARM_SH_MASK      (3ULL << 8)  /* OA[51:50] with DS = 1 */
#define ARM_AF           (1ULL << 10)
#define ARM_S1_NG        (1ULL << 11)
#define ARM_CONT         (1ULL << 52)
#define ARM_S1_PXN       (1ULL << 53)
#define ARM_XN           (1ULL << 54) /* S1 UXN; S2 XN[1] */
#define ARM_NSTABLE      (1ULL << 63)

/* MAIR indices (stage 1): 0 normal non-cacheable, 1 write-back, 2 device. */
#define ARM_MAIR_NC      0
#define ARM_MAIR_WB      1
#define ARM_MAIR_DEV     2
/* Stage-2 MemAttr[3:0]. */
#define ARM_S2_DEV_nGnRE 0x1
#define ARM_S2_NC        0x5
#define ARM_S2_WB        0xf
#define ARM_S2_FWB_WB    0x6

#define ARM_OA_MASK_48   0x0000ffffffffffffULL
#define ARM_OA_MASK_50   0x0003ffffffffffffULL

/* fmt_priv[0]: levels holding leaves; fmt_priv[1]: levels with contiguous runs. */
#define ARM_LEAF_LEVELS(t)  ((t)->fmt_priv[0])
#define ARM_CONT_LEVELS(t)  ((t)->fmt_priv[1])

static inline enum pt_kind arm_kind(uint64_t pte, unsigned int lvl)
{
	if (!(pte & ARM_VALID))
		return PT_EMPTY;
	if (lvl == 0) /* 0b01 at the last level is reserved: reads as invalid */
		return (pte & ARM_TYPE) ? PT_LEAF : PT_EMPTY;
	return (pte & ARM_TYPE) ? PT_TABLE : PT_LEAF;
}

/* Address field of a descriptor whose address is aligned to 2^@g (see the
 * header comment); @ds: the LPA2 layout. Both are constants per instance. */
static inline uint64_t arm_oa_bits(unsigned int g, bool ds, uint64_t oa)
{
	uint64_t v;

	if (ds)
		return (oa & ARM_OA_MASK_50 & ~((1ULL << g) - 1)) |
		       (((oa >> 50) & 3) << 8);
	v = oa & ARM_OA_MASK_48 & ~((1ULL << g) - 1);
	if (g == 16)
		v |= ((oa >> 48) & 0xf) << 12;
	return v;
}

static inline uint64_t arm_oa_of(unsigned int g, bool ds, uint64_t pte)
{
	uint64_t oa;

	if (ds)
		return (pte & ARM_OA_MASK_50 & ~((1ULL << g) - 1)) |
		       (((pte >> 8) & 3) << 50);
	oa = pte & ARM_OA_MASK_48 & ~((1ULL << g) - 1);
	if (g == 16)
		oa |= ((pte >> 12) & 0xf) << 48;
	return oa;
}

/* log2 of the entries in a contiguous run at a level, per granule. */
static inline unsigned int arm_contig_lg2(unsigned int g, unsigned int lvl)
{
	if (lvl > 1)
		return 0;
	if (g == 12)
		return 4;                  /* 16 x 4K = 64K, 16 x 2M = 32M */
	if (g == 14)
		return lvl == 0 ? 7 : 5;   /* 128 x 16K = 2M, 32 x 32M = 1G */
	return 5;                          /* 32 x 64K = 2M, 32 x 512M = 16G */
}

static uint64_t arm_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = ARM_AF;

	if (t->cfg.format == IOPT_FMT_ARM_LPAE_S1) {
		a |= ARM_S1_NG;
		if (!(prot & IOPT_PRIV))
			a |= ARM_S1_AP1;
		if (!(prot & IOPT_WRITE))
			a |= ARM_S1_AP2;
		if (prot & IOPT_MMIO)
			a |= ARM_S1_ATTRIDX(ARM_MAIR_DEV) | ARM_SH_OUTER;
		else if (prot & IOPT_CACHE)
			a |= ARM_S1_ATTRIDX(ARM_MAIR_WB) | ARM_SH_INNER;
		else
			a |= ARM_S1_ATTRIDX(ARM_MAIR_NC) | ARM_SH_OUTER;
		if (t->cfg.quirks & IOPT_QUIRK_ARM_NS)
			a |= ARM_S1_NS;
		if (prot & IOPT_NOEXEC)
			a |= ARM_S1_PXN | ARM_XN;
	} else {
		if (prot & IOPT_READ)
			a |= ARM_S2_AP_R;
		if (prot & IOPT_WRITE)
			a |= ARM_S2_AP_W;
		if (prot & IOPT_MMIO)
			a |= ARM_S2_MEMATTR(ARM_S2_DEV_nGnRE) | ARM_SH_OUTER;
		else if (prot & IOPT_CACHE)
			a |= ARM_S2_MEMATTR((t->cfg.quirks & IOPT_QUIRK_ARM_S2FWB) ?
					    ARM_S2_FWB_WB : ARM_S2_WB) |
			     ARM_SH_INNER;
		else
			a |= ARM_S2_MEMATTR(ARM_S2_NC) | ARM_SH_OUTER;
		/*
		 * XN[1:0] = 0b10: not executable at any level under FEAT_XNX,
		 * and plain XN without it (bit 53 is then RES0). Linux sets
		 * both bits, which FEAT_XNX reads as "executable at EL1".
		 */
		if (prot & IOPT_NOEXEC)
			a |= ARM_XN;
	}
	return a;
}

/* With DS = 1 bits [9:8] are address bits: no shareability in the leaf. */
static inline uint64_t arm_prot_attrs_ds(const struct iopt_table *t, unsigned int prot)
{
	return arm_prot_attrs(t, prot) & ~ARM_SH_MASK;
}

static unsigned int arm_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0;

	if (pte & ARM_XN)
		prot |= IOPT_NOEXEC;
	if (t->cfg.format == IOPT_FMT_ARM_LPAE_S1) {
		unsigned int idx = (pte >> 2) & 7;

		prot |= IOPT_READ;
		if (!(pte & ARM_S1_AP2))
			prot |= IOPT_WRITE;
		if (!(pte & ARM_S1_AP1))
			prot |= IOPT_PRIV;
		if (idx == ARM_MAIR_DEV)
			prot |= IOPT_MMIO;
		else if (idx == ARM_MAIR_WB)
			prot |= IOPT_CACHE;
	} else {
		unsigned int ma = (pte >> 2) & 0xf;

		if (pte & ARM_S2_AP_R)
			prot |= IOPT_READ;
		if (pte & ARM_S2_AP_W)
			prot |= IOPT_WRITE;
		if (ma == ARM_S2_DEV_nGnRE)
			prot |= IOPT_MMIO;
		else if (ma == ARM_S2_WB ||
			 ((t->cfg.quirks & IOPT_QUIRK_ARM_S2FWB) && ma == ARM_S2_FWB_WB))
			prot |= IOPT_CACHE;
	}
	return prot;
}

static unsigned int arm_prot_effective(const struct iopt_table *t,
				       unsigned int prot)
{
	return arm_leaf_prot(t, arm_prot_attrs(t, prot) | ARM_VALID | ARM_TYPE);
}

static inline uint64_t arm_make_table(const struct iopt_table *t,
				      unsigned int g, bool ds, uint64_t pa)
{
	uint64_t e = arm_oa_bits(g, ds, pa) | ARM_VALID | ARM_TYPE;

	if (t->cfg.quirks & IOPT_QUIRK_ARM_NS)
		e |= ARM_NSTABLE;
	return e;
}

/* The engine's primitives; PT_GRANULE_LG2 and ARM_DS (the LPA2 layout) are
 * set per instantiation below. */
#define PT_KIND(t, pte, lvl)            arm_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             arm_oa_of(PT_GRANULE_LG2, ARM_DS, pte)
#define PT_IS_LEAF0(pte)                ((((pte) & 3) + 1) >> 2) /* 1 for 0b11 */
#define PT_LEAF_OA(t, pte, lvl)                                              \
	(arm_oa_of(PT_GRANULE_LG2, ARM_DS, pte) &                            \
	 ~((1ULL << (PT_GRANULE_LG2 + (lvl) * (PT_GRANULE_LG2 - 3))) - 1))
#define PT_LEAF_CONTIG(t, pte, lvl)                                          \
	(((pte) & ARM_CONT) ? arm_contig_lg2(PT_GRANULE_LG2, lvl) : 0)
#define PT_LEAF_AT(t, lvl)              ((ARM_LEAF_LEVELS(t) >> (lvl)) & 1)
#define PT_CONTIG_SIZES(t, lvl)                                              \
	(((ARM_CONT_LEVELS(t) >> (lvl)) & 1) ?                               \
		 1u << arm_contig_lg2(PT_GRANULE_LG2, lvl) : 0u)
#define PT_MAKE_TABLE(t, pa, lvl)       arm_make_table(t, PT_GRANULE_LG2, ARM_DS, pa)
#define PT_LEAF_BITS(t, attrs, lvl, run)                                  \
	((attrs) | ARM_VALID | ((lvl) == 0 ? ARM_TYPE : 0) |                 \
	 ((run) ? ARM_CONT : 0))
#define PT_OA_BITS(t, oa)               arm_oa_bits(PT_GRANULE_LG2, ARM_DS, oa)
#define PT_PROT_ATTRS(t, prot)                                               \
	(ARM_DS ? arm_prot_attrs_ds(t, prot) : arm_prot_attrs(t, prot))
#define PT_LEAF_PROT(t, pte, lvl)       arm_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               arm_prot_effective

/* arm_lpae_ds.c: the engine instance for granule 2^@g (12 or 14) with
 * TCR.DS = 1. */
const struct iopt_fmt_ops *iopt_arm_lpae_ds_ops(unsigned int g);

#endif /* IOPT_FMT_ARM_LPAE_H */
