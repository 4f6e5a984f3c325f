// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The gather: what an unmap leaves for the caller to invalidate, and the
 * table memory that may be freed only after that invalidation. Freeing a
 * table while a walk cache may still point into it is how Xen's XSA-346
 * happened; here the only path to the backend's free() for a detached table
 * is iopt_gather_sync(), after the flush callbacks returned.
 */
#include "pt/pt_internal.h"

void iopt_gather_init(struct iopt_gather *g)
{
	if (!g)
		return;
	g->table = NULL;
	g->gen = 0;
	g->nr_ranges = 0;
	g->nr_tables = 0;
}

/*
 * Work held for another table, or for an earlier life of @t's struct (a
 * table destroyed and initialised again there has a new generation: its
 * predecessor's tables must not go through its backend).
 */
bool iopt_gather_busy_(const struct iopt_gather *g,
		       const struct iopt_table *t)
{
	return g->table && (g->table != t || g->gen != t->gen) &&
	       (g->nr_ranges || g->nr_tables);
}

int iopt_gather_bind_(struct iopt_gather *g, struct iopt_table *t)
{
	if (iopt_gather_busy_(g, t))
		return -EINVAL;
	pt_gather_own(g, t);
	return 0;
}

static bool touches(const struct iopt_gather_range *r, uint64_t iova,
		    uint64_t last)
{
	/* Overlapping or adjacent, without computing last + 1 past 2^64. */
	bool starts_in_or_after = iova <= r->last || iova - r->last == 1;
	bool ends_in_or_before = last >= r->iova || r->iova - last == 1;

	return starts_in_or_after && ends_in_or_before;
}

void iopt_gather_add_range_(struct iopt_gather *g, uint64_t iova,
			    uint64_t last, unsigned int granule_lg2,
			    bool leaf_only)
{
	struct iopt_gather_range *r;

	if (g->nr_ranges) {
		r = &g->ranges[g->nr_ranges - 1];
		if (!touches(r, iova, last) && g->nr_ranges < IOPT_GATHER_RANGES)
			r = NULL;
	} else {
		r = NULL;
	}
	if (!r) {
		r = &g->ranges[g->nr_ranges++];
		r->iova = iova;
		r->last = last;
		r->granule_lg2 = granule_lg2;
		r->leaf_only = leaf_only;
		return;
	}
	/* Merge (when full, the flush widens to cover the gap). */
	if (iova < r->iova)
		r->iova = iova;
	if (last > r->last)
		r->last = last;
	if (granule_lg2 < r->granule_lg2)
		r->granule_lg2 = granule_lg2;
	r->leaf_only = r->leaf_only && leaf_only;
}

/*
 * Flush, then free the queued tables, and empty @g; it stays bound to its
 * table. -EINVAL (nothing called, nothing freed) when the table was
 * destroyed first (its ops, and possibly its memory, are gone), also when
 * its struct holds a new table since.
 */
static int gather_flush(struct iopt_gather *g)
{
	struct iopt_table *t = g->table;
	int ret = 0;

	if (!t || (!g->nr_ranges && !g->nr_tables))
		goto out;
	if (!t->ops || t->gen != g->gen) {
		ret = -EINVAL;
		goto out;
	}
	if (t->flush && t->flush->flush_range) {
		for (unsigned int i = 0; i < g->nr_ranges; i++) {
			const struct iopt_gather_range *r = &g->ranges[i];

			t->flush->flush_range(t->cookie, r->iova,
					      r->last - r->iova + 1,
					      r->granule_lg2, r->leaf_only);
			pt_stat_add(&t->stats.flush_range_calls, 1);
		}
	} else if (t->flush && t->flush->flush_all) {
		t->flush->flush_all(t->cookie);
		pt_stat_add(&t->stats.flush_all_calls, 1);
	}
	/* Only now may the detached tables go back to the backend. */
	for (unsigned int i = 0; i < g->nr_tables; i++)
		t->ops->free_tree(t, g->tables[i] & ~63ULL,
				  (unsigned int)(g->tables[i] & 63));
out:
	g->nr_ranges = 0;
	g->nr_tables = 0;
	return ret;
}

void iopt_gather_add_table_(struct iopt_gather *g, uint64_t phys,
			    unsigned int level)
{
	/* Full: flush what is recorded (its ranges cover these tables). The
	 * unmap goes on with the same table, so @g stays bound. */
	if (g->nr_tables == IOPT_GATHER_TABLES)
		gather_flush(g);
	g->tables[g->nr_tables++] = phys | level;
}

int iopt_gather_sync(struct iopt_gather *g)
{
	int ret;

	if (!g)
		return -EINVAL;
	ret = gather_flush(g);
	/* Empty now: free to serve any table. */
	g->table = NULL;
	return ret;
}
