// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Armv7 short-descriptor tables ("v7s") as SMMUs and MediaTek IOMMUs use
 * them (Arm ARM DDI 0406C, section B3.5): TTBCR.N = 0, a 16 KB first-level
 * table of 4096 32-bit entries (1 MB each), 1 KB second-level tables of 256
 * (4 KB each). Leaves: 4K small pages and 1M sections, and 64K large pages
 * and 16M supersections, which are 16 identical copies of one descriptor.
 *
 * Engine level 1 is the architecture's first level, level 0 its second.
 * Attributes use the simplified access-permission model (SCTLR.AFE = 1:
 * AP[0] is the access flag) and TEX remap off, as Linux programs it:
 * TEX = 001 for normal memory, C and B for write-back, B alone with
 * TEX = 000 for device memory. Tables must lie below 4 GB (32-bit table
 * pointers), so they are allocated with IOPT_MEM_DMA32.
 */
#include "pt/pt_internal.h"

#define V7S_TYPE_MASK     0x3u
#define V7S_L1_TABLE      0x1u        /* [1:0] = 01 */
#define V7S_L1_SECTION    0x2u        /* [1:0] = 1x (bit 0: PXN) */
#define V7S_L2_LARGE      0x1u        /* [1:0] = 01 */
#define V7S_L2_SMALL      0x2u        /* [1:0] = 1x (bit 0: XN) */
#define V7S_B             (1u << 2)
#define V7S_C             (1u << 3)
#define V7S_TABLE_NS      (1u << 3)
#define V7S_L1_XN         (1u << 4)
#define V7S_SUPERSECTION  (1u << 18)
#define V7S_SECTION_NS    (1u << 19)
#define V7S_LARGE_XN      (1u << 15)
#define V7S_TABLE_ADDR    0xfffffc00u /* [31:10] */

/*
 * The attribute byte, the same bits at shift 10 in a section and 4 in a
 * small page (a large page moves TEX to [14:12]): AP[0] (access flag),
 * AP[1] (unprivileged access), TEX[2:0], AP[2] (read-only), S, nG.
 */
#define V7S_A_AF          (1u << 0)
#define V7S_A_UNPRIV      (1u << 1)
#define V7S_A_TEX(n)      ((unsigned int)(n) << 2)
#define V7S_A_TEX_MASK    V7S_A_TEX(7)
#define V7S_A_RDONLY      (1u << 5)
#define V7S_A_S           (1u << 6)
#define V7S_A_NG          (1u << 7)
#define V7S_L1_ATTR_SHIFT 10
#define V7S_L2_ATTR_SHIFT 4

/* What PT_PROT_ATTRS computes once per call: the attribute byte and these. */
#define V7S_P_XN          (1u << 8)
#define V7S_P_NS          (1u << 9)
#define V7S_P_MEM_SHIFT   10          /* C and B, moved down to bits 10-11 */

/* MediaTek's extension (with NO_PERMS): PA[32] bit 9, PA[33] 4, PA[34] 5. */
#define V7S_MTK_PA32      (1u << 9)
#define V7S_MTK_PA33      (1u << 4)
#define V7S_MTK_PA34      (1u << 5)

#define V7S_QUIRK(t, q)   (((t)->cfg.quirks & IOPT_QUIRK_##q) != 0)

static inline enum pt_kind v7s_kind(uint64_t pte, unsigned int lvl)
{
	unsigned int type = (unsigned int)pte & V7S_TYPE_MASK;

	if (!type)
		return PT_EMPTY;
	return lvl && type == V7S_L1_TABLE ? PT_TABLE : PT_LEAF;
}

/* log2 of the copies of a leaf: 16 for supersections and large pages. */
static inline unsigned int v7s_contig(uint64_t pte, unsigned int lvl)
{
	if (lvl)
		return (pte & V7S_SUPERSECTION) ? 4 : 0;
	return ((pte & V7S_TYPE_MASK) == V7S_L2_LARGE) ? 4 : 0;
}

