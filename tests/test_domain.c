// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The domain layer: page-size splitting against a brute-force reference,
 * batched and per-page paths building the same mappings, rollback, map_sg.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>

#include <iopt/domain.h>
#include <iopt/mem.h>

#define DENV_ARENA_BYTES (64u << 20)

/* The largest size in @bitmap that fits at (p, pa) with @left bytes left. */
static uint64_t best_size(uint64_t bitmap, uint64_t p, uint64_t pa,
			  uint64_t left)
{
	uint64_t best = 0;

	/* The sizes in @bitmap, smallest first (m & -m is the lowest bit). */
	for (uint64_t m = bitmap; m; m &= m - 1) {
		uint64_t s = m & -m;

		if (s <= left && !(p & (s - 1)) && !(pa & (s - 1)))
			best = s;
	}
	return best;
}

/* Brute force: walk page by page while the greedy choice stays the same. */
static uint64_t ref_pgsize(uint64_t bitmap, uint64_t iova, uint64_t pa,
			   uint64_t size, uint64_t *count)
{
	uint64_t s = best_size(bitmap, iova, pa, size), off = 0;

	*count = 0;
	if (!s)
		return 0;
	while (size - off >= s && best_size(bitmap, iova + off, pa + off,
					    size - off) == s) {
		off += s;
		(*count)++;
	}
	return s;
}

/* Every pair of alignments of iova and paddr up to the largest size. */
TEST(pgsize_matches_brute_force)
{
	static const uint64_t bitmaps[] = {
		0x40201000ULL,                 /* 4K 2M 1G */
		0x42211000ULL,                 /* + 64K 32M (ARM 4K contig) */
		0x420210000ULL,                /* 64K 2M 512M 16G */
	};
	uint64_t checked = 0;

	for (unsigned int bi = 0; bi < 3; bi++) {
		uint64_t bm = bitmaps[bi];
		unsigned int lo = (unsigned int)__builtin_ctzll(bm);
		unsigned int hi = 63 - (unsigned int)__builtin_clzll(bm);

		for (unsigned int ai = lo; ai <= hi + 1; ai++) {
			for (unsigned int ap = lo; ap <= hi + 1; ap++) {
				/* iova aligned to exactly 2^ai (odd multiple), same for pa */
				uint64_t iova = (1ULL << ai) * 3;
				uint64_t pa = (1ULL << ap) * 5;
				static const uint64_t units[] = {
					1, 2, 3, 16, 17, 512, 513, 1024, 5000,
				};

				/* Small sizes, and sizes past the next alignment. */
				for (unsigned int k = 0; k < 18; k++) {
					uint64_t size = units[k % 9] << lo, c1, c2;
					uint64_t s1, s2;

					if (k >= 9)
						size += 2ULL << (ai > ap ? ai : ap);
					s1 = iopt_domain_pgsize(bm, iova, pa, size, &c1);
					s2 = ref_pgsize(bm, iova, pa, size, &c2);
					if (s1 != s2 || c1 != c2) {
						H_FAIL("bitmap 0x%" PRIx64 " iova 0x%" PRIx64
						       " pa 0x%" PRIx64 " size 0x%" PRIx64
						       ": got 0x%" PRIx64 " x%" PRIu64
						       ", reference 0x%" PRIx64 " x%" PRIu64,
						       bm, iova, pa, size, s1, c1, s2, c2);
						return;
					}
					checked++;
				}
			}
		}
	}
	CHECK(checked > 1000);
	printf("# %" PRIu64 " (bitmap, iova, paddr, size) cases\n", checked);
}

/* Linux's documented examples (io_pgtable.md section 3.1). */
TEST(pgsize_worked_examples)
{
	const uint64_t bm = 0x40201000ULL;
	uint64_t c;

	CHECK_EQ(iopt_domain_pgsize(bm, 0x10000000, 0x80200000, 8 << 20, &c), 2 << 20);
	CHECK_EQ(c, 4);
	CHECK_EQ(iopt_domain_pgsize(bm, 0x3fe00000, 0x13fe00000ULL, (1 << 30) + (2 << 20), &c), 2 << 20);
	CHECK_EQ(c, 1);
	CHECK_EQ(iopt_domain_pgsize(bm, 0x40000000, 0x140000000ULL, 1 << 30, &c), 1 << 30);
	CHECK_EQ(c, 1);
	CHECK_EQ(iopt_domain_pgsize(bm, 0x1000, 0x201000, 2 << 20, &c), 4096);
	CHECK_EQ(c, 512);
	CHECK_EQ(iopt_domain_pgsize(bm, 0, 0, 3ULL << 30, &c), 1 << 30);
	CHECK_EQ(c, 3);
	CHECK_EQ(iopt_domain_pgsize(bm, 0x800, 0, 4096, &c), 0);   /* misaligned */
	CHECK_EQ(iopt_domain_pgsize(bm, 0, 0, 2048, &c), 0);       /* too small */
}

