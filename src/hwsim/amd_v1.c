// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU's AMD IOMMU v1 side: the host I/O page table walker
 * and the INVALIDATE_IOMMU_PAGES command, with the flush callbacks that
 * issue it as Linux's amd driver does.
 *
 * Written from the AMD I/O Virtualization Technology (IOMMU) Specification
 * (pub. 48882, section 2.2.3 "I/O Page Tables for Host Translations" and
 * the command's description) and the facts in formats.md section 6; the
 * model's choices are listed in hwsim.h. Levels here are the generic ones
 * (struct iopt_path): generic level l is AMD level l + 1, and DTE.Mode is
 * the number of levels walked.
 *
 * Entries (64 bits): PR bit 0, NextLevel [11:9], address [51:12],
 * reserved [58:52], U bit 59, FC bit 60, IR bit 61, IW bit 62. NextLevel in
 * 1..L-1 (L the entry's AMD level) points to a table of AMD level
 * NextLevel, skipping the levels between when it is below L - 1; 0 is a
 * leaf of the level's own size; 7 a leaf whose size is encoded in the
 * address field (a run of ones from bit 12, then a zero), copied into every
 * entry it covers.
 */
#include <errno.h>
#include <string.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

#define AMD_PR		(1ULL << 0)
#define AMD_NL_SHIFT	9
#define AMD_NL_MASK	7u
#define AMD_NL_SIZE	7u		/* size encoded in the address */
#define AMD_IR		(1ULL << 61)
#define AMD_IW		(1ULL << 62)
#define AMD_ADDR	(((1ULL << 52) - 1) & ~0xfffULL)	/* [51:12] */
#define AMD_RSVD	(((1ULL << 59) - 1) & ~((1ULL << 52) - 1)) /* [58:52] */
#define AMD_MAX_LEVELS	6
#define AMD_LEAF_LEVELS	5		/* AMD levels 1..5 may hold leaves */
#define AMD_ALL_PAGES	0x7ffffffffffff000ULL	/* S = 1: the whole domain */

static inline uint64_t low_mask(unsigned int lg2)
{
	return lg2 >= 64 ? ~0ULL : (1ULL << lg2) - 1;
}

/* log2 of the bytes an entry of generic @level maps. */
static inline unsigned int amd_shift(unsigned int level)
{
	return 12 + 9 * level;
}

/* ------------------------------------------------------------- geometry */

/*
 * DTE.Mode = N levels covers 12 + 9N input bits (21 .. 57), or all 64 with
 * 6 levels, whose top table is indexed by the 7 bits [63:57].
 */
int hwsim_amd_geometry_(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g)
{
	unsigned int levels;

	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias == 64)
		levels = 6;
	else if (cfg->ias >= 21 && cfg->ias <= 57 && (cfg->ias - 12) % 9 == 0)
		levels = (cfg->ias - 12) / 9;
	else
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > 52)
		return -ENOTSUP;
	g->granule_lg2 = 12;
	g->level_bits = 9;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->levels = levels;
	g->top_bits = levels == 6 ? 7 : 9;
	g->concat = 1;
	return 0;
}

bool hwsim_amd_geom_valid_(const struct iopt_hwsim_geom *g)
{
	if (g->granule_lg2 != 12 || g->level_bits != 9 || g->pte_lg2 != 3 ||
	    g->levels < 1 || g->levels > AMD_MAX_LEVELS || g->concat != 1 ||
	    g->stage2 || g->sign_extend || g->ttbr1 || g->ds ||
	    g->oas < 32 || g->oas > 52)
		return false;
	if (g->levels == 6)
		return g->top_bits == 7 && g->ias == 64;
	return g->top_bits == 9 && g->ias == amd_shift(g->levels);
}

/*
 * What an AMD level L (generic l) leaf may map: its own size, and with
 * NextLevel = 7 every power of two above it that stays inside the table
 * (up to 256 entries: the address field has no room for a run past bit
 * 51, so never more than 2^52). AMD level 6 holds no leaves.
 */
static bool amd_size_fits(unsigned int level, unsigned int size_lg2)
{
	unsigned int s = amd_shift(level);

	return level + 1 <= AMD_LEAF_LEVELS && size_lg2 >= s &&
	       size_lg2 <= s + 8 && size_lg2 <= 52;
}

