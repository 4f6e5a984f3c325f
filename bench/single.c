// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario g: the single-page hot paths beside the batched calls, on the
 * format's smallest page with its tables present (mapped and unmapped
 * once first), so a format whose one-page calls are slow shows:
 *  - map: one iopt_map_pages() of N pages, then N calls of one page;
 *  - unmap: one iopt_unmap_pages() of N pages, then N calls of one page,
 *    each into one gather synced once at the end (the sync is timed);
 *  - iova_to_phys and iova_to_phys_length of every page.
 * Single-page variants are compared with the batched call of the same
 * pages in the same round. Every call's result is checked: bytes mapped and
 * unmapped, each lookup's address and length, the table empty afterwards.
 * `iopt bench --format all --scenario g` runs it on every configuration.
 */
#include <stdio.h>

#include "bench.h"

#define G_NAME "single-page"
#define G_IOVA (1ULL << 30)

enum { G_MAP_BATCHED, G_MAP_SINGLE, G_UNMAP_BATCHED, G_UNMAP_SINGLE,
       G_PHYS, G_PHYS_LENGTH, G_NR };

static const char *const g_variant[G_NR] = {
	"map batched", "map single", "unmap batched", "unmap single",
	"iova_to_phys", "iova_to_phys_length",
};

struct g_case {
	const char *format;
	uint64_t pg, pa, pages;
	struct iopt_stats before;
	struct {
		uint64_t calls, walks, flushes;
	} counted[G_NR];
	double best[G_NR];
};

static uint64_t g_flushes(const struct iopt_stats *s)
{
	return s->flush_all_calls + s->flush_range_calls;
}

/* Counts of what ran since c->before (stats tables only; else zero). */
static void g_count(struct g_case *c, struct iopt_table *t, int v,
		    uint64_t calls)
{
	struct iopt_stats s;

	iopt_get_stats(t, &s);
	c->counted[v].calls = calls;
	c->counted[v].walks = s.walks - c->before.walks;
	c->counted[v].flushes = g_flushes(&s) - g_flushes(&c->before);
	c->before = s;
}

/* One variant's work; 0, or -1 when a result is wrong. */
static int g_work(struct g_case *c, struct iopt_table *t, int v)
{
	const unsigned int rw = IOPT_READ | IOPT_WRITE;
	uint64_t done = 0, bytes = c->pages * c->pg, bad = 0;
	struct iopt_gather g;
	int ret = 0;

	iopt_gather_init(&g);
	switch (v) {
	case G_MAP_BATCHED:
		ret = iopt_map_pages(t, G_IOVA, c->pa, c->pg, c->pages, rw, 0,
				     &done);
		break;
	case G_MAP_SINGLE:
		for (uint64_t i = 0; i < c->pages; i++) {
			uint64_t one = 0;

			ret |= iopt_map_pages(t, G_IOVA + i * c->pg,
					      c->pa + i * c->pg, c->pg, 1, rw,
					      0, &one);
			done += one;
		}
		break;
	case G_UNMAP_BATCHED:
		ret = iopt_unmap_pages(t, G_IOVA, c->pg, c->pages, 0, &g,
				       &done);
		ret |= iopt_gather_sync(&g);
		break;
	case G_UNMAP_SINGLE:
		for (uint64_t i = 0; i < c->pages; i++) {
			uint64_t one = 0;

			ret |= iopt_unmap_pages(t, G_IOVA + i * c->pg, c->pg, 1,
						0, &g, &one);
			done += one;
		}
		ret |= iopt_gather_sync(&g);
		break;
	case G_PHYS:
		for (uint64_t i = 0; i < c->pages; i++)
			bad += iopt_iova_to_phys(t, G_IOVA + i * c->pg + 8) !=
			       c->pa + i * c->pg + 8;
		done = bytes;
		break;
	default:
		for (uint64_t i = 0; i < c->pages; i++) {
			uint64_t phys = 0, len = 0;

			bad += iopt_iova_to_phys_length(t, G_IOVA + i * c->pg,
							&phys, &len, NULL) ||
			       phys != c->pa + i * c->pg || len != c->pg;
		}
		done = bytes;
		break;
	}
	if (ret || bad)
		return bench_fail(G_NAME, "%s, %s: status %d, %llu wrong lookups",
				  c->format, g_variant[v], ret,
				  (unsigned long long)bad);
	if (done != bytes)
		return bench_fail(G_NAME, "%s, %s: %llu bytes, expected %llu",
				  c->format, g_variant[v],
				  (unsigned long long)done,
				  (unsigned long long)bytes);
	return 0;
}

/* After an unmap variant: nothing of the range is left (outside the
 * counts and the timing). */
static int g_check_empty(const struct g_case *c, struct iopt_table *t, int v)
{
	if (v != G_UNMAP_BATCHED && v != G_UNMAP_SINGLE)
		return 0;
	for (uint64_t i = 0; i < c->pages; i += c->pages / 8)
		if (iopt_iova_to_phys(t, G_IOVA + i * c->pg) != IOPT_PHYS_NONE)
			return bench_fail(G_NAME, "%s, %s: a page is left",
					  c->format, g_variant[v]);
	return 0;
}

