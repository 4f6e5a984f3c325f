// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Table memory: what is allocated, when it is given back, and what the
 * cache-maintenance hook is asked to do.
 *
 *  - usage returns to zero after a full unmap, a gather sync and iopt_fini;
 *  - tables removed by an unmap stay allocated until the flush that covers
 *    them has run, then are freed and poisoned;
 *  - the flush ranges cover every unmapped byte, with the right leaf size and
 *    leaf_only flag, also when the gather's lists overflow;
 *  - struct iopt_mem_ops.sync is called once per span of entries written in
 *    a table (not once per entry), and every entry changed is covered;
 *  - iopt_fini() flushes everything before freeing;
 *  - the arena's own behaviour.
 *
 * The table's memory backend is the arena wrapped in our own ops, which
 * count and check the calls and then forward them.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <iopt/mem.h>

#define R IOPT_READ
#define W IOPT_WRITE

#define MAX_TABLES 512

/*
 * What our flush and memory hooks check, for the table open now (the tenv
 * records the flushes and the watched tables); env_open() clears it.
 */
static struct {
	/* no arena free at all while tables are watched */
	uint64_t frees_at_arm;       /* arena frees when watching began */

	/* the fini test: flush_all must come before any free */
	bool fini_armed;
	unsigned int fini_bad;

	/* sync hook */
	uint64_t sync_calls, sync_bytes, bad_sync;

	/* free hook: each listed table must be covered by an earlier
	 * non-leaf flush of its IOVA span when it is freed */
	unsigned int nr_tbl;
	uint64_t tbl_phys[MAX_TABLES], tbl_iova[MAX_TABLES];
	uint64_t tbl_span;
	unsigned int freed_uncovered, freed_listed;
} mon;

static unsigned char synced[ARENA_BYTES / 8];  /* per 8-byte word */
static unsigned char was_live[ARENA_BYTES / 64]; /* per 64-byte unit */
static unsigned char snap[ARENA_BYTES];
static size_t snap_bump;

/* ---- flush callbacks: recorded in the tenv, checked here ---- */

static void check_frees(struct tenv *e)
{
	if (e->nr_watch && e->a.frees != mon.frees_at_arm)
		e->freed_early++;
}

static void f_all(void *cookie)
{
	struct tenv *e = cookie;

	tenv_record_all(e);
	check_frees(e);
	if (mon.fini_armed) {
		if (e->a.frees != mon.frees_at_arm ||
		    iopt_arena_is_free(&e->a, iopt_root_phys(&e->t), 64))
			mon.fini_bad++;
	}
}

static void f_range(void *cookie, uint64_t iova, uint64_t size,
		    unsigned int granule_lg2, bool leaf_only)
{
	struct tenv *e = cookie;

	tenv_record_range(e, iova, size, granule_lg2, leaf_only);
	check_frees(e);
}

static const struct iopt_flush_ops flush_both = {
	.flush_all = f_all,
	.flush_range = f_range,
};

static const struct iopt_flush_ops flush_all_only = {
	.flush_all = f_all,
};

/* ---- the wrapping memory backend ---- */

static void *w_alloc(void *ctx, size_t size, uint64_t *phys,
		     unsigned int flags)
{
	struct tenv *e = ctx;

	return e->arena_mem.ops->alloc(e->arena_mem.ctx, size, phys, flags);
}

static void w_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct tenv *e = ctx;

	for (unsigned int i = 0; i < mon.nr_tbl; i++) {
		if (mon.tbl_phys[i] != phys)
			continue;
		mon.freed_listed++;
		if (!tenv_flushed(e, mon.tbl_iova[i], mon.tbl_span, true))
			mon.freed_uncovered++;
	}
	e->arena_mem.ops->free(e->arena_mem.ctx, virt, phys, size);
}

static void w_sync(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct tenv *e = ctx;
	uint64_t off = phys - ARENA_PHYS;

	mon.sync_calls++;
	mon.sync_bytes += size;
	if (!size || phys < ARENA_PHYS || off + size > e->a.size ||
	    (uint64_t)(uintptr_t)virt != phys + e->mem.virt_offset ||
	    (phys | size) & (e->ent - 1)) {
		mon.bad_sync++;
		return;
	}
	/* Whole 8-byte words: a 4-byte (v7s) entry marks the word holding it. */
	memset(synced + off / 8, 1, (off + size + 7) / 8 - off / 8);
	if (e->arena_mem.ops->sync)
		e->arena_mem.ops->sync(e->arena_mem.ctx, virt, phys, size);
}

static const struct iopt_mem_ops wrap_ops = {
	.alloc = w_alloc,
	.free = w_free,
	.sync = w_sync,
};

/* A table over the arena wrapped in our ops, with flush ops @fl. */
static int env_open(struct tenv *e, const char *name,
		    const struct iopt_flush_ops *fl)
{
	const struct tenv_opts o = { .flush = fl, .mem_ops = &wrap_ops };

	memset(&mon, 0, sizeof(mon));
	return tenv_open(e, name, &o);
}

