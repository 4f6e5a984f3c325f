// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Edges of the map/unmap contracts, run on every configuration in
 * h_configs[]: the top of the input space, every page size at its level,
 * contiguous runs, refusals that must leave the table memory bit-identical
 * (-EXDEV, -EEXIST, -ENOENT, argument errors), replacement and reclaim of
 * empty tables, holes, and -ENOMEM with the arena's fail_at hook.
 *
 * "Bit-identical" is checked on the arena bytes [0, bump): every table lives
 * there, and freed blocks hold the poison pattern, so a call that allocated
 * and gave back memory inside that window would also show.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <iopt/mem.h>

#define R IOPT_READ
#define W IOPT_WRITE

#define ARM_CONT (1ULL << 52)

static const struct tenv_opts recording = { .flush = &tenv_rec_ops };

static void do_sync(struct tenv *e)
{
	CHECK_EQ(iopt_gather_sync(&e->g), 0);
}

/* The level whose entries make up a leaf of @size, and the entry size. */
static unsigned int size_level(const struct tenv *e, uint64_t size,
			       uint64_t *esize)
{
	unsigned int bits = lg2(e->blk) - e->gr, l = (lg2(size) - e->gr) / bits;

	*esize = 1ULL << (e->gr + l * bits);
	return l;
}

/* Does this leaf entry belong to a run of several (ARM's contiguous hint;
 * v7s: a supersection at level 1, a large page at level 0; AMD v1:
 * NextLevel 7)? */
static bool pte_is_run(const struct tenv *e, uint64_t pte, unsigned int level)
{
	if (e->cfg.format == IOPT_FMT_AMD_V1) /* NextLevel 7: a sized page */
		return ((pte >> 9) & 7) == 7;
	if (e->cfg.format == IOPT_FMT_ARM_V7S)
		return level ? (pte >> 18) & 1 : (pte & 3) == 1;
	if (e->cfg.format == IOPT_FMT_RISCV)	/* Svnapot's N */
		return pte >> 63;
	return pte & ARM_CONT;
}

/*
 * Can a page of @size sit at base + 2 * size, mapped to 2 * size (where the
 * tests below put each size, apart from the others)? Not the largest AMD
 * v1 sizes: 128T needs 384T of input space.
 */
static bool fits_at_2s(const struct tenv *e, uint64_t size)
{
	return size <= e->top / 3 &&
	       (e->cfg.oas >= 64 || 3 * size <= 1ULL << e->cfg.oas);
}

/* ---- snapshots of the table memory ---- */

/*
 * Map [iova, iova + size) with one leaf of @size, or where the format has
 * no leaf of that size (DART has pages only) with pages.
 */
static int map_span(struct tenv *e, uint64_t iova, uint64_t pa, uint64_t size,
		    unsigned int prot)
{
	if (e->bitmap & size)
		return tenv_map(e, iova, pa, size, 1, prot);
	return tenv_map(e, iova, pa, e->gsz, size / e->gsz, prot);
}

static unsigned char snap_buf[ARENA_BYTES];

struct snap {
	size_t bump, used;
};

static void snap_take(struct tenv *e, struct snap *s)
{
	s->bump = e->a.bump;
	s->used = e->a.used;
	memcpy(snap_buf, e->a.base, s->bump);
}

/*
 * @strict: the arena's bump pointer must not have moved either; then every
 * byte is the same. Otherwise fresh memory was carved and its alignment gap
 * listed free, which may rewrite the links at the start of free units (the
 * arena's own, not table memory); every other byte must be the same.
 */
static bool snap_same(struct tenv *e, const struct snap *s, bool strict)
{
	if (strict && e->a.bump != s->bump)
		return false;
	if (e->a.used != s->used || e->a.bump < s->bump)
		return false;
	for (size_t off = 0; off < s->bump; off += 64) {
		size_t from = iopt_arena_is_free(&e->a, ARENA_PHYS + off, 64) ?
			      IOPT_ARENA_LINK_BYTES : 0;

		if (memcmp(snap_buf + off + from, e->a.base + off + from,
			   64 - from))
			return false;
	}
	return true;
}

