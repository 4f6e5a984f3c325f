// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * ARM VMSAv8-64 long-descriptor tables ("LPAE"), stage 1 and stage 2, with
 * the 4K, 16K and 64K granules (Arm ARM DDI 0487, chapter D8).
 *
 * The engine is instantiated once per granule, and once more for the 4K
 * and 16K granules with FEAT_LPA2's descriptor layout (TCR.DS = 1), so every
 * shift and mask is a constant and the configurations without LPA2 run the
 * code they always ran; the stage only changes the attribute bits, which
 * are computed once per call.
 *
 * Address fields (Arm ARM D8.3; the same reading as QEMU's walker,
 * target/arm/ptw.c get_phys_addr_lpae()):
 *   default       [47:G]
 *   64K, oas 52   [47:16], OA[51:48] in bits [15:12] (FEAT_LPA)
 *   DS = 1        [49:G], OA[51:50] in bits [9:8] (FEAT_LPA2, 4K and 16K),
 *                 for table and leaf descriptors alike; the leaves' SH
 *                 field is gone (TCR.SH0 gives their shareability).
 * A TTBR1 table (stage 1) is indexed like a TTBR0 one, by the IOVA bits
 * below ias; the API layer accepts only IOVAs whose bits [63:ias] are all
 * ones for it, as Linux's IO_PGTABLE_QUIRK_ARM_TTBR1 accepts only those
 * whose (sign-extended) bits above ias are.
 */
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
static uint64_t arm_prot_attrs_ds(const struct iopt_table *t, unsigned int prot)
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
#define PT_CONTIG_AT(t, lvl)                                                 \
	(((ARM_CONT_LEVELS(t) >> (lvl)) & 1) ?                               \
		 arm_contig_lg2(PT_GRANULE_LG2, lvl) : 0)
#define PT_MAKE_TABLE(t, pa)            arm_make_table(t, PT_GRANULE_LG2, ARM_DS, pa)
#define PT_LEAF_BITS(t, attrs, lvl, contig)                                  \
	((attrs) | ARM_VALID | ((lvl) == 0 ? ARM_TYPE : 0) |                 \
	 ((contig) ? ARM_CONT : 0))
#define PT_OA_BITS(t, oa)               arm_oa_bits(PT_GRANULE_LG2, ARM_DS, oa)
#define PT_PROT_ATTRS(t, prot)                                               \
	(ARM_DS ? arm_prot_attrs_ds(t, prot) : arm_prot_attrs(t, prot))
#define PT_LEAF_PROT(t, pte, lvl)       arm_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               arm_prot_effective

#define ARM_DS 0
#define PT_GRANULE_LG2 12
#define PT_NAME(x) arm_4k_##x
#include "pt/pt_engine.h"

#define PT_GRANULE_LG2 14
#define PT_NAME(x) arm_16k_##x
#include "pt/pt_engine.h"

#define PT_GRANULE_LG2 16
#define PT_NAME(x) arm_64k_##x
#include "pt/pt_engine.h"
#undef ARM_DS

/* FEAT_LPA2 (TCR.DS = 1): the 4K and 16K granules only. */
#define ARM_DS 1
#define PT_GRANULE_LG2 12
#define PT_NAME(x) arm_4k_ds_##x
#include "pt/pt_engine.h"

#define PT_GRANULE_LG2 14
#define PT_NAME(x) arm_16k_ds_##x
#include "pt/pt_engine.h"
#undef ARM_DS

/*
 * Stage-2 start tables the architecture requires to be concatenated
 * (Arm DDI 0487 K.a, rules R_DXBSH and R_SRKBC): the walk starts one level
 * lower with up to 16 tables side by side. @arm_start is the ARM level the
 * walk would start at (-1 for the 4K granule above 48 bits). With DS = 1
 * the 16K granule may start at level 0 (VTCR_EL2.SL0 = 3; QEMU's
 * check_s2_mmu_setup() reads it so), and the 4K granule at level -1
 * (VTCR_EL2.SL2 = 1).
 */
static bool arm_s2_concat_required(unsigned int g, int arm_start,
				   unsigned int ias, unsigned int oas, bool ds)
{
	if (g == 14 && arm_start == 0)
		return !ds && (ias == 48 || oas == 48);
	if (g == 12 && arm_start == 0)
		return oas == 40 || oas == 42;
	return g == 14 && arm_start == 1 && oas == 40;
}

