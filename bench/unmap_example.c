// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario a, the example of the 2021 unmap_pages series: a 4 MiB buffer
 * mapped with 2 MiB blocks at IOVA 0, unmapped one block per engine call
 * (the iommu core before unmap_pages: 2 calls, each walking from the root)
 * or in one call for the run of two blocks. Each unmap is synced like
 * iommu_unmap(). A round unmaps 256 such buffers, the first at IOVA 0 and
 * the others following it, so the time per buffer is well above the
 * clock's resolution; the counts are reported per buffer.
 *
 * The block is the format's smallest one above its page: 2M for a 4K
 * granule and x86-64, 1M sections on v7s (a 2 MiB buffer), 32M with a 16K
 * granule, 512M with 64K. Formats with pages of one size (DART) have no
 * block and skip the scenario.
 */
#include <stdio.h>

#include "bench.h"

#define A_NAME    "unmap-example"
#define A_BUFFERS 256
#define A_PADDR   (1 * GiB)

/* Map the buffers (untimed), then unmap and sync each with @mode's domain. */
static int a_round(struct bench_tab *b, uint64_t block,
		   enum iopt_domain_mode mode, struct bench_delta *delta,
		   double *ns)
{
	const uint64_t buf = 2 * block;
	struct iopt_domain *d = bench_tab_domain(b, mode);
	struct iopt_domain_counters c0, c1;
	struct iopt_gather g;
	uint64_t bad = 0;
	double t0;
	int ret = 0;

	for (uint64_t k = 0; k < A_BUFFERS; k++) {
		ret = iopt_domain_map(&b->batched, k * buf, A_PADDR + k * buf,
				      buf, IOPT_READ | IOPT_WRITE);
		if (ret)
			return bench_fail(A_NAME, "map: %s", iopt_strerror(ret));
	}
	if (iopt_iova_to_pgsize(&b->t, 0) != block)
		return bench_fail(A_NAME, "the buffer is not mapped with blocks");
	c0 = bench_counters(d);
	t0 = bench_now_ns();
	for (uint64_t k = 0; k < A_BUFFERS; k++) {
		uint64_t u;

		iopt_gather_init(&g);
		ret |= iopt_domain_unmap(d, k * buf, buf, &g, &u);
		iopt_gather_sync(&g);
		bad += u != buf;
	}
	*ns = bench_now_ns() - t0;
	c1 = bench_counters(d);
	*delta = bench_delta(&c0, &c1);
	if (ret || bad || iopt_iova_to_phys(&b->t, 0) != IOPT_PHYS_NONE)
		return bench_fail(A_NAME, "unmap: %s, %llu short", iopt_strerror(ret),
				  (unsigned long long)bad);
	return 0;
}

static int a_format(const struct bench_opts *o, const char *format,
		    uint64_t block, struct bench_result res[2])
{
	static const enum iopt_domain_mode modes[2] = {
		IOPT_DOMAIN_PER_PAGE, IOPT_DOMAIN_BATCHED,
	};
	struct bench_delta counted[2], d;
	struct bench_tab b;
	double best[2] = { 0, 0 }, ns;
	int ret = -1;

	if (bench_tab_arena(&b, 16 * MiB))
		return bench_fail(A_NAME, "out of memory");
	/* Counting round (also the warm-up), then the timed rounds. */
	if (bench_tab_init(&b, format, true)) {
		bench_fail(A_NAME, "cannot build a %s table", format);
		goto out;
	}
	for (int m = 0; m < 2; m++)
		if (a_round(&b, block, modes[m], &counted[m], &ns))
			goto out;
	if (bench_tab_init(&b, format, false))
		goto out;
	for (unsigned int r = 0; r < o->rounds; r++) {
		for (int m = 0; m < 2; m++) {
			if (a_round(&b, block, modes[m], &d, &ns))
				goto out;
			if (d.engine_calls != counted[m].engine_calls ||
			    d.flushes != counted[m].flushes) {
				bench_fail(A_NAME, "counts differ between rounds");
				goto out;
			}
			bench_best(&best[m], ns);
		}
	}
	for (int m = 0; m < 2; m++) {
		struct bench_result *r = &res[m];

		bench_result_init(r, A_NAME, format,
				  m ? "batched" : "per-page", "buffer", A_BUFFERS);
		r->ns_per_unit = best[m] / A_BUFFERS;
		r->calls = counted[m].engine_calls;
		r->walks = counted[m].walks;
		r->flushes = counted[m].flushes;
		r->per = A_BUFFERS;
		bench_result_extra(r, "entries_cleared",
				   (double)counted[m].entries_cleared);
		bench_result_extra(r, "block_bytes", (double)block);
		bench_result_extra(r, "buffer_bytes", (double)(2 * block));
	}
	bench_result_vs(&res[1], &res[0]);
	ret = 0;
out:
	bench_tab_close(&b);
	return ret;
}

/* The format's smallest block above its page; 0: none. */
static uint64_t a_block(const char *format)
{
	uint64_t sizes[3];

	return bench_leaf_sizes(format, UINT64_MAX, sizes) >= 2 ? sizes[1] : 0;
}

int bench_unmap_example(const struct bench_opts *o)
{
	static const struct bench_table_style style = {
		.calls_title = "engine calls",
		.per_name = "buffer",
	};
	struct bench_result res[4];
	const char *formats[2];
	unsigned int nf = bench_formats(o, true, formats), n = 0;
	uint64_t block = a_block(formats[0]);
	char text[200], t1[16], t2[16];

	if (!block)
		block = 2 * MiB;
	snprintf(text, sizeof(text),
		 "unmap a %s buffer mapped with %s blocks at IOVA 0, one engine\n"
		 "   call per block (before unmap_pages) or one per run (batched); unmap + sync",
		 bench_bytes_text(2 * block, t1, sizeof(t1)),
		 bench_bytes_text(block, t2, sizeof(t2)));
	bench_report_heading("a", A_NAME, text);
	for (unsigned int f = 0; f < nf; f++) {
		block = a_block(formats[f]);
		/* The example is about blocks: formats without them skip. */
		if (!block) {
			bench_report_note("%s skipped on %s: it has pages of one size, "
					  "no blocks", A_NAME, formats[f]);
			continue;
		}
		if (!bench_fits(A_NAME, formats[f], A_BUFFERS * 2 * block,
				A_PADDR + A_BUFFERS * 2 * block))
			continue;
		if (a_format(o, formats[f], block, &res[n]))
			return -1;
		n += 2;
	}
	bench_report_results(res, n, &style);
	return 0;
}