/* Expect @call to fail with @err and change nothing. */
#define EXPECT_ERR(e, s, call, err)                                          \
	do {                                                                 \
		int r_ = (call);                                             \
		if (r_ != (err))                                             \
			H_FAIL("%s: %s = %d, expected %d", cfg->name, #call, \
			       r_, (int)(err));                              \
		if (!snap_same((e), (s), true))                              \
			H_FAIL("%s: %s changed the table memory", cfg->name, \
			       #call);                                       \
	} while (0)

/* The same, for a call that must also report 0 bytes through @out. */
#define EXPECT_ERR_NONE(e, s, out, call, err)                                \
	do {                                                                 \
		(out) = 1;                                                   \
		EXPECT_ERR(e, s, call, err);                                 \
		CHECK_EQ(out, 0);                                            \
	} while (0)

/* ------------------------------------------------------------------ */

/*
 * Largest and smallest page at the last possible IOVA (and, on x86, at the
 * top of both canonical halves and the start of the upper half), mapped to
 * the highest output address, looked up, unmapped.
 */
TEST_CFG(top_of_address_space)
{
	struct tenv e;
	uint64_t sizes[2], ends[3];
	unsigned int nr_ends = 0;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	sizes[0] = e.gsz;
	sizes[1] = 1ULL << lg2(e.bitmap);
	ends[nr_ends++] = e.base + e.top; /* TTBR1: 0, for 2^64 */
	if (e.sext)
		ends[nr_ends++] = 0; /* 2^64: the upper half's end */

	for (unsigned int s = 0; s < 2; s++) {
		uint64_t size = sizes[s];
		uint64_t pa = (1ULL << e.cfg.oas) - size;

		for (unsigned int k = 0; k < nr_ends + e.sext; k++) {
			uint64_t iova, phys = 0, len = 0, unmapped = 0;

			/* k == nr_ends on x86: the first upper-half page */
			iova = k < nr_ends ? ends[k] - size : 0 - e.top;
			if (tenv_map(&e, iova, pa, size, 1, R | W))
				continue;
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova + size - 1),
				 pa + size - 1);
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova), pa);
			CHECK_EQ(iopt_iova_to_phys_length(&e.t, iova + size - 1,
							  &phys, &len, NULL), 0);
			CHECK_EQ(phys, pa + size - 1);
			CHECK_EQ(len, size);
			CHECK_EQ(iopt_iova_to_pgsize(&e.t, iova), size);
			if (iova)
				CHECK_EQ(iopt_iova_to_phys(&e.t, iova - 1),
					 IOPT_PHYS_NONE);
			/* Mapping it again is refused. */
			{
				uint64_t m = 1;

				CHECK_EQ(iopt_map_pages(&e.t, iova, pa, size, 1,
							R, 0, &m), -EEXIST);
				CHECK_EQ(m, 0);
			}
			if (k == 1) {
				/* the range ends exactly at 2^64: no wrap */
				CHECK_EQ(iopt_unmap_range(&e.t, iova, size,
					 IOPT_UNMAP_NO_HOLES, &e.g, &unmapped), 0);
			} else {
				CHECK_EQ(iopt_unmap_pages(&e.t, iova, size, 1,
					 IOPT_UNMAP_NO_HOLES, &e.g, &unmapped), 0);
			}
			CHECK_EQ(unmapped, size);
			do_sync(&e);
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova), IOPT_PHYS_NONE);
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova + size - 1),
				 IOPT_PHYS_NONE);
			/* map_range gets the same page at the same place */
			{
				uint64_t m = 0;

				CHECK_EQ(iopt_map_range(&e.t, iova, pa, size,
							R, 0, &m), 0);
				CHECK_EQ(m, size);
				CHECK_EQ(iopt_iova_to_pgsize(&e.t, iova), size);
				tenv_unmap(&e, iova, size, size);
				do_sync(&e);
			}
		}
	}

	/* Past the end: outside the input space. TTBR1, whose space ends
	 * at 2^64: base + top is 0, below its start, and the ranges across
	 * an edge cross its start. */
	{
		uint64_t m = 1, phys, len, end = e.base + e.top;
		uint64_t xe = e.base ? e.base - e.gsz : e.top - e.gsz;
		struct iopt_path p;

		CHECK_EQ(iopt_map_pages(&e.t, end, 0, e.gsz, 1, R, 0, &m),
			 -ERANGE);
		CHECK_EQ(m, 0);
		CHECK_EQ(iopt_map_pages(&e.t, xe, 0, e.gsz, 2, R, 0, &m),
			 -ERANGE);
		CHECK_EQ(m, 0);
		CHECK_EQ(iopt_iova_to_phys(&e.t, end), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, end, &phys, &len,
						  NULL), -ERANGE);
		CHECK_EQ(iopt_walk_path(&e.t, end, &p), -ERANGE);
		CHECK_EQ(iopt_unmap_range(&e.t, xe, 2 * e.gsz, 0, &e.g, &m),
			 -ERANGE);
		if (e.sext) {
			/* the last non-canonical page below the upper half */
			CHECK_EQ(iopt_map_pages(&e.t, 0 - e.top - e.gsz, 0,
						e.gsz, 1, R, 0, &m), -ERANGE);
		}
	}
	/* Nothing left but the root. */
	CHECK_EQ(iopt_iova_to_phys(&e.t, e.base), IOPT_PHYS_NONE);
out:
	tenv_close(&e);
}

/*
 * Every page size in the bitmap, each at iova base + 2 * size (so the
 * regions do not overlap) mapped to 2 * size, found at the level it
 * belongs to, with the contiguous bit exactly when the size spans several
 * entries.
 */
TEST_CFG(every_size_every_level)
{
	struct tenv e;
	uint64_t total = 0;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (uint64_t bm = e.bitmap; bm; bm &= bm - 1) {
			uint64_t s = bm & -bm, iova = e.base + 2 * s, pa = 2 * s;
			uint64_t esize, phys, len;
			unsigned int level = size_level(&e, s, &esize);
			struct iopt_path p;

			if (!fits_at_2s(&e, s))
				continue;

			if (pass == 0) {
				if (tenv_map(&e, iova, pa, s, 1, R | W))
					continue;
			} else {
				uint64_t m = 0;

				/* map_range picks the same size here */
				CHECK_EQ(iopt_map_range(&e.t, iova, pa, s,
							R | W, 0, &m), 0);
				CHECK_EQ(m, s);
			}
			total += s;
			CHECK_EQ(iopt_iova_to_pgsize(&e.t, iova), s);
			CHECK_EQ(iopt_iova_to_pgsize(&e.t, iova + s - 1), s);
			CHECK_EQ(iopt_iova_to_phys_length(&e.t, iova + s / 2,
							  &phys, &len, NULL), 0);
			CHECK_EQ(phys, pa + s / 2);
			CHECK_EQ(len, s);
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova - 1),
				 IOPT_PHYS_NONE);
			CHECK_EQ(iopt_iova_to_phys(&e.t, iova + s),
				 IOPT_PHYS_NONE);
			for (unsigned int end = 0; end < 2; end++) {
				uint64_t at = end ? iova + s - esize : iova;

				if (iopt_walk_path(&e.t, at, &p) || !p.depth) {
					H_FAIL("walk 0x%" PRIx64, at);
					continue;
				}
				if (p.level[p.depth - 1] != level)
					H_FAIL("%s: size 0x%" PRIx64 " leaf at level"
					       " %u, expected %u", cfg->name, s,
					       p.level[p.depth - 1], level);
				if (e.sext)
					continue;
				if (pte_is_run(&e, p.pte[p.depth - 1], level) !=
				    (esize != s))
					H_FAIL("%s: size 0x%" PRIx64 " pte 0x%"
					       PRIx64 ": contiguous bit wrong",
					       cfg->name, s, p.pte[p.depth - 1]);
			}
		}
		for (uint64_t bm = e.bitmap; bm; bm &= bm - 1) {
			uint64_t s = bm & -bm, unmapped = 0;

			if (!fits_at_2s(&e, s))
				continue;
			CHECK_EQ(iopt_unmap_pages(&e.t, e.base + 2 * s, s, 1, 0,
						  &e.g, &unmapped), 0);
			CHECK_EQ(unmapped, s);
			total -= s;
		}
		do_sync(&e);
		for (uint64_t bm = e.bitmap; bm; bm &= bm - 1) {
			uint64_t s = bm & -bm;

			if (!fits_at_2s(&e, s))
				continue;
			CHECK_EQ(iopt_iova_to_phys(&e.t, e.base + 2 * s),
				 IOPT_PHYS_NONE);
		}
	}
	CHECK_EQ(total, 0);
out:
	tenv_close(&e);
}

/*
 * map_range over a region aligned to the first size above the granule uses
 * that size (a contiguous run on ARM); with a misaligned paddr it cannot.
 */