static bool all_poison(const struct iopt_arena *a, uint64_t phys,
		       size_t size, size_t from)
{
	const uint64_t *w = (const uint64_t *)(const void *)(a->base +
							     (phys - a->phys_base));

	for (size_t i = from / 8; i < size / 8; i++)
		if (w[i] != IOPT_ARENA_POISON)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */

/*
 * Map every page size plus a granule run across a table boundary, unmap
 * the whole input space: only the root is left after the sync, and nothing
 * after iopt_fini().
 */
TEST_CFG(usage_returns_to_zero)
{
	struct tenv e;
	uint64_t root_bytes, total = 0, unmapped = 0, run;
	struct iopt_stats st;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	root_bytes = e.a.used;
	CHECK(root_bytes >= 64);
	for (uint64_t bm = e.bitmap; bm; bm &= bm - 1) {
		uint64_t s = bm & -bm;

		/* AMD v1's largest sizes do not fit at 2 * s (128T) */
		if (s > e.top / 3 || (e.cfg.oas < 64 && 3 * s > 1ULL << e.cfg.oas))
			continue;
		if (!tenv_map(&e, e.base + 2 * s, 2 * s, s, 1, R | W))
			total += s;
	}
	/* a run of granule pages across a leaf-table boundary, misaligned
	 * in paddr so no larger size can be used */
	run = e.base + e.top - e.blk - 4 * e.gsz;
	{
		uint64_t m = 0;

		CHECK_EQ(iopt_map_range(&e.t, run, 0x80000000ULL + e.gsz,
					8 * e.gsz, R, 0, &m), 0);
		total += m;
	}
	if (e.sext && !tenv_map(&e, 0 - e.gsz, 0, e.gsz, 1, R))
		total += e.gsz;
	CHECK(e.a.used > root_bytes);
	iopt_get_stats(&e.t, &st);
	CHECK_EQ(st.table_bytes, e.a.used);
	CHECK_EQ(st.tables_allocated - st.tables_freed, e.a.allocs - e.a.frees);

	unmapped = tenv_unmapped(&e, e.base, e.top);
	if (e.sext)
		unmapped += tenv_unmapped(&e, 0 - e.top, e.top);
	CHECK_EQ(unmapped, total);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	if (e.a.used != root_bytes)
		H_FAIL("%s: after a full unmap and sync the arena holds %zu "
		       "bytes, the root is %" PRIu64, cfg->name, e.a.used,
		       root_bytes);
	iopt_get_stats(&e.t, &st);
	CHECK_EQ(st.table_bytes, root_bytes);
	CHECK_EQ(st.tables_allocated - st.tables_freed, 1);
	CHECK(st.table_bytes_peak >= st.table_bytes);
	CHECK_EQ(st.table_bytes_peak, e.a.peak);
	CHECK(e.nr_range + e.nr_all >= 1);
	iopt_fini(&e.t);
	e.up = false;
	CHECK_EQ(e.a.used, 0);
	CHECK_EQ(e.a.allocs, e.a.frees);
out:
	tenv_close(&e);
}

/*
 * Tables removed by an unmap are still allocated while the flush runs, and
 * free and poisoned after iopt_gather_sync().
 */
TEST_CFG(deferred_free)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t span, base, unmapped, frees0, expect;
	unsigned int n = 0, below = 0;
	struct iopt_stats st0, st1;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	/* what one entry of the root covers */
	span = 1ULL << (e.gr + (e.levels - 1) * (e.gr - 3));
	/* Where the input space has a single root entry (Mali's full root
	 * with a small ias), the entry at the first level with two, @below
	 * levels below the root. */
	while (below + 1 < e.levels && 2 * span > e.top) {
		span >>= e.gr - 3;
		below++;
	}
	base = e.base + span; /* the second entry there */
	if (tenv_map(&e, base + e.gsz, 0x80000000ULL, e.gsz, 1, R | W))
		goto out;
	expect = e.gsz;
	if (3 * e.blk <= span && (e.bitmap & e.blk) /* not DART */ &&
	    !tenv_map(&e, base + 2 * e.blk, 0, e.blk, 1, R))
		expect += e.blk;
	ASSERT_EQ(iopt_walk_path(&e.t, base + e.gsz, &p), 0);
	ASSERT_EQ(p.depth, e.levels);
	for (unsigned int d = below + 1; d < p.depth && n < TENV_MAX_WATCH; d++)
		e.watch[n++] = p.table_phys[d];
	iopt_get_stats(&e.t, &st0);

	frees0 = e.a.frees;
	tenv_rec_reset(&e);
	e.nr_watch = n;
	mon.frees_at_arm = frees0;
	unmapped = tenv_unmapped(&e, base, span);
	CHECK_EQ(unmapped, expect);
	/* queued, not freed */
	CHECK_EQ(e.a.frees, frees0);
	for (unsigned int i = 0; i < n; i++)
		CHECK(!iopt_arena_is_free(&e.a, e.watch[i], 64));
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, base + e.gsz), IOPT_PHYS_NONE);

	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.nr_range + e.nr_all >= 1);
	if (e.freed_early)
		H_FAIL("%s: a removed table was freed before the flush ran",
		       cfg->name);
	e.nr_watch = 0;
	CHECK_EQ(e.a.frees, frees0 + n);
	for (unsigned int i = 0; i < n; i++) {
		CHECK(iopt_arena_is_free(&e.a, e.watch[i], e.tbl));
		/* the links come first: see arena_free_poisons_block */
		if (!all_poison(&e.a, e.watch[i], e.tbl, IOPT_ARENA_LINK_BYTES))
			H_FAIL("%s: freed table 0x%" PRIx64 " not poisoned",
			       cfg->name, e.watch[i]);
	}
	iopt_get_stats(&e.t, &st1);
	CHECK_EQ(st1.tables_freed - st0.tables_freed, n);
	/* The flush covers what was unmapped and says tables went. */
	if (!tenv_flushed(&e, base + e.gsz, e.gsz, true))
		H_FAIL("%s: no walk flush covers the unmapped page", cfg->name);
	if (expect > e.gsz)
		CHECK(tenv_flushed(&e, base + 2 * e.blk, e.blk, true));
	for (unsigned int k = 0; k < e.nr_range && k < TENV_MAX_FLUSH; k++)
		CHECK(!e.r[k].leaf_only);
	/* An empty gather flushes nothing. */
	tenv_rec_reset(&e);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.nr_range + e.nr_all, 0);
out:
	tenv_close(&e);
}

/*
 * iopt_reclaim(): after partial unmaps leave leaf tables empty, a sweep
 * over a range frees exactly the empty tables wholly inside it, through the
 * gather (after the flush, which covers their spans and is not leaf-only);
 * tables that still map, or reach past the range, stay; translations do not
 * change; a sweep over everything leaves only the root.
 */
