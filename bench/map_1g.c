// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario b: map and unmap 1 GiB with pages of one size, per page and
 * batched, beside the cheapest code that could write the same entries. The
 * sizes are every one of iopt_pgsize_bitmap() up to 1 GiB but ARM LPAE's
 * contiguous-hint runs (bench_page_sizes()): 4K, 2M, 1G for a 4K granule
 * and x86-64; 4K, 64K, 1M, 16M on v7s (64K and 16M replicated entries);
 * 4K (16K) alone on DART.
 *
 *  - map per page: a per-page domain, one engine call per page (io-pgtable
 *    users before map_pages); map batched: one call for all the GiBs of a
 *    round (they continue each other physically).
 *  - unmap per page: the caller unmaps one page at a time (one domain
 *    unmap, hence one engine call, per page), with one gather sync per
 *    GiB; unmap batched: one domain unmap and one sync for all the GiBs.
 *    The syncs are timed: they are where tables are freed (and poisoned
 *    by the arena).
 *  - bounds: a loop storing the same number of entries of the format's
 *    width (8 bytes; 4 on v7s) (map), and memset of the same bytes (unmap).
 *
 * The page size follows from alignment, as in a real caller: the physical
 * address is offset from the IOVA by one page of the size wanted, so no
 * larger page (nor a contiguous-hint run) can be used. Small page counts
 * are repeated over consecutive GiBs (at least B_MIN_PAGES pages a round)
 * so that a round takes well above the clock's resolution; where the
 * input or output space holds fewer GiBs (v7s, DART: 4 GiB of IOVA), the
 * GiBs that fit are mapped and unmapped again, as many times as needed.
 * Counts are reported per GiB.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define B_NAME      "map-1g"
#define B_MIN_PAGES 32768u
#define B_PROT      (IOPT_READ | IOPT_WRITE)

enum { B_MAP_PP, B_MAP_B, B_STORE, B_UNMAP_PP, B_UNMAP_B, B_MEMSET, B_NR };

static const char *const b_variant[B_NR] = {
	"map per-page", "map batched", "store loop",
	"unmap per-page", "unmap batched", "memset",
};

struct b_case {
	const char *format;
	uint64_t pgsize;
	uint64_t paddr;         /* of the first GiB, before the offset */
	uint64_t per_gib;       /* pages per GiB */
	uint64_t gibs;          /* GiBs mapped at once */
	uint64_t reps;          /* times a round maps and unmaps them */
	unsigned int entry_bytes;
	void *entries;          /* for the bounds */
	struct bench_delta counted[B_NR];
	double best[B_NR];
};

static uint64_t b_paddr(const struct b_case *c, uint64_t gib)
{
	return c->paddr + gib * GiB + (c->pgsize < GiB ? c->pgsize : 0);
}

/* Map every GiB with @mode's domain; *ns is the time. */
static int b_map(struct b_case *c, struct bench_tab *b,
		 enum iopt_domain_mode mode, struct bench_delta *delta, double *ns)
{
	struct iopt_domain *d = bench_tab_domain(b, mode);
	struct iopt_domain_counters c0 = bench_counters(d), c1;
	double t0 = bench_now_ns();
	int ret = 0;

	/* Batched: the GiBs continue each other physically, so one call maps
	 * them all; per page: one call per page inside the domain. */
	if (mode == IOPT_DOMAIN_BATCHED)
		ret = iopt_domain_map(d, 0, b_paddr(c, 0), c->gibs * GiB, B_PROT);
	for (uint64_t g = 0; g < c->gibs && !ret && mode != IOPT_DOMAIN_BATCHED; g++)
		ret = iopt_domain_map(d, g * GiB, b_paddr(c, g), GiB, B_PROT);
	*ns = bench_now_ns() - t0;
	c1 = bench_counters(d);
	*delta = bench_delta(&c0, &c1);
	if (ret)
		return bench_fail(B_NAME, "%s: map: %s", c->format, iopt_strerror(ret));
	if (iopt_iova_to_pgsize(&b->t, 0) != c->pgsize ||
	    iopt_iova_to_phys(&b->t, c->gibs * GiB - 1) !=
	    b_paddr(c, c->gibs - 1) + GiB - 1)
		return bench_fail(B_NAME, "%s: not mapped as asked", c->format);
	return 0;
}