static inline uint64_t v7s_oa_bits(const struct iopt_table *t, uint64_t oa)
{
	uint64_t v = oa & 0xffffffffULL;

	if (V7S_QUIRK(t, V7S_MTK_EXT)) {
		if (oa & (1ULL << 32))
			v |= V7S_MTK_PA32;
		if (oa & (1ULL << 33))
			v |= V7S_MTK_PA33;
		if (oa & (1ULL << 34))
			v |= V7S_MTK_PA34;
	}
	return v;
}

/* The run's output address (every copy holds it). */
static inline uint64_t v7s_leaf_oa(const struct iopt_table *t, uint64_t pte,
				   unsigned int lvl)
{
	unsigned int lg2 = 12 + 8 * lvl + v7s_contig(pte, lvl);
	uint64_t oa = pte & 0xffffffffULL & ~((1ULL << lg2) - 1);

	if (V7S_QUIRK(t, V7S_MTK_EXT)) {
		if (pte & V7S_MTK_PA32)
			oa |= 1ULL << 32;
		if (pte & V7S_MTK_PA33)
			oa |= 1ULL << 33;
		if (pte & V7S_MTK_PA34)
			oa |= 1ULL << 34;
	}
	return oa;
}

static uint64_t v7s_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	const bool perms = !V7S_QUIRK(t, V7S_NO_PERMS);
	uint64_t a = V7S_A_NG | V7S_A_S;

	if (!(prot & IOPT_MMIO))
		a |= V7S_A_TEX(1);
	if (perms) {
		a |= V7S_A_AF;
		if (!(prot & IOPT_PRIV))
			a |= V7S_A_UNPRIV;
		if (!(prot & IOPT_WRITE))
			a |= V7S_A_RDONLY;
		if (prot & IOPT_NOEXEC)
			a |= V7S_P_XN;
	}
	if (prot & IOPT_MMIO)
		a |= (uint64_t)V7S_B << (V7S_P_MEM_SHIFT - 2);
	else if (prot & IOPT_CACHE)
		a |= (uint64_t)(V7S_B | V7S_C) << (V7S_P_MEM_SHIFT - 2);
	if (V7S_QUIRK(t, ARM_NS))
		a |= V7S_P_NS;
	return a;
}

/* A leaf without its address, from the per-call attributes. */
static inline uint64_t v7s_leaf_bits(uint64_t attrs, unsigned int lvl,
				     bool contig)
{
	uint64_t byte = attrs & 0xff;
	uint64_t mem = (attrs >> (V7S_P_MEM_SHIFT - 2)) & (V7S_B | V7S_C);
	bool xn = attrs & V7S_P_XN;
	uint64_t e;

	if (lvl) {
		e = (byte << V7S_L1_ATTR_SHIFT) | mem | V7S_L1_SECTION;
		if (xn)
			e |= V7S_L1_XN;
		if (attrs & V7S_P_NS)
			e |= V7S_SECTION_NS;
		if (contig)
			e |= V7S_SUPERSECTION;
		return e;
	}
	if (!contig)
		return (byte << V7S_L2_ATTR_SHIFT) | mem | V7S_L2_SMALL |
		       (xn ? 1u : 0u);
	e = ((byte & ~(uint64_t)V7S_A_TEX_MASK) << V7S_L2_ATTR_SHIFT) |
	    ((byte & V7S_A_TEX_MASK) << 10) | mem | V7S_L2_LARGE; /* TEX [14:12] */
	if (xn)
		e |= V7S_LARGE_XN;
	return e;
}

