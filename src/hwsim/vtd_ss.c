// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU's Intel VT-d second stage: geometry, the walker's
 * step for one entry, and the IOTLB invalidation commands (page-selective
 * within domain, PSI; domain-selective is iopt_hwsim_inv_all()).
 *
 * Written from the VT-d specification (ch. 3.7 second-stage translation,
 * ch. 6.5 invalidation, ch. 9.8 second-stage paging entries) and the bit
 * facts in formats.md, never from iopt's engine. The model's choices are
 * listed in hwsim.h; in short: ECAP.SC = 1 (SNP allowed on leaves), no
 * device TLB (TM, bit 62, reserved), ECAP.SLEE = 0 (bit 2 ignored, a
 * fetch needs read permission), CAP.SLLPS = 2M and, unless
 * IOPT_QUIRK_VTD_NO_1G, 1G; CAP.MAMV = 18 unless set.
 */
#include <errno.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

#define VTD_R   (1ULL << 0)
#define VTD_W   (1ULL << 1)
#define VTD_PS  (1ULL << 7)
#define VTD_SNP (1ULL << 11)
#define VTD_TM  (1ULL << 62)

/* Bits [hi:lo] of a 64-bit word, as a mask. */
static inline uint64_t bits(unsigned int hi, unsigned int lo)
{
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* 3, 4 or 5 levels of 512-entry tables above 4K pages: AGAW 39, 48, 57. */
int hwsim_vtd_geometry_(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g)
{
	if (cfg->quirks & ~IOPT_QUIRK_VTD_NO_1G)
		return -EINVAL;
	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias != 39 && cfg->ias != 48 && cfg->ias != 57)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 52)
		return -ENOTSUP;
	g->granule_lg2 = 12;
	g->level_bits = 9;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->levels = (cfg->ias - 12) / 9;
	g->top_bits = 9;
	g->concat = 1;
	g->quirks = cfg->quirks;
	return 0;
}

bool hwsim_vtd_geom_valid_(const struct iopt_hwsim_geom *g)
{
	return g->granule_lg2 == 12 && g->level_bits == 9 && g->pte_lg2 == 3 &&
	       g->top_bits == 9 && g->levels >= 3 && g->levels <= 5 &&
	       g->ias == 12 + 9 * g->levels && g->oas >= 32 && g->oas <= 52 &&
	       !g->sign_extend && !g->ttbr1 && !g->ds && !g->stage2 &&
	       !(g->quirks & ~IOPT_QUIRK_VTD_NO_1G);
}

/* What a leaf allows once R and W of every level are AND-ed together. */
static unsigned int vtd_perm(uint32_t attrs)
{
	unsigned int p = 0;

	if (!(attrs & HWSIM_A_NO_READ))	/* without SLEE a fetch is a read */
		p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR |
		     IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
	if (!(attrs & HWSIM_A_NO_WRITE))
		p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
	return p;
}

/*
 * One second-stage entry at @level (0: the SS-PTE, 1: SS-PDE, 2: SS-PDPE,
 * 3: SS-PML4E, 4: SS-PML5E). Return: 1 to descend (*@next, *@attrs
 * updated), 0 for a leaf (@r filled), -EFAULT for a fault.
 */