/* Unmap every GiB, page by page or in one call, one sync per GiB. */
static int b_unmap(struct b_case *c, struct bench_tab *b,
		   enum iopt_domain_mode mode, struct bench_delta *delta,
		   double *ns)
{
	struct iopt_domain *d = bench_tab_domain(b, mode);
	struct iopt_domain_counters c0 = bench_counters(d), c1;
	uint64_t total = 0, u;
	struct iopt_gather g;
	double t0 = bench_now_ns();
	int ret = 0;

	for (uint64_t k = 0; k < c->gibs; k++) {
		iopt_gather_init(&g);
		if (mode == IOPT_DOMAIN_BATCHED) {
			/* One call and one sync for every GiB. */
			ret |= iopt_domain_unmap(d, 0, c->gibs * GiB, &g, &u);
			total += u;
			k = c->gibs;
		} else {
			for (uint64_t i = 0; i < c->per_gib; i++) {
				ret |= iopt_domain_unmap(d, k * GiB + i * c->pgsize,
							 c->pgsize, &g, &u);
				total += u;
			}
		}
		iopt_gather_sync(&g);
	}
	*ns = bench_now_ns() - t0;
	c1 = bench_counters(d);
	*delta = bench_delta(&c0, &c1);
	if (ret || total != c->gibs * GiB || iopt_iova_to_phys(&b->t, 0) != IOPT_PHYS_NONE)
		return bench_fail(B_NAME, "%s: unmap: %s", c->format, iopt_strerror(ret));
	/* Untimed: give back the empty tables page-by-page unmaps leave, so
	 * every round starts from the same table. */
	iopt_gather_init(&g);
	ret = iopt_domain_unmap(&b->batched, 0, c->gibs * GiB, &g, &u);
	iopt_gather_sync(&g);
	return ret ? bench_fail(B_NAME, "cleanup: %s", iopt_strerror(ret)) : 0;
}

/* The bounds: a store loop and memset over the same number of entries,
 * of the format's width, as often as the round maps them. */
static void b_bounds(struct b_case *c, double *store_ns, double *memset_ns)
{
	uint64_t n = c->per_gib * c->gibs, pa = b_paddr(c, 0);
	uint64_t *e64 = c->entries;
	uint32_t *e32 = c->entries;
	double t0;

	*store_ns = *memset_ns = 0;
	for (uint64_t k = 0; k < c->reps; k++) {
		t0 = bench_now_ns();
		if (c->entry_bytes == 4) {
			for (uint64_t i = 0; i < n; i++)
				e32[i] = (uint32_t)(pa + i * c->pgsize) | 0x472;
		} else {
			for (uint64_t i = 0; i < n; i++)
				e64[i] = (pa + i * c->pgsize) | 0x743;
		}
		bench_clobber(c->entries);
		*store_ns += bench_now_ns() - t0;
		t0 = bench_now_ns();
		memset(c->entries, 0, n * c->entry_bytes);
		bench_clobber(c->entries);
		*memset_ns += bench_now_ns() - t0;
	}
}

/* @sum += @d, for the repeats of one variant. */
static void b_add(struct bench_delta *sum, const struct bench_delta *d)
{
	sum->engine_calls += d->engine_calls;
	sum->walks += d->walks;
	sum->flushes += d->flushes;
	sum->entries_written += d->entries_written;
	sum->entries_cleared += d->entries_cleared;
}

/* The counting round records variant @v's counts; a timed round's must be
 * the same (the counts kept without IOPT_CFG_STATS). */
