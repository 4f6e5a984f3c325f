// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated RISC-V IOMMU: its first-stage walker (Sv39, Sv48, Sv57,
 * Svnapot) and its invalidation commands, IOTINVAL.VMA and IOFENCE.C.
 *
 * Written from the RISC-V privileged specification (the virtual-address
 * translation process of Sv39/48/57, Svnapot, Svpbmt) and the RISC-V IOMMU
 * specification v1.0 (first-stage translation from iosatp, the IOTINVAL
 * command), not from iopt's engine. The model's choices are listed in
 * include/iopt/hwsim.h.
 */
#include <errno.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

#define RV_V     (1ULL << 0)
#define RV_R     (1ULL << 1)
#define RV_W     (1ULL << 2)
#define RV_X     (1ULL << 3)
#define RV_U     (1ULL << 4)
#define RV_A     (1ULL << 6)
#define RV_D     (1ULL << 7)
#define RV_RSVD  0x1fc0000000000000ULL  /* [60:54] */
#define RV_PBMT  0x6000000000000000ULL  /* [62:61] */
#define RV_N     (1ULL << 63)
#define RV_PPN_SHIFT 10
#define RV_PPN_BITS  44

/* Linux's limit for per-address invalidation (drivers/iommu/riscv). */
#define RV_INVAL_LIMIT (2ULL << 20)

int hwsim_riscv_geometry_(const struct iopt_config *cfg,
			  struct iopt_hwsim_geom *g)
{
	/* Svnapot is the only choice the format leaves to the IOMMU. */
	if (cfg->quirks & ~IOPT_QUIRK_RISCV_NAPOT)
		return -EINVAL;
	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias != 39 && cfg->ias != 48 && cfg->ias != 57)
		return -ENOTSUP;
	/* iosatp.PPN and the PTEs' PPN are 44 bits: 56-bit addresses. */
	if (cfg->oas < 32 || cfg->oas > 56)
		return -ENOTSUP;
	g->granule_lg2 = 12;
	g->level_bits = 9;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->levels = (cfg->ias - 12) / 9;
	g->top_bits = 9;
	g->concat = 1;
	g->sign_extend = true;
	g->quirks = cfg->quirks;
	return 0;
}

/* Only the three shapes iosatp.MODE can select. */
bool hwsim_riscv_geom_valid_(const struct iopt_hwsim_geom *g)
{
	return g->granule_lg2 == 12 && g->level_bits == 9 && g->pte_lg2 == 3 &&
	       g->top_bits == 9 && g->levels >= 3 && g->levels <= 5 &&
	       g->ias == 12 + 9 * g->levels && g->sign_extend &&
	       !g->ttbr1 && !g->ds && !g->stage2 && g->concat <= 1 &&
	       g->oas >= 32 && g->oas <= 56 &&
	       !(g->quirks & ~IOPT_QUIRK_RISCV_NAPOT);
}

static int rv_fault(struct iopt_hwsim_result *r, enum iopt_hwsim_fault f,
		    unsigned int level)
{
	r->fault = f;
	r->level = level;
	r->phys = IOPT_PHYS_NONE;
	return -EFAULT;
}

/*
 * What a leaf allows. U = 1: user (unprivileged) requests only; U = 0:
 * privileged ones only (SUM is 0: the IOMMU's first stage from a device
 * context has no process context to set it). A = 0 is a page fault for
 * every access, D = 0 for every write (no hardware A/D update).
 */
static unsigned int rv_perm(uint64_t pte)
{
	unsigned int p = 0;

	if (!(pte & RV_A))
		return 0;
	if (pte & RV_R)
		p |= IOPT_HWSIM_PERM_UR;
	if ((pte & RV_W) && (pte & RV_D))
		p |= IOPT_HWSIM_PERM_UW;
	if (pte & RV_X)
		p |= IOPT_HWSIM_PERM_UX;
	if (!(pte & RV_U))
		p <<= 3;	/* UR, UW, UX -> PR, PW, PX */
	return p;
}

/*
 * One entry at @level. Return: 1 to descend to *@next, 0 for a leaf (@r
 * filled), -EFAULT for a fault. Everything the spec makes a page fault
 * in the walk (invalid or reserved encodings) is a translation fault here;
 * a valid leaf that refuses the access is a permission fault, decided by
 * the permissions in @r.
 */