TEST_CFG(reclaim_empty_tables)
{
	struct tenv e;
	uint64_t root_bytes, lt, used0, frees0, freed = ~0ULL, pa;
	uint64_t a, b, d, keep, big;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	root_bytes = e.a.used;
	lt = e.gsz * (e.tbl / e.ent);   /* the span of one leaf table */
	if (6 * lt > e.top)
		goto out;               /* not four leaf tables' worth of IOVA */
	a = e.base + e.gsz;             /* leaf table 0: emptied */
	d = e.base + lt + 2 * e.gsz;    /* leaf table 1: keeps a page */
	b = e.base + 2 * lt;            /* leaf table 2: emptied */
	keep = e.base + 4 * lt;         /* leaf table 4: outside the sweep */
	pa = 0x40000000ULL;
	if (tenv_map(&e, a, pa, e.gsz, 1, R | W) ||
	    tenv_map(&e, d, pa + e.gsz, e.gsz, 1, R) ||
	    tenv_map(&e, b, pa + 2 * e.gsz, e.gsz, 1, R | W) ||
	    tenv_map(&e, b + e.gsz, pa + 3 * e.gsz, e.gsz, 1, R | W) ||
	    tenv_map(&e, keep, pa + 4 * e.gsz, e.gsz, 1, R))
		goto out;
	tenv_unmap(&e, a, e.gsz, e.gsz);
	tenv_unmap(&e, b, 2 * e.gsz, 2 * e.gsz);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	used0 = e.a.used;
	frees0 = e.a.frees;

	/* A range holding no whole table: nothing, and the gather untouched. */
	CHECK_EQ(iopt_reclaim(&e.t, e.base, lt - e.gsz, &e.g, &freed), 0);
	CHECK_EQ(freed, 0);
	CHECK_EQ(e.g.nr_ranges + e.g.nr_tables, 0);
	CHECK_EQ(iopt_reclaim(&e.t, e.base + e.gsz, lt, &e.g, &freed), 0);
	CHECK_EQ(freed, 0);

	/* Leaf tables 0, 1, 2 inside: 0 and 2 are empty, 1 maps d. */
	tenv_rec_reset(&e);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, 3 * lt, &e.g, &freed), 0);
	CHECK_EQ(freed, 2 * e.tbl);
	CHECK_EQ(e.a.frees, frees0);    /* queued, not freed */
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.a.frees, frees0 + 2);
	CHECK_EQ(e.a.used, used0 - 2 * e.tbl);
	CHECK(tenv_flushed(&e, e.base, lt, false));
	CHECK(tenv_flushed(&e, b, lt, false));
	for (unsigned int k = 0; k < e.nr_range && k < TENV_MAX_FLUSH; k++)
		CHECK(!e.r[k].leaf_only);
	/* Nothing mapped moved. */
	CHECK_EQ(iopt_iova_to_phys(&e.t, d), pa + e.gsz);
	CHECK_EQ(iopt_iova_to_phys(&e.t, keep), pa + 4 * e.gsz);
	CHECK_EQ(iopt_iova_to_phys(&e.t, a), IOPT_PHYS_NONE);
	/* The emptied places map again. */
	if (!tenv_map(&e, a, pa, e.gsz, 1, R))
		CHECK_EQ(iopt_iova_to_phys(&e.t, a), pa);
	tenv_unmap(&e, a, e.gsz, e.gsz);

	/* Again: nothing more is empty there but what the map just left. */
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, 3 * lt, &e.g, &freed), 0);
	CHECK_EQ(freed, e.tbl);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);

	/* Everything unmapped, one sweep over the whole input space: only
	 * the root is left. */
	tenv_unmap(&e, d, e.gsz, e.gsz);
	tenv_unmap(&e, keep, e.gsz, e.gsz);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.a.used > root_bytes);
	big = e.top;
	CHECK_EQ(iopt_reclaim(&e.t, e.base, big, &e.g, &freed), 0);
	CHECK_EQ(freed, e.a.used - root_bytes);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.a.used, root_bytes);

	/* Refusals change nothing. */
	CHECK_EQ(iopt_reclaim(&e.t, e.base + 1, e.gsz, &e.g, &freed), -EINVAL);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, e.gsz + 1, &e.g, &freed), -EINVAL);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, 0, &e.g, &freed), -EINVAL);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, e.gsz, NULL, &freed), -EINVAL);
	CHECK_EQ(iopt_reclaim(&e.t, e.base, e.gsz, &e.g, NULL), -EINVAL);
	CHECK_EQ(iopt_reclaim(NULL, e.base, e.gsz, &e.g, &freed), -EINVAL);
	CHECK_EQ(iopt_reclaim(&e.t, 0 - e.gsz, 2 * e.gsz, &e.g, &freed),
		 -EOVERFLOW);
	if (!e.sext && e.base == 0 && e.cfg.ias < 64)
		CHECK_EQ(iopt_reclaim(&e.t, 1ULL << e.cfg.ias, e.gsz, &e.g,
				      &freed), -ERANGE);
	CHECK_EQ(e.a.used, root_bytes);

	/* A gather holding work for another table is refused, untouched. */
	{
		struct iopt_table t2;
		struct iopt_gather g2;
		uint64_t u = 0;

		memset(&t2, 0, sizeof(t2));
		ASSERT_EQ(iopt_init(&t2, &e.cfg, &e.mem, NULL, NULL), 0);
		iopt_gather_init(&g2);
		if (!tenv_map(&e, a, pa, e.gsz, 1, R)) {
			CHECK_EQ(iopt_unmap_range(&e.t, a, e.gsz, 0, &g2, &u), 0);
			CHECK_EQ(iopt_reclaim(&t2, e.base, big, &g2, &freed), -EINVAL);
			CHECK_EQ(freed, 0);
			CHECK(g2.table == &e.t && g2.nr_ranges > 0);
			CHECK_EQ(iopt_gather_sync(&g2), 0);
		}
		iopt_fini(&t2);
	}
