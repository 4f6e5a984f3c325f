// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Scenario c: tearing down a guest's DMA mappings through the VFIO type1
 * model (include/iopt/vfio.h), with each of its four ways of finding the
 * physically contiguous runs to unmap and unpin:
 *   1 phys    iova_to_phys at every 4K page (vfio_unmap_unpin today),
 *   2 pgsize  iova_to_phys + iova_to_pgsize per leaf (the 2026 RFC),
 *   3 length  iova_to_phys_length per leaf (the 2026 series),
 *   4 extent  the extent iterator, one descent per 512 runs.
 * The guest is 64 GiB of RAM (--quick: 8 GiB) in two DMA_MAPs, below and
 * above a 1 GiB hole at 3 GiB, backed by 1G folios, by 2M folios, or by a
 * fragmented mix (a quarter 1G, then 2M and shuffled 4K folios). Simulated
 * host memory costs about 4 bytes per 4K page (pin counts) plus the base-page
 * map; no guest memory is allocated. The table's arena is sized from the
 * host layout (one leaf table per 2M block of base pages) and reported.
 *
 * A round maps the guest (untimed) and times VFIO_DMA_UNMAP of everything;
 * the strategies' rounds are interleaved. calls = unmap calls
 * (iommu_unmap_fast), lookups = table queries; both, like the time, are
 * compared with strategy 1. Every teardown must unpin every page it pinned,
 * with no unpin before its flush.
 *
 * Where the guest does not fit the format's input or output space (v7s
 * and DART v1: 4 GiB of IOVA; v7s: 4 GiB of physical addresses; DART v2:
 * 64 GiB of IOVA), the guest is the most whole GiBs that do: 3 GiB below
 * the hole, host memory from 1 GiB where 4 GiB is too high.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/vfio.h>

#include "bench.h"

#define C_NAME     "teardown"
#define C_VA_BASE  (1 * TiB)
#define C_PHYS     (4 * GiB)
#define C_HOLE     (3 * GiB)   /* guest RAM below the hole */
#define C_MAX_ROUNDS 5

struct c_backing {
	const char *name;
	unsigned int pct_1g, pct_2m, pct_frag;
};

static const struct c_backing c_backings[] = {
	{ "1G", 100, 0, 100 },
	{ "2M", 0, 100, 100 },
	{ "mix", 25, 60, 100 },
};
#define C_NR_BACKINGS (sizeof(c_backings) / sizeof(c_backings[0]))

struct c_count {
	struct iopt_vfio_counters ctr;
	uint64_t walks;
	uint64_t flushes;
};

struct c_env {
	const char *format;
	uint64_t guest;
	struct iopt_host host;
	struct iopt_arena arena;
	struct iopt_mem mem;
	struct iopt_vfio *vfio;
	size_t arena_bytes;
	uint64_t table_bytes;   /* after the DMA_MAPs */
	uint64_t pinned;        /* pages pinned by the DMA_MAPs */
};

/* Map the guest: RAM below the hole at IOVA 0, the rest from 4 GiB. */
static int c_map(struct c_env *e, bool stats)
{
	struct iopt_config cfg;
	struct iopt_vfio_counters ctr;
	struct iopt_stats st;
	uint64_t low = e->guest < C_HOLE ? e->guest : C_HOLE;
	int ret;

	if (iopt_config_from_name(e->format, &cfg))
		return -EINVAL;
	if (stats)
		cfg.flags |= IOPT_CFG_STATS;
	ret = iopt_vfio_init(e->vfio, &e->host, &cfg, &e->mem, IOPT_DOMAIN_BATCHED);
	if (ret)
		return ret;
	ret = iopt_vfio_dma_map(e->vfio, C_VA_BASE, 0, low, IOPT_READ | IOPT_WRITE);
	if (!ret && e->guest > low)
		ret = iopt_vfio_dma_map(e->vfio, C_VA_BASE + low, C_HOLE + GiB,
					e->guest - low, IOPT_READ | IOPT_WRITE);
	if (ret) {
		iopt_vfio_fini(e->vfio);
		return ret;
	}
	iopt_vfio_get_counters(e->vfio, &ctr, true);
	iopt_get_stats(iopt_vfio_table(e->vfio), &st);
	e->table_bytes = st.table_bytes;
	e->pinned = ctr.pages_pinned;
	return 0;
}

