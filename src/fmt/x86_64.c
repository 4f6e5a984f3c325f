// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * x86-64 paging as used by IOMMUs: Intel VT-d first stage and AMD IOMMU v2
 * guest tables (Intel SDM vol. 3 section 4.5; VT-d spec 3.6). 4 levels for a
 * 48-bit, 5 levels for a 57-bit input address; 4K, 2M and 1G leaves;
 * canonical (sign-extended) input addresses.
 */
#include "pt/pt_internal.h"

#define X86_P    (1ULL << 0)
#define X86_RW   (1ULL << 1)
#define X86_US   (1ULL << 2)  /* user: Linux treats DMA as user access */
#define X86_PWT  (1ULL << 3)
#define X86_PCD  (1ULL << 4)
#define X86_A    (1ULL << 5)  /* preset, so the IOMMU never writes it */
#define X86_D    (1ULL << 6)  /* preset on writable leaves */
#define X86_PS   (1ULL << 7)  /* 2M/1G leaf in a PD/PDPT entry */
#define X86_XD   (1ULL << 63)
#define X86_PA_MASK 0x000ffffffffff000ULL /* [51:12] */

static inline enum pt_kind x86_kind(uint64_t pte, unsigned int lvl)
{
	if (!(pte & X86_P))
		return PT_EMPTY;
	if (lvl == 0 || (lvl <= 2 && (pte & X86_PS)))
		return PT_LEAF;
	return PT_TABLE;
}

static uint64_t x86_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = X86_P | X86_A;

	(void)t;
	if (prot & IOPT_WRITE)
		a |= X86_RW | X86_D;
	if (!(prot & IOPT_PRIV))
		a |= X86_US;
	/* Uncached (PAT entry 3 with the power-on PAT) for device memory. */
	if (prot & IOPT_MMIO)
		a |= X86_PCD | X86_PWT;
	if (prot & IOPT_NOEXEC)
		a |= X86_XD;
	return a;
}

static unsigned int x86_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = IOPT_READ;

	(void)t;
	if (pte & X86_RW)
		prot |= IOPT_WRITE;
	if (!(pte & X86_US))
		prot |= IOPT_PRIV;
	if (pte & X86_PCD)
		prot |= IOPT_MMIO;
	if (pte & X86_XD)
		prot |= IOPT_NOEXEC;
	return prot;
}

/* Coherency is set per PASID entry, not per page, so CACHE is not kept. */
static unsigned int x86_prot_effective(const struct iopt_table *t,
				       unsigned int prot)
{
	return x86_leaf_prot(t, x86_prot_attrs(t, prot));
}

#define PT_KIND(t, pte, lvl)            x86_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             ((pte) & X86_PA_MASK)
#define PT_IS_LEAF0(pte)                ((pte) & X86_P)
#define PT_LEAF_OA(t, pte, lvl)                                              \
	((pte) & X86_PA_MASK & ~((1ULL << (12 + 9 * (lvl))) - 1))
#define PT_LEAF_CONTIG(t, pte, lvl)     0
#define PT_LEAF_AT(t, lvl)              ((lvl) <= 2)
#define PT_CONTIG_SIZES(t, lvl)         0u
#define PT_MAKE_TABLE(t, pa, lvl)       ((pa) | X86_P | X86_RW | X86_US | X86_A)
#define PT_LEAF_BITS(t, attrs, lvl, run) ((attrs) | ((lvl) ? X86_PS : 0))
#define PT_OA_BITS(t, oa)               (oa)
#define PT_PROT_ATTRS(t, prot)          x86_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       x86_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               x86_prot_effective

#define PT_GRANULE_LG2 12
#define PT_NAME(x) x86_##x
#include "pt/pt_engine.h"

int iopt_x86_64_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;

	if (cfg->quirks)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = 12;
	if (cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias != 48 && cfg->ias != 57)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 52)
		return -ENOTSUP;
	t->top_level = cfg->ias == 48 ? 3 : 4;
	t->top_index_bits = 9;
	t->sign_extend = true;
	t->root_size = 4096;
	t->pgsize_bitmap = (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
	t->ops = &x86_ops;
	return 0;
}