out:
	tenv_close(&e);
}

/*
 * Flush ranges: every unmapped leaf is covered, the leaf size is reported,
 * leaf_only is true while no table goes, false when tables go; more ranges
 * than the gather holds are merged, never dropped.
 */
TEST_CFG(flush_coverage)
{
	struct tenv e;
	uint64_t q, h, g, b, u;
	const unsigned int npages = 20;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	g = e.gsz;
	b = e.blk;
	q = e.base + e.top / 2;
	h = e.base + e.top / 4;

	/* 20 pages, each in its own leaf table, unmapped one by one */
	for (unsigned int i = 0; i < npages; i++)
		if (tenv_map(&e, q + i * (b + g), 0x80000000ULL, g, 1, R))
			goto out;
	tenv_rec_reset(&e);
	for (unsigned int i = 0; i < npages; i++) {
		CHECK_EQ(iopt_unmap_pages(&e.t, q + i * (b + g), g, 1, 0, &e.g,
					  &u), 0);
		CHECK_EQ(u, g);
	}
	/* a full range list merges; it does not flush early */
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.nr_range >= 1 && e.nr_range <= IOPT_GATHER_RANGES);
	CHECK_EQ(e.nr_all, 0);
	for (unsigned int i = 0; i < npages; i++) {
		int k = tenv_flush_find(&e, q + i * (b + g), g, false);

		if (k < 0) {
			H_FAIL("%s: page %u at 0x%" PRIx64 " not flushed",
			       cfg->name, i, q + i * (b + g));
			continue;
		}
		CHECK_EQ(e.r[k].granule_lg2, e.gr);
	}
	for (unsigned int k = 0; k < e.nr_range && k < TENV_MAX_FLUSH; k++)
		CHECK(e.r[k].leaf_only);

	/* blocks only: the leaf size reported is the block's (DART has
	 * no blocks) */
	tenv_rec_reset(&e);
	for (unsigned int i = 0; i < 4 && (e.bitmap & b); i++)
		if (tenv_map(&e, h + 2 * i * b, 0, b, 1, R))
			goto out;
	for (unsigned int i = 0; i < 4 && (e.bitmap & b); i++)
		CHECK_EQ(iopt_unmap_pages(&e.t, h + 2 * i * b, b, 1, 0,
					  &e.g, &u), 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.nr_range >= 1 || !(e.bitmap & b));
	for (unsigned int i = 0; i < 4 && (e.bitmap & b); i++) {
		int k = tenv_flush_find(&e, h + 2 * i * b, b, false);

		CHECK(k >= 0);
		if (k >= 0) {
			CHECK_EQ(e.r[k].granule_lg2, lg2(b));
			CHECK(e.r[k].leaf_only);
		}
	}

	/* the 20 empty leaf tables: an unmap over them frees them */
	tenv_rec_reset(&e);
	u = 1;
	CHECK_EQ(iopt_unmap_range(&e.t, q, npages * (b + g) + b - g, 0, &e.g,
				  &u), 0);
	CHECK_EQ(u, 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.nr_range >= 1 || e.nr_all);
	for (unsigned int i = 0; i < npages; i++) {
		uint64_t t0 = (q + i * (b + g)) & ~(b - 1);

		if (!tenv_flushed(&e, t0, b, true))
			H_FAIL("%s: removed table over 0x%" PRIx64 " has no walk "
			       "flush", cfg->name, t0);
	}

	/* without flush_range, each sync is one flush_all */
	tenv_close(&e);
	if (env_open(&e, cfg->name, &flush_all_only))
		goto out;
	for (unsigned int i = 0; i < 3; i++)
		tenv_map(&e, q + i * (b + g), 0, g, 1, R);
	for (unsigned int i = 0; i < 3; i++)
		CHECK_EQ(iopt_unmap_pages(&e.t, q + i * (b + g), g, 1, 0, &e.g,
					  &u), 0);
	CHECK_EQ(e.nr_all, 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.nr_all, 1);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.nr_all, 1);
out:
	tenv_close(&e);
}

/*
 * More tables than the gather holds (IOPT_GATHER_TABLES): the unmap syncs on
 * the way, and no table is freed before a walk flush covering its IOVA span.
 */
TEST(gather_table_overflow)
{
	struct tenv e;
	const unsigned int n = 300;
	uint64_t base = 0x40000000ULL, u = 0, freed_during;
	struct iopt_path p;

	ASSERT(n <= MAX_TABLES && n > IOPT_GATHER_TABLES);
	if (env_open(&e, "arm-lpae-s1-4k", &flush_both))
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		if (tenv_map(&e, base + i * 0x200000ULL + 0x3000,
			     0x80000000ULL, 0x1000, 1, R | W))
			goto out;
		ASSERT_EQ(iopt_walk_path(&e.t, base + i * 0x200000ULL + 0x3000,
					 &p), 0);
		ASSERT_EQ(p.depth, 4);
		mon.tbl_phys[i] = p.table_phys[3];
		mon.tbl_iova[i] = base + i * 0x200000ULL;
	}
	mon.nr_tbl = n;
	mon.tbl_span = 0x200000ULL;
	tenv_rec_reset(&e);
	CHECK_EQ(iopt_unmap_range(&e.t, base, n * 0x200000ULL, 0, &e.g, &u), 0);
	CHECK_EQ(u, n * 0x1000ULL);
	freed_during = mon.freed_listed;
	/* the list overflowed, so some were flushed and freed already */
	CHECK(freed_during >= 1);
	CHECK(e.nr_range + e.nr_all >= 1);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(mon.freed_listed, n);
	if (mon.freed_uncovered)
		H_FAIL("%u tables freed before a flush covered them",
		       mon.freed_uncovered);
	for (unsigned int i = 0; i < n; i++)
		CHECK(iopt_arena_is_free(&e.a, mon.tbl_phys[i], 4096));
	mon.nr_tbl = 0;
	/* the L2 table is only partly covered: it stays */
	ASSERT_EQ(iopt_walk_path(&e.t, base, &p), 0);
	CHECK_EQ(p.depth, 3);
	CHECK_EQ(p.pte[2], 0);