/* One timed teardown with strategy @s; the guest is mapped first. */
static int c_teardown(struct c_env *e, enum iopt_vfio_strategy s, bool stats,
		      struct c_count *out, double *ns)
{
	struct iopt_host_stats hs;
	struct iopt_stats s0, s1;
	uint64_t unmapped = 0;
	double t0;
	int ret;

	ret = c_map(e, stats);
	if (ret)
		return bench_fail(C_NAME, "DMA_MAP: %s", iopt_strerror(ret));
	iopt_vfio_set_strategy(e->vfio, s);
	iopt_get_stats(iopt_vfio_table(e->vfio), &s0);
	t0 = bench_now_ns();
	ret = iopt_vfio_dma_unmap_all(e->vfio, &unmapped);
	*ns = bench_now_ns() - t0;
	iopt_get_stats(iopt_vfio_table(e->vfio), &s1);
	iopt_vfio_get_counters(e->vfio, &out->ctr, true);
	out->walks = s1.walks - s0.walks;
	out->flushes = (s1.flush_range_calls + s1.flush_all_calls) -
		       (s0.flush_range_calls + s0.flush_all_calls);
	iopt_host_get_stats(&e->host, &hs);
	iopt_vfio_fini(e->vfio);
	if (e->arena.used)
		return bench_fail(C_NAME, "%zu bytes of table memory leaked",
				  e->arena.used);
	if (ret || unmapped != e->guest || out->ctr.errors ||
	    out->ctr.pages_leaked || out->ctr.unpin_refused || out->ctr.holes ||
	    out->ctr.pages_unpinned != e->pinned || hs.pins || hs.locked_vm)
		return bench_fail(C_NAME, "%s: teardown: %s, %" PRIu64 " errors, %"
				  PRIu64 " leaked, %" PRIu64 " of %" PRIu64
				  " pages unpinned", iopt_vfio_strategy_name(s),
				  iopt_strerror(ret), out->ctr.errors,
				  out->ctr.pages_leaked, out->ctr.pages_unpinned,
				  e->pinned);
	return 0;
}

/*
 * Table memory a DMA_MAP of the whole guest needs, from the host layout.
 * Leaf tables: with a 4K granule one per 2M block of base pages (2M and 1G
 * folios are block entries above them); with larger granules a leaf table
 * spans more than 2M (32M, 512M) and 2M folios are contiguous runs inside
 * one, so count one per span of the guest, as for formats with pages of
 * one size only (DART), whose every page needs a leaf table. (v7s's leaf
 * tables are 1 KB per 1M, less than 4 KB per 2M: the count above covers
 * them.) Then one table per span of the
 * level above (plus the hole's shift), a start table of up to 16
 * concatenated tables, slack, and the arena's own bitmap (1/512).
 */
static size_t c_arena_bytes(const struct iopt_host *h, uint64_t guest,
			    const char *format)
{
	struct iopt_host_stats hs;
	struct bench_geom geo;
	uint64_t gran, leaf_span, leaves, bytes;
	bool blocks;

	iopt_host_get_stats(h, &hs);
	gran = iopt_host_page_size(h);
	leaf_span = gran * (gran / 8);
	blocks = !bench_geom(format, &geo) &&
		 (geo.pgsize_bitmap & ~(1ULL << geo.page_lg2));
	if (leaf_span == IOPT_HOST_2M && blocks)
		leaves = hs.folios_page / (IOPT_HOST_2M / gran);
	else
		leaves = guest / leaf_span + 2;
	bytes = (leaves + guest / (leaf_span * (gran / 8)) + 2 + 16) * gran + 2 * MiB;
	return (size_t)(bytes + bytes / 512 + MiB);
}

/* Host model memory: a pin count per page, a word per 2M block, a page
 * index per base-page folio. */
static uint64_t c_host_bytes(const struct iopt_host *h, uint64_t guest)
{
	struct iopt_host_stats hs;

	iopt_host_get_stats(h, &hs);
	return guest / iopt_host_page_size(h) * 4 + guest / IOPT_HOST_2M * 8 +
	       hs.folios_page * 4;
}