TEST_CFG(contiguous_runs)
{
	struct tenv e;
	uint64_t c, esize, x, m, len, phys;
	struct iopt_path p;
	bool is_run;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	c = (e.bitmap & (e.bitmap - 1)) & -(e.bitmap & (e.bitmap - 1));
	if (!c) /* one page size only (DART): nothing above the granule */
		goto out;
	size_level(&e, c, &esize);
	is_run = esize != c;
	/* ARM LPAE has the contiguous hint; x86 and Mali do not. */
	if ((e.cfg.format == IOPT_FMT_ARM_LPAE_S1 ||
	     e.cfg.format == IOPT_FMT_ARM_LPAE_S2) && !is_run)
		H_FAIL("%s: no contiguous size above the granule", cfg->name);
	x = e.base + (4 * e.blk > 4 * c ? 4 * e.blk : 4 * c);

	/* aligned iova and paddr: one leaf of c */
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL, c, R | W, 0, &m), 0);
	CHECK_EQ(m, c);
	for (uint64_t off = 0; off < c; off += e.gsz) {
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, x + off, &phys, &len,
						  NULL), 0);
		CHECK_EQ(phys, 0x80000000ULL + off);
		if (len != c) {
			H_FAIL("%s: aligned map_range: length 0x%" PRIx64
			       " at +0x%" PRIx64, cfg->name, len, off);
			break;
		}
	}
	if (is_run && !iopt_walk_path(&e.t, x + c - e.gsz, &p) && p.depth)
		CHECK(pte_is_run(&e, p.pte[p.depth - 1],
				 p.level[p.depth - 1]));

	/* paddr misaligned by one granule: only granule pages */
	x += 2 * c;
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL + e.gsz, c, R | W, 0,
				&m), 0);
	CHECK_EQ(m, c);
	for (uint64_t off = 0; off < c; off += e.gsz) {
		CHECK_EQ(iopt_iova_to_phys_length(&e.t, x + off, &phys, &len,
						  NULL), 0);
		CHECK_EQ(phys, 0x80000000ULL + e.gsz + off);
		if (len != e.gsz) {
			H_FAIL("%s: misaligned map_range: length 0x%" PRIx64
			       " at +0x%" PRIx64, cfg->name, len, off);
			break;
		}
		if (!e.x86 && !iopt_walk_path(&e.t, x + off, &p) && p.depth &&
		    pte_is_run(&e, p.pte[p.depth - 1], p.level[p.depth - 1])) {
			H_FAIL("%s: contiguous bit without alignment",
			       cfg->name);
			break;
		}
	}

	/* c + granule: a run of c then one granule page */
	x += 2 * c;
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL, c + e.gsz, R, 0, &m),
		 0);
	CHECK_EQ(m, c + e.gsz);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x), c);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + c - 1), c);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + c), e.gsz);

	/* c - granule: too short for a run */
	x += 2 * c;
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL, c - e.gsz, R, 0, &m),
		 0);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x), e.gsz);

	/* iova misaligned, paddr aligned: granule pages */
	x += 2 * c + e.gsz;
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL, c, R, 0, &m), 0);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x), e.gsz);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + c - e.gsz), e.gsz);

	/* Two runs side by side; an unmap across their seam splits both. */
	x += 3 * c - e.gsz;
	CHECK_EQ(iopt_map_range(&e.t, x, 0x80000000ULL, 2 * c, R, 0, &m), 0);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + c), c);
	{
		struct snap s;
		uint64_t u = 1;

		snap_take(&e, &s);
		EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x + c - e.gsz,
						    2 * e.gsz, 0, &e.g, &u),
			   -EXDEV);
		CHECK_EQ(u, 0);
		/* the whole run, as granule pages: fine */
		CHECK_EQ(iopt_unmap_pages(&e.t, x, e.gsz, c / e.gsz, 0, &e.g,
					  &u), 0);
		CHECK_EQ(u, c);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + c), c);
		do_sync(&e);
	}
out:
	tenv_close(&e);
}

/*
 * An unmap whose range starts or ends inside a leaf (or a contiguous run)
 * fails with -EXDEV and changes nothing.
 */
/*
 * An unmap over many tables is one walk: the split checks of both ends are
 * made on the way down, not by walks of their own. A strict (NO_HOLES)
 * unmap adds one pass over the range; a single-item unmap is one descent.
 */
TEST_CFG(unmap_is_one_walk)
{
	static const struct tenv_opts counting = { .cfg_flags = IOPT_CFG_STATS };
	struct tenv e;
	struct iopt_stats st;
	uint64_t b, w, o;
	bool blocks;

	if (tenv_open(&e, cfg->name, &counting))
		goto out;
	b = e.blk;
	o = e.base;
	blocks = e.bitmap & b;
	/* two leaf tables of pages, then a block: [b, 3b) and [3b, 4b)
	 * from base
	 * (without blocks, a third leaf table) */
	if (tenv_map(&e, o + b, 0, e.gsz, 2 * b / e.gsz, R) ||
	    map_span(&e, o + 3 * b, 3 * b, b, R | W))
		goto out;
	for (unsigned int strict = 0; strict < 2; strict++) {
		uint64_t u = 0;

		iopt_get_stats(&e.t, &st);
		w = st.walks;
		CHECK_EQ(iopt_unmap_range(&e.t, o + b, 3 * b,
					  strict ? IOPT_UNMAP_NO_HOLES : 0,
					  &e.g, &u), 0);
		CHECK_EQ(u, 3 * b);
		iopt_get_stats(&e.t, &st);
		CHECK_EQ(st.walks - w, 1 + strict);
		do_sync(&e);
		if (tenv_map(&e, o + b, 0, e.gsz, 2 * b / e.gsz, R) ||
		    map_span(&e, o + 3 * b, 3 * b, b, R | W))
			goto out;
	}
	if (!blocks) /* nothing below can be refused for a split */
		goto out;
	/* a refused unmap is one walk too, and changes nothing */
	iopt_get_stats(&e.t, &st);
	w = st.walks;
	{
		uint64_t u = 1;

		CHECK_EQ(iopt_unmap_range(&e.t, o + b, 2 * b + e.gsz, 0, &e.g,
					  &u),
			 -EXDEV);
		CHECK_EQ(u, 0);
	}
	iopt_get_stats(&e.t, &st);
	CHECK_EQ(st.walks - w, 1);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, o + 3 * b), b);
	/* one block alone: the single-item path */
	iopt_get_stats(&e.t, &st);
	w = st.walks;
	tenv_unmap(&e, o + 3 * b, b, b);
	iopt_get_stats(&e.t, &st);
	CHECK_EQ(st.walks - w, 1);
	do_sync(&e);
out:
	tenv_close(&e);
}