out:
	tenv_close(&e);
}

/* ---- the cache-maintenance hook ---- */

/* Remember the table memory and which units are live before an operation. */
static void sync_begin(struct tenv *e)
{
	size_t units = e->a.size / 64;

	memset(synced, 0, e->a.size / 8);
	snap_bump = e->a.bump;
	memcpy(snap, e->a.base, snap_bump);
	for (size_t u = 0; u < units; u++)
		was_live[u] = !iopt_arena_is_free(&e->a, ARENA_PHYS + u * 64,
						  64);
	mon.sync_calls = mon.sync_bytes = mon.bad_sync = 0;
}

/*
 * Words of live table memory that the operation changed but never synced.
 * A word in memory that was not live before counts when it is not zero
 * (fresh tables arrive zeroed from the allocator).
 */
static uint64_t sync_missed(struct tenv *e, uint64_t *first)
{
	const uint64_t *cur = (const uint64_t *)(const void *)e->a.base;
	const uint64_t *old = (const uint64_t *)(const void *)snap;
	uint64_t missed = 0;

	for (size_t w = 0; w < e->a.bump / 8; w++) {
		uint64_t phys = ARENA_PHYS + w * 8;
		bool before = w * 8 < snap_bump && was_live[w / 8];
		bool changed = before ? cur[w] != old[w] : cur[w] != 0;

		if (!changed || synced[w] ||
		    iopt_arena_is_free(&e->a, phys, 8))
			continue;
		if (!missed++)
			*first = phys;
	}
	return missed;
}

#define CHECK_SYNCED(e, what)                                                \
	do {                                                                 \
		uint64_t first_ = 0, n_ = sync_missed((e), &first_);         \
		if (n_)                                                      \
			H_FAIL("%s: %" PRIu64 " changed entries never synced"\
			       " (first at 0x%" PRIx64 ")", what, n_, first_);\
		CHECK_EQ(mon.bad_sync, 0);                                  \
	} while (0)

TEST(sync_once_per_span)
{
	struct tenv e;
	struct iopt_stats st0, st1;
	uint64_t calls;

	if (env_open(&e, "arm-lpae-s1-4k", &flush_both))
		goto out;

	/* 2 MiB of 4K pages into a fresh table: three new tables (L1, L2,
	 * L3), one entry written in each parent and one run of 512 leaves. */
	sync_begin(&e);
	iopt_get_stats(&e.t, &st0);
	if (tenv_map(&e, 0, 0x80000000ULL, 0x1000, 512, R | W))
		goto out;
	iopt_get_stats(&e.t, &st1);
	CHECK_EQ(st1.cache_syncs - st0.cache_syncs, mon.sync_calls);
	if (mon.sync_calls < 2 || mon.sync_calls > 8)
		H_FAIL("2 MiB of 4K pages: %" PRIu64 " sync calls, expected "
		       "2..8 (one per new table + one per span)",
		       mon.sync_calls);
	CHECK(mon.sync_bytes >= 512 * 8 + 3 * 8);
	CHECK_SYNCED(&e, "map 2 MiB");

	/* 1 GiB of 4K pages at 1G: a new L2 table and 512 L3 tables. */
	sync_begin(&e);
	if (tenv_map(&e, 0x40000000ULL, 0x80000000ULL, 0x1000, 262144, R | W))
		goto out;
	calls = mon.sync_calls;
	if (calls < 512 || calls > 2 * 512 + 8)
		H_FAIL("1 GiB of 4K pages: %" PRIu64 " sync calls, expected "
		       "about 2 x 512", calls);
	CHECK(mon.sync_bytes >= 262144ULL * 8 + 512 * 8);
	CHECK(mon.sync_bytes <= 2 * (262144ULL * 8 + 512 * 8 + 4096));
	CHECK_SYNCED(&e, "map 1 GiB");

	/* The same with map_range and 2M-misaligned paddr (4K pages). */
	sync_begin(&e);
	{
		uint64_t m = 0;

		CHECK_EQ(iopt_map_range(&e.t, 0x80000000ULL, 0x1000, 0x40000000ULL,
					R, 0, &m), 0);
		CHECK_EQ(m, 0x40000000ULL);
	}
	if (mon.sync_calls < 512 || mon.sync_calls > 2 * 512 + 8)
		H_FAIL("map_range 1 GiB: %" PRIu64 " sync calls",
		       mon.sync_calls);
	CHECK_SYNCED(&e, "map_range 1 GiB");

	/* Unmapping 1 MiB inside one leaf table: one span cleared. */
	sync_begin(&e);
	CHECK_EQ(tenv_unmapped(&e, 0x40100000ULL, 0x100000ULL), 0x100000ULL);
	if (mon.sync_calls < 1 || mon.sync_calls > 2)
		H_FAIL("unmap 256 entries: %" PRIu64 " sync calls",
		       mon.sync_calls);
	CHECK_SYNCED(&e, "unmap 1 MiB");
	CHECK_EQ(iopt_gather_sync(&e.g), 0);

	/* Unmapping 3 MiB across two leaf tables: about one span each. */
	sync_begin(&e);
	CHECK_EQ(tenv_unmapped(&e, 0x40300000ULL, 0x300000ULL), 0x300000ULL);
	if (mon.sync_calls < 2 || mon.sync_calls > 6)
		H_FAIL("unmap 3 MiB: %" PRIu64 " sync calls", mon.sync_calls);
	CHECK_SYNCED(&e, "unmap 3 MiB");
	CHECK_EQ(iopt_gather_sync(&e.g), 0);

	/* Unmapping the whole GiB: one L1 entry cleared, 513 tables freed. */
	sync_begin(&e);
	CHECK_EQ(tenv_unmapped(&e, 0x40000000ULL, 0x40000000ULL),
		 0x40000000ULL - 0x400000ULL);
	if (mon.sync_calls > 4)
		H_FAIL("unmap 1 GiB: %" PRIu64 " sync calls", mon.sync_calls);
	CHECK_SYNCED(&e, "unmap 1 GiB");
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_SYNCED(&e, "unmap 1 GiB + sync");

	/* A map over memory the allocator had freed (poisoned): the engine
	 * reuses blocks; what it writes must still be synced. */
	sync_begin(&e);
	if (!tenv_map(&e, 0x40000000ULL, 0x80000000ULL, 0x1000, 1024, R))
		CHECK_SYNCED(&e, "map into reused tables");
	if (mon.sync_calls > 8)
		H_FAIL("map 4 MiB: %" PRIu64 " sync calls", mon.sync_calls);
out:
	tenv_close(&e);
}

