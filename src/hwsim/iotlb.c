// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU's caches: an IOTLB of leaf translations and a walk
 * cache of table descriptors, both set associative with LRU replacement.
 *
 * IOTLB entries have different sizes (pages, blocks, contiguous runs), so
 * the set is chosen from the address's number at the entry's own size and
 * a lookup probes each size the format can produce (a handful). Walk-cache
 * entries are kept per level; each holds one table descriptor, i.e. the
 * address of the next table and the restrictions accumulated down to it,
 * for the region of inputs that descriptor covers.
 *
 * Invalidation scans all entries: the caches are small, and a scan is what
 * makes the granule semantics of a range command exact.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

/* Spread page numbers over the sets; @salt keeps the sizes apart. */
static unsigned int set_of(uint64_t pfn, unsigned int salt, unsigned int sets)
{
	uint64_t h = (pfn + salt) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	return (unsigned int)(h % sets);
}

unsigned int hwsim_tlb_slots_(const struct iopt_hwsim *sim)
{
	return sim->tlb ? sim->tlb_sets * sim->tlb_ways : 0;
}

unsigned int hwsim_wc_slots_(const struct iopt_hwsim *sim)
{
	return sim->wc ? sim->wc_sets * sim->wc_ways * (sim->geom.levels - 1) : 0;
}

static int shape(unsigned int entries, unsigned int ways, unsigned int *sets,
		 unsigned int *w)
{
	if (!entries) {
		*sets = 0;
		*w = 0;
		return 0;
	}
	if (!ways)
		ways = entries;
	if (ways > entries || entries % ways || entries > (1u << 20))
		return -EINVAL;
	*sets = entries / ways;
	*w = ways;
	return 0;
}