/* A table over a fresh 64 MiB arena (env.h's tenv) and a domain over it. */
struct denv {
	struct tenv te;
	struct iopt_domain d;
};

static int denv_open_opts(struct denv *e, const char *name,
			  enum iopt_domain_mode mode, const struct tenv_opts *o)
{
	memset(&e->d, 0, sizeof(e->d));
	if (tenv_open(&e->te, name, o))
		return -1;
	return iopt_domain_init(&e->d, &e->te.t, mode);
}

/* No flush callbacks, no counting. */
static int denv_open(struct denv *e, const char *name,
		     enum iopt_domain_mode mode)
{
	static const struct tenv_opts o = { .arena_bytes = DENV_ARENA_BYTES };

	return denv_open_opts(e, name, mode, &o);
}

/* tenv_close(): also checks that the arena got every byte back. */
static void denv_close(struct denv *e)
{
	tenv_close(&e->te);
}

struct leaf_list {
	uint64_t n, iova[4096], phys[4096], len[4096];
};

/* Every leaf of [iova, iova + size), by stepping with iova_to_phys_length. */
static void leaves(struct iopt_table *t, uint64_t iova, uint64_t size,
		   struct leaf_list *l)
{
	l->n = 0;
	for (uint64_t p = iova; p < iova + size && l->n < 4096;) {
		uint64_t phys, len;

		if (iopt_iova_to_phys_length(t, p, &phys, &len, NULL)) {
			p += 4096;
			continue;
		}
		l->iova[l->n] = p;
		l->phys[l->n] = phys;
		l->len[l->n++] = len;
		p = (p & ~(len - 1)) + len;
	}
}

/* Both paths build the same leaves; batched makes one engine call per run
 * of equal sizes, per page one per leaf. */
TEST_CFG(batched_and_per_page_agree)
{
	static struct leaf_list lb, lp;
	struct denv b, p;
	uint64_t iova = 0x40000000ULL - (3ULL << 21) - 0x30000; /* + base */
	uint64_t size = (1ULL << 31) + 0x50000;
	uint64_t pa = 0x200000000ULL - (3ULL << 21) - 0x30000, u;
	uint64_t gran;
	struct iopt_gather g;

	ASSERT(denv_open(&b, cfg->name, IOPT_DOMAIN_BATCHED) == 0);
	ASSERT(denv_open(&p, cfg->name, IOPT_DOMAIN_PER_PAGE) == 0);
	iova += b.te.base;
	gran = iopt_pgsize_bitmap(&b.te.t) & -iopt_pgsize_bitmap(&b.te.t);
	size &= ~(gran - 1);
	if ((iova | pa) & (gran - 1)) {
		denv_close(&b);
		denv_close(&p);
		return; /* 64K/16K granule: use aligned variants below */
	}
	if (b.te.t.cfg.oas < 34 || b.te.t.cfg.ias < 33)
		size = 1ULL << 28, pa &= (1ULL << 31) - 1;
	ASSERT_EQ(iopt_domain_map(&b.d, iova, pa, size, IOPT_READ | IOPT_WRITE), 0);
	ASSERT_EQ(iopt_domain_map(&p.d, iova, pa, size, IOPT_READ | IOPT_WRITE), 0);
	leaves(&b.te.t, iova, size, &lb);
	leaves(&p.te.t, iova, size, &lp);
	ASSERT_EQ(lb.n, lp.n);
	for (uint64_t i = 0; i < lb.n; i++) {
		CHECK_EQ(lb.iova[i], lp.iova[i]);
		CHECK_EQ(lb.phys[i], lp.phys[i]);
		CHECK_EQ(lb.len[i], lp.len[i]);
	}
	/* Batched: one call per run of equal sizes, so fewer calls unless
	 * every leaf has a size of its own (AMD v1 may: 64K, 128K, ...). */
	{
		uint64_t runs = lb.n ? 1 : 0;

		for (uint64_t i = 1; i < lb.n; i++)
			runs += lb.len[i] != lb.len[i - 1];
		if (lb.n < 4096) /* all leaves listed */
			CHECK(b.d.stats.engine_calls <= runs);
		if (runs < lb.n)
			CHECK(b.d.stats.engine_calls < p.d.stats.engine_calls);
		else
			CHECK(b.d.stats.engine_calls <= p.d.stats.engine_calls);
	}
	printf("# %s: %" PRIu64 " leaves; engine calls batched %" PRIu64
	       ", per page %" PRIu64 "\n", cfg->name, lb.n,
	       b.d.stats.engine_calls, p.d.stats.engine_calls);
	iopt_gather_init(&g);
	CHECK_EQ(iopt_domain_unmap(&b.d, iova, size, &g, &u), 0);
	CHECK_EQ(u, size);
	iopt_gather_sync(&g);
	iopt_gather_init(&g);
	CHECK_EQ(iopt_domain_unmap(&p.d, iova, size, &g, &u), 0);
	CHECK_EQ(u, size);
	iopt_gather_sync(&g);
	CHECK_EQ(iopt_iova_to_phys(&b.te.t, iova), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&p.te.t, iova + size - 1), IOPT_PHYS_NONE);
	denv_close(&b);
	denv_close(&p);
}