/* Every config: a run of granule pages is synced per span, not per entry. */
TEST_CFG(sync_bounded)
{
	struct tenv e;
	uint64_t x, entries;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	entries = e.blk / e.gsz;
	x = e.base + 4 * e.blk;
	sync_begin(&e);
	if (tenv_map(&e, x, 0x80000000ULL + e.gsz, e.gsz, 2 * entries, R))
		goto out;
	/* two leaf tables: a span each, their parent entries, and at most
	 * one new table per level above */
	if (mon.sync_calls < 2 || mon.sync_calls > 2 * (e.levels + 2))
		H_FAIL("%s: %" PRIu64 " sync calls for %" PRIu64 " entries",
		       cfg->name, mon.sync_calls, 2 * entries);
	CHECK_SYNCED(&e, cfg->name);
	sync_begin(&e);
	CHECK_EQ(tenv_unmapped(&e, x, 2 * e.blk), 2 * e.blk);
	CHECK(mon.sync_calls >= 1 && mon.sync_calls <= 4);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_SYNCED(&e, cfg->name);
out:
	tenv_close(&e);
}

/* ---- iopt_fini ---- */

TEST_CFG(fini_flushes_first)
{
	struct tenv e;
	uint64_t frees0;

	if (env_open(&e, cfg->name, &flush_both))
		goto out;
	tenv_map(&e, e.base, 0, e.gsz, 1, R);
	if (e.bitmap & e.blk)
		tenv_map(&e, e.base + 4 * e.blk, 0, e.blk, 1, R);
	else /* a block's span of pages (DART) */
		tenv_map(&e, e.base + 4 * e.blk, 0, e.gsz, e.blk / e.gsz, R);
	tenv_map(&e, e.base + e.top - e.gsz, 0, e.gsz, 1, R);
	tenv_rec_reset(&e);
	frees0 = e.a.frees;
	mon.frees_at_arm = frees0;
	mon.fini_armed = true;
	iopt_fini(&e.t);
	e.up = false;
	mon.fini_armed = false;
	CHECK_EQ(e.nr_all, 1);
	CHECK_EQ(mon.fini_bad, 0);
	CHECK(e.a.frees > frees0);
	CHECK_EQ(e.a.used, 0);
	CHECK_EQ(e.a.allocs, e.a.frees);
	iopt_fini(NULL);
out:
	tenv_close(&e);
}

/* ---- the arena ---- */

TEST(arena_init_errors)
{
	static unsigned char region[1 << 16] __attribute__((aligned(4096)));
	struct iopt_arena a;

	CHECK_EQ(iopt_arena_init(NULL, region, sizeof(region), ARENA_PHYS),
		 -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, NULL, sizeof(region), ARENA_PHYS),
		 -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, 0, ARENA_PHYS), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region), ARENA_PHYS + 4096),
		 -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region),
				 ARENA_PHYS + IOPT_ARENA_ALIGN / 2), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region), 0), 0);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region),
				 3ULL * IOPT_ARENA_ALIGN), 0);
	CHECK_EQ(a.used, 0);
	CHECK_EQ(a.allocs, 0);
}