TEST_CFG(no_split)
{
	struct tenv e;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	/* a neighbour page, so that the table is not otherwise empty */
	tenv_map(&e, e.base, 0, e.gsz, 1, R);
	for (uint64_t bm = e.bitmap & (e.bitmap - 1); bm; bm &= bm - 1) {
		uint64_t s = bm & -bm, x = e.base + 2 * s, g = e.gsz, u;
		struct snap sn;

		if (!fits_at_2s(&e, s))
			continue;
		if (tenv_map(&e, x, 2 * s, s, 1, R | W))
			continue;
		tenv_map(&e, x - g, 0x1000000ULL, g, 1, R);
		tenv_rec_reset(&e);
		snap_take(&e, &sn);
		u = 1;
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x + g, g, 0, &e.g,
						     &u), -EXDEV);
		CHECK_EQ(u, 0);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x, s - g, 0, &e.g,
						     &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x + g, s, 0, &e.g,
						     &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x - g, 2 * g, 0,
						     &e.g, &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x + s - g, 2 * g,
						     0, &e.g, &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_pages(&e.t, x + g, g, 1, 0,
						     &e.g, &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_pages(&e.t, x, g, s / g - 1, 0,
						     &e.g, &u), -EXDEV);
		CHECK_EQ(u, 0);
		/* nothing was queued: the gather flushes nothing */
		do_sync(&e);
		CHECK_EQ(e.nr_range + e.nr_all, 0);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + g), s);
		CHECK_EQ(iopt_iova_to_phys(&e.t, x - g), 0x1000000ULL);
		/* covering it whole (plus the neighbour) works */
		tenv_unmap(&e, x - g, s + g, s + g);
		do_sync(&e);
		CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
	}

	/*
	 * Whole leaf tables before (or after) the leaf that would be split:
	 * they must not be cleared or queued either. (No block, no split.)
	 */
	if (e.bitmap & e.blk) {
		uint64_t b = e.blk, x = e.base + 8 * b, n = b / e.gsz, u = 1;
		struct snap sn;

		if (tenv_map(&e, x, 8 * b, b, 1, R) ||
		    tenv_map(&e, x - 2 * b, 0, e.gsz, 2 * n, R) ||
		    tenv_map(&e, x + b, 0, e.gsz, 2 * n, R))
			goto out;
		tenv_rec_reset(&e);
		snap_take(&e, &sn);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x - 2 * b,
						     2 * b + e.gsz, 0, &e.g,
						     &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x + e.gsz,
						     3 * b - e.gsz, 0, &e.g,
						     &u), -EXDEV);
		EXPECT_ERR(&e, &sn, iopt_unmap_range(&e.t, x - b,
						     b + b / 2, 0, &e.g, &u),
			   -EXDEV);
		CHECK_EQ(u, 0);
		do_sync(&e);
		CHECK_EQ(e.nr_range + e.nr_all, 0);
		CHECK_EQ(iopt_iova_to_phys(&e.t, x - 2 * b), 0);
		CHECK_EQ(iopt_iova_to_phys(&e.t, x + 3 * b - e.gsz),
			 2 * b - e.gsz);
		tenv_unmap(&e, x - 2 * b, 5 * b, 5 * b);
		do_sync(&e);
	}
out:
	tenv_close(&e);
}

/*
 * Mapping over an existing leaf, over a table that has a live entry below,
 * or partly over either fails with -EEXIST and changes nothing.
 */
TEST_CFG(no_overmap)
{
	struct tenv e;
	uint64_t g, b, x, y, big, m;
	struct snap s;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.base + 4 * b;
	y = e.base + 8 * b;
	big = 1ULL << lg2(e.bitmap);
	if (tenv_map(&e, x + g, 0x80000000ULL, g, 1, R | W) ||
	    map_span(&e, y, 0x80000000ULL, b, R | W))
		goto out;
	snap_take(&e, &s);
#define EEX(call) EXPECT_ERR_NONE(&e, &s, m, call, -EEXIST)
	if (!(e.bitmap & b)) {
		/* Pages only (DART): y holds a block's span of pages. */
		EEX(iopt_map_pages(&e.t, x + g, 0x80000000ULL, g, 1, R | W, 0,
				   &m));
		EEX(iopt_map_pages(&e.t, x, 0x80000000ULL, g, 3, R, 0, &m));
		EEX(iopt_map_range(&e.t, x, 0x80000000ULL, b, R, 0, &m));
		EEX(iopt_map_pages(&e.t, y + g, 0x80000000ULL, g, 1, R, 0,
				   &m));
		EEX(iopt_map_pages(&e.t, y - g, 0x80000000ULL, g, 2, R, 0,
				   &m));
		EEX(iopt_map_range(&e.t, y + b - g, 0, 2 * g, R, 0, &m));
		EEX(iopt_map_range(&e.t, e.base, 0, e.top, R,
				   IOPT_MAP_ALL_OR_NOTHING, &m));
		CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, y - g), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, y + b), IOPT_PHYS_NONE);
		CHECK_EQ(iopt_iova_to_phys(&e.t, y + b - g),
			 0x80000000ULL + b - g);
		goto out;
	}
	/* the same page again, with the same or other attributes */
	EEX(iopt_map_pages(&e.t, x + g, 0x80000000ULL, g, 1, R | W, 0, &m));
	EEX(iopt_map_pages(&e.t, x + g, 0x90000000ULL, g, 1, R, 0, &m));
	/* a run whose second page is taken: the first is not written */
	EEX(iopt_map_pages(&e.t, x, 0x80000000ULL, g, 3, R, 0, &m));
	EEX(iopt_map_range(&e.t, x, 0x80000000ULL, 3 * g, R, 0, &m));
	EEX(iopt_map_pages(&e.t, x, 0x80000000ULL, g, 3, R,
			   IOPT_MAP_ALL_OR_NOTHING, &m));
	/* a block over the table holding that page */
	EEX(iopt_map_pages(&e.t, x, 0x80000000ULL, b, 1, R, 0, &m));
	EEX(iopt_map_range(&e.t, x, 0x80000000ULL, b, R, 0, &m));
	/* the largest size over everything, including the tables above
	 * (when it reaches x: VT-d without 1G stops at 2M) */
	if (x + g - e.base < big)
		EEX(iopt_map_pages(&e.t, e.base, 0, big, 1, R, 0, &m));
	/* every size in between whose region holds the page */
	for (uint64_t bm = e.bitmap & (e.bitmap - 1); bm; bm &= bm - 1) {
		uint64_t sz = bm & -bm;

		EEX(iopt_map_pages(&e.t, (x + g) & ~(sz - 1), 0, sz, 1, R, 0,
				   &m));
	}
	/* inside, over and around the block at y */
	EEX(iopt_map_pages(&e.t, y + g, 0x80000000ULL, g, 1, R, 0, &m));
	EEX(iopt_map_pages(&e.t, y, 0x80000000ULL, b, 1, R, 0, &m));
	EEX(iopt_map_pages(&e.t, y - g, 0x80000000ULL, g, 2, R, 0, &m));
	EEX(iopt_map_pages(&e.t, y - b, 0x80000000ULL, b, 2, R, 0, &m));
	EEX(iopt_map_range(&e.t, y - g, 0, 2 * g, R, 0, &m));
	EEX(iopt_map_range(&e.t, y + b - g, 0, 2 * g, R, 0, &m));
