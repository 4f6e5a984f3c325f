// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Apple DART: the IOMMU of Apple silicon. v1 (t8103 and earlier) has 4K
 * pages and a 36-bit output; v2 (t6000, t8110) has 16K pages and a 42-bit
 * output. Both have 64-bit entries, leaves of one page only (no blocks),
 * and tell a table from a leaf by the level alone.
 *
 * v1 starts at up to four TTBR tables of one page each, chosen by
 * IOVA[31:30]; they are allocated as one physically contiguous block
 * (TTBR n at root + n * 4K) and walked here as a single start table of
 * 2^(ias - 21) entries, as ARM stage 2 walks concatenated tables. v2 has
 * one TTBR: two levels up to ias 36, three above it. A TTBR holds a page
 * number, so the start table is always at least one page, also where it
 * indexes fewer bits than a page holds entries.
 *
 * Layout (bit numbers):
 *   valid                  0
 *   v1 SP_DIS              1   sub-page protection off (set on every leaf)
 *   v1 NO_WRITE, NO_READ   7, 8
 *   v1 address             [35:12] = PA[35:12]
 *   v2 NO_CACHE            1
 *   v2 NO_WRITE, NO_READ   2, 3
 *   v2 address             [37:10] = PA[41:14]
 *   sub-page END, START    [51:40], [63:52]; leaves allow the whole page
 *                          (START 0, END 0xfff)
 * Table entries hold the valid bit and the address only.
 *
 * Protection: READ and WRITE map to the negative NO_READ/NO_WRITE bits.
 * There is no execute permission (a fetch is a read), no privilege and no
 * device memory type, so NOEXEC, PRIV and MMIO leave no trace. v2 leaves
 * are cacheable only with CACHE (NO_CACHE otherwise, and with MMIO, which
 * wins over CACHE); v1 has no memory type bit.
 */
#include "pt/pt_internal.h"

#define DART_VALID        (1ULL << 0)
#define DART1_SP_DIS      (1ULL << 1)
#define DART1_NO_WRITE    (1ULL << 7)
#define DART1_NO_READ     (1ULL << 8)
#define DART1_PA_MASK     0x0000000ffffff000ULL /* [35:12] */
#define DART2_NO_CACHE    (1ULL << 1)
#define DART2_NO_WRITE    (1ULL << 2)
#define DART2_NO_READ     (1ULL << 3)
#define DART2_PA_MASK     0x0000003ffffffc00ULL /* [37:10] */
#define DART2_PA_SHIFT    4
#define DART_SP_END_FULL  (0xfffULL << 40)      /* END = 0xfff, START = 0 */

/* Which version an instantiation is: its granule says it. */
#define DART_V2(g)        ((g) == 14)

static inline enum pt_kind dart_kind(uint64_t pte, unsigned int lvl)
{
	if (!(pte & DART_VALID))
		return PT_EMPTY;
	return lvl == 0 ? PT_LEAF : PT_TABLE;
}

static inline uint64_t dart_oa_bits(unsigned int g, uint64_t oa)
{
	if (DART_V2(g))
		return (oa >> DART2_PA_SHIFT) & DART2_PA_MASK;
	return oa & DART1_PA_MASK;
}

static inline uint64_t dart_oa_of(unsigned int g, uint64_t pte)
{
	if (DART_V2(g))
		return (pte & DART2_PA_MASK) << DART2_PA_SHIFT;
	return pte & DART1_PA_MASK;
}

static uint64_t dart_prot_attrs(const struct iopt_table *t, unsigned int prot)
{
	uint64_t a = 0;

	if (t->cfg.format == IOPT_FMT_APPLE_DART2) {
		if (!(prot & IOPT_READ))
			a |= DART2_NO_READ;
		if (!(prot & IOPT_WRITE))
			a |= DART2_NO_WRITE;
		if (!(prot & IOPT_CACHE) || (prot & IOPT_MMIO))
			a |= DART2_NO_CACHE;
	} else {
		a |= DART1_SP_DIS;
		if (!(prot & IOPT_READ))
			a |= DART1_NO_READ;
		if (!(prot & IOPT_WRITE))
			a |= DART1_NO_WRITE;
	}
	return a;
}