int hwsim_vtd_step_(const struct iopt_hwsim_geom *g, unsigned int level,
		    uint64_t pte, uint64_t iova, uint64_t *next,
		    uint32_t *attrs, struct iopt_hwsim_result *r)
{
	unsigned int shift = 12 + 9 * level;
	bool ps = level > 0 && (pte & VTD_PS);
	bool leaf = level == 0 || ps;
	uint64_t rsvd = VTD_TM;

	/* R = W = 0 is not present, whatever the other bits say. */
	if (!(pte & (VTD_R | VTD_W)))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	/* Address bits at or above the host address width. */
	if (g->oas < 52)
		rsvd |= bits(51, g->oas);
	/* PS is reserved in a PML4E and PML5E, and in a PDPE without
	 * CAP.SLLPS bit 1. */
	if (level >= 3 || (level == 2 && (g->quirks & IOPT_QUIRK_VTD_NO_1G)))
		rsvd |= VTD_PS;
	if (!leaf)
		rsvd |= VTD_SNP;	/* SNP exists in leaves only */
	else if (level > 0)
		rsvd |= bits(shift - 1, 12); /* below a superpage's address */
	if (pte & rsvd)
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
	if (!(pte & VTD_R))
		*attrs |= HWSIM_A_NO_READ;
	if (!(pte & VTD_W))
		*attrs |= HWSIM_A_NO_WRITE;
	if (!leaf) {
		*next = pte & bits(51, 12);
		return 1;
	}
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = shift;
	r->phys = (pte & bits(51, shift)) + (iova & bits(shift - 1, 0));
	r->perm = vtd_perm(*attrs);
	return 0;
}

/* ---------------------------------------------------------- invalidation */

void hwsim_vtd_init_(struct iopt_hwsim *sim)
{
	if (sim->geom.format == IOPT_FMT_VTD_SS)
		sim->vtd_mamv = IOPT_HWSIM_VTD_MAMV_DEFAULT;
}

int iopt_hwsim_vtd_set_mamv(struct iopt_hwsim *sim, unsigned int mamv)
{
	if (!sim || sim->geom.format != IOPT_FMT_VTD_SS ||
	    mamv > IOPT_HWSIM_VTD_MAMV_MAX)
		return -EINVAL;
	sim->vtd_mamv = mamv;
	return 0;
}

int iopt_hwsim_vtd_psi(struct iopt_hwsim *sim, uint64_t addr, unsigned int am,
		       bool ih)
{
	uint64_t first, last;

	if (!sim || sim->geom.format != IOPT_FMT_VTD_SS || am > sim->vtd_mamv)
		return -EINVAL;
	/* The hardware ignores ADDR's low 12 + AM bits. */
	last = addr | bits(11 + am, 0);
	first = last & ~bits(11 + am, 0);
	sim->cnt.vtd_psi++;
	if (ih)
		sim->cnt.vtd_psi_ih++;
	/* Every IOTLB entry that overlaps the region, superpages too. */
	sim->cnt.tlb_dropped += hwsim_tlb_inv_(sim, first, last, 64);
	if (!ih)
		sim->cnt.walk_dropped += hwsim_wc_inv_(sim, first, last);
	return 0;
}

/* log2 of the smallest power of two >= @n (n >= 1). */
static unsigned int ceil_lg2(uint64_t n)
{
	return n <= 1 ? 0 : 64u - (unsigned int)__builtin_clzll(n - 1);
}

/*
 * A gather's range as Linux's intel driver flushes it: the 4K pages of
 * [iova, iova + size) rounded up to a power of two; if the first page is
 * not aligned to that, the mask grows to the lowest bit above it in which
 * the first and last page numbers agree, so one naturally aligned region
 * holds both. A mask above MAMV becomes a domain-selective flush. IH is
 * the leaf-only flag (no table was freed).
 */
void hwsim_vtd_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			    uint64_t size, bool leaf_only)
{
	uint64_t last = iova + (size - 1), pfn, end_pfn, low;
	unsigned int am;

	if (!size || last < iova) {
		iopt_hwsim_inv_all(sim);
		return;
	}
	pfn = iova >> 12;
	end_pfn = last >> 12;
	am = ceil_lg2(end_pfn - pfn + 1);
	low = (1ULL << am) - 1;
	if (pfn & low) {
		uint64_t same = ~(pfn ^ end_pfn) & ~low;

		am = same ? (unsigned int)__builtin_ctzll(same) : 52;
	}
	if (am > sim->vtd_mamv) {
		sim->cnt.vtd_psi_wide++;
		iopt_hwsim_inv_all(sim);
		return;
	}
	iopt_hwsim_vtd_psi(sim, (pfn << 12) & ~bits(11 + am, 0), am, leaf_only);
}