static int c_backing(const struct bench_opts *o, const char *format,
		     uint64_t guest, uint64_t phys, const struct c_backing *bk,
		     struct bench_result res[4], char *note, size_t note_len)
{
	const unsigned int rounds = o->rounds < C_MAX_ROUNDS ? o->rounds : C_MAX_ROUNDS;
	struct iopt_host_config hc;
	struct iopt_host_stats hs;
	struct iopt_config cfg;
	struct c_count counted[IOPT_VFIO_NR_STRATEGIES], cnt;
	double best[IOPT_VFIO_NR_STRATEGIES] = { 0 }, ns;
	struct c_env e;
	int ret = -1;

	memset(&e, 0, sizeof(e));
	e.format = format;
	e.guest = guest;
	if (iopt_config_from_name(format, &cfg))
		return bench_fail(C_NAME, "unknown format %s", format);
	memset(&hc, 0, sizeof(hc));
	hc.seed = 0xc0ffee ^ (uint64_t)bk->pct_1g << 8 ^ bk->pct_2m;
	hc.size = e.guest;
	hc.va_base = C_VA_BASE;
	hc.phys_base = phys;
	hc.page_lg2 = cfg.granule_lg2 ? cfg.granule_lg2 : 12;
	hc.pct_1g = bk->pct_1g;
	hc.pct_2m = bk->pct_2m;
	hc.pct_frag = bk->pct_frag;
	if (iopt_host_init(&e.host, &hc))
		return bench_fail(C_NAME, "cannot build %s host memory", bk->name);
	e.arena_bytes = c_arena_bytes(&e.host, e.guest, format);
	e.vfio = malloc(sizeof(*e.vfio));
	if (!e.vfio || iopt_arena_create(&e.arena, e.arena_bytes, 0x80000000ULL)) {
		bench_fail(C_NAME, "out of memory");
		free(e.vfio);
		iopt_host_fini(&e.host);
		return -1;
	}
	e.arena.poison = false; /* as bench_tab_arena() */
	iopt_arena_mem(&e.arena, &e.mem);

	for (unsigned int s = 0; s < IOPT_VFIO_NR_STRATEGIES; s++)
		if (c_teardown(&e, (enum iopt_vfio_strategy)s, true, &counted[s], &ns))
			goto out;
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int s = 0; s < IOPT_VFIO_NR_STRATEGIES; s++) {
			if (c_teardown(&e, (enum iopt_vfio_strategy)s, false, &cnt, &ns))
				goto out;
			if (cnt.ctr.lookups != counted[s].ctr.lookups ||
			    cnt.ctr.unmap_calls != counted[s].ctr.unmap_calls ||
			    cnt.flushes != counted[s].flushes) {
				bench_fail(C_NAME, "counts differ between rounds");
				goto out;
			}
			bench_best(&best[s], ns);
		}
	}

	for (unsigned int s = 0; s < IOPT_VFIO_NR_STRATEGIES; s++) {
		const struct iopt_vfio_counters *k = &counted[s].ctr;
		struct bench_result *r = &res[s];
		char name[48];

		snprintf(name, sizeof(name), "%s: %u %s", bk->name, s + 1,
			 iopt_vfio_strategy_name((enum iopt_vfio_strategy)s));
		bench_result_init(r, C_NAME, format, name, "teardown", 1);
		r->ns_per_unit = best[s];
		r->calls = k->unmap_calls;
		r->walks = counted[s].walks;
		r->flushes = counted[s].flushes;
		bench_result_extra(r, "lookups", (double)k->lookups);
		bench_result_extra(r, "lookups_ratio",
				   (double)k->lookups / (double)counted[0].ctr.lookups);
		bench_result_extra(r, "unmap_calls_ratio",
				   (double)k->unmap_calls /
				   (double)counted[0].ctr.unmap_calls);
		bench_result_extra(r, "runs", (double)k->runs);
		bench_result_extra(r, "syncs", (double)k->syncs);
		bench_result_extra(r, "descents", (double)k->descents);
		bench_result_extra(r, "guest_bytes", (double)e.guest);
		bench_result_extra(r, "host_phys", (double)phys);
		bench_result_extra(r, "pages_unpinned", (double)k->pages_unpinned);
		bench_result_extra(r, "arena_bytes", (double)e.arena_bytes);
		bench_result_extra(r, "table_bytes", (double)e.table_bytes);
		bench_result_extra(r, "host_model_bytes",
				   (double)c_host_bytes(&e.host, e.guest));
		if (s)
			bench_result_vs(r, &res[0]);
	}
	iopt_host_get_stats(&e.host, &hs);
	snprintf(note, note_len, "%s: %" PRIu64 " 1G, %" PRIu64 " 2M and %" PRIu64
		 " base-page folios; %" PRIu64 " runs; table %" PRIu64
		 " KiB in an arena of %zu MiB; host model %" PRIu64 " MiB",
		 bk->name, hs.folios_1g, hs.folios_2m, hs.folios_page,
		 counted[0].ctr.runs, e.table_bytes / KiB, e.arena_bytes >> 20,
		 c_host_bytes(&e.host, e.guest) / MiB);
	ret = 0;
