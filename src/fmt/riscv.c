// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * RISC-V first-stage page tables as the RISC-V IOMMU walks them (IOMMU
 * spec v1.0, the device context's iosatp; RISC-V privileged spec, Sv39,
 * Sv48, Sv57 and Svnapot). 3, 4 or 5 levels of 512 8-byte entries for a
 * 39, 48 or 57-bit input; inputs are sign-extended from bit ias - 1.
 *
 * V (bit 0) marks a valid entry; any of R, W, X makes it a leaf at any
 * level (4K, 2M, 1G, 512G, 256T), none of them a pointer to the next
 * table. PPN [53:10] holds the address's bits [55:12]. W without R is
 * reserved, so a writable leaf is always readable. A and D are preset
 * (D on writable leaves) so that the IOMMU never has to write them. U is
 * set unless IOPT_PRIV: device requests without a privileged PASID are
 * U-mode requests. Svpbmt is not used (no PBMT bits), so IOPT_MMIO and
 * IOPT_CACHE change nothing; the memory type comes from the PMAs.
 *
 * IOPT_QUIRK_RISCV_NAPOT: Svnapot 64K leaves, 16 identical level-0
 * entries with N (bit 63) set and PPN[3:0] = 0b1000.
 */
#include "pt/pt_internal.h"

#define RV_V      (1ULL << 0)
#define RV_R      (1ULL << 1)
#define RV_W      (1ULL << 2)
#define RV_X      (1ULL << 3)
#define RV_U      (1ULL << 4)
#define RV_A      (1ULL << 6)
#define RV_D      (1ULL << 7)
#define RV_N      (1ULL << 63)
#define RV_PPN    0x003ffffffffffc00ULL /* [53:10] */
#define RV_NAPOT64K (1ULL << 13)        /* PPN[3:0] = 0b1000 */
#define RV_RWX    (RV_R | RV_W | RV_X)

#define RV_NAPOT(t) ((t)->fmt_priv[0] != 0)

static inline enum pt_kind rv_kind(uint64_t pte, unsigned int lvl)
{
	if (!(pte & RV_V))
		return PT_EMPTY;
	if (lvl == 0 || (pte & RV_RWX))
		return PT_LEAF;
	return PT_TABLE;
}

/* Address bits [55:12] of an entry, as an address. */
static inline uint64_t rv_pa(uint64_t pte)
{
	return (pte & RV_PPN) << 2;
}

static inline unsigned int rv_contig(const struct iopt_table *t, uint64_t pte,
				     unsigned int lvl)
{
	return (lvl == 0 && RV_NAPOT(t) && (pte & RV_N)) ? 4 : 0;
}

/* The leaf's output address; a NAPOT run's, whose copies all hold it. */
static inline uint64_t rv_leaf_oa(const struct iopt_table *t, uint64_t pte,
				  unsigned int lvl)
{
	unsigned int lg2 = 12 + 9 * lvl + rv_contig(t, pte, lvl);

	return rv_pa(pte) & ~((1ULL << lg2) - 1);
}

static uint64_t rv_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	/* R even for IOPT_WRITE alone: W without R is reserved. */
	uint64_t a = RV_V | RV_R | RV_A;

	(void)t;
	if (prot & IOPT_WRITE)
		a |= RV_W | RV_D;
	if (!(prot & IOPT_NOEXEC))
		a |= RV_X;
	if (!(prot & IOPT_PRIV))
		a |= RV_U;
	return a;
}

static unsigned int rv_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0;

	(void)t;
	if (pte & RV_R)
		prot |= IOPT_READ;
	if (pte & RV_W)
		prot |= IOPT_WRITE;
	if (!(pte & RV_X))
		prot |= IOPT_NOEXEC;
	if (!(pte & RV_U))
		prot |= IOPT_PRIV;
	return prot;
}

static unsigned int rv_prot_effective(const struct iopt_table *t,
				      unsigned int prot)
{
	return rv_leaf_prot(t, rv_prot_attrs(t, prot));
}

#define PT_KIND(t, pte, lvl)            rv_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             rv_pa(pte)
#define PT_IS_LEAF0(pte)                ((pte) & RV_V)
#define PT_LEAF_OA(t, pte, lvl)         rv_leaf_oa(t, pte, lvl)
#define PT_LEAF_CONTIG(t, pte, lvl)     rv_contig(t, pte, lvl)
#define PT_LEAF_AT(t, lvl)              1
/* Svnapot defines one run: 16 level-0 entries (64K), so one bit, 1 << 4. */
#define PT_CONTIG_SIZES(t, lvl)         (((lvl) == 0 && RV_NAPOT(t)) ? 1u << 4 : 0u)
/* A pointer is V alone: R = W = X = 0, and A, D, U are left 0 (reserved
 * in a non-leaf entry). */
#define PT_MAKE_TABLE(t, pa, lvl)       (RV_V | (((pa) >> 2) & RV_PPN))
#define PT_LEAF_BITS(t, attrs, lvl, run)                                     \
	((attrs) | ((run) == 4 ? RV_N | RV_NAPOT64K : 0))
#define PT_OA_BITS(t, oa)               (((oa) >> 2) & RV_PPN)
#define PT_PROT_ATTRS(t, prot)          rv_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       rv_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               rv_prot_effective

#define PT_GRANULE_LG2 12
#define PT_REPLICATED 1
#define PT_NAME(x) rv_##x
#include "pt/pt_engine.h"

int iopt_riscv_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;
	const bool napot = cfg->quirks & IOPT_QUIRK_RISCV_NAPOT;

	if (cfg->quirks & ~IOPT_QUIRK_RISCV_NAPOT)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias != 39 && cfg->ias != 48 && cfg->ias != 57)
		return -ENOTSUP;
	/* PPN is 44 bits: at most a 56-bit physical address. */
	if (cfg->oas < 32 || cfg->oas > 56)
		return -ENOTSUP;
	t->fmt_priv[0] = napot;
	t->top_level = (cfg->ias - 12) / 9 - 1;
	t->top_index_bits = 9;
	t->sign_extend = true;
	t->root_size = 4096;
	/* A leaf at every level, the top included. */
	t->pgsize_bitmap = 0;
	for (unsigned int l = 0; l <= t->top_level; l++)
		t->pgsize_bitmap |= 1ULL << (12 + 9 * l);
	if (napot)
		t->pgsize_bitmap |= 1ULL << 16;
	t->ops = &rv_ops;
	return 0;
}
