// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario e: random single-address lookups over a populated 16 GiB table,
 * mapped with pages of one size (the smallest and the next: 4K and 2M for
 * a 4K granule), with iova_to_phys and with iova_to_phys_length. Every
 * result is checked. The bound is one random 8-byte load from an array as
 * large as the table's leaf entries: a lookup's last step cannot be
 * cheaper than that on a cold cache line.
 *
 * The span is 16 GiB at physical 16 GiB, or a quarter of a smaller input
 * space (1 GiB on v7s and DART v1) at a quarter of a smaller output space;
 * the heading and the JSON (iova_bytes) say which.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define E_NAME  "lookup"
#define E_SPAN  (16 * GiB)   /* at most */
#define E_PADDR (16 * GiB)   /* at most */

struct e_case {
	const char *format;
	uint64_t pgsize;
	uint64_t span;         /* a power of two */
	uint64_t paddr;
	uint64_t delta;        /* paddr - iova */
	uint64_t lookups;      /* a round */
	uint64_t walks[2];
	double best[3];        /* phys, phys_length, the bound */
};

static uint64_t e_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * c->lookups lookups of random addresses drawn from @seed; returns how many
 * came back wrong. Every pass uses a seed of its own, so none finds the
 * cache lines of the pass before it.
 */
static uint64_t e_lookups(struct e_case *c, struct iopt_table *t, int fn,
			  uint64_t seed)
{
	uint64_t s = seed, bad = 0;

	if (fn == 0) {
		for (uint64_t i = 0; i < c->lookups; i++) {
			uint64_t iova = e_rand(&s) & (c->span - 1);

			bad += iopt_iova_to_phys(t, iova) != iova + c->delta;
		}
	} else {
		for (uint64_t i = 0; i < c->lookups; i++) {
			uint64_t iova = e_rand(&s) & (c->span - 1), phys = 0, len = 0;

			bad += iopt_iova_to_phys_length(t, iova, &phys, &len, NULL) ||
			       phys != iova + c->delta || len != c->pgsize;
		}
	}
	return bad;
}

/* The bound: random loads from @n entries. */
static uint64_t e_loads(const struct e_case *c, const uint64_t *a, uint64_t n,
			uint64_t seed)
{
	uint64_t s = seed, sum = 0;

	for (uint64_t i = 0; i < c->lookups; i++)
		sum += a[e_rand(&s) % n];
	return sum;
}

/* A distinct, non-zero xorshift seed per round and pass. */
static uint64_t e_seed(unsigned int round, int pass)
{
	return 0x9e3779b97f4a7c15ULL * (round * 4u + (unsigned int)pass + 1);
}

/* Map the span with pages of c->pgsize into a fresh table. */
static int e_table(struct e_case *c, struct bench_tab *b, bool stats)
{
	return bench_tab_populate(b, E_NAME, c->format, stats, 0, c->delta,
				  c->span, c->pgsize, IOPT_READ);
}

static int e_size(const struct bench_opts *o, struct e_case *c,
		  struct bench_result res[3])
{
	const uint64_t entries = c->span / c->pgsize;
	struct bench_tab b;
	uint64_t *arr = NULL, sink = 0;
	char sz[16], name[48];
	int ret = -1;

	c->delta = c->paddr + (c->pgsize < GiB ? c->pgsize : 0);
	if (bench_tab_arena(&b, (size_t)(entries * 8 * 2 + 16 * MiB)))
		return bench_fail(E_NAME, "out of memory");
	arr = calloc(entries, 8);
	if (!arr) {
		bench_fail(E_NAME, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < entries; i++)
		arr[i] = i;
	/* Counting round: one walk per lookup is what a lookup costs. */
	if (e_table(c, &b, true))
		goto out;
	for (int fn = 0; fn < 2; fn++) {
		struct iopt_stats s0, s1;

		iopt_get_stats(&b.t, &s0);
		if (e_lookups(c, &b.t, fn, e_seed(99, fn))) {
			bench_fail(E_NAME, "wrong lookups");
			goto out;
		}
		iopt_get_stats(&b.t, &s1);
		c->walks[fn] = s1.walks - s0.walks;
	}
	if (e_table(c, &b, false))
		goto out;
	for (unsigned int r = 0; r < o->rounds; r++) {
		for (int fn = 0; fn < 2; fn++) {
			double t0 = bench_now_ns();
			uint64_t bad = e_lookups(c, &b.t, fn, e_seed(r, fn));

			bench_best(&c->best[fn], bench_now_ns() - t0);
			if (bad) {
				bench_fail(E_NAME, "wrong lookups");
				goto out;
			}
		}
		{
			double t0 = bench_now_ns();

			sink += e_loads(c, arr, entries, e_seed(r, 2));
			bench_best(&c->best[2], bench_now_ns() - t0);
		}
	}
	bench_clobber(&sink);
	bench_size_name(c->pgsize, sz, sizeof(sz));
	for (int v = 0; v < 3; v++) {
		static const char *const fns[3] = {
			"iova_to_phys", "iova_to_phys_length", "random load",
		};
		struct bench_result *r = &res[v];

		snprintf(name, sizeof(name), "%s leaves %s", sz, fns[v]);
		bench_result_init(r, E_NAME, c->format, name, "lookup", c->lookups);
		r->ns_per_unit = c->best[v] / (double)c->lookups;
		if (v < 2) {
			r->calls = c->lookups;
			r->walks = c->walks[v];
		} else {
			r->no_counts = true;
		}
		bench_result_extra(r, "leaf_entries", (double)entries);
		bench_result_extra(r, "page_bytes", (double)c->pgsize);
		bench_result_extra(r, "iova_bytes", (double)c->span);
	}
	bench_result_vs_bound(&res[0], &res[2]);
	bench_result_vs_bound(&res[1], &res[2]);
	ret = 0;
out:
	free(arr);
	bench_tab_close(&b);
	return ret;
}

int bench_lookup(const struct bench_opts *o)
{
	static const struct bench_table_style style = {
		.calls_title = "lookups",
	};
	struct bench_result res[6];
	const char *formats[2];
	uint64_t sizes[3], span, paddr;
	unsigned int ns, n = 0;
	char text[200], t1[16];

	bench_formats(o, false, formats);
	/* 16 GiB, or a quarter of a smaller input space; output addresses
	 * from 16 GiB or a quarter of a smaller output space. */
	span = bench_iova_limit(formats[0]) / 4;
	span = span < E_SPAN ? span : E_SPAN;
	paddr = bench_pa_limit(formats[0]) / 4;
	paddr = paddr < E_PADDR ? paddr : E_PADDR;
	snprintf(text, sizeof(text),
		 "random lookups over %s mapped with one page size; bound: one random\n"
		 "   8-byte load from an array as large as the leaf entries",
		 bench_bytes_text(span, t1, sizeof(t1)));
	bench_report_heading("e", E_NAME, text);
	if (!bench_fits(E_NAME, formats[0], span, paddr + span + 32 * MiB))
		return 0;
	ns = bench_leaf_sizes(formats[0], 2 * MiB * 16, sizes);
	if (ns > 2)
		ns = 2;
	for (unsigned int s = 0; s < ns; s++) {
		struct e_case c = {
			.format = formats[0], .pgsize = sizes[s],
			.span = span, .paddr = paddr,
			.lookups = o->quick ? 250000 : 1000000,
		};

		if (sizes[s] > span || e_size(o, &c, &res[n]))
			return -1;
		n += 3;
	}
	bench_report_results(res, n, &style);
	return 0;
}
