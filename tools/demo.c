// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt demo: a 16 GiB guest mapped for a device through an ARM LPAE
 * stage-1 4K table in an arena, looked up, and torn down.
 *
 * The guest's RAM is backed by host memory the way a VMM finds it: 1G
 * hugetlbfs pages for the first part, 2M transparent huge pages for the next,
 * and fragmented 4K pages (runs of 1 to 64 physically contiguous pages) for
 * the rest, with a 1 GiB MMIO hole below 4 GiB and a few small holes. Each
 * physically contiguous run is one map_range call; the library picks the
 * page sizes. Every number printed is counted, none is assumed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>
#include "cmds.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
#define KiB ((uint64_t)1 << 10)

struct run {
	uint64_t iova, paddr, size;
};

struct flush_count {
	uint64_t ranges, all, bytes;
};

static void count_flush_range(void *cookie, uint64_t iova, uint64_t size,
			      unsigned int granule_lg2, bool leaf_only)
{
	struct flush_count *f = cookie;

	(void)iova;
	(void)granule_lg2;
	(void)leaf_only;
	f->ranges++;
	f->bytes += size;
}

static void count_flush_all(void *cookie)
{
	((struct flush_count *)cookie)->all++;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The guest layout: [0, 3G) and [4G, 17G) of RAM (16 GiB) with the hole
 * [3G, 4G) for MMIO. Host backing: 1G pages up to 6G, 2M pages up to 12G,
 * then 4K runs. Small holes (ballooned-out pages) every so often in the 4K
 * part. Host addresses are shuffled within a 64 GiB host.
 */
static size_t build_layout(struct run *runs, size_t max, uint64_t seed)
{
	uint64_t s = seed, iova = 0, host4k = 40 * GiB;
	size_t n = 0;

	while (iova < 17 * GiB && n < max) {
		uint64_t len, pa;

		if (iova == 3 * GiB) { /* PCI MMIO hole */
			iova = 4 * GiB;
			continue;
		}
		if (iova < 6 * GiB) { /* 1G pages, anywhere in host RAM */
			len = GiB;
			pa = 64 * GiB + ((n * 7) % 32) * GiB;
		} else if (iova < 12 * GiB) { /* 2M pages */
			len = 2 * MiB; /* a permutation of 8192 host 2M pages */
			pa = 8 * GiB + ((iova / (2 * MiB)) * 4099 % 8192) * 2 * MiB;
		} else { /* fragmented 4K runs */
			len = (1 + rnd(&s) % 64) * 4 * KiB;
			if (iova + len > 17 * GiB)
				len = 17 * GiB - iova;
			if (rnd(&s) % 97 == 0) { /* a ballooned-out hole */
				iova += len;
				continue;
			}
			pa = host4k;
			host4k += len + (rnd(&s) % 4) * 4 * KiB;
		}
		runs[n++] = (struct run){ iova, pa, len };
		iova += len;
	}
	return n;
}

struct census {
	uint64_t by_size[64];
	uint64_t walks;
};

int iopt_cmd_demo(int argc, char **argv)
{
	const size_t arena_size = 256 * MiB, max_runs = 1u << 20;
	struct flush_count fc = { 0 };
	const struct iopt_flush_ops flush = { count_flush_all, count_flush_range };
	struct iopt_config cfg;
	struct iopt_arena arena;
	struct iopt_mem mem;
	struct iopt_table t;
	struct iopt_gather g;
	struct iopt_stats st;
	struct census census = { { 0 }, 0 };
	struct run *runs = malloc(max_runs * sizeof(*runs));
	uint64_t mapped_total = 0, unmapped_total = 0, seed = 1, s;
	uint64_t lookups = 0, bad = 0, after_map_bytes, peak_tables;
	size_t n;
	double t0, t_map, t_look, t_census, t_unmap;
	int ret;

	(void)argc;
	(void)argv;
	if (!runs || iopt_arena_create(&arena, arena_size, 0x80000000ULL)) {
		fprintf(stderr, "iopt demo: out of memory\n");
		return 1;
	}
	n = build_layout(runs, max_runs, 0x5eed1234abcdULL);
	iopt_config_from_name("arm-lpae-s1-4k", &cfg);
	cfg.flags |= IOPT_CFG_STATS;
	iopt_arena_mem(&arena, &mem);
	ret = iopt_init(&t, &cfg, &mem, &flush, &fc);
	if (ret) {
		fprintf(stderr, "iopt demo: init: %s\n", iopt_strerror(ret));
		return 1;
	}

	printf("iopt demo: a 16 GiB guest mapped for a device through an ARM LPAE stage-1 4K table\n");
	printf("  guest RAM [0, 3G) + [4G, 17G); host backing: 1G pages below 6G, 2M pages below 12G,\n");
	printf("  fragmented 4K runs above, 1 GiB MMIO hole at 3G, ballooned holes; root table at 0x%" PRIx64 "\n\n",
	       iopt_root_phys(&t));

	/* Map: one map_range per physically contiguous host run. */
	t0 = now_ms();
	for (size_t i = 0; i < n; i++) {
		uint64_t m;

		ret = iopt_map_range(&t, runs[i].iova, runs[i].paddr, runs[i].size,
				     IOPT_READ | IOPT_WRITE | IOPT_CACHE, 0, &m);
		if (ret) {
			fprintf(stderr, "iopt demo: map 0x%" PRIx64 ": %s\n",
				runs[i].iova, iopt_strerror(ret));
			return 1;
		}
		mapped_total += m;
	}
	t_map = now_ms() - t0;
	iopt_get_stats(&t, &st);
	after_map_bytes = st.table_bytes;
	printf("map:      %zu map_range calls, %.2f GiB mapped in %.1f ms\n", n,
	       mapped_total / (double)GiB, t_map);
	printf("          %" PRIu64 " tables allocated, %" PRIu64 " KiB of table memory, %" PRIu64 " entries written\n",
	       st.tables_allocated, st.table_bytes / (uint64_t)KiB, st.entries_written);

	/* Census: one size-aware lookup per leaf, not per 4K page. */
	t0 = now_ms();
	for (uint64_t iova = 0; iova < 17 * GiB;) {
		uint64_t phys, len;

		census.walks++;
		if (iopt_iova_to_phys_length(&t, iova, &phys, &len, NULL)) {
			iova += 4 * KiB;
			continue;
		}
		census.by_size[__builtin_ctzll(len)]++;
		iova = (iova & ~(len - 1)) + len;
	}
	t_census = now_ms() - t0;
	printf("leaves:  ");
	for (int b = 63; b >= 0; b--) {
		static const char *names[] = { [12] = "4K", [16] = "64K", [21] = "2M",
					       [25] = "32M", [30] = "1G" };
		if (census.by_size[b])
			printf(" %" PRIu64 " x %s", census.by_size[b],
			       b < 31 && names[b] ? names[b] : "?");
	}
	printf("\n          counted with %" PRIu64 " iova_to_phys_length walks in %.1f ms (a 4K-step scan needs %" PRIu64 ")\n",
	       census.walks, t_census, (uint64_t)(17 * GiB / (4 * KiB)));

	/* Random lookups, each checked against the layout. */
	s = seed;
	t0 = now_ms();
	for (int k = 0; k < 1000000; k++) {
		const struct run *r = &runs[rnd(&s) % n];
		uint64_t off = rnd(&s) % r->size;

		lookups++;
		if (iopt_iova_to_phys(&t, r->iova + off) != r->paddr + off)
			bad++;
	}
	if (iopt_iova_to_phys(&t, 3 * GiB + 12345) != IOPT_PHYS_NONE)
		bad++;
	t_look = now_ms() - t0;
	printf("lookups: %" PRIu64 " random iova_to_phys, %" PRIu64 " wrong, %.0f ns each; the MMIO hole reads as unmapped\n",
	       lookups, bad, t_look * 1e6 / lookups);

	/* Teardown: the guest's two RAM regions, one gather, one sync. */
	iopt_gather_init(&g);
	t0 = now_ms();
	{
		const uint64_t regions[2][2] = { { 0, 3 * GiB }, { 4 * GiB, 13 * GiB } };

		for (int k = 0; k < 2; k++) {
			uint64_t u;

			ret = iopt_unmap_range(&t, regions[k][0], regions[k][1], 0, &g, &u);
			if (ret) {
				fprintf(stderr, "iopt demo: unmap: %s\n", iopt_strerror(ret));
				return 1;
			}
			unmapped_total += u;
		}
	}
	iopt_get_stats(&t, &st);
	peak_tables = st.table_bytes;
	iopt_gather_sync(&g);
	t_unmap = now_ms() - t0;
	iopt_get_stats(&t, &st);
	printf("unmap:    2 unmap_range calls, %.2f GiB unmapped in %.1f ms (holes skipped)\n",
	       unmapped_total / (double)GiB, t_unmap);
	printf("          %" PRIu64 " flush_range calls covering %.2f GiB, %" PRIu64 " flush_all; %" PRIu64 " tables freed after the flush\n",
	       fc.ranges, fc.bytes / (double)GiB, fc.all, st.tables_freed);
	printf("          table memory: %" PRIu64 " KiB after map, %" PRIu64 " KiB before sync, %" PRIu64 " KiB after\n",
	       after_map_bytes / KiB, peak_tables / KiB, st.table_bytes / KiB);
	printf("walks:    %" PRIu64 " descents from the root in all\n", st.walks);
	iopt_fini(&t);
	printf("destroy:  arena holds %zu bytes (peak %zu KiB)\n", arena.used,
	       arena.peak / (size_t)KiB);
	ret = (bad || arena.used || mapped_total != unmapped_total) ? 1 : 0;
	if (ret)
		printf("demo FAILED: wrong lookups, leaked memory or unmatched sizes\n");
	free(runs);
	iopt_arena_destroy(&arena);
	return ret;
}
