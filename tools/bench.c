// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt bench: map and unmap a large run of 4K pages in one call each, and
 * compare with the cheapest code that could write the same bytes, measured
 * in the same run: a plain loop storing the same number of 8-byte entries,
 * and memset of the same bytes. Also the per-page path (one call per page)
 * and the cost of one 4K lookup. Numbers are the best of several rounds
 * after a warm-up round; ratios, not absolute times, are what carry over
 * between machines. For instruction counts see bench/callgrind.sh.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>
#include "cmds.h"

#define BENCH_IOVA  (1ULL << 30)
#define BENCH_PADDR (1ULL << 32)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* Keep the compiler from dropping stores whose results nobody reads. */
static void clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: iopt bench [--quick] [--size SIZE] [--rounds N] [--once]\n"
		"  --quick       256M and 3 rounds\n"
		"  --size SIZE   bytes of 4K pages to map (default 1G)\n"
		"  --rounds N    measured rounds after one warm-up (default 5)\n"
		"  --once        one map, lookup of every page, unmap and sync; no\n"
		"                timing (for bench/callgrind.sh)\n");
}

int iopt_cmd_bench(int argc, char **argv)
{
	uint64_t size = 1ULL << 30, rounds = 5, pages, mapped, unmapped;
	bool once = false;
	struct iopt_config cfg;
	struct iopt_arena arena;
	struct iopt_mem mem;
	struct iopt_table t;
	struct iopt_gather g;
	double best_map = 1e300, best_unmap = 1e300, best_sync = 1e300;
	double best_store = 1e300, best_memset = 1e300, t0, per_page_ns, look_ns;
	size_t arena_size;
	uint64_t *entries;
	void *region;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			size = 256ULL << 20;
			rounds = 3;
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			if (parse_size(argv[++i], &size) || size < 4096 || (size & 4095)) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = strtoull(argv[++i], NULL, 0);
			if (!rounds) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[i], "--once")) {
			once = true;
		} else {
			usage();
			return 2;
		}
	}
	pages = size >> 12;
	/* Leaf tables plus the levels above, plus slack. */
	arena_size = (size_t)(pages * 8 + (8u << 20));
	region = aligned_alloc(1 << 20, arena_size);
	entries = aligned_alloc(4096, pages * 8);
	if (!region || !entries) {
		fprintf(stderr, "iopt bench: out of memory\n");
		return 1;
	}
	iopt_config_from_name("arm-lpae-s1-4k", &cfg);
	iopt_arena_init(&arena, region, arena_size, 0x80000000ULL);
	iopt_arena_mem(&arena, &mem);
	ret = iopt_init(&t, &cfg, &mem, NULL, NULL);
	if (ret) {
		fprintf(stderr, "iopt bench: %s\n", iopt_strerror(ret));
		return 1;
	}
	iopt_gather_init(&g);

	if (once) {
		/* callgrind counts one function at a time (--toggle-collect). */
		uint64_t sum = 0;

		ret = iopt_map_pages(&t, BENCH_IOVA, BENCH_PADDR, 4096, pages,
				     IOPT_READ | IOPT_WRITE, 0, &mapped);
		for (uint64_t i = 0; i < pages; i++)
			sum += iopt_iova_to_phys(&t, BENCH_IOVA + (i << 12));
		ret |= iopt_unmap_pages(&t, BENCH_IOVA, 4096, pages, 0, &g, &unmapped);
		iopt_gather_sync(&g);
		iopt_fini(&t);
		printf("once: %" PRIu64 " pages, status %d, checksum 0x%" PRIx64 "\n",
		       pages, ret, sum);
		return ret ? 1 : 0;
	}

	for (uint64_t r = 0; r <= rounds; r++) {
		double tm, tu, ts, tl, tz;

		t0 = now_ns();
		ret = iopt_map_pages(&t, BENCH_IOVA, BENCH_PADDR, 4096, pages,
				     IOPT_READ | IOPT_WRITE, 0, &mapped);
		tm = now_ns() - t0;
		if (ret || mapped != size) {
			fprintf(stderr, "iopt bench: map: %s\n", iopt_strerror(ret));
			return 1;
		}
		t0 = now_ns();
		ret = iopt_unmap_pages(&t, BENCH_IOVA, 4096, pages, 0, &g, &unmapped);
		tu = now_ns() - t0;
		t0 = now_ns();
		iopt_gather_sync(&g);
		ts = now_ns() - t0;
		if (ret || unmapped != size) {
			fprintf(stderr, "iopt bench: unmap: %s\n", iopt_strerror(ret));
			return 1;
		}
		/* The same number of 8-byte entries, by a plain loop. */
		t0 = now_ns();
		for (uint64_t i = 0; i < pages; i++)
			entries[i] = (BENCH_PADDR + (i << 12)) | 0xe43;
		clobber(entries);
		tl = now_ns() - t0;
		t0 = now_ns();
		memset(entries, 0, pages * 8);
		clobber(entries);
		tz = now_ns() - t0;
		if (r == 0)
			continue; /* warm-up: first touch of the memory */
		best_map = min_d(best_map, tm);
		best_unmap = min_d(best_unmap, tu);
		best_sync = min_d(best_sync, ts);
		best_store = min_d(best_store, tl);
		best_memset = min_d(best_memset, tz);
	}

	/* Per-page path: one map_pages/unmap_pages call per 4K page. */
	{
		uint64_t n = pages < 65536 ? pages : 65536, m;

		t0 = now_ns();
		for (uint64_t i = 0; i < n; i++)
			iopt_map_pages(&t, BENCH_IOVA + (i << 12), BENCH_PADDR + (i << 12),
				       4096, 1, IOPT_READ | IOPT_WRITE, 0, &m);
		per_page_ns = (now_ns() - t0) / n;
		/* Lookups of random pages in the range just mapped. */
		uint64_t s = 0x9e3779b97f4a7c15ULL, sum = 0;
		const uint64_t nl = 1000000;

		t0 = now_ns();
		for (uint64_t i = 0; i < nl; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			sum += iopt_iova_to_phys(&t, BENCH_IOVA + ((s % n) << 12));
		}
		look_ns = (now_ns() - t0) / nl;
		clobber(&sum);
		for (uint64_t i = 0; i < n; i++)
			iopt_unmap_pages(&t, BENCH_IOVA + (i << 12), 4096, 1, 0, &g, &m);
		iopt_gather_sync(&g);
	}
	iopt_fini(&t);

	printf("iopt bench: arm-lpae-s1-4k, %" PRIu64 " MiB of 4K pages (%" PRIu64 " pages) per call, best of %" PRIu64 " rounds\n",
	       size >> 20, pages, rounds);
	printf("  %-44s %8s %8s\n", "", "ns/page", "ratio");
	printf("  %-44s %8.3f %8s\n", "store loop (same number of 8-byte entries)",
	       best_store / pages, "1.00");
	printf("  %-44s %8.3f %8.2f  (x store loop; target <= 2)\n",
	       "map_pages, one call", best_map / pages, best_map / best_store);
	printf("  %-44s %8.3f %8s\n", "memset (same bytes)", best_memset / pages, "1.00");
	printf("  %-44s %8.3f %8.2f  (x memset; target <= 2)\n",
	       "unmap_pages, one call", best_unmap / pages, best_unmap / best_memset);
	printf("  %-44s %8.3f %8.2f  (x memset; frees and poisons the tables)\n",
	       "  + gather_sync", (best_unmap + best_sync) / pages,
	       (best_unmap + best_sync) / best_memset);
	printf("  %-44s %8.3f %8.2f  (x batched map)\n", "map_pages, one call per page",
	       per_page_ns, per_page_ns / (best_map / pages));
	printf("  %-44s %8.3f\n", "iova_to_phys of a random 4K page (ns/lookup)", look_ns);
	return 0;
}
