// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The domain layer: page-size selection and the map/unmap loops an IOMMU
 * core runs above the page-table code. Hosted or freestanding alike: it only
 * calls the public API.
 */
#include "pt/pt_internal.h"
#include <iopt/domain.h>

int iopt_domain_init(struct iopt_domain *d, struct iopt_table *t,
		     enum iopt_domain_mode mode)
{
	if (!d || !t || !t->ops ||
	    (mode != IOPT_DOMAIN_BATCHED && mode != IOPT_DOMAIN_PER_PAGE))
		return -EINVAL;
	iopt_memset(d, 0, sizeof(*d));
	d->table = t;
	d->mode = mode;
	d->pgsize_bitmap = iopt_pgsize_bitmap(t);
	return 0;
}

/* Sizes in @bitmap no larger than 2^lg2 (every size when lg2 >= 63). */
static inline uint64_t sizes_upto(uint64_t bitmap, unsigned int lg2)
{
	return lg2 >= 63 ? bitmap : bitmap & ((2ULL << lg2) - 1);
}

uint64_t iopt_domain_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			    uint64_t size, uint64_t *count)
{
	uint64_t merged = iova | paddr, cand, pgsize, larger, next, offset;

	if (!count)
		return 0;
	*count = 0;
	if (!size)
		return 0;
	cand = sizes_upto(bitmap, pt_fls64(size));
	if (merged)
		cand = sizes_upto(cand, pt_ctz64(merged));
	if (!cand)
		return 0;
	pgsize = 1ULL << pt_fls64(cand);
	*count = size >> pt_ctz64(pgsize);

	/* Stop where the next larger size can take over, if it ever can. */
	larger = bitmap & ~((pgsize << 1) - 1);
	if (!larger || pgsize == 1ULL << 63)
		return pgsize;
	next = larger & -larger;
	if ((iova ^ paddr) & (next - 1))
		return pgsize;
	offset = next - (merged & (next - 1));
	if (offset + next >= offset && offset + next <= size)
		*count = offset >> pt_ctz64(pgsize);
	return pgsize;
}

/* Map one run, in one engine call or one per page. */
static int map_run(struct iopt_domain *d, uint64_t iova, uint64_t paddr,
		   uint64_t pgsize, uint64_t count, unsigned int prot,
		   uint64_t *done)
{
	uint64_t m = 0;
	int ret;

	if (d->mode == IOPT_DOMAIN_BATCHED) {
		d->stats.engine_calls++;
		ret = iopt_map_pages(d->table, iova, paddr, pgsize, count, prot,
				     0, &m);
		*done += m;
		return ret;
	}
	for (uint64_t i = 0; i < count; i++) {
		d->stats.engine_calls++;
		ret = iopt_map_pages(d->table, iova + i * pgsize,
				     paddr + i * pgsize, pgsize, 1, prot, 0, &m);
		*done += m;
		if (ret)
			return ret;
	}
	return 0;
}

/* Map without rollback; *done counts what is mapped, also on error. */
static int map_loop(struct iopt_domain *d, uint64_t iova, uint64_t paddr,
		    uint64_t size, unsigned int prot, uint64_t *done)
{
	uint64_t min = d->pgsize_bitmap & -d->pgsize_bitmap;

	if (!size || ((iova | paddr | size) & (min - 1)))
		return -EINVAL;
	for (uint64_t off = 0; off < size;) {
		uint64_t count, pgsize;
		int ret;

		pgsize = iopt_domain_pgsize(d->pgsize_bitmap, iova + off,
					    paddr + off, size - off, &count);
		if (!pgsize)
			return -EINVAL;
		ret = map_run(d, iova + off, paddr + off, pgsize, count, prot,
			      done);
		if (ret)
			return ret;
		off += pgsize * count;
	}
	return 0;
}

/* Undo a partial map of [iova, iova + done): unmap, flush, free. */
static void rollback(struct iopt_domain *d, uint64_t iova, uint64_t done)
{
	struct iopt_gather g;
	uint64_t u;

	if (!done)
		return;
	d->stats.rollbacks++;
	iopt_gather_init(&g);
	iopt_unmap_range(d->table, iova, done, 0, &g, &u);
	iopt_gather_sync(&g);
}

/* Smallest page size of @d (0 when the domain has none). */
static inline uint64_t min_pgsize(const struct iopt_domain *d)
{
	return d->pgsize_bitmap & -d->pgsize_bitmap;
}

int iopt_domain_map(struct iopt_domain *d, uint64_t iova, uint64_t paddr,
		    uint64_t size, unsigned int prot)
{
	uint64_t done = 0, min;
	int ret;

	if (!d || !d->table)
		return -EINVAL;
	d->stats.map_calls++;
	/* Refuse a bad request before any run is mapped: a split request
	 * must not map, say, the part of a range that lies below 2^64. */
	min = min_pgsize(d);
	if (!min || !size || ((iova | paddr | size) & (min - 1)))
		return -EINVAL;
	if (!pt_prot_valid(prot))
		return -EINVAL;
	ret = iopt_iova_args_(d->table, iova, size);
	if (!ret)
		ret = iopt_paddr_args_(d->table, paddr, size);
	if (ret)
		return ret;
	ret = map_loop(d, iova, paddr, size, prot, &done);
	if (ret)
		rollback(d, iova, done);
	return ret;
}