#undef EEX
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, y - g), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, y + b), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + g), 0x80000000ULL);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, y), b);
	/* next to them is free */
	CHECK_EQ(iopt_map_pages(&e.t, x, 0x80000000ULL, g, 1, R, 0, &m), 0);
	CHECK_EQ(iopt_map_pages(&e.t, y + b, 0x80000000ULL, b, 1, R, 0, &m),
		 0);
out:
	tenv_close(&e);
}

/*
 * Partial unmaps leave empty tables linked. A block mapped over them
 * replaces them: flush (leaf_only false) while they are still allocated,
 * then free them. An unmap covering them reclaims them through the gather.
 */
TEST_CFG(empty_table_replacement)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t g, b, x, m, u;
	uint64_t lvl1 = 0;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.base + 4 * b;

	/* 1. one empty leaf table under a block-sized slot */
	if (tenv_map(&e, x + g, 0x80000000ULL, g, 1, R | W))
		goto out;
	ASSERT_EQ(iopt_walk_path(&e.t, x + g, &p), 0);
	ASSERT(p.depth >= 2);
	tenv_unmap(&e, x + g, g, g);
	tenv_rec_reset(&e);
	tenv_watch(&e, p.table_phys[p.depth - 1]);
	do_sync(&e);
	CHECK(e.nr_range >= 1);
	CHECK(e.nr_range < 1 || e.r[0].leaf_only);
	CHECK(!iopt_arena_is_free(&e.a, e.watch[0], 64));
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + g), IOPT_PHYS_NONE);
	/* the empty table is still linked */
	ASSERT_EQ(iopt_walk_path(&e.t, x + g, &p), 0);
	CHECK_EQ(p.table_phys[p.depth - 1], e.watch[0]);
	CHECK_EQ(p.pte[p.depth - 1], 0);

	if (!(e.bitmap & b)) /* no leaf can replace a table (DART) */
		goto reclaim;
	tenv_rec_reset(&e);
	tenv_watch(&e, p.table_phys[p.depth - 1]);
	m = 0;
	CHECK_EQ(iopt_map_pages(&e.t, x, 0x80000000ULL, b, 1, R | W, 0, &m),
		 0);
	CHECK_EQ(m, b);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x), b);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + g), 0x80000000ULL + g);
	CHECK_EQ(e.freed_early, 0);
	CHECK(e.nr_range + e.nr_all >= 1);
	if (!tenv_flushed(&e, x, b, true))
		H_FAIL("%s: replacing the empty table flushed no walk range "
		       "over [0x%" PRIx64 ", +0x%" PRIx64 ")", cfg->name, x, b);
	if (!iopt_arena_is_free(&e.a, e.watch[0], 64))
		H_FAIL("%s: the replaced empty table was not freed",
		       cfg->name);
	else /* (the arena's own tests check every word of a freed block) */
		CHECK_EQ(*(uint64_t *)(void *)(e.a.base + 56 +
			 (e.watch[0] - ARENA_PHYS)), IOPT_ARENA_POISON);

	/* 2. two nested empty tables under the next real leaf level */
	for (uint64_t bm = e.bitmap; bm; bm &= bm - 1) {
		uint64_t s = bm & -bm, es;

		if (s > b && size_level(&e, s, &es) == 2 && es == s)
			lvl1 = s;
	}
	if (lvl1 && 2 * lvl1 + lvl1 <= e.top) {
		uint64_t y = e.base + 2 * lvl1;

		if (tenv_map(&e, y + g, 0x80000000ULL, g, 1, R))
			goto out;
		ASSERT_EQ(iopt_walk_path(&e.t, y + g, &p), 0);
		ASSERT(p.depth >= 3);
		tenv_unmap(&e, y + g, g, g);
		do_sync(&e);
		tenv_rec_reset(&e);
		tenv_watch(&e, p.table_phys[p.depth - 1]);
		tenv_watch(&e, p.table_phys[p.depth - 2]);
		/* a live leaf in a sibling table blocks the large page */
		tenv_map(&e, y + lvl1 - g, 0x80000000ULL, g, 1, R);
		{
			struct snap s;

			snap_take(&e, &s);
			m = 1;
			EXPECT_ERR(&e, &s, iopt_map_pages(&e.t, y, 0, lvl1, 1, R,
							  0, &m), -EEXIST);
			CHECK_EQ(m, 0);
		}
		tenv_unmap(&e, y + lvl1 - g, g, g);
		do_sync(&e);
		tenv_rec_reset(&e);
		tenv_watch(&e, p.table_phys[p.depth - 1]);
		tenv_watch(&e, p.table_phys[p.depth - 2]);
		CHECK_EQ(iopt_map_pages(&e.t, y, 0, lvl1, 1, R, 0, &m), 0);
		CHECK_EQ(iopt_iova_to_pgsize(&e.t, y + g), lvl1);
		CHECK_EQ(e.freed_early, 0);
		CHECK(tenv_flushed(&e, y, lvl1, true));
		CHECK(iopt_arena_is_free(&e.a, e.watch[0], 64));
		CHECK(iopt_arena_is_free(&e.a, e.watch[1], 64));
	}

reclaim:
	/* 3. an unmap that covers an empty table reclaims it */
	x = e.base + 12 * b;
	if (tenv_map(&e, x + g, 0x80000000ULL, g, 1, R))
		goto out;
	ASSERT_EQ(iopt_walk_path(&e.t, x + g, &p), 0);
	tenv_unmap(&e, x + g, g, g);
	do_sync(&e);
	CHECK(!iopt_arena_is_free(&e.a, p.table_phys[p.depth - 1], 64));
	u = 1;
	CHECK_EQ(iopt_unmap_range(&e.t, x, b, 0, &e.g, &u), 0);
	CHECK_EQ(u, 0);
	/* queued, not freed, until the gather is synced */
	CHECK(!iopt_arena_is_free(&e.a, p.table_phys[p.depth - 1], 64));
	tenv_rec_reset(&e);
	tenv_watch(&e, p.table_phys[p.depth - 1]);
	do_sync(&e);
	CHECK_EQ(e.freed_early, 0);
	CHECK(tenv_flushed(&e, x, b, true));
	CHECK(iopt_arena_is_free(&e.a, e.watch[0], 64));
	/* and the slot is empty now: a block fits without a flush */
	tenv_rec_reset(&e);
	CHECK_EQ(map_span(&e, x, 0, b, R), 0);
	CHECK_EQ(e.nr_range + e.nr_all, 0);
