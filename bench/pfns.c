// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario d: iommufd's batch_from_domain, the page frame numbers behind
 * 1 GiB of IOVA read back from the table (iopt_pfns_from_domain()): one
 * iova_to_phys per page (today), one iova_to_phys_length per leaf (the
 * 2026 series), or one extent-iterator descent; for a GiB mapped with each
 * page size. The bound is a loop that writes the same PFN array. Every
 * method's array is checked against the mapping in every round.
 */
#include <stdio.h>
#include <stdlib.h>

#include <iopt/vfio.h>

#include "bench.h"

#define D_NAME  "pfns"
#define D_IOVA  (1 * GiB)
#define D_PADDR (2 * GiB)

static const char *const d_method[3] = { "per-page", "by-length", "by-extent" };

struct d_case {
	const char *format;
	uint64_t pgsize;
	uint64_t paddr;
	unsigned int lg2;       /* the PFNs' page: the table's granule */
	uint64_t npfns;
	uint64_t *pfns;
	struct iopt_vfio_counters counted[3];
	uint64_t walks[3];
	double best[4];         /* the three methods, then the bound */
};

static int d_check(const struct d_case *c, uint64_t mapped)
{
	uint64_t first = c->paddr >> c->lg2;

	if (mapped != c->npfns)
		return -1;
	for (uint64_t i = 0; i < c->npfns; i++)
		if (c->pfns[i] != first + i)
			return -1;
	return 0;
}

/* Map the GiB with pages of c->pgsize into a fresh table. */
static int d_table(struct d_case *c, struct bench_tab *b, bool stats)
{
	return bench_tab_populate(b, D_NAME, c->format, stats, D_IOVA,
				  c->paddr, GiB, c->pgsize,
				  IOPT_READ | IOPT_WRITE);
}

static int d_round(struct d_case *c, struct bench_tab *b, bool counting)
{
	for (int m = 0; m < 3; m++) {
		struct iopt_vfio_counters ctr = { 0 };
		struct iopt_stats s0, s1;
		uint64_t mapped = 0;
		double t0, ns;
		int ret;

		iopt_get_stats(&b->t, &s0);
		t0 = bench_now_ns();
		ret = iopt_pfns_from_domain(&b->batched, D_IOVA, GiB, c->lg2,
					    (enum iopt_pfn_method)m, c->pfns,
					    &mapped, &ctr);
		ns = bench_now_ns() - t0;
		iopt_get_stats(&b->t, &s1);
		if (ret || d_check(c, mapped))
			return bench_fail(D_NAME, "%s: wrong PFNs (%s)", d_method[m],
					  iopt_strerror(ret));
		if (counting) {
			c->counted[m] = ctr;
			c->walks[m] = s1.walks - s0.walks;
		} else if (ctr.lookups != c->counted[m].lookups) {
			return bench_fail(D_NAME, "counts differ between rounds");
		} else {
			bench_best(&c->best[m], ns);
		}
	}
	if (!counting) {
		uint64_t first = c->paddr >> c->lg2;
		double t0 = bench_now_ns();

		for (uint64_t i = 0; i < c->npfns; i++)
			c->pfns[i] = first + i;
		bench_clobber(c->pfns);
		bench_best(&c->best[3], bench_now_ns() - t0);
	}
	return 0;
}

static int d_size(const struct bench_opts *o, struct d_case *c,
		  struct bench_result res[4])
{
	struct iopt_config cfg;
	struct bench_tab b;
	char sz[16], name[48];
	int ret = -1;

	iopt_config_from_name(c->format, &cfg);
	c->lg2 = cfg.granule_lg2 ? cfg.granule_lg2 : 12;
	c->npfns = GiB >> c->lg2;
	c->paddr = D_PADDR + (c->pgsize < GiB ? c->pgsize : 0);
	c->pfns = malloc(c->npfns * sizeof(*c->pfns));
	if (!c->pfns || bench_tab_arena(&b, (size_t)(c->npfns * 8 + 16 * MiB))) {
		free(c->pfns);
		return bench_fail(D_NAME, "out of memory");
	}
	if (d_table(c, &b, true) || d_round(c, &b, true))
		goto out;
	if (d_table(c, &b, false))
		goto out;
	for (unsigned int r = 0; r < o->rounds; r++)
		if (d_round(c, &b, false))
			goto out;
	bench_size_name(c->pgsize, sz, sizeof(sz));
	for (int m = 0; m < 4; m++) {
		struct bench_result *r = &res[m];

		snprintf(name, sizeof(name), "%s leaves %s", sz,
			 m < 3 ? d_method[m] : "fill loop");
		bench_result_init(r, D_NAME, c->format, name, "pfn", c->npfns);
		r->ns_per_unit = c->best[m] / (double)c->npfns;
		if (m == 3) {
			r->no_counts = true;
			continue;
		}
		r->calls = c->counted[m].lookups;
		r->walks = c->walks[m];
		bench_result_extra(r, "descents", (double)c->counted[m].descents);
		bench_result_extra(r, "page_bytes", (double)c->pgsize);
	}
	bench_result_vs(&res[1], &res[0]);
	bench_result_vs(&res[2], &res[0]);
	for (int m = 0; m < 3; m++)
		bench_result_vs_bound(&res[m], &res[3]);
	ret = 0;
out:
	free(c->pfns);
	bench_tab_close(&b);
	return ret;
}

int bench_pfns(const struct bench_opts *o)
{
	static const struct bench_table_style style = {
		.calls_title = "lookups",
	};
	struct bench_result res[4 * BENCH_MAX_SIZES];
	const char *formats[2];
	uint64_t sizes[BENCH_MAX_SIZES];
	unsigned int ns, n = 0;

	bench_formats(o, false, formats);
	bench_report_heading("d", D_NAME,
		"iommufd PFN collection of 1 GiB: iova_to_phys per page, iova_to_phys_length\n"
		"   per leaf, one extent descent; bound: a loop writing the same PFN array");
	if (!bench_fits(D_NAME, formats[0], D_IOVA + GiB, D_PADDR + GiB + 2 * MiB))
		return 0;
	ns = bench_page_sizes(formats[0], GiB, sizes);
	for (unsigned int s = 0; s < ns; s++) {
		struct d_case c = { .format = formats[0], .pgsize = sizes[s] };

		if (d_size(o, &c, &res[n]))
			return -1;
		n += 4;
	}
	bench_report_results(res, n, &style);
	return 0;
}