/* Every translation size, smallest first (the levels' ranges are
 * disjoint and increasing). */
unsigned int hwsim_amd_sizes_(const struct iopt_hwsim_geom *g,
			      unsigned int *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int l = 0; l < g->levels; l++)
		for (unsigned int s = amd_shift(l); s <= amd_shift(l) + 8; s++)
			if (amd_size_fits(l, s) && n < max)
				out[n++] = s;
	return n;
}

/* ------------------------------------------------------------- the walk */

/* No execute permission exists (a fetch is a read) and no privilege. */
static unsigned int amd_perm(uint32_t attrs)
{
	unsigned int p = 0;

	if (!(attrs & HWSIM_A_NO_READ))
		p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR |
		     IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
	if (!(attrs & HWSIM_A_NO_WRITE))
		p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
	return p;
}

static bool beyond(const struct iopt_hwsim_geom *g, uint64_t last)
{
	return g->oas < 64 && (last >> g->oas);
}

/*
 * A leaf at @level: NextLevel 0 (the level's size; address bits below it
 * are ignored) or 7 (the size is 2^(z + 1) for the first zero bit z of
 * the address field at or above bit 12; the ones and that zero are not
 * address).
 */
static int amd_leaf(const struct iopt_hwsim_geom *g, unsigned int level,
		    uint64_t pte, unsigned int nl, uint64_t iova, uint32_t attrs,
		    struct iopt_hwsim_result *r)
{
	unsigned int shift = amd_shift(level), size_lg2 = shift;
	uint64_t oa;

	if (nl == AMD_NL_SIZE) {
		uint64_t ones = ~(pte | ~AMD_ADDR) >> 12; /* zeros of [51:12] */

		if (!ones)	/* [51:12] all ones: no size */
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		size_lg2 = 12 + (unsigned int)__builtin_ctzll(ones) + 1;
		/* A run must cover more than one entry and fit the table
		 * (the level's own size is NextLevel 0, never 7). */
		if (size_lg2 <= shift || !amd_size_fits(level, size_lg2))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	} else if (!amd_size_fits(level, shift)) {
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	}
	oa = pte & AMD_ADDR & ~low_mask(size_lg2);
	/* Address bits at or above oas are reserved (IO_PAGE_FAULT RZ). */
	if (beyond(g, oa | low_mask(size_lg2)))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = size_lg2;
	r->contig = nl == AMD_NL_SIZE;
	r->phys = oa + (iova & low_mask(size_lg2));
	r->perm = amd_perm(attrs);
	return 0;
}

/*
 * Walk from the table at @table holding entries of generic @level, with the
 * restrictions @attrs (HWSIM_A_NO_READ, HWSIM_A_NO_WRITE) of the entries
 * above. Returns as hwsim_walk_from_(). Every round reads one entry and
 * either stops or goes at least one level down, so at most @g->levels
 * rounds.
 */
int hwsim_amd_walk_from_(struct hwsim_walk *w, uint64_t table,
			 unsigned int level, uint32_t attrs, uint64_t iova,
			 struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	unsigned int top = g->levels - 1;

	for (unsigned int round = 0; round < AMD_MAX_LEVELS; round++) {
		unsigned int shift = amd_shift(level), nl, below;
		unsigned int bits = level == top ? g->top_bits : 9;
		uint64_t idx = (iova >> shift) & low_mask(bits);
		uint64_t addr = table + (idx << 3), pte, next;

		if (level > top)
			break;
		if (!hwsim_read_entry_(w, level, addr, &pte, r))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_WALK_ABORT, level);
		r->pte = pte;
		r->pte_phys = addr;
		if (!(pte & AMD_PR))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		if (pte & AMD_RSVD)
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
		/* IR and IW are ANDed down the walk, table entries included. */
		if (!(pte & AMD_IR))
			attrs |= HWSIM_A_NO_READ;
		if (!(pte & AMD_IW))
			attrs |= HWSIM_A_NO_WRITE;
		nl = (unsigned int)(pte >> AMD_NL_SHIFT) & AMD_NL_MASK;
		if (nl == 0 || nl == AMD_NL_SIZE)
			return amd_leaf(g, level, pte, nl, iova, attrs, r);
		/* A pointer must go down: NextLevel below this AMD level. */
		if (nl > level)
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		next = pte & AMD_ADDR;
		if (beyond(g, next))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
		/* The next table holds generic level nl - 1 and is indexed
		 * from bit amd_shift(nl - 1): the bits of skipped levels,
		 * [shift - 1 : amd_shift(nl)], must be zero. */
		below = amd_shift(nl);
		if (below < shift && (iova & low_mask(shift) & ~low_mask(below)))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
		/* Seen from below, the pointer is a descriptor of level nl
		 * covering the 2^below bytes it translates. */
		if (w->table_fn && w->table_fn(w->arg, nl, iova & ~low_mask(below),
					       next, attrs))
			return HWSIM_WALK_STOPPED;
		table = next;
		level = nl - 1;
	}
	return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
}