out:
	iopt_arena_destroy(&e.arena);
	free(e.vfio);
	iopt_host_fini(&e.host);
	return ret;
}

/* IOVAs the guest's DMA_MAPs use: RAM below the hole, the rest above it. */
static uint64_t c_iova_end(uint64_t guest)
{
	return guest <= C_HOLE ? guest : guest + GiB;
}

/*
 * The guest for @format: @want, or the most whole GiBs of it that fit the
 * input and output spaces; *phys is where host memory starts (C_PHYS, or
 * 1 GiB when that is too high). 0 when not even one GiB fits.
 */
static uint64_t c_guest(const char *format, uint64_t want, uint64_t *phys)
{
	const uint64_t iova_lim = bench_iova_limit(format);
	const uint64_t pa_lim = bench_pa_limit(format);

	for (uint64_t g = want; g >= GiB; g -= GiB) {
		if (c_iova_end(g) > iova_lim)
			continue;
		if (C_PHYS + g <= pa_lim) {
			*phys = C_PHYS;
			return g;
		}
		if (GiB + g <= pa_lim) {
			*phys = GiB;
			return g;
		}
	}
	return 0;
}

int bench_teardown(const struct bench_opts *o)
{
	static const struct bench_column cols[] = {
		{ "lookups", "lookups", "%.0f", false },
		{ "lookups_ratio", "x lookups", "%.2e", false },
		{ "unmap_calls_ratio", "x unmaps", "%.3f", false },
	};
	static const struct bench_table_style style = {
		.calls_title = "unmap calls",
		.columns = cols,
		.nr_columns = 3,
		.time_title = "ms",
		.time_div = 1e6,
	};
	struct bench_result res[C_NR_BACKINGS * IOPT_VFIO_NR_STRATEGIES];
	const char *formats[2];
	unsigned int n = 0;
	uint64_t want, guest, phys = C_PHYS;
	char text[200], notes[C_NR_BACKINGS][200], t1[16];

	bench_formats(o, false, formats);
	want = o->quick ? 8 * GiB : 64 * GiB;
	guest = c_guest(formats[0], want, &phys);
	snprintf(text, sizeof(text),
		 "VFIO_DMA_UNMAP of a %s guest, four ways to find the runs;\n"
		 "   x base/lookups/unmaps: time, lookups and unmap calls over strategy 1",
		 bench_bytes_text(guest ? guest : want, t1, sizeof(t1)));
	bench_report_heading("c", C_NAME, text);
	if (!guest) {
		bench_report_note("%s skipped on %s: not even a 1 GiB guest fits its "
				  "input and output spaces", C_NAME, formats[0]);
		return 0;
	}
	if (guest != want)
		bench_report_note("%s on %s: a %llu GiB guest (IOVAs up to 0x%llx, host "
				  "memory at 0x%llx): the most that fits", C_NAME,
				  formats[0], (unsigned long long)(guest / GiB),
				  (unsigned long long)c_iova_end(guest),
				  (unsigned long long)phys);
	for (unsigned int b = 0; b < C_NR_BACKINGS; b++) {
		if (c_backing(o, formats[0], guest, phys, &c_backings[b], &res[n],
			      notes[b], sizeof(notes[b])))
			return -1;
		n += IOPT_VFIO_NR_STRATEGIES;
	}
	bench_report_results(res, n, &style);
	for (unsigned int b = 0; b < C_NR_BACKINGS; b++)
		bench_report_note("%s", notes[b]);
	return 0;
}