static unsigned int v7s_leaf_prot(const struct iopt_table *t, uint64_t pte,
				  unsigned int lvl)
{
	const bool large = !lvl && (pte & V7S_TYPE_MASK) == V7S_L2_LARGE;
	unsigned int byte = (unsigned int)(pte >> (lvl ? V7S_L1_ATTR_SHIFT :
						   V7S_L2_ATTR_SHIFT)) & 0xff;
	unsigned int tex = large ? (unsigned int)(pte >> 12) & 7 :
				   (byte & V7S_A_TEX_MASK) >> 2;
	unsigned int prot = IOPT_READ;

	if (!tex)
		prot |= IOPT_MMIO;
	else if (pte & V7S_C)
		prot |= IOPT_CACHE;
	if (V7S_QUIRK(t, V7S_NO_PERMS))
		return prot | IOPT_WRITE; /* bits 4, 5, 9 may be MTK address bits */
	if (!(byte & V7S_A_RDONLY))
		prot |= IOPT_WRITE;
	if (!(byte & V7S_A_UNPRIV))
		prot |= IOPT_PRIV;
	if (lvl ? (pte & V7S_L1_XN) : large ? (pte & V7S_LARGE_XN) : (pte & 1))
		prot |= IOPT_NOEXEC;
	return prot;
}

static unsigned int v7s_prot_effective(const struct iopt_table *t,
				       unsigned int prot)
{
	return v7s_leaf_prot(t, v7s_leaf_bits(v7s_prot_attrs(t, prot), 0, false),
			     0);
}

static inline uint64_t v7s_make_table(const struct iopt_table *t, uint64_t pa)
{
	return (pa & V7S_TABLE_ADDR) | V7S_L1_TABLE |
	       (V7S_QUIRK(t, ARM_NS) ? V7S_TABLE_NS : 0);
}

#define PT_KIND(t, pte, lvl)            v7s_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             ((pte) & V7S_TABLE_ADDR)
#define PT_IS_LEAF0(pte)                (((pte) | ((pte) >> 1)) & 1)
#define PT_LEAF_OA(t, pte, lvl)         v7s_leaf_oa(t, pte, lvl)
#define PT_LEAF_CONTIG(t, pte, lvl)     v7s_contig(pte, lvl)
#define PT_LEAF_AT(t, lvl)              1
#define PT_CONTIG_SIZES(t, lvl)         ((t)->fmt_priv[0] ? 1u << 4 : 0u)
#define PT_MAKE_TABLE(t, pa, lvl)       v7s_make_table(t, pa)
#define PT_LEAF_BITS(t, attrs, lvl, run) v7s_leaf_bits(attrs, lvl, (run) != 0)
#define PT_OA_BITS(t, oa)               v7s_oa_bits(t, oa)
#define PT_PROT_ATTRS(t, prot)          v7s_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       v7s_leaf_prot(t, pte, lvl)
#define PT_PROT_EFFECTIVE               v7s_prot_effective

#define PT_GRANULE_LG2 12
#define PT_ENTRY_LG2 2
#define PT_BITS 8
#define PT_REPLICATED 1
#define PT_NAME(x) v7s_##x
#include "pt/pt_engine.h"

int iopt_arm_v7s_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;
	const uint32_t known = IOPT_QUIRK_ARM_NS | IOPT_QUIRK_NO_CONTIG |
			       IOPT_QUIRK_V7S_NO_PERMS | IOPT_QUIRK_V7S_MTK_EXT;
	const bool mtk = cfg->quirks & IOPT_QUIRK_V7S_MTK_EXT;
	const bool contig = !(cfg->quirks & IOPT_QUIRK_NO_CONTIG);

	if (cfg->quirks & ~known)
		return -EINVAL;
	/* MediaTek's address bits sit where AP and XN would. */
	if (mtk && !(cfg->quirks & IOPT_QUIRK_V7S_NO_PERMS))
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12 || cfg->ias != 32)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > (mtk ? 35u : 32u))
		return -ENOTSUP;
	t->fmt_priv[0] = contig;
	t->pgsize_bitmap = (1ULL << 12) | (1ULL << 20);
	if (contig)
		t->pgsize_bitmap |= (1ULL << 16) | (1ULL << 24);
	t->top_level = 1;
	t->top_index_bits = 12;
	t->sign_extend = false;
	t->root_size = 4096 * 4;
	t->tbl_addr_bits = 32;
	t->alloc_flags = IOPT_MEM_DMA32;
	t->ops = &v7s_ops;
	return 0;
}