TEST(arena_alloc_free)
{
	static const size_t sizes[] = { 64, 4096, 128, 16384, 65536, 256,
					1 << 20, 4096, 32768 };
	struct iopt_arena a;
	struct iopt_mem mem;
	void *buf = aligned_alloc(4096, ARENA_BYTES);
	void *v[9];
	uint64_t ph[9], p2;
	size_t used = 0;

	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, ARENA_BYTES, ARENA_PHYS), 0);
	a.poison = true;
	iopt_arena_mem(&a, &mem);
	ASSERT(mem.ops && mem.ops->alloc && mem.ops->free);
	CHECK(mem.linear);
	CHECK_EQ(mem.virt_offset, (uint64_t)(uintptr_t)buf - ARENA_PHYS);
	CHECK(mem.ctx == &a);

	for (unsigned int i = 0; i < 9; i++) {
		const unsigned char *c;

		/* dirty the region first: alloc must zero */
		v[i] = mem.ops->alloc(mem.ctx, sizes[i], &ph[i], 0);
		ASSERT(v[i]);
		CHECK_EQ(ph[i] % sizes[i], 0);
		CHECK(ph[i] >= ARENA_PHYS &&
		      ph[i] + sizes[i] <= ARENA_PHYS + ARENA_BYTES);
		CHECK((uint64_t)(uintptr_t)v[i] == ph[i] + mem.virt_offset);
		c = v[i];
		for (size_t k = 0; k < sizes[i]; k++)
			if (c[k]) {
				H_FAIL("block %u not zeroed at %zu", i, k);
				break;
			}
		memset(v[i], 0xa5, sizes[i]);
		used += sizes[i];
		CHECK_EQ(a.used, used);
		CHECK(!iopt_arena_is_free(&a, ph[i], sizes[i]));
	}
	CHECK_EQ(a.allocs, 9);
	CHECK_EQ(a.peak, used);
	/* no two blocks overlap */
	for (unsigned int i = 0; i < 9; i++)
		for (unsigned int j = i + 1; j < 9; j++)
			CHECK(ph[i] + sizes[i] <= ph[j] ||
			      ph[j] + sizes[j] <= ph[i]);

	/* free, then the same size comes back from the same place, zeroed */
	mem.ops->free(mem.ctx, v[1], ph[1], sizes[1]);
	used -= sizes[1];
	CHECK_EQ(a.used, used);
	CHECK_EQ(a.frees, 1);
	CHECK(iopt_arena_is_free(&a, ph[1], sizes[1]));
	CHECK(iopt_arena_is_free(&a, ph[1] + 64, 64));
	CHECK(!iopt_arena_is_free(&a, ph[0], 64));
	/* from the middle of the freed block onward: all free */
	CHECK(all_poison(&a, ph[1], sizes[1], IOPT_ARENA_LINK_BYTES));
	v[1] = mem.ops->alloc(mem.ctx, sizes[1], &p2, 0);
	ASSERT(v[1]);
	CHECK_EQ(p2, ph[1]);
	for (size_t k = 0; k < sizes[1]; k++)
		if (((unsigned char *)v[1])[k]) {
			H_FAIL("reused block not zeroed at %zu", k);
			break;
		}
	used += sizes[1];
	CHECK_EQ(a.peak, used);

	/* free everything: used back to zero, every block free */
	for (unsigned int i = 0; i < 9; i++)
		mem.ops->free(mem.ctx, v[i], ph[i], sizes[i]);
	CHECK_EQ(a.used, 0);
	CHECK_EQ(a.frees, 10);
	for (unsigned int i = 0; i < 9; i++)
		CHECK(iopt_arena_is_free(&a, ph[i], sizes[i]));

	/* a request below 64 bytes: a 64-byte block, aligned */
	v[0] = mem.ops->alloc(mem.ctx, 32, &ph[0], 0);
	ASSERT(v[0]);
	CHECK_EQ(ph[0] % 64, 0);
	CHECK_EQ(a.used, 64);
	mem.ops->free(mem.ctx, v[0], ph[0], 32);
	CHECK_EQ(a.used, 0);

	/* over the largest block, or over the region: NULL */
	CHECK(mem.ops->alloc(mem.ctx, (size_t)1 << (IOPT_ARENA_MAX_LG2 + 1),
			     &p2, 0) == NULL);
	CHECK(mem.ops->alloc(mem.ctx, (size_t)ARENA_BYTES, &p2, 0) == NULL);
	CHECK(a.failures >= 2);
	CHECK_EQ(a.used, 0);
	free(buf);
}

/* Freed blocks: poison after the links; every word reads "not present". */
TEST(arena_free_poisons_block)
{
	struct iopt_arena a;
	struct iopt_mem mem;
	void *buf = aligned_alloc(4096, 1 << 20);
	uint64_t ph[3], links = 0;
	void *v[3];

	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, 1 << 20, ARENA_PHYS), 0);
	a.poison = true;
	iopt_arena_mem(&a, &mem);
	for (unsigned int i = 0; i < 3; i++) {
		v[i] = mem.ops->alloc(mem.ctx, 4096, &ph[i], 0);
		ASSERT(v[i]);
		memset(v[i], 0x11, 4096);
	}
	/* two frees that cannot merge, so that both carry links */
	mem.ops->free(mem.ctx, v[0], ph[0], 4096);
	mem.ops->free(mem.ctx, v[2], ph[2], 4096);
	for (unsigned int i = 0; i < 3; i += 2) {
		const unsigned char *c = v[i];

		if (!all_poison(&a, ph[i], 4096, IOPT_ARENA_LINK_BYTES))
			H_FAIL("freed block %u: mem.h promises every byte after "
			       "the links is IOPT_ARENA_POISON", i);
		for (unsigned int k = 0; k < 512; k++) {
			uint64_t w = 0;

			for (unsigned int j = 0; j < 8; j++) /* little-endian */
				w |= (uint64_t)c[8 * k + j] << (8 * j);
			if (k < IOPT_ARENA_LINK_BYTES / 8) {
				/* bits [1:0] of each half: VT-d, ARM v7s */
				CHECK_EQ(w & 0x0000000300000003ULL, 0);
				links |= w;
			} else {
				CHECK_EQ(w & 1, 0);
			}
		}
	}
	CHECK(links != 0);
	free(buf);
}

TEST(arena_fail_at)
{
	struct iopt_arena a;
	struct iopt_mem mem;
	void *buf = aligned_alloc(4096, 1 << 20);
	uint64_t ph;
	void *v;

	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, 1 << 20, ARENA_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	ASSERT(mem.ops->alloc(mem.ctx, 64, &ph, 0));
	CHECK_EQ(a.attempts, 1);
	a.fail_at = a.attempts + 2;
	CHECK(mem.ops->alloc(mem.ctx, 64, &ph, 0) != NULL);
	CHECK(mem.ops->alloc(mem.ctx, 64, &ph, 0) == NULL);
	CHECK_EQ(a.failures, 1);
	CHECK_EQ(a.attempts, 3);
	v = mem.ops->alloc(mem.ctx, 64, &ph, 0);
	CHECK(v != NULL);
	CHECK_EQ(a.allocs, 3);
	CHECK_EQ(a.used, 3 * 64);
	a.fail_at = 0;
	free(buf);
}