/* The order of a round: each single variant right after its batched one,
 * the lookups while the single-page map is in place. */
static const int g_order[G_NR] = {
	G_MAP_BATCHED, G_UNMAP_BATCHED, G_MAP_SINGLE, G_PHYS, G_PHYS_LENGTH,
	G_UNMAP_SINGLE,
};

/* A table with the range's tables present and empty: one page off, so the
 * setup map uses pages of c->pg only. */
static int g_table(struct g_case *c, struct bench_tab *b, bool stats)
{
	uint64_t done = 0;
	struct iopt_gather g;
	int ret;

	if (bench_tab_init(b, c->format, stats))
		return bench_fail(G_NAME, "%s: cannot build the table", c->format);
	iopt_gather_init(&g);
	ret = iopt_map_range(&b->t, G_IOVA, c->pa + c->pg, c->pages * c->pg,
			     IOPT_READ | IOPT_WRITE, 0, &done);
	ret |= iopt_unmap_range(&b->t, G_IOVA, c->pages * c->pg, 0, &g, &done);
	ret |= iopt_gather_sync(&g);
	if (ret)
		return bench_fail(G_NAME, "%s: setup failed (%d)", c->format, ret);
	iopt_get_stats(&b->t, &c->before);
	return 0;
}

static int g_format(const struct bench_opts *o, const char *format,
		    struct bench_result res[G_NR])
{
	struct g_case c = { .format = format };
	struct bench_tab b;
	struct bench_geom geo;
	int ret = -1;

	if (bench_geom(format, &geo))
		return bench_fail(G_NAME, "%s: unknown format", format);
	c.pg = 1ULL << geo.page_lg2;
	c.pages = o->quick ? 4096 : 32768;
	/* Output addresses at 4G, or at 2G where the output size is 32 bits. */
	c.pa = bench_pa_limit(format) > 8 * GiB ? 4 * GiB : 2 * GiB;
	if (!bench_fits(G_NAME, format, G_IOVA + c.pages * c.pg,
			c.pa + (c.pages + 1) * c.pg))
		return 1;
	if (bench_tab_arena(&b, (size_t)(c.pages * 8 * 4 + 16 * MiB)))
		return bench_fail(G_NAME, "out of memory");
	/* Counting round, on a table that keeps statistics. */
	if (g_table(&c, &b, true))
		goto out;
	for (int i = 0; i < G_NR; i++) {
		int v = g_order[i];

		if (g_work(&c, &b.t, v))
			goto out;
		g_count(&c, &b.t, v, v == G_MAP_BATCHED ||
			v == G_UNMAP_BATCHED ? 1 : c.pages);
		if (g_check_empty(&c, &b.t, v))
			goto out;
		iopt_get_stats(&b.t, &c.before);
	}
	if (g_table(&c, &b, false))
		goto out;
	for (unsigned int r = 0; r < o->rounds; r++)
		for (int i = 0; i < G_NR; i++) {
			int v = g_order[i];
			double t0 = bench_now_ns();

			if (g_work(&c, &b.t, v))
				goto out;
			bench_best(&c.best[v], bench_now_ns() - t0);
			if (g_check_empty(&c, &b.t, v))
				goto out;
		}
	for (int v = 0; v < G_NR; v++) {
		struct bench_result *r = &res[v];
		char name[48], sz[16];

		snprintf(name, sizeof(name), "%s %s",
			 bench_size_name(c.pg, sz, sizeof(sz)), g_variant[v]);
		bench_result_init(r, G_NAME, format, name,
				  v >= G_PHYS ? "lookup" : "page", c.pages);
		r->ns_per_unit = c.best[v] / (double)c.pages;
		r->calls = c.counted[v].calls;
		r->walks = c.counted[v].walks;
		r->flushes = c.counted[v].flushes;
		bench_result_extra(r, "page_bytes", (double)c.pg);
	}
	bench_result_vs(&res[G_MAP_SINGLE], &res[G_MAP_BATCHED]);
	bench_result_vs(&res[G_UNMAP_SINGLE], &res[G_UNMAP_BATCHED]);
	ret = 0;
out:
	bench_tab_close(&b);
	return ret;
}

int bench_single(const struct bench_opts *o)
{
	static const struct bench_table_style style = { .calls_title = "calls" };
	struct bench_result res[2 * G_NR];
	const char *formats[2];
	unsigned int nf = bench_formats(o, true, formats), n = 0;

	bench_report_heading("g", G_NAME,
			     "one-page map, unmap and lookups beside the batched calls, "
			     "tables present;\n   unmap syncs its gather once at the end; "
			     "ratio: single / batched per page");
	for (unsigned int f = 0; f < nf; f++) {
		int ret = g_format(o, formats[f], &res[n]);

		if (ret < 0)
			return -1;
		if (ret == 0)
			n += G_NR;
	}
	if (n)
		bench_report_results(res, n, &style);
	return 0;
}
