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
#include "fmt/arm_lpae.h"

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
		t->ops = iopt_arm_lpae_ds_ops(g);
	else
		t->ops = g == 12 ? &arm_4k_ops : g == 14 ? &arm_16k_ops :
				   &arm_64k_ops;
	return 0;
}