static int b_counts(struct b_case *c, int v, const struct bench_delta *d,
		    bool counting)
{
	if (counting)
		c->counted[v] = *d;
	else if (d->engine_calls != c->counted[v].engine_calls ||
		 d->flushes != c->counted[v].flushes)
		return bench_fail(B_NAME, "counts differ between rounds");
	return 0;
}

/* One round of every variant; the counting round records the counts. */
static int b_round(struct b_case *c, struct bench_tab *b, bool counting)
{
	static const enum iopt_domain_mode modes[2] = {
		IOPT_DOMAIN_PER_PAGE, IOPT_DOMAIN_BATCHED,
	};
	struct bench_delta d, dm, du;
	double ns[B_NR], t;

	for (int m = 0; m < 2; m++) {
		int vm = m ? B_MAP_B : B_MAP_PP, vu = m ? B_UNMAP_B : B_UNMAP_PP;

		memset(&dm, 0, sizeof(dm));
		memset(&du, 0, sizeof(du));
		ns[vm] = ns[vu] = 0;
		for (uint64_t k = 0; k < c->reps; k++) {
			if (b_map(c, b, modes[m], &d, &t))
				return -1;
			b_add(&dm, &d);
			ns[vm] += t;
			if (b_unmap(c, b, modes[m], &d, &t))
				return -1;
			b_add(&du, &d);
			ns[vu] += t;
		}
		if (b_counts(c, vm, &dm, counting) || b_counts(c, vu, &du, counting))
			return -1;
	}
	b_bounds(c, &ns[B_STORE], &ns[B_MEMSET]);
	if (!counting)
		for (int v = 0; v < B_NR; v++)
			bench_best(&c->best[v], ns[v]);
	return 0;
}

static int b_size(const struct bench_opts *o, struct b_case *c,
		  struct bench_result res[B_NR])
{
	struct bench_geom geo;
	struct bench_tab b;
	uint64_t n, lim, want;
	char sz[16];
	int ret = -1;

	if (bench_geom(c->format, &geo))
		return bench_fail(B_NAME, "cannot build a %s table", c->format);
	c->entry_bytes = geo.entry_bytes;
	c->per_gib = GiB / c->pgsize;
	c->gibs = c->per_gib >= B_MIN_PAGES ? 1 : B_MIN_PAGES / c->per_gib;
	/* Physical addresses from 64 GiB, or from the middle of a smaller
	 * output space; fewer GiBs where the address sizes are small. */
	lim = bench_pa_limit(c->format);
	c->paddr = lim / 2 < 64 * GiB ? lim / 2 : 64 * GiB;
	if (c->gibs > (lim - c->paddr) / GiB - 1)
		c->gibs = (lim - c->paddr) / GiB - 1;
	if (c->gibs > bench_iova_limit(c->format) / GiB)
		c->gibs = bench_iova_limit(c->format) / GiB;
	if (!c->gibs)
		return bench_fail(B_NAME, "%s: too small for a GiB", c->format);
	/* The GiBs that fit, again until the round has B_MIN_PAGES pages. */
	want = c->per_gib >= B_MIN_PAGES ? 1 : B_MIN_PAGES / c->per_gib;
	c->reps = want > c->gibs ? (want + c->gibs - 1) / c->gibs : 1;
	n = c->per_gib * c->gibs;
	/* Leaf tables of the whole round, the levels above, slack. */
	if (bench_tab_arena(&b, (size_t)(n * 8 * bench_entries_per_page(c->format,
								       c->pgsize) +
					 c->gibs * 8 * KiB + 16 * MiB)))
		return bench_fail(B_NAME, "out of memory");
	c->entries = malloc(n * c->entry_bytes);
	if (!c->entries) {
		bench_fail(B_NAME, "out of memory");
		goto out;
	}
	if (bench_tab_init(&b, c->format, true) || b_round(c, &b, true))
		goto out;
	if (bench_tab_init(&b, c->format, false))
		goto out;
	for (unsigned int r = 0; r < o->rounds; r++)
		if (b_round(c, &b, false))
			goto out;
	bench_size_name(c->pgsize, sz, sizeof(sz));
	for (int v = 0; v < B_NR; v++) {
		struct bench_result *r = &res[v];
		char name[48];

		snprintf(name, sizeof(name), "%s %s", sz, b_variant[v]);
		bench_result_init(r, B_NAME, c->format, name, "page", n * c->reps);
		r->ns_per_unit = c->best[v] / (double)(n * c->reps);
		r->per = c->gibs * c->reps;
		bench_result_extra(r, "page_bytes", (double)c->pgsize);
		if (v == B_STORE || v == B_MEMSET) {
			bench_result_extra(r, "entry_bytes", (double)c->entry_bytes);
			r->no_counts = true;
			continue;
		}
		r->calls = c->counted[v].engine_calls;
		r->walks = c->counted[v].walks;
		r->flushes = c->counted[v].flushes;
		bench_result_extra(r, "entries", (double)(v < B_STORE ?
				   c->counted[v].entries_written :
				   c->counted[v].entries_cleared));
		bench_result_extra(r, "gibs", (double)(c->gibs * c->reps));
		if (c->reps > 1)
			bench_result_extra(r, "repeats", (double)c->reps);
	}
	bench_result_vs(&res[B_MAP_B], &res[B_MAP_PP]);
	bench_result_vs(&res[B_UNMAP_B], &res[B_UNMAP_PP]);
	bench_result_vs_bound(&res[B_MAP_PP], &res[B_STORE]);
	bench_result_vs_bound(&res[B_MAP_B], &res[B_STORE]);
	bench_result_vs_bound(&res[B_UNMAP_PP], &res[B_MEMSET]);
	bench_result_vs_bound(&res[B_UNMAP_B], &res[B_MEMSET]);
	ret = 0;
out:
	free(c->entries);
	bench_tab_close(&b);
	return ret;
}

