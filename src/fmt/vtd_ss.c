// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Intel VT-d second-stage paging (VT-d spec ch. 3.7 and 9.8, "second-stage
 * paging entries"; the legacy-mode second-level tables are the same
 * format). 3, 4 or 5 levels for a 39, 48 or 57-bit input address (AGAW);
 * 4K leaves, 2M superpages (CAP.SLLPS bit 0) and 1G superpages (SLLPS
 * bit 1, absent with IOPT_QUIRK_VTD_NO_1G). Inputs are not sign-extended.
 *
 * There is no present bit: an entry with R or W set is present, so table
 * entries carry R | W. The reserved bits the hardware checks (bits above
 * the host address width, TM bit 62 without a device TLB, SNP on
 * non-leaf entries, PS in a PML4E or PML5E, the address bits a superpage
 * does not use) are never written.
 */
#include "pt/pt_internal.h"

#define VTD_R   (1ULL << 0)
#define VTD_W   (1ULL << 1)
#define VTD_PS  (1ULL << 7)   /* superpage, in a PDE or PDPE */
#define VTD_SNP (1ULL << 11)  /* snoop: leaves only (needs ECAP.SC) */
#define VTD_PA_MASK 0x000ffffffffff000ULL /* [51:12] */

static inline bool vtd_1g(const struct iopt_table *t)
{
	return !(t->cfg.quirks & IOPT_QUIRK_VTD_NO_1G);
}

static inline enum pt_kind vtd_kind(const struct iopt_table *t, uint64_t pte,
				    unsigned int lvl)
{
	if (!(pte & (VTD_R | VTD_W)))
		return PT_EMPTY;
	if (lvl == 0 || !(pte & VTD_PS))
		return lvl == 0 ? PT_LEAF : PT_TABLE;
	/* PS is reserved above the PDPE, and in it without 1G support: the
	 * hardware translates nothing through such an entry. */
	if (lvl == 1 || (lvl == 2 && vtd_1g(t)))
		return PT_LEAF;
	return PT_EMPTY;
}

/*
 * Second stage has no privilege levels and, without ECAP.SLEE, no execute
 * permission (a fetch needs read): PRIV and NOEXEC cannot be expressed.
 * Memory types (EMT) are not used, so MMIO is not kept either; it only
 * stops CACHE from asking for snooping.
 */
static uint64_t vtd_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = 0;

	(void)t;
	if (prot & IOPT_READ)
		a |= VTD_R;
	if (prot & IOPT_WRITE)
		a |= VTD_W;
	if ((prot & IOPT_CACHE) && !(prot & IOPT_MMIO))
		a |= VTD_SNP;
	return a;
}

static unsigned int vtd_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0;

	(void)t;
	if (pte & VTD_R)
		prot |= IOPT_READ;
	if (pte & VTD_W)
		prot |= IOPT_WRITE;
	if (pte & VTD_SNP)
		prot |= IOPT_CACHE;
	return prot;
}

static unsigned int vtd_prot_effective(const struct iopt_table *t,
				       unsigned int prot)
{
	return vtd_leaf_prot(t, vtd_prot_attrs(t, prot));
}

#define PT_KIND(t, pte, lvl)            vtd_kind(t, pte, lvl)
#define PT_TABLE_PA(t, pte)             ((pte) & VTD_PA_MASK)
/* R or W: 0 or 1, without a branch. */
#define PT_IS_LEAF0(pte)                (((pte) | ((pte) >> 1)) & 1)
#define PT_LEAF_OA(t, pte, lvl)                                              \
	((pte) & VTD_PA_MASK & ~((1ULL << (12 + 9 * (lvl))) - 1))
#define PT_LEAF_CONTIG(t, pte, lvl)     0
#define PT_LEAF_AT(t, lvl)              ((lvl) <= 1 || ((lvl) == 2 && vtd_1g(t)))
#define PT_CONTIG_SIZES(t, lvl)         0u
#define PT_MAKE_TABLE(t, pa, lvl)       ((pa) | VTD_R | VTD_W)
#define PT_LEAF_BITS(t, attrs, lvl, run) ((attrs) | ((lvl) ? VTD_PS : 0))
#define PT_OA_BITS(t, oa)               (oa)
#define PT_PROT_ATTRS(t, prot)          vtd_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       vtd_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               vtd_prot_effective

#define PT_GRANULE_LG2 12
#define PT_NAME(x) vtd_ss_##x
#include "pt/pt_engine.h"

int iopt_vtd_ss_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;

	if (cfg->quirks & ~IOPT_QUIRK_VTD_NO_1G)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12)
		return -ENOTSUP;
	/* The AGAWs of 3, 4 and 5 levels (SAGAW bits 1, 2, 3). */
	if (cfg->ias != 39 && cfg->ias != 48 && cfg->ias != 57)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 52)
		return -ENOTSUP;
	t->top_level = (cfg->ias - 12) / 9 - 1;
	t->top_index_bits = 9;
	t->sign_extend = false;
	t->root_size = 4096;
	t->pgsize_bitmap = (1ULL << 12) | (1ULL << 21);
	if (vtd_1g(t))
		t->pgsize_bitmap |= 1ULL << 30;
	t->ops = &vtd_ss_ops;
	return 0;
}
