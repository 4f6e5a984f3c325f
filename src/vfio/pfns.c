// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iommufd's batch_from_domain(): the page frame numbers behind an IOVA
 * range, read back from a domain's table. Today's kernel asks
 * iommu_iova_to_phys() once per page; the 2026 series asks once per leaf
 * (here: once per large leaf; where leaves are small, one extent descent
 * per table's worth of them, so that asking by length is never slower than
 * asking per page); the extent iterator reports whole runs in one descent.
 */
#include <errno.h>

#include <iopt/vfio.h>

/* Whether [iova, last] lies in the table's input space (one half of it). */
static bool pfns_in_space(const struct iopt_table *t, uint64_t iova,
			  uint64_t last)
{
	return last < t->va_lo_end || iova > t->va_hi_before || t->va_full;
}

/* By length: leaves covering fewer pages than this are read by extents. */
#define PFNS_SMALL_LEAF 16

/* Page i of the range gets the page frame of @phys plus the offset. */
struct pfn_fill {
	uint64_t iova;          /* start of the range */
	uint64_t npages;
	unsigned int lg2;
	uint64_t *pfns;
	uint64_t mapped;
	uint64_t callbacks;
};

/*
 * Fill the pages whose first byte lies in [iova, iova + len), which maps to
 * [phys, ...) linearly. Returns the index of the first page after them.
 */
static uint64_t fill_span(struct pfn_fill *f, uint64_t iova, uint64_t phys,
			  uint64_t len)
{
	uint64_t psz = 1ULL << f->lg2;
	uint64_t first = (iova - f->iova + psz - 1) >> f->lg2;
	uint64_t end = (iova - f->iova + len - 1) >> f->lg2; /* last, inclusive */

	if (end >= f->npages)
		end = f->npages - 1;
	for (uint64_t i = first; i <= end && i < f->npages; i++) {
		uint64_t q = f->iova + (i << f->lg2);

		f->pfns[i] = (phys + (q - iova)) >> f->lg2;
		f->mapped++;
	}
	return end + 1;
}

static int pfn_extent(void *arg, uint64_t iova, uint64_t phys,
		      uint64_t length, unsigned int prot)
{
	struct pfn_fill *f = arg;

	(void)prot;
	f->callbacks++;
	fill_span(f, iova, phys, length);
	return 0;
}

int iopt_pfns_from_domain(struct iopt_domain *d, uint64_t iova,
			  uint64_t length, unsigned int page_lg2,
			  enum iopt_pfn_method method, uint64_t *pfns,
			  uint64_t *mapped, struct iopt_vfio_counters *ctr)
{
	struct iopt_vfio_counters local = { 0 };
	struct pfn_fill f;
	struct iopt_table *t;
	uint64_t psz, last;
	int ret = 0;

	if (!d || !d->table || !pfns || page_lg2 < 12 || page_lg2 > 30)
		return -EINVAL;
	if ((unsigned int)method > IOPT_PFNS_BY_EXTENT)
		return -EINVAL;
	t = d->table;
	psz = 1ULL << page_lg2;
	if (!length || ((iova | length) & (psz - 1)))
		return -EINVAL;
	last = iova + (length - 1);
	if (last < iova)
		return -EOVERFLOW;
	if (!pfns_in_space(t, iova, last))
		return -ERANGE;

	f.iova = iova;
	f.npages = length >> page_lg2;
	f.lg2 = page_lg2;
	f.pfns = pfns;
	f.mapped = 0;
	f.callbacks = 0;

	switch (method) {
	case IOPT_PFNS_BY_PAGE:
		for (uint64_t i = 0; i < f.npages; i++) {
			uint64_t p = iopt_iova_to_phys(t, iova + (i << page_lg2));

			local.lookups++;
			if (p == IOPT_PHYS_NONE) {
				pfns[i] = IOPT_PFN_NONE;
				local.holes++;
				continue;
			}
			pfns[i] = p >> page_lg2;
			f.mapped++;
		}
		break;
	case IOPT_PFNS_BY_LENGTH:
		for (uint64_t i = 0; i < f.npages;) {
			uint64_t q = iova + (i << page_lg2), p, sz, w_last, before;

			local.lookups++;
			if (iopt_iova_to_phys_length(t, q, &p, &sz, NULL)) {
				pfns[i++] = IOPT_PFN_NONE;
				local.holes++;
				continue;
			}
			if (sz >= PFNS_SMALL_LEAF * psz) {
				/* The leaf may start before q; use the rest of it. */
				i = fill_span(&f, q, p, sz - (q & (sz - 1)));
				continue;
			}
			/*
			 * A small leaf: its neighbours are likely small too, and
			 * a lookup each would cost more than a lookup per page.
			 * One extent descent over the rest of what a table of
			 * such leaves spans (512 of them) reads them all.
			 */
			w_last = q | ((sz << 9) - 1);
			if (w_last > last)
				w_last = last;
			before = f.mapped;
			for (uint64_t k = i; k <= (w_last - iova) >> page_lg2; k++)
				pfns[k] = IOPT_PFN_NONE;
			local.descents++;
			ret = iopt_for_each_extent(t, q, w_last - q + 1, pfn_extent, &f);
			if (ret)
				break;
			local.holes += ((w_last - q) >> page_lg2) + 1 -
				       (f.mapped - before);
			i = ((w_last - iova) >> page_lg2) + 1;
		}
		break;
	case IOPT_PFNS_BY_EXTENT:
		for (uint64_t i = 0; i < f.npages; i++)
			pfns[i] = IOPT_PFN_NONE;
		local.descents++;
		ret = iopt_for_each_extent(t, iova, length, pfn_extent, &f);
		local.lookups += f.callbacks;
		local.holes += f.npages - f.mapped;
		break;
	}
	if (ret)
		return ret;
	if (mapped)
		*mapped = f.mapped;
	if (ctr) {
		ctr->lookups += local.lookups;
		ctr->descents += local.descents;
		ctr->holes += local.holes;
	}
	return 0;
}