TEST(arena_too_small_and_full)
{
	static unsigned char small[4096] __attribute__((aligned(4096)));
	struct iopt_arena a;
	struct iopt_mem mem;
	void *buf;
	uint64_t ph, first = 0;
	void *v, *keep = NULL;
	unsigned int n = 0;

	/* 4 KiB region: the metadata at its end leaves less than 4 KiB */
	ASSERT_EQ(iopt_arena_init(&a, small, sizeof(small), 0), 0);
	iopt_arena_mem(&a, &mem);
	CHECK(mem.ops->alloc(mem.ctx, 4096, &ph, 0) == NULL);
	CHECK(mem.ops->alloc(mem.ctx, 2048, &ph, 0) != NULL);
	CHECK(mem.ops->alloc(mem.ctx, 2048, &ph, 0) == NULL);
	CHECK_EQ(a.used, 2048);

	/* fill a 1 MiB arena with 4 KiB blocks */
	buf = aligned_alloc(4096, 1 << 20);
	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, 1 << 20, ARENA_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	while ((v = mem.ops->alloc(mem.ctx, 4096, &ph, 0))) {
		if (n == 7) {
			keep = v;
			first = ph;
		}
		n++;
		ASSERT(n <= 256);
	}
	/* all but the pages holding the metadata (41/553 of the region) */
	CHECK(a.size <= (1u << 20) / 553 * 512 + 512 &&
	      a.size + 128 >= (1u << 20) / 553 * 512);
	CHECK_EQ(n, a.size / 4096);
	CHECK_EQ(a.used, n * 4096);
	ASSERT(keep);
	mem.ops->free(mem.ctx, keep, first, 4096);
	v = mem.ops->alloc(mem.ctx, 4096, &ph, 0);
	CHECK(v == keep);
	CHECK_EQ(ph, first);
	CHECK(mem.ops->alloc(mem.ctx, 4096, &ph, 0) == NULL);
	free(buf);
}

/*
 * IOPT_MEM_DMA32: an arena wholly below 4 GiB serves it; one that reaches
 * past 4 GiB refuses it (NULL, a counted failure) and still serves other
 * requests; the heap refuses memory it got above 4 GiB.
 */
TEST(alloc_below_4g)
{
	static const uint64_t bases[] = { 0xff000000ULL, 0xffe00000ULL,
					  0x100000000ULL };
	size_t sz = 8u << 20;
	void *buf = aligned_alloc(1 << 20, sz);
	struct iopt_arena a;
	struct iopt_mem m;
	uint64_t phys;
	void *v;

	ASSERT(buf);
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		bool below;

		ASSERT_EQ(iopt_arena_init(&a, buf, sz, bases[i]), 0);
		iopt_arena_mem(&a, &m);
		below = bases[i] + a.size <= (1ULL << 32);
		v = m.ops->alloc(m.ctx, 4096, &phys, IOPT_MEM_DMA32);
		CHECK_EQ(v != NULL, below);
		if (v) {
			CHECK(phys + 4096 <= (1ULL << 32));
			m.ops->free(m.ctx, v, phys, 4096);
		} else {
			CHECK_EQ(a.failures, 1);
		}
		v = m.ops->alloc(m.ctx, 4096, &phys, 0);
		CHECK(v != NULL);
		if (v)
			m.ops->free(m.ctx, v, phys, 4096);
		CHECK_EQ(a.used, 0);
	}
	free(buf);
	iopt_heap_mem(&m);
	v = m.ops->alloc(m.ctx, 4096, &phys, IOPT_MEM_DMA32);
	if (v) {
		CHECK(phys + 4096 <= (1ULL << 32));
		m.ops->free(m.ctx, v, phys, 4096);
	} else {
		/* where malloc puts memory on this host: above 4 GiB */
		v = m.ops->alloc(m.ctx, 4096, &phys, 0);
		CHECK(v && phys + 4096 > (1ULL << 32));
		if (v)
			m.ops->free(m.ctx, v, phys, 4096);
	}
}

TEST(arena_is_free)
{
	struct iopt_arena a;
	struct iopt_mem mem;
	void *buf = aligned_alloc(4096, 1 << 20);
	uint64_t p1, p2;
	void *v1, *v2;

	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, 1 << 20, ARENA_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	/* never handed out: free */
	CHECK(iopt_arena_is_free(&a, ARENA_PHYS, 64));
	CHECK(iopt_arena_is_free(&a, ARENA_PHYS + 0x80000, 4096));
	v1 = mem.ops->alloc(mem.ctx, 4096, &p1, 0);
	v2 = mem.ops->alloc(mem.ctx, 4096, &p2, 0);
	ASSERT(v1 && v2);
	CHECK(!iopt_arena_is_free(&a, p1, 4096));
	CHECK(!iopt_arena_is_free(&a, p1 + 4032, 64));
	CHECK(!iopt_arena_is_free(&a, p1 + 8, 8));
	/* a range running past the allocated block into free memory */
	CHECK(iopt_arena_is_free(&a, p2, 4096 + 64));
	mem.ops->free(mem.ctx, v1, p1, 4096);
	CHECK(iopt_arena_is_free(&a, p1, 4096));
	CHECK(iopt_arena_is_free(&a, p1 + 4032, 64));
	CHECK(!iopt_arena_is_free(&a, p2, 4096));
	/* a range that touches the freed block */
	CHECK(iopt_arena_is_free(&a, p1 + 4032, 128));
	/* outside the arena: not arena memory, so not "free" */
	CHECK(!iopt_arena_is_free(&a, ARENA_PHYS - 64, 64));
	CHECK(!iopt_arena_is_free(&a, ARENA_PHYS - 0x100000, 4096));
	CHECK(!iopt_arena_is_free(&a, ARENA_PHYS + (1 << 20), 64));
	CHECK(!iopt_arena_is_free(&a, ARENA_PHYS + (4 << 20), 4096));
	CHECK(!iopt_arena_is_free(&a, 0, 64));
	CHECK(!iopt_arena_is_free(NULL, p1, 64));
	free(buf);
}