/* A map that fails part-way (out of table memory, or over a mapping)
 * leaves nothing of itself behind. */
TEST(map_failure_rolls_back)
{
	struct denv e;
	uint64_t n = 0, u, undone = 0;
	struct iopt_gather g;

	for (int mode = 0; mode < 2; mode++) {
		for (uint64_t fail = 1; fail < 12; fail++) {
			ASSERT(denv_open(&e, "arm-lpae-s1-4k", (enum iopt_domain_mode)mode) == 0);
			e.te.a.fail_at = e.te.a.attempts + fail;
			if (iopt_domain_map(&e.d, 0x1000, 0x80001000ULL, 0x3ff000ULL * 9,
					    IOPT_READ) == 0) {
				denv_close(&e);
				continue;
			}
			n = 0;
			iopt_for_each_extent(&e.te.t, 0, 1ULL << 40,
					     tenv_count_extent, &n);
			CHECK_EQ(n, 0);
			CHECK(e.d.stats.rollbacks <= 1); /* 0: failed before mapping */
			undone += e.d.stats.rollbacks;
			denv_close(&e);
		}
		/* Over an existing mapping in the middle. */
		ASSERT(denv_open(&e, "arm-lpae-s1-4k", (enum iopt_domain_mode)mode) == 0);
		ASSERT_EQ(iopt_domain_map(&e.d, 0x800000, 0x10800000, 0x1000, IOPT_READ), 0);
		CHECK_EQ(iopt_domain_map(&e.d, 0, 0x10000000, 0x1000000, IOPT_READ), -EEXIST);
		n = 0;
		iopt_for_each_extent(&e.te.t, 0, 1ULL << 40, tenv_count_extent,
				     &n);
		CHECK_EQ(n, 1);
		CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0x800000), 0x10800000);
		CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0), IOPT_PHYS_NONE);
		iopt_gather_init(&g);
		CHECK_EQ(iopt_domain_unmap(&e.d, 0x800000, 0x1000, &g, &u), 0);
		iopt_gather_sync(&g);
		denv_close(&e);
	}
	CHECK(undone > 0); /* the rollback path really ran */
}

/* map_sg merges physically contiguous segments, so a 2M block can span
 * two segments; the IOVAs are consecutive. */