int bench_map_1g(const struct bench_opts *o)
{
	static const struct bench_column cols[] = {
		{ "entries", "entries", "%.0f", true },
	};
	static const struct bench_table_style style = {
		.calls_title = "engine calls",
		.per_name = "GiB (entries: written by a map, cleared by an unmap)",
		.columns = cols,
		.nr_columns = 1,
	};
	const char *formats[2];
	unsigned int nf = bench_formats(o, true, formats);

	bench_report_heading("b", B_NAME,
		"map and unmap 1 GiB with one page size, one engine call per page or\n"
		"   one per run; bounds: a store loop writing as many 8-byte entries, memset of them");
	for (unsigned int f = 0; f < nf; f++) {
		struct bench_result res[BENCH_MAX_SIZES * B_NR];
		uint64_t sizes[BENCH_MAX_SIZES];
		unsigned int ns = bench_page_sizes(formats[f], GiB, sizes), n = 0;
		struct bench_geom geo;

		if (!ns)
			return bench_fail(B_NAME, "%s: no page sizes", formats[f]);
		for (unsigned int s = 0; s < ns; s++) {
			struct b_case c;

			memset(&c, 0, sizeof(c));
			c.format = formats[f];
			c.pgsize = sizes[s];
			if (b_size(o, &c, &res[n]))
				return -1;
			n += B_NR;
		}
		bench_report_results(res, n, &style);
		if (!bench_geom(formats[f], &geo) && geo.entry_bytes != 8)
			bench_report_note("%s entries are %u bytes: the bounds store and "
					  "clear as many of them", formats[f],
					  geo.entry_bytes);
		for (unsigned int k = 0; k < n; k += B_NR) {
			double reps = bench_result_get(&res[k], "repeats");
			char sz[16];

			if (!isnan(reps))
				bench_report_note("%s %s: %.0f GiB fit the address spaces, "
						  "mapped and unmapped %.0f times a round",
						  formats[f], bench_size_name(
						  (uint64_t)bench_result_get(&res[k], "page_bytes"),
						  sz, sizeof(sz)),
						  bench_result_get(&res[k], "gibs") / reps, reps);
		}
	}
	return 0;
}