out:
	tenv_close(&e);
}

/*
 * A map that fails leaves empty tables it would have replaced alone: on
 * -EEXIST later in the range, and on -ENOMEM with IOPT_MAP_ALL_OR_NOTHING.
 */
TEST_CFG(failed_map_keeps_empty_tables)
{
	struct tenv e;
	struct iopt_path p;
	uint64_t g, b, x, m, empty;
	struct snap s;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.base + 16 * b;
	/* an empty leaf table at slot x */
	if (tenv_map(&e, x + g, 0, g, 1, R))
		goto out;
	ASSERT_EQ(iopt_walk_path(&e.t, x + g, &p), 0);
	empty = p.table_phys[p.depth - 1];
	tenv_unmap(&e, x + g, g, g);
	do_sync(&e);
	/* a live page in the slot after it */
	if (tenv_map(&e, x + b + g, 0, g, 1, R))
		goto out;

	tenv_rec_reset(&e);
	snap_take(&e, &s);
	m = 1;
	if (e.bitmap & b) {
		EXPECT_ERR(&e, &s, iopt_map_pages(&e.t, x, 0, b, 2, R, 0, &m),
			   -EEXIST);
		CHECK_EQ(m, 0);
	}
	EXPECT_ERR(&e, &s, iopt_map_range(&e.t, x, 0, 2 * b, R, 0, &m),
		   -EEXIST);
	EXPECT_ERR(&e, &s, iopt_map_range(&e.t, x, 0, b + 2 * g, R,
					  IOPT_MAP_ALL_OR_NOTHING, &m),
		   -EEXIST);
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK(!iopt_arena_is_free(&e.a, empty, 64));

	/* a block over the empty table, then a page that needs a new leaf
	 * table, whose allocation fails (DART: pages fill the empty table) */
	tenv_unmap(&e, x + b + g, g, g);
	tenv_unmap(&e, x + b, b, 0); /* reclaims that table */
	do_sync(&e);
	tenv_rec_reset(&e);
	snap_take(&e, &s);
	e.a.fail_at = e.a.attempts + 1;
	m = 1;
	CHECK_EQ(iopt_map_range(&e.t, x, 0, b + g, R, IOPT_MAP_ALL_OR_NOTHING,
				&m), -ENOMEM);
	e.a.fail_at = 0;
	CHECK_EQ(m, 0);
	if (!snap_same(&e, &s, false))
		H_FAIL("%s: -ENOMEM with ALL_OR_NOTHING changed the table "
		       "memory (used %zu -> %zu); empty table 0x%" PRIx64
		       " %s", cfg->name, s.used, e.a.used, empty,
		       iopt_arena_is_free(&e.a, empty, 64) ? "freed" : "kept");
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + b), IOPT_PHYS_NONE);

	/* without the flag: the block goes in, the page does not */
	e.a.fail_at = e.a.attempts + 1;
	m = 1;
	CHECK_EQ(iopt_map_range(&e.t, x, 0, b + g, R, 0, &m), -ENOMEM);
	e.a.fail_at = 0;
	CHECK(m == 0 || m == b);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), m ? 0 : IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + b), IOPT_PHYS_NONE);
	if (m && (e.bitmap & b)) {
		CHECK(iopt_arena_is_free(&e.a, empty, 64));
		CHECK(tenv_flushed(&e, x, b, true));
	}
out:
	tenv_close(&e);
}

/* Unmap over holes: only the mapped bytes count; NO_HOLES refuses. */
TEST_CFG(holes)
{
	struct tenv e;
	uint64_t g, b, x, u;
	struct snap s;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.base + 4 * b;
	if (tenv_map(&e, x, 0x80000000ULL, g, 1, R) ||
	    tenv_map(&e, x + 2 * g, 0x80000000ULL, g, 1, R) ||
	    map_span(&e, x + b, 0x80000000ULL, b, R))
		goto out;
	snap_take(&e, &s);
	u = 1;
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x, 3 * g,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	CHECK_EQ(u, 0);
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x, 2 * b,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x + g, g,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	EXPECT_ERR(&e, &s, iopt_unmap_pages(&e.t, x, g, 3,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	/* a hole before a block */
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x + b - g, b + g,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	/* far away, in tables that do not exist */
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, e.base + e.top - g, g,
					    IOPT_UNMAP_NO_HOLES, &e.g, &u),
		   -ENOENT);
	tenv_rec_reset(&e);
	do_sync(&e);
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), 0x80000000ULL);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + 2 * g), 0x80000000ULL);

	/* without the flag: holes are skipped, not counted */
	u = 0;
	CHECK_EQ(iopt_unmap_range(&e.t, e.base + e.top - g, g, 0, &e.g, &u), 0);
	CHECK_EQ(u, 0);
	tenv_unmap(&e, x, 3 * g, 2 * g);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x + 2 * g), IOPT_PHYS_NONE);
	tenv_unmap(&e, x + b - g, b + g, b);
	tenv_unmap(&e, x, 2 * b, 0);
	tenv_rec_reset(&e);
	do_sync(&e);
	CHECK(e.nr_range + e.nr_all >= 1);
	CHECK(tenv_flushed(&e, x, g, false));
	CHECK(tenv_flushed(&e, x + 2 * g, g, false));
	CHECK(tenv_flushed(&e, x + b, b, false));
	/* NO_HOLES on a fully mapped range works */
	if (!tenv_map(&e, x, 0, g, 4, R)) {
		CHECK_EQ(iopt_unmap_range(&e.t, x, 4 * g, IOPT_UNMAP_NO_HOLES,
					  &e.g, &u), 0);
		CHECK_EQ(u, 4 * g);
		do_sync(&e);
	}
out:
	tenv_close(&e);
}