int iopt_arm_lpae_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;
	const bool s1 = cfg->format == IOPT_FMT_ARM_LPAE_S1;
	const uint32_t known = IOPT_QUIRK_NO_CONTIG | IOPT_QUIRK_ARM_LPA2 |
			       (s1 ? IOPT_QUIRK_ARM_NS | IOPT_QUIRK_ARM_TTBR1 :
				     IOPT_QUIRK_ARM_S2FWB);
	unsigned int g, bits, va_bits, levels, top, top_bits, max_bits;
	uint64_t leaf = 0, cont = 0, sizes = 0;
	bool ds;

	if (cfg->quirks & ~known)
		return -EINVAL; /* also TTBR1 on stage 2: there is no TTBR1 */
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	g = cfg->granule_lg2;
	if (g != 12 && g != 14 && g != 16)
		return -ENOTSUP;
	ds = cfg->quirks & IOPT_QUIRK_ARM_LPA2;
	if (ds && g == 16)
		return -ENOTSUP; /* TCR.DS is for 4K and 16K; 64K has FEAT_LPA */
	/* 52-bit input: FEAT_LVA (64K) or FEAT_LPA2 (DS = 1); output: FEAT_LPA
	 * (64K) or FEAT_LPA2. Never implied for 4K and 16K: DS changes the
	 * descriptors. */
	max_bits = g == 16 || ds ? 52 : 48;
	if (cfg->ias < 32 || cfg->ias > max_bits)
		return -ENOTSUP;
	switch (cfg->oas) {
	case 32: case 36: case 40: case 42: case 44: case 48:
		break;
	case 52:
		if (max_bits != 52)
			return -ENOTSUP;
		break;
	default:
		return -ENOTSUP;
	}

	bits = g - 3;
	va_bits = cfg->ias - g;
	levels = (va_bits + bits - 1) / bits;
	top = levels - 1;
	top_bits = va_bits - bits * top;
	if (!s1 && arm_s2_concat_required(g, 4 - (int)levels, cfg->ias,
					  cfg->oas, ds)) {
		if (top_bits > 4) /* more than 16 tables */
			return -ENOTSUP;
		top--;
		top_bits += bits;
	}

	/* Block levels: QEMU's lpae_block_desc_valid(), after the Arm ARM's
	 * AArch64.BlockDescSupported(). */
	leaf = 1; /* pages */
	if (g == 12)
		leaf |= 1u << 1 | 1u << 2 |        /* 2M, 1G */
			(ds ? 1u << 3 : 0);        /* 512G at ARM level 0 */
	else if (g == 14)
		leaf |= 1u << 1 |                  /* 32M */
			(ds ? 1u << 2 : 0);        /* 64G at ARM level 1 */
	else
		leaf |= 1u << 1 | (cfg->oas == 52 ? 1u << 2 : 0); /* 512M, 4T */
	leaf &= (2ULL << top) - 1;
	for (unsigned int lvl = 0; lvl <= top && lvl <= 1; lvl++) {
		unsigned int c = arm_contig_lg2(g, lvl);

		if (cfg->quirks & IOPT_QUIRK_NO_CONTIG)
			break;
		if ((leaf >> lvl & 1) && (lvl < top || top_bits >= c))
			cont |= 1u << lvl;
	}
	for (unsigned int lvl = 0; lvl <= top; lvl++) {
		unsigned int sh = g + lvl * bits;

		if (leaf >> lvl & 1)
			sizes |= 1ULL << sh;
		if (cont >> lvl & 1)
			sizes |= 1ULL << (sh + arm_contig_lg2(g, lvl));
	}

	t->fmt_priv[0] = leaf;
	t->fmt_priv[1] = cont;
	t->pgsize_bitmap = sizes;
	t->top_level = top;
	t->top_index_bits = top_bits;
	t->sign_extend = false;
	t->va_upper = cfg->quirks & IOPT_QUIRK_ARM_TTBR1;
	t->root_size = (8ULL << top_bits) < 64 ? 64 : (8ULL << top_bits);
	t->root_tables = top_bits > bits ? 1u << (top_bits - bits) : 1;
	if (ds)
		t->ops = g == 12 ? &arm_4k_ds_ops : &arm_16k_ds_ops;
	else
		t->ops = g == 12 ? &arm_4k_ops : g == 14 ? &arm_16k_ops :
				   &arm_64k_ops;
	return 0;
}