TEST(map_sg_merges_segments)
{
	static const struct iopt_sg sg[] = {
		{ 0x80000000ULL, 0x100000 }, { 0x80100000ULL, 0x100000 }, /* one 2M */
		{ 0x90000000ULL, 0x1000 }, { 0xa0000000ULL, 0x3000 },
	};
	struct denv e;
	uint64_t mapped, phys, len, u;
	struct iopt_gather g;

	ASSERT(denv_open(&e, "arm-lpae-s1-4k", IOPT_DOMAIN_BATCHED) == 0);
	ASSERT_EQ(iopt_domain_map_sg(&e.d, 0x40000000ULL, sg, 4, IOPT_READ, &mapped), 0);
	CHECK_EQ(mapped, 0x204000);
	CHECK_EQ(iopt_iova_to_phys_length(&e.te.t, 0x40100000ULL, &phys, &len, NULL), 0);
	CHECK_EQ(phys, 0x80100000ULL);
	CHECK_EQ(len, 2 << 20);
	CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0x40200000ULL), 0x90000000ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0x40203004ULL), 0xa0002004ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0x40204000ULL), IOPT_PHYS_NONE);
	/* A misaligned segment fails and leaves nothing behind. */
	{
		const struct iopt_sg bad[] = { { 0x80000000ULL, 0x2000 }, { 0x1234, 0x1000 } };

		CHECK_EQ(iopt_domain_map_sg(&e.d, 0x50000000ULL, bad, 2, IOPT_READ, &mapped), -EINVAL);
		CHECK_EQ(mapped, 0);
		CHECK_EQ(iopt_iova_to_phys(&e.te.t, 0x50000000ULL), IOPT_PHYS_NONE);
	}
	iopt_gather_init(&g);
	CHECK_EQ(iopt_domain_unmap(&e.d, 0x40000000ULL, 0x204000, &g, &u), 0);
	CHECK_EQ(u, 0x204000);
	iopt_gather_sync(&g);
	denv_close(&e);
}

/* ---- counters ---- */

/* A table with counting on (or off) and flush callbacks (the table counts
 * their calls; env.h's record them). */
static int cenv_open(struct denv *e, enum iopt_domain_mode mode, bool stats)
{
	const struct tenv_opts o = {
		.cfg_flags = stats ? IOPT_CFG_STATS : 0,
		.flush = &tenv_rec_ops,
		.arena_bytes = DENV_ARENA_BYTES,
	};

	return denv_open_opts(e, "arm-lpae-s1-4k", mode, &o);
}

/*
 * The example of the unmap_pages series: 4 MiB mapped with 2 MiB blocks at
 * IOVA 0, unmapped per block and in one call. Expected values, from the
 * geometry (48-bit, 4K granule: root at level 0, then an L1 and an L2 table
 * to reach the two block entries):
 *   map:   3 tables (root + L1 + L2) of 4 KiB; 4 entries written (2 table
 *          entries, 2 blocks); per block 2 engine calls of one descent each;
 *          batched 1 call of 2 descents (the check walk and the write walk,
 *          as iopt_map_pages() documents).
 *   unmap: 2 entries cleared; per block 2 calls of one descent each;
 *          batched 1 call; the two cleared ranges touch, so one flush_range.
 */
TEST(counters_unmap_pages_example)
{
	const uint64_t blk = 2ULL << 20, pa = 0x80000000ULL;

	for (int mode = 0; mode < 2; mode++) {
		bool per_page = mode == IOPT_DOMAIN_PER_PAGE;
		struct iopt_domain_counters c0, c1, c2;
		struct iopt_gather g;
		struct denv e;
		uint64_t u;

		ASSERT(cenv_open(&e, (enum iopt_domain_mode)mode, true) == 0);
		ASSERT_EQ(iopt_domain_get_counters(&e.d, &c0), 0);
		CHECK(c0.walks_counted);
		CHECK_EQ(c0.tables_allocated, 1);          /* the root */
		CHECK_EQ(c0.table_bytes, 4096);
		CHECK_EQ(c0.engine_calls, 0);

		ASSERT_EQ(iopt_domain_map(&e.d, 0, pa, 2 * blk, IOPT_READ), 0);
		ASSERT_EQ(iopt_domain_get_counters(&e.d, &c1), 0);
		CHECK_EQ(c1.map_calls, 1);
		CHECK_EQ(c1.engine_calls, per_page ? 2 : 1);
		CHECK_EQ(c1.walks - c0.walks, 2);
		CHECK_EQ(c1.entries_written, 4);
		CHECK_EQ(c1.entries_cleared, 0);
		CHECK_EQ(c1.tables_allocated, 3);
		CHECK_EQ(c1.table_bytes, 3 * 4096);
		CHECK_EQ(c1.table_bytes_peak, 3 * 4096);
		CHECK_EQ(c1.flush_range_calls + c1.flush_all_calls, 0);

		iopt_gather_init(&g);
		ASSERT_EQ(iopt_domain_unmap(&e.d, 0, 2 * blk, &g, &u), 0);
		CHECK_EQ(u, 2 * blk);
		ASSERT_EQ(iopt_domain_get_counters(&e.d, &c2), 0);
		CHECK_EQ(c2.unmap_calls, 1);
		CHECK_EQ(c2.engine_calls - c1.engine_calls, per_page ? 2 : 1);
		if (per_page) {
			CHECK_EQ(c2.walks - c1.walks, 2);
		} else {
			/* One descent clears both; the engine may also look at
			 * the leaves at both ends (it refuses to split them). */
			CHECK(c2.walks - c1.walks >= 1 && c2.walks - c1.walks <= 3);
		}
		printf("# %s: unmap of 4 MiB of 2M blocks: %" PRIu64
		       " engine calls, %" PRIu64 " walks\n",
		       per_page ? "per page" : "batched",
		       c2.engine_calls - c1.engine_calls, c2.walks - c1.walks);
		CHECK_EQ(c2.entries_cleared, 2);
		CHECK_EQ(c2.flush_range_calls, 0);          /* not synced yet */
		CHECK_EQ(iopt_gather_sync(&g), 0);
		ASSERT_EQ(iopt_domain_get_counters(&e.d, &c2), 0);
		CHECK_EQ(c2.flush_range_calls, 1);
		CHECK_EQ(c2.flush_all_calls, 0);
		CHECK_EQ(c2.tables_freed, 0);   /* the L2 table is only touched */
		CHECK_EQ(c2.table_bytes, 3 * 4096);
		denv_close(&e);
	}
}