/* Argument errors: the documented code, and nothing changes. */
TEST_CFG(bad_input)
{
	struct tenv e;
	uint64_t g, b, x, y, xe, end, pa, oas_end, m, u, phys, len, cnt = 0;
	unsigned int prot;
	struct iopt_path p;
	struct snap s;

	if (tenv_open(&e, cfg->name, &recording))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.base + 4 * b;
	y = e.base + 8 * b;
	/* the page before an edge of the space: its end, or TTBR1 (ending
	 * at 2^64) its start */
	xe = e.base ? e.base - g : e.top - g;
	end = e.base + e.top; /* TTBR1: 0, below the space */
	pa = 0x80000000ULL;
	oas_end = 1ULL << e.cfg.oas;
	if (tenv_map(&e, x, pa, g, 1, R) || map_span(&e, y, pa, b, R))
		goto out;
	snap_take(&e, &s);

#define BAD_MAP(call, err) EXPECT_ERR_NONE(&e, &s, m, call, err)
	/* misalignment */
	BAD_MAP(iopt_map_pages(&e.t, x + b + g, pa, b, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + b, pa + g, b, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + g + 8, pa, g, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa + 8, g, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_range(&e.t, x + g + g / 2, pa, g, R, 0, &m),
		-EINVAL);
	BAD_MAP(iopt_map_range(&e.t, x + g, pa + g / 2, g, R, 0, &m),
		-EINVAL);
	BAD_MAP(iopt_map_range(&e.t, x + g, pa, g + g / 2, R, 0, &m),
		-EINVAL);
	/* page sizes not in the bitmap (AMD v1 has every power of two) */
	if (!(e.bitmap & (2 * g)))
		BAD_MAP(iopt_map_pages(&e.t, x + b, pa, 2 * g, 1, R, 0, &m),
			-EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + b, pa, g / 2, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + b, pa, 0, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + b, pa, g | b, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, 0, 0, 1ULL << 63, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + b, pa, 3, 1, R, 0, &m), -EINVAL);
	/* counts and sizes of zero */
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, 0, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_range(&e.t, x + g, pa, 0, R, 0, &m), -EINVAL);
	/* prot without READ or WRITE */
	for (prot = 0; prot <= IOPT_PROT_ALL; prot++) {
		if (prot & (R | W))
			continue;
		BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, 1, prot, 0, &m),
			-EINVAL);
		BAD_MAP(iopt_map_range(&e.t, x + g, pa, g, prot, 0, &m),
			-EINVAL);
	}
	/* unknown flags */
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, 1, R, 1u << 5, &m),
		-EINVAL);
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, 1, R, ~0u, &m), -EINVAL);
	BAD_MAP(iopt_map_range(&e.t, x + g, pa, g, R, 1u << 1, &m), -EINVAL);
	/* NULL */
	BAD_MAP(iopt_map_pages(NULL, x + g, pa, g, 1, R, 0, &m), -EINVAL);
	BAD_MAP(iopt_map_range(NULL, x + g, pa, g, R, 0, &m), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_map_pages(&e.t, x + g, pa, g, 1, R, 0, NULL),
		   -EINVAL);
	EXPECT_ERR(&e, &s, iopt_map_range(&e.t, x + g, pa, g, R, 0, NULL),
		   -EINVAL);
	/* wrapping past 2^64 */
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, 1ULL << (64 - e.gr), R, 0,
			       &m), -EOVERFLOW);
	BAD_MAP(iopt_map_pages(&e.t, x + g, pa, g, ~0ULL, R, 0, &m),
		-EOVERFLOW);
	BAD_MAP(iopt_map_range(&e.t, 2 * g, 0, 0 - g, R, 0, &m), -EOVERFLOW);
	if (e.sext) {
		BAD_MAP(iopt_map_pages(&e.t, 0 - g, pa, g, 2, R, 0, &m),
			-EOVERFLOW);
		BAD_MAP(iopt_map_range(&e.t, 0 - g, pa, 2 * g, R, 0, &m),
			-EOVERFLOW);
	}
	/* outside the input space */
	BAD_MAP(iopt_map_pages(&e.t, end, pa, g, 1, R, 0, &m), -ERANGE);
	BAD_MAP(iopt_map_pages(&e.t, xe, pa, g, 2, R, 0, &m), -ERANGE);
	BAD_MAP(iopt_map_range(&e.t, xe, pa, 2 * g, R, 0, &m), -ERANGE);
	BAD_MAP(iopt_map_pages(&e.t, 1ULL << 62, pa, g, 1, R, 0, &m),
		-ERANGE);
	if (!e.sext)
		BAD_MAP(iopt_map_pages(&e.t, e.base - g, pa, g, 1, R, 0, &m),
			-ERANGE);
	else
		BAD_MAP(iopt_map_pages(&e.t, 0 - e.top - g, pa, g, 1, R, 0,
				       &m), -ERANGE);
	/* beyond the output size */
	BAD_MAP(iopt_map_pages(&e.t, x + g, oas_end, g, 1, R, 0, &m), -ERANGE);
	BAD_MAP(iopt_map_pages(&e.t, x + g, oas_end - g, g, 2, R, 0, &m),
		-ERANGE);
	BAD_MAP(iopt_map_range(&e.t, x + g, oas_end - g, 2 * g, R, 0, &m),
		-ERANGE);
	if (e.bitmap & b) /* else b is not a page size: -EINVAL */
		BAD_MAP(iopt_map_pages(&e.t, x + b, 1ULL << 63, b, 1, R, 0,
				       &m), -ERANGE);
#undef BAD_MAP