static unsigned int dart_leaf_prot(const struct iopt_table *t, uint64_t pte)
{
	unsigned int prot = 0;

	if (t->cfg.format == IOPT_FMT_APPLE_DART2) {
		if (!(pte & DART2_NO_READ))
			prot |= IOPT_READ;
		if (!(pte & DART2_NO_WRITE))
			prot |= IOPT_WRITE;
		if (!(pte & DART2_NO_CACHE))
			prot |= IOPT_CACHE;
	} else {
		if (!(pte & DART1_NO_READ))
			prot |= IOPT_READ;
		if (!(pte & DART1_NO_WRITE))
			prot |= IOPT_WRITE;
	}
	return prot;
}

static unsigned int dart_prot_effective(const struct iopt_table *t,
					unsigned int prot)
{
	return dart_leaf_prot(t, dart_prot_attrs(t, prot));
}

#define PT_KIND(t, pte, lvl)            dart_kind(pte, lvl)
#define PT_TABLE_PA(t, pte)             dart_oa_of(PT_GRANULE_LG2, pte)
#define PT_IS_LEAF0(pte)                ((pte) & DART_VALID)
#define PT_LEAF_OA(t, pte, lvl)         dart_oa_of(PT_GRANULE_LG2, pte)
#define PT_LEAF_CONTIG(t, pte, lvl)     0
#define PT_LEAF_AT(t, lvl)              ((lvl) == 0)
#define PT_CONTIG_SIZES(t, lvl)         0u
#define PT_MAKE_TABLE(t, pa, lvl)       (dart_oa_bits(PT_GRANULE_LG2, pa) | DART_VALID)
#define PT_LEAF_BITS(t, attrs, lvl, run) ((attrs) | DART_SP_END_FULL | DART_VALID)
#define PT_OA_BITS(t, oa)               dart_oa_bits(PT_GRANULE_LG2, oa)
#define PT_PROT_ATTRS(t, prot)          dart_prot_attrs(t, prot)
#define PT_LEAF_PROT(t, pte, lvl)       dart_leaf_prot(t, pte)
#define PT_PROT_EFFECTIVE               dart_prot_effective

#define PT_GRANULE_LG2 12
#define PT_NAME(x) dart1_##x
#include "pt/pt_engine.h"

#define PT_GRANULE_LG2 14
#define PT_NAME(x) dart2_##x
#include "pt/pt_engine.h"

int iopt_apple_dart_init(struct iopt_table *t)
{
	struct iopt_config *cfg = &t->cfg;
	const bool v2 = cfg->format == IOPT_FMT_APPLE_DART2;
	const unsigned int g = v2 ? 14 : 12, bits = g - 3;
	unsigned int va_bits, top, top_bits;

	if (cfg->quirks)
		return -EINVAL;
	if (!cfg->granule_lg2)
		cfg->granule_lg2 = g;
	if (cfg->granule_lg2 != g)
		return -ENOTSUP;
	if (cfg->oas != (v2 ? 42u : 36u))
		return -ENOTSUP;
	/* v1: one, two or four TTBRs (ias 30, 31, 32); v2: ias 32..42. */
	if (v2 ? cfg->ias < 32 || cfg->ias > 42 : cfg->ias < 30 || cfg->ias > 32)
		return -ENOTSUP;

	va_bits = cfg->ias - g;
	top = v2 && va_bits > 2 * bits ? 2 : 1;
	top_bits = va_bits - top * bits;

	t->top_level = top;
	t->top_index_bits = top_bits;
	t->sign_extend = false;
	/* v1: 2^(top_bits - 9) TTBR pages; otherwise one page. */
	t->root_tables = top_bits > bits ? 1u << (top_bits - bits) : 1;
	t->root_size = (size_t)t->root_tables << g;
	t->pgsize_bitmap = 1ULL << g;
	t->ops = v2 ? &dart2_ops : &dart1_ops;
	return 0;
}