/* ------------------------------------------------ INVALIDATE_IOMMU_PAGES */

/*
 * The range a command names: S = 0 the 4K page; S = 1 the naturally
 * aligned 2^(z + 1) bytes for the first zero bit z of the address at or
 * above bit 12, everything when z >= 51 (the encoding of the whole
 * domain, 0x7FFF_FFFF_FFFF_F000, among them).
 */
static void amd_inv_range(uint64_t address, bool s, uint64_t *first,
			  uint64_t *last)
{
	unsigned int z;

	if (!s) {
		*first = address;
		*last = address + 0xfff;
		return;
	}
	/* Bit 63 stands in as the zero when [62:12] are all ones. */
	z = (unsigned int)__builtin_ctzll(~(address | 0xfff) | (1ULL << 63));
	if (z >= 51) {
		*first = 0;
		*last = ~0ULL;
		return;
	}
	*first = address & ~low_mask(z + 1);
	*last = *first | low_mask(z + 1);
}

int iopt_hwsim_amd_inv_pages(struct iopt_hwsim *sim, uint64_t address, bool s,
			     bool pde)
{
	uint64_t first, last;

	if (!sim || sim->geom.format != IOPT_FMT_AMD_V1 || (address & 0xfff))
		return -EINVAL;
	amd_inv_range(address, s, &first, &last);
	sim->cnt.amd_inv_pages++;
	if (pde)
		sim->cnt.amd_inv_pages_pde++;
	/* Every cached translation that overlaps the range, whatever its
	 * size: the command names a region, not a step. */
	sim->cnt.tlb_dropped += hwsim_tlb_inv_(sim, first, last, 64);
	if (pde)
		sim->cnt.walk_dropped += hwsim_wc_inv_(sim, first, last);
	return 0;
}

uint64_t iopt_hwsim_amd_inv_address(uint64_t iova, uint64_t size, bool *s)
{
	uint64_t last = iova + (size - 1);
	unsigned int msb;

	if (!size || last < iova) {
		if (s)
			*s = true;
		return AMD_ALL_PAGES;
	}
	if ((iova >> 12) == (last >> 12)) {
		if (s)
			*s = false;
		return iova & ~0xfffULL;
	}
	if (s)
		*s = true;
	/* The smallest aligned block holding both ends: bits below the
	 * highest one that differs become ones (that bit is 0 in @iova). */
	msb = 63 - (unsigned int)__builtin_clzll(iova ^ last);
	if (msb > 51)
		return AMD_ALL_PAGES;
	return (iova | low_mask(msb)) & ~0xfffULL;
}

/* Linux (amd_iommu_domain_flush_all): the whole domain, PDE set. */
void hwsim_amd_flush_all_(struct iopt_hwsim *sim)
{
	iopt_hwsim_amd_inv_pages(sim, AMD_ALL_PAGES, true, true);
}

/* Linux (amd_iommu_domain_flush_pages): one command for the block that
 * holds the range, always with PDE, whether or not tables were freed. */
void hwsim_amd_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			    uint64_t size)
{
	bool s;
	uint64_t a = iopt_hwsim_amd_inv_address(iova, size, &s);

	iopt_hwsim_amd_inv_pages(sim, a, s, true);
}