/* Every argument error of a map_sg, found before anything is mapped. */
static int sg_args(const struct iopt_domain *d, uint64_t iova,
		   const struct iopt_sg *sg, size_t nents, unsigned int prot)
{
	uint64_t min = min_pgsize(d), total = 0;
	int ret;

	if (!min || !d->table->ops || !pt_prot_valid(prot) ||
	    (iova & (min - 1)))
		return -EINVAL;
	for (size_t i = 0; i < nents; i++) {
		if (!sg[i].length)
			continue; /* contributes nothing */
		if ((sg[i].paddr | sg[i].length) & (min - 1))
			return -EINVAL;
		ret = iopt_paddr_args_(d->table, sg[i].paddr, sg[i].length);
		if (ret)
			return ret;
		if (total + sg[i].length < total)
			return -EOVERFLOW;
		total += sg[i].length;
	}
	/* Nothing to map is not an error, wherever it would have gone. */
	return total ? iopt_iova_args_(d->table, iova, total) : 0;
}

int iopt_domain_map_sg(struct iopt_domain *d, uint64_t iova,
		       const struct iopt_sg *sg, size_t nents, unsigned int prot,
		       uint64_t *mapped)
{
	uint64_t done = 0, run_pa = 0, run_len = 0;
	int ret = 0;

	if (!mapped)
		return -EINVAL;
	*mapped = 0;
	if (!d || !d->table || (!sg && nents))
		return -EINVAL;
	d->stats.map_calls++;
	ret = sg_args(d, iova, sg, nents, prot);
	if (ret)
		return ret;
	/* One step past the end flushes the last run. */
	for (size_t i = 0; i <= nents; i++) {
		if (i < nents && run_len && sg[i].paddr == run_pa + run_len) {
			run_len += sg[i].length;
			continue;
		}
		if (run_len) {
			ret = map_loop(d, iova + done, run_pa, run_len, prot, &done);
			if (ret)
				break;
		}
		if (i < nents) {
			run_pa = sg[i].paddr;
			run_len = sg[i].length;
		}
	}
	if (ret) {
		rollback(d, iova, done);
		return ret;
	}
	*mapped = done;
	return 0;
}

int iopt_domain_unmap(struct iopt_domain *d, uint64_t iova, uint64_t size,
		      struct iopt_gather *gather, uint64_t *unmapped)
{
	uint64_t min;
	int ret;

	if (!unmapped)
		return -EINVAL;
	*unmapped = 0;
	if (!d || !d->table || !gather)
		return -EINVAL;
	min = min_pgsize(d);
	if (!min || !size || ((iova | size) & (min - 1)) ||
	    iopt_gather_busy_(gather, d->table))
		return -EINVAL;
	ret = iopt_iova_args_(d->table, iova, size);
	if (ret)
		return ret;
	d->stats.unmap_calls++;
	for (uint64_t off = 0; off < size;) {
		uint64_t count, u, pgsize;

		pgsize = iopt_domain_pgsize(d->pgsize_bitmap, iova + off,
					    iova + off, size - off, &count);
		if (!pgsize)
			return -EINVAL;
		if (d->mode == IOPT_DOMAIN_PER_PAGE) {
			for (uint64_t i = 0; i < count; i++) {
				d->stats.engine_calls++;
				ret = iopt_unmap_pages(d->table, iova + off,
						       pgsize, 1, 0, gather, &u);
				*unmapped += u;
				if (ret)
					return ret;
				off += pgsize;
			}
			continue;
		}
		d->stats.engine_calls++;
		ret = iopt_unmap_pages(d->table, iova + off, pgsize, count, 0,
				       gather, &u);
		*unmapped += u;
		if (ret)
			return ret;
		off += pgsize * count;
	}
	return 0;
}

int iopt_domain_get_counters(const struct iopt_domain *d,
			     struct iopt_domain_counters *out)
{
	struct iopt_stats st;

	if (!d || !d->table || !out)
		return -EINVAL;
	iopt_get_stats(d->table, &st);
	*out = (struct iopt_domain_counters){
		.map_calls = d->stats.map_calls,
		.unmap_calls = d->stats.unmap_calls,
		.engine_calls = d->stats.engine_calls,
		.rollbacks = d->stats.rollbacks,
		.walks_counted = (d->table->cfg.flags & IOPT_CFG_STATS) != 0,
		.walks = st.walks,
		.entries_written = st.entries_written,
		.entries_cleared = st.entries_cleared,
		.tables_allocated = st.tables_allocated,
		.tables_freed = st.tables_freed,
		.table_bytes = st.table_bytes,
		.table_bytes_peak = st.table_bytes_peak,
		.flush_all_calls = st.flush_all_calls,
		.flush_range_calls = st.flush_range_calls,
		.cache_syncs = st.cache_syncs,
	};
	return 0;
}