int hwsim_caches_alloc_(struct iopt_hwsim *sim)
{
	const struct iopt_hwsim_params *p = &sim->params;

	if (shape(p->tlb_entries, p->tlb_ways, &sim->tlb_sets, &sim->tlb_ways) ||
	    shape(p->walk_entries, p->walk_ways, &sim->wc_sets, &sim->wc_ways))
		return -EINVAL;
	sim->tlb = NULL;
	sim->wc = NULL;
	if (sim->tlb_sets) {
		sim->tlb = calloc((size_t)sim->tlb_sets * sim->tlb_ways,
				  sizeof(*sim->tlb));
		if (!sim->tlb)
			return -ENOMEM;
	}
	/* A start table at level 0 has no descriptors to cache. */
	if (sim->wc_sets && sim->geom.levels > 1) {
		sim->wc = calloc((size_t)sim->wc_sets * sim->wc_ways *
				 (sim->geom.levels - 1), sizeof(*sim->wc));
		if (!sim->wc) {
			free(sim->tlb);
			sim->tlb = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

void hwsim_caches_free_(struct iopt_hwsim *sim)
{
	free(sim->tlb);
	free(sim->wc);
	sim->tlb = NULL;
	sim->wc = NULL;
}

void hwsim_caches_clear_(struct iopt_hwsim *sim)
{
	if (sim->tlb)
		memset(sim->tlb, 0, (size_t)hwsim_tlb_slots_(sim) * sizeof(*sim->tlb));
	if (sim->wc)
		memset(sim->wc, 0, (size_t)hwsim_wc_slots_(sim) * sizeof(*sim->wc));
}

static inline uint64_t size_mask(unsigned int lg2)
{
	return lg2 >= 64 ? ~0ULL : (1ULL << lg2) - 1;
}

/* ---------------------------------------------------------------- IOTLB */

static struct iopt_hwsim_tlbe *tlb_set(struct iopt_hwsim *sim, uint64_t iova,
				       unsigned int lg2)
{
	unsigned int s = set_of(iova >> lg2, lg2, sim->tlb_sets);

	return &sim->tlb[(size_t)s * sim->tlb_ways];
}

struct iopt_hwsim_tlbe *hwsim_tlb_lookup_(struct iopt_hwsim *sim, uint64_t iova)
{
	if (!sim->tlb)
		return NULL;
	for (unsigned int i = 0; i < sim->nr_sizes; i++) {
		unsigned int lg2 = sim->sizes_lg2[i];
		struct iopt_hwsim_tlbe *set = tlb_set(sim, iova, lg2);
		uint64_t base = iova & ~size_mask(lg2);

		for (unsigned int w = 0; w < sim->tlb_ways; w++) {
			struct iopt_hwsim_tlbe *e = &set[w];

			if (e->stamp && e->size_lg2 == lg2 && e->iova == base) {
				e->stamp = ++sim->clock;
				return e;
			}
		}
	}
	return NULL;
}

void hwsim_tlb_fill_(struct iopt_hwsim *sim, const struct iopt_hwsim_tlbe *n)
{
	struct iopt_hwsim_tlbe *set, *victim = NULL;

	if (!sim->tlb)
		return;
	set = tlb_set(sim, n->iova, n->size_lg2);
	for (unsigned int w = 0; w < sim->tlb_ways; w++) {
		struct iopt_hwsim_tlbe *e = &set[w];

		if (e->stamp && e->size_lg2 == n->size_lg2 && e->iova == n->iova) {
			victim = e;	/* refresh in place */
			break;
		}
		if (!victim || (victim->stamp && e->stamp < victim->stamp))
			victim = e;
	}
	if (victim->stamp && !(victim->size_lg2 == n->size_lg2 &&
			       victim->iova == n->iova))
		sim->cnt.tlb_evictions++;
	*victim = *n;
	victim->stamp = ++sim->clock;
	sim->cnt.tlb_fills++;
}

/*
 * Does a range command over [first, last] with steps of 1 << @g reach the
 * entry [b, b_last]? It acts at first + k << g; so it does when one of
 * those addresses lies in the overlap of the two.
 */
static bool reached(uint64_t b, uint64_t b_last, uint64_t first, uint64_t last,
		    unsigned int g)
{
	uint64_t lo = b > first ? b : first, hi = b_last < last ? b_last : last;
	uint64_t step = 1ULL << g, rem, add;

	if (lo > hi)
		return false;
	rem = (lo - first) & (step - 1);
	add = rem ? step - rem : 0;
	return add <= hi - lo;
}

uint64_t hwsim_tlb_inv_(struct iopt_hwsim *sim, uint64_t first, uint64_t last,
			unsigned int granule_lg2)
{
	unsigned int n = hwsim_tlb_slots_(sim);
	uint64_t dropped = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct iopt_hwsim_tlbe *e = &sim->tlb[i];

		if (!e->stamp)
			continue;
		if (granule_lg2 < 64 &&
		    !reached(e->iova, e->iova + size_mask(e->size_lg2), first,
			     last, granule_lg2))
			continue;
		if (granule_lg2 >= 64 && !(e->iova <= last &&
					   e->iova + size_mask(e->size_lg2) >= first))
			continue;
		e->stamp = 0;
		dropped++;
	}
	return dropped;
}

/* ----------------------------------------------------------- walk cache */

static struct iopt_hwsim_wce *wc_set(struct iopt_hwsim *sim, unsigned int level,
				     uint64_t iova)
{
	unsigned int shift = hwsim_shift_(&sim->geom, level);
	unsigned int s = set_of(iova >> shift, level, sim->wc_sets);

	return &sim->wc[((size_t)(level - 1) * sim->wc_sets + s) * sim->wc_ways];
}

const struct iopt_hwsim_wce *hwsim_wc_lookup_(struct iopt_hwsim *sim,
					      unsigned int level, uint64_t iova)
{
	struct iopt_hwsim_wce *set;
	uint64_t base;

	if (!sim->wc || level < 1 || level >= sim->geom.levels)
		return NULL;
	set = wc_set(sim, level, iova);
	base = iova & ~size_mask(hwsim_shift_(&sim->geom, level));
	for (unsigned int w = 0; w < sim->wc_ways; w++) {
		struct iopt_hwsim_wce *e = &set[w];

		if (e->stamp && e->iova == base) {
			e->stamp = ++sim->clock;
			return e;
		}
	}
	return NULL;
}

void hwsim_wc_fill_(struct iopt_hwsim *sim, unsigned int level, uint64_t iova,
		    uint64_t next, uint32_t attrs)
{
	struct iopt_hwsim_wce *set, *victim = NULL;

	if (!sim->wc || level < 1 || level >= sim->geom.levels)
		return;
	set = wc_set(sim, level, iova);
	for (unsigned int w = 0; w < sim->wc_ways; w++) {
		struct iopt_hwsim_wce *e = &set[w];

		if (e->stamp && e->iova == iova) {
			victim = e;
			break;
		}
		if (!victim || (victim->stamp && e->stamp < victim->stamp))
			victim = e;
	}
	if (victim->stamp && victim->iova != iova)
		sim->cnt.walk_evictions++;
	victim->iova = iova;
	victim->next = next;
	victim->attrs = attrs;
	victim->level = (uint8_t)level;
	victim->stamp = ++sim->clock;
	sim->cnt.walk_fills++;
}

uint64_t hwsim_wc_inv_(struct iopt_hwsim *sim, uint64_t first, uint64_t last)
{
	unsigned int n = hwsim_wc_slots_(sim);
	uint64_t dropped = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct iopt_hwsim_wce *e = &sim->wc[i];
		uint64_t e_last;

		if (!e->stamp)
			continue;
		e_last = e->iova + size_mask(hwsim_shift_(&sim->geom, e->level));
		if (e->iova > last || e_last < first)
			continue;
		e->stamp = 0;
		dropped++;
	}
	return dropped;
}
