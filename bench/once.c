// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * `iopt bench --once`: the work bench/callgrind.sh counts instructions of,
 * one function at a time, on the default format or the one --format names,
 * with its smallest page ("4K" below; 16K on DART v2, 64K on LPAE 64K):
 * one iopt_map_pages() call for a run of pages,
 * one iopt_iova_to_phys() per page, one iopt_unmap_pages() call, one
 * iopt_gather_sync(). No timing; a checksum keeps the lookups live, and
 * is checked against the one the mapping gives (once_sum()).
 *
 * `iopt bench --once --single`: the single-page hot paths, SIZE / 4K times
 * each, with the tables already present (one page was mapped and unmapped
 * first): iopt_map_pages() of one 4K page, iopt_iova_to_phys() and
 * iopt_iova_to_phys_length() of it, iopt_unmap_pages() of one 4K page into
 * one gather, synced once at the end. SIZE stays within one leaf table's
 * span per 2M so the leaf tables are warm.
 */
#include <inttypes.h>
#include <stdio.h>

#include "bench.h"

#define ONCE_IOVA  (1ULL << 30)

/* Output addresses at 4G, or at 2G where the output size is 32 bits. */
static uint64_t once_paddr(const struct bench_tab *b)
{
	return b->t.cfg.oas > 32 ? 1ULL << 32 : 1ULL << 31;
}

static uint64_t once_page(const struct bench_tab *b)
{
	uint64_t bm = iopt_pgsize_bitmap(&b->t);

	return bm & -bm;
}

/* The sum of the physical addresses of @pages pages of @pg from @pa. */
static uint64_t once_sum(uint64_t pa, uint64_t pg, uint64_t pages)
{
	return pages * pa + pg * (pages * (pages - 1) / 2);
}

static int once_single(uint64_t size, const char *format)
{
	uint64_t pages, mapped = 0, unmapped = 0, sum = 0, len, pg, pa;
	unsigned int sh;
	struct bench_tab b;
	struct iopt_gather g;
	int ret = 0;

	if (bench_tab_arena(&b, (size_t)((size >> 12) * 8 + 8 * MiB)) ||
	    bench_tab_init(&b, format, false)) {
		bench_tab_close(&b);
		return bench_fail("once", "cannot build the table");
	}
	pg = once_page(&b);
	sh = (unsigned int)__builtin_ctzll(pg);
	pa = once_paddr(&b);
	pages = size >> sh;
	iopt_gather_init(&g);
	/* The tables of the whole range exist and are empty. The setup calls
	 * other functions than the measured ones (paddr one page off, so only
	 * 4K leaves fit), so callgrind counts only the single-page calls. */
	ret |= iopt_map_range(&b.t, ONCE_IOVA, pa + pg, size,
			      IOPT_READ | IOPT_WRITE, 0, &mapped);
	ret |= iopt_unmap_range(&b.t, ONCE_IOVA, size, 0, &g, &unmapped);
	iopt_gather_sync(&g);
	for (uint64_t i = 0; i < pages; i++)
		ret |= iopt_map_pages(&b.t, ONCE_IOVA + (i << sh),
				      pa + (i << sh), pg, 1,
				      IOPT_READ | IOPT_WRITE, 0, &mapped);
	for (uint64_t i = 0; i < pages; i++)
		sum += iopt_iova_to_phys(&b.t, ONCE_IOVA + (i << sh));
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t phys;

		ret |= iopt_iova_to_phys_length(&b.t, ONCE_IOVA + (i << sh),
						&phys, &len, NULL);
		sum += phys + len;
	}
	for (uint64_t i = 0; i < pages; i++)
		ret |= iopt_unmap_pages(&b.t, ONCE_IOVA + (i << sh), pg, 1, 0,
					&g, &unmapped);
	iopt_gather_sync(&g);
	sum += iopt_iova_to_phys(&b.t, ONCE_IOVA) != IOPT_PHYS_NONE;
	bench_tab_close(&b);
	printf("once --single: %" PRIu64 " pages, status %d, checksum 0x%" PRIx64 "\n",
	       pages, ret, sum);
	/* Each page looked up twice (phys, phys + length), none left. */
	if (!ret && sum != 2 * once_sum(pa, pg, pages) + pages * pg)
		return bench_fail("once", "--single: lookups gave a wrong checksum");
	return ret ? -1 : 0;
}

int bench_once(uint64_t size, bool single, const char *format)
{
	uint64_t pages, mapped = 0, unmapped = 0, sum = 0, pg, pa;
	unsigned int sh;
	struct bench_tab b;
	struct iopt_gather g;
	int ret;

	if (!format)
		format = BENCH_DEFAULT_FORMAT;
	if (single)
		return once_single(size, format);
	/* Leaf tables plus the levels above, plus slack. */
	if (bench_tab_arena(&b, (size_t)((size >> 12) * 8 + 8 * MiB)) ||
	    bench_tab_init(&b, format, false)) {
		bench_tab_close(&b);
		return bench_fail("once", "cannot build the table");
	}
	pg = once_page(&b);
	sh = (unsigned int)__builtin_ctzll(pg);
	pages = size >> sh;
	iopt_gather_init(&g);
	pa = once_paddr(&b);
	ret = iopt_map_pages(&b.t, ONCE_IOVA, pa, pg, pages,
			     IOPT_READ | IOPT_WRITE, 0, &mapped);
	for (uint64_t i = 0; i < pages; i++)
		sum += iopt_iova_to_phys(&b.t, ONCE_IOVA + (i << sh));
	ret |= iopt_unmap_pages(&b.t, ONCE_IOVA, pg, pages, 0, &g, &unmapped);
	iopt_gather_sync(&g);
	bench_tab_close(&b);
	printf("once: %" PRIu64 " pages, status %d, checksum 0x%" PRIx64 "\n",
	       pages, ret, sum);
	if (!ret && sum != once_sum(pa, pg, pages))
		return bench_fail("once", "lookups gave a wrong checksum");
	return ret || mapped != size || unmapped != size ? -1 : 0;
}