int hwsim_riscv_step_(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		      uint64_t iova, uint64_t *next,
		      struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	const bool napot = g->quirks & IOPT_QUIRK_RISCV_NAPOT;
	uint64_t ppn = (pte >> RV_PPN_SHIFT) & ((1ULL << RV_PPN_BITS) - 1);
	unsigned int shift = 12 + 9 * level;
	uint64_t oa;

	if (!(pte & RV_V))
		return rv_fault(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	/* W without R is reserved; so are bits [60:54], and PBMT without
	 * Svpbmt (the model implements none). */
	if (((pte & RV_W) && !(pte & RV_R)) || (pte & (RV_RSVD | RV_PBMT)))
		return rv_fault(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	if (!(pte & (RV_R | RV_W | RV_X))) {
		/* A pointer: none at level 0; A, D, U and N are reserved in
		 * a non-leaf entry. */
		if (level == 0 || (pte & (RV_A | RV_D | RV_U | RV_N)))
			return rv_fault(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		*next = ppn << 12;
		if (*next >> g->oas)
			return rv_fault(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
		return 1;
	}
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = shift;
	if (pte & RV_N) {
		/* Svnapot defines only 64K (PPN[3:0] = 1000) in a 4K leaf. */
		if (!napot || level != 0 || (ppn & 0xf) != 0x8)
			return rv_fault(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		ppn &= ~0xfULL;
		r->size_lg2 = 16;
		r->contig = true;
	} else if (level && (ppn & ((1ULL << (9 * level)) - 1))) {
		/* A misaligned superpage. */
		return rv_fault(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	}
	oa = ppn << 12;
	if (oa >> g->oas)
		return rv_fault(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
	r->phys = oa + (iova & ((1ULL << r->size_lg2) - 1));
	r->perm = rv_perm(pte);
	return 0;
}

/* ------------------------------------------------------- invalidation */

int iopt_hwsim_riscv_iotinval_vma(struct iopt_hwsim *sim, bool av,
				  uint64_t addr)
{
	if (!sim || sim->geom.format != IOPT_FMT_RISCV)
		return -EINVAL;
	sim->cnt.riscv_iotinval_vma++;
	if (!av) {
		/* Every entry of the (one) process context, leaf or not. */
		sim->cnt.tlb_dropped += hwsim_tlb_inv_(sim, 0, ~0ULL, 64);
		sim->cnt.walk_dropped += hwsim_wc_inv_(sim, 0, ~0ULL);
		return 0;
	}
	sim->cnt.riscv_iotinval_vma_av++;
	/* ADDR holds IOVA[63:12]. Leaf entries only: every cached
	 * translation that covers the page, superpage or NAPOT run. */
	addr &= ~0xfffULL;
	sim->cnt.tlb_dropped += hwsim_tlb_inv_(sim, addr, addr | 0xfff, 64);
	return 0;
}

int iopt_hwsim_riscv_iofence_c(struct iopt_hwsim *sim)
{
	if (!sim || sim->geom.format != IOPT_FMT_RISCV)
		return -EINVAL;
	sim->cnt.riscv_iofence_c++;
	return 0;
}

/*
 * The gather's range as Linux's RISC-V driver turns it into commands: one
 * IOTINVAL.VMA with AV = 1 per 4K page below 2 MB; above it, and whenever
 * tables were freed (only AV = 0 reaches non-leaf entries in v1.0), one
 * with AV = 0; then IOFENCE.C.
 */
void hwsim_riscv_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			      uint64_t size, bool leaf_only)
{
	if (leaf_only && size && size < RV_INVAL_LIMIT) {
		uint64_t last = (iova + (size - 1)) & ~0xfffULL;

		for (uint64_t a = iova & ~0xfffULL;; a += 4096) {
			iopt_hwsim_riscv_iotinval_vma(sim, true, a);
			if (a == last)
				break;
		}
	} else {
		iopt_hwsim_riscv_iotinval_vma(sim, false, 0);
	}
	iopt_hwsim_riscv_iofence_c(sim);
}

void hwsim_riscv_flush_all_(struct iopt_hwsim *sim)
{
	iopt_hwsim_riscv_iotinval_vma(sim, false, 0);
	iopt_hwsim_riscv_iofence_c(sim);
}