/* An unmap that covers a whole table frees it after the flush; the counts
 * follow: one entry cleared (the table entry), one table freed. */
TEST(counters_tables_freed)
{
	struct iopt_domain_counters c0, c1;
	struct iopt_gather g;
	struct denv e;
	uint64_t u;

	ASSERT(cenv_open(&e, IOPT_DOMAIN_BATCHED, true) == 0);
	ASSERT_EQ(iopt_domain_map(&e.d, 0, 0x80000000ULL, 4ULL << 20, IOPT_READ), 0);
	ASSERT_EQ(iopt_domain_get_counters(&e.d, &c0), 0);
	iopt_gather_init(&g);
	ASSERT_EQ(iopt_domain_unmap(&e.d, 0, 1ULL << 30, &g, &u), 0);
	CHECK_EQ(u, 4ULL << 20);
	ASSERT_EQ(iopt_domain_get_counters(&e.d, &c1), 0);
	CHECK_EQ(c1.entries_cleared - c0.entries_cleared, 1);
	CHECK_EQ(c1.tables_freed, 0);           /* not before the flush */
	CHECK_EQ(iopt_gather_sync(&g), 0);
	ASSERT_EQ(iopt_domain_get_counters(&e.d, &c1), 0);
	CHECK_EQ(c1.tables_freed, 1);
	CHECK_EQ(c1.table_bytes, 2 * 4096);
	CHECK_EQ(c1.table_bytes_peak, 3 * 4096);
	CHECK_EQ(c1.flush_range_calls, 1);
	CHECK_EQ(c1.engine_calls, 2);
	denv_close(&e);
}

/* Without IOPT_CFG_STATS walks and entries are not counted; the rest is. */
TEST(counters_without_cfg_stats)
{
	struct iopt_domain_counters c;
	struct iopt_gather g;
	struct denv e;
	uint64_t u;

	ASSERT(cenv_open(&e, IOPT_DOMAIN_PER_PAGE, false) == 0);
	ASSERT_EQ(iopt_domain_map(&e.d, 0x200000, 0x80200000ULL, 0x3000, IOPT_READ), 0);
	iopt_gather_init(&g);
	ASSERT_EQ(iopt_domain_unmap(&e.d, 0x200000, 0x3000, &g, &u), 0);
	iopt_gather_sync(&g);
	ASSERT_EQ(iopt_domain_get_counters(&e.d, &c), 0);
	CHECK(!c.walks_counted);
	CHECK_EQ(c.walks, 0);
	CHECK_EQ(c.entries_written, 0);
	CHECK_EQ(c.entries_cleared, 0);
	CHECK_EQ(c.engine_calls, 6);            /* 3 pages each way */
	CHECK_EQ(c.map_calls, 1);
	CHECK_EQ(c.unmap_calls, 1);
	CHECK_EQ(c.tables_allocated, 4);        /* root, L1, L2, L3 */
	CHECK_EQ(c.flush_range_calls, 1);
	c.map_calls = 12345;
	CHECK_EQ(iopt_domain_get_counters(NULL, &c), -EINVAL);
	CHECK_EQ(iopt_domain_get_counters(&e.d, NULL), -EINVAL);
	CHECK_EQ(c.map_calls, 12345);           /* unchanged on error */
	denv_close(&e);
}