#define BAD_UNMAP(call, err) EXPECT_ERR_NONE(&e, &s, u, call, err)
	BAD_UNMAP(iopt_unmap_range(&e.t, x + g / 2, g, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, g / 2, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, g + 8, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, 0, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, g, 1u << 4, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, g, ~0u, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(NULL, x, g, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, x, g, 0, NULL, &u), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_unmap_range(&e.t, x, g, 0, &e.g, NULL),
		   -EINVAL);
	BAD_UNMAP(iopt_unmap_range(&e.t, 2 * g, 0 - g, 0, &e.g, &u),
		  -EOVERFLOW);
	BAD_UNMAP(iopt_unmap_range(&e.t, end, g, 0, &e.g, &u), -ERANGE);
	BAD_UNMAP(iopt_unmap_range(&e.t, xe, 2 * g, 0, &e.g, &u), -ERANGE);
	if (e.sext) {
		BAD_UNMAP(iopt_unmap_range(&e.t, 0 - g, 2 * g, 0, &e.g, &u),
			  -EOVERFLOW);
		BAD_UNMAP(iopt_unmap_range(&e.t, 0 - e.top - g, g, 0, &e.g,
					   &u), -ERANGE);
	}
	if (!(e.bitmap & (2 * g))) /* a size; on AMD v1 splitting y's block */
		BAD_UNMAP(iopt_unmap_pages(&e.t, y, 2 * g, 1, 0, &e.g, &u),
			  -EINVAL);
	BAD_UNMAP(iopt_unmap_pages(&e.t, y, 0, 1, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_pages(&e.t, y, b, 0, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_pages(&e.t, y + g, b, 1, 0, &e.g, &u), -EINVAL);
	BAD_UNMAP(iopt_unmap_pages(&e.t, y, b, 1, 1u << 3, &e.g, &u),
		  -EINVAL);
	BAD_UNMAP(iopt_unmap_pages(&e.t, y, b, 1, 0, NULL, &u), -EINVAL);
#undef BAD_UNMAP

	/* lookups */
	EXPECT_ERR(&e, &s, iopt_walk_path(&e.t, x, NULL), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_walk_path(NULL, x, &p), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_iova_to_phys_length(&e.t, x, NULL, &len,
						    NULL), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_iova_to_phys_length(&e.t, x, &phys, NULL,
						    NULL), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_iova_to_phys_length(NULL, x, &phys, &len,
						    NULL), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_iova_to_phys_length(&e.t, x + g, &phys, &len,
						    NULL), -ENOENT);
	EXPECT_ERR(&e, &s, iopt_iova_to_phys_length(&e.t, end, &phys, &len,
						    NULL), -ERANGE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, end), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, end), 0);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, x + g), 0);
	EXPECT_ERR(&e, &s, iopt_for_each_extent(&e.t, 0, 0, tenv_count_extent,
						&cnt), -EINVAL);
	EXPECT_ERR(&e, &s, iopt_for_each_extent(&e.t, 0, g, NULL, &cnt),
		   -EINVAL);
	EXPECT_ERR(&e, &s, iopt_for_each_extent(&e.t, 2 * g, 0 - g,
						tenv_count_extent, &cnt),
		   -EOVERFLOW);
	EXPECT_ERR(&e, &s, iopt_for_each_extent(&e.t, xe, 2 * g,
						tenv_count_extent, &cnt), -ERANGE);
	CHECK_EQ(cnt, 0);
	EXPECT_ERR(&e, &s, iopt_for_each_extent(&e.t, e.base, e.top,
						tenv_count_extent, &cnt), 0);
	CHECK_EQ(cnt, 2);
	EXPECT_ERR(&e, &s, iopt_gather_sync(NULL), -EINVAL);

	/* nothing was queued by any of the failures */
	tenv_rec_reset(&e);
	do_sync(&e);
	CHECK_EQ(e.nr_range + e.nr_all, 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), pa);
	CHECK_EQ(iopt_iova_to_pgsize(&e.t, y), (e.bitmap & b) ? b : g);
out:
	tenv_close(&e);
}

/* The page at index @i of a map at @x is mapped iff i * g < @mapped. */
static void check_prefix(struct tenv *e, uint64_t x, uint64_t pa,
			 uint64_t pages, uint64_t mapped, const char *name,
			 uint64_t k)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t want = i * e->gsz < mapped ? pa + i * e->gsz :
						      IOPT_PHYS_NONE;
		uint64_t got = iopt_iova_to_phys(&e->t, x + i * e->gsz);

		if (got != want) {
			H_FAIL("%s fail_at +%" PRIu64 ": page %" PRIu64
			       " -> 0x%" PRIx64 ", expected 0x%" PRIx64
			       " (mapped 0x%" PRIx64 ")", name, k, i, got,
			       want, mapped);
			return;
		}
	}
}

/*
 * -ENOMEM through fail_at, at each allocation in turn: without the flag
 * exactly [iova, iova + mapped) is mapped; with IOPT_MAP_ALL_OR_NOTHING the
 * table memory is bit-identical and the arena holds what it held.
 */
TEST_CFG(enomem)
{
	bool failed_once = false;

	for (unsigned int mode = 0; mode < 8; mode++) {
		bool aon = mode & 1, dirty = mode & 2, range = mode & 4;

		for (uint64_t k = 1; k < 16; k++) {
			struct tenv e;
			uint64_t g, x, pages, m = ~0ULL, pa;
			unsigned int flags = aon ? IOPT_MAP_ALL_OR_NOTHING : 0;
			struct snap s;
			int ret;

			if (tenv_open(&e, cfg->name, &recording)) {
				tenv_close(&e);
				return;
			}
			g = e.gsz;
			x = e.base + 4 * e.blk;
			/* misaligned for every larger size: granule pages only,
			 * so map_range needs the leaf tables too */
			pa = 0x80000000ULL + g;
			/* two leaf tables' worth */
			pages = 2 * (e.blk / g);
			if (dirty) {
				/* freed tables on the arena's free lists */
				tenv_map(&e, e.base + 4 * e.blk, 0, g, 1, R);
				tenv_map(&e, e.base + 6 * e.blk, 0, g, 1, R);
				tenv_unmap(&e, e.base, e.top, 2 * g);
				do_sync(&e);
				/* and a live neighbour in the tables used */
				tenv_map(&e, x - g, 0, g, 1, R);
			}
			snap_take(&e, &s);
			e.a.fail_at = e.a.attempts + k;
			if (range)
				ret = iopt_map_range(&e.t, x, pa, pages * g,
						     R | W, flags, &m);
			else
				ret = iopt_map_pages(&e.t, x, pa, g, pages,
						     R | W, flags, &m);
			e.a.fail_at = 0;
			if (ret == 0) {
				CHECK_EQ(m, pages * g);
				check_prefix(&e, x, pa, pages, m, cfg->name, k);
				tenv_close(&e);
				break;
			}
			failed_once = true;
			if (ret != -ENOMEM) {
				H_FAIL("%s fail_at +%" PRIu64 ": map = %d",
				       cfg->name, k, ret);
				tenv_close(&e);
				break;
			}
			CHECK(m % g == 0 && m < pages * g);
			if (aon) {
				CHECK_EQ(m, 0);
				if (!snap_same(&e, &s, false))
					H_FAIL("%s fail_at +%" PRIu64 ": ALL_OR_"
					       "NOTHING changed the table "
					       "memory (used %zu -> %zu)",
					       cfg->name, k, s.used, e.a.used);
			}
			check_prefix(&e, x, pa, pages, m, cfg->name, k);
			if (dirty)
				CHECK_EQ(iopt_iova_to_phys(&e.t, x - g), 0);
			/* It can be finished afterwards. */
			if (m < pages * g) {
				uint64_t m2 = 0;

				CHECK_EQ(iopt_map_pages(&e.t, x + m, pa + m, g,
							pages - m / g, R | W, 0,
							&m2), 0);
				check_prefix(&e, x, pa, pages, pages * g,
					     cfg->name, k);
			}
			tenv_close(&e);
		}
	}
	CHECK(failed_once);
}
