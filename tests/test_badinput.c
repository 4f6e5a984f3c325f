// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Bad input to every public function (issue 4, part 1). Each case must get
 * the error its header documents, report 0 bytes where a call reports
 * bytes, and change nothing. "Nothing" is checked on a populated table
 * (pages, a block, a contiguous run, the top of the input space, an empty
 * leaf table) beside a second table in the same arena: the whole arena
 * buffer (tables, free lists and the live bitmap) byte for byte, the
 * arena's counters (allocation attempts included), both table structs with
 * their statistics (walk counting on, so even a read-only descent shows),
 * the gather, and the flush callbacks of both tables.
 *
 * docs/errors.md lists every case with the test that checks it; the cases
 * already covered elsewhere (test_boundary.c bad_input, holes, no_split;
 * test_trace.c; test_vfio.c dma_map_errors_change_nothing) are referenced
 * there rather than repeated here.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <limits.h>

#include <iopt/domain.h>
#include <iopt/hwsim.h>
#include <iopt/mem.h>
#include <iopt/trace.h>
#include <iopt/vfio.h>

#define R IOPT_READ
#define W IOPT_WRITE
#define RW (IOPT_READ | IOPT_WRITE)

#define BUF_BYTES (2u << 20)
#define BUF_PHYS 0x40000000ULL
#define PA 0x80000000ULL

/*
 * ---- the environment: two tables over one arena ----
 *
 * Not a tenv (env.h): a second table shares the arena, and the arena is a
 * small prefilled buffer that snap_diff() compares byte for byte. The
 * geometry is env.h's.
 */

struct rec {
	unsigned int all, range;
};

static void rec_all(void *cookie)
{
	((struct rec *)cookie)->all++;
}

static void rec_range(void *cookie, uint64_t iova, uint64_t size,
		      unsigned int granule_lg2, bool leaf_only)
{
	(void)iova;
	(void)size;
	(void)granule_lg2;
	(void)leaf_only;
	((struct rec *)cookie)->range++;
}

static const struct iopt_flush_ops rec_ops = {
	.flush_all = rec_all,
	.flush_range = rec_range,
};

struct benv {
	const char *name;
	unsigned char *buf;
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_config cfg, cfg2;
	struct iopt_table t;   /* populated */
	struct iopt_table t2;  /* one page; ARM LPAE: without contiguous sizes */
	struct iopt_gather g;
	struct rec rec[2];
	bool up, up2;
	/* geometry (TENV_SET_GEOMETRY) */
	uint64_t bitmap, gsz, blk, tbl, contig, base, top, oas_end;
	unsigned int gr, levels, ent;
	bool x86;
	bool sext;
	/* populated: page at x, block at y, contiguous run at z (if any),
	 * an empty leaf table at w; free (unmapped, block aligned) at f */
	uint64_t x, y, z, w, f;
	/* xe: the last page before an edge of the input space [base, base +
	 * top - 1]: its end (base 0), or for TTBR1 its start, since its end
	 * is 2^64; [xe, xe + 2 * gsz) crosses that edge */
	uint64_t xe;
};

static int env_map(struct benv *e, struct iopt_table *t, uint64_t iova,
		   uint64_t pa, uint64_t pgsize, unsigned int prot)
{
	uint64_t m = 0;
	int ret;

	/* A format without blocks (DART) maps a block's span with pages. */
	if (!(e->bitmap & pgsize))
		ret = iopt_map_pages(t, iova, pa, e->gsz, pgsize / e->gsz, prot,
				     0, &m);
	else
		ret = iopt_map_pages(t, iova, pa, pgsize, 1, prot, 0, &m);

	if (ret || m != pgsize)
		H_FAIL("%s: populate 0x%" PRIx64 " size 0x%" PRIx64 ": %d",
		       e->name, iova, pgsize, ret);
	return ret;
}

static void env_close(struct benv *e)
{
	if (e->up)
		iopt_fini(&e->t);
	if (e->up2)
		iopt_fini(&e->t2);
	if ((e->up || e->up2) && e->a.used)
		H_FAIL("%s: arena holds %zu bytes after iopt_fini", e->name,
		       e->a.used);
	e->up = e->up2 = false;
	free(e->buf);
	e->buf = NULL;
}

static int env_open(struct benv *e, const char *name)
{
	uint64_t u;
	int ret;

	memset(e, 0, sizeof(*e));
	e->name = name;
	ret = iopt_config_from_name(name, &e->cfg);
	if (ret) {
		H_FAIL("iopt_config_from_name(%s) = %d", name, ret);
		return ret;
	}
	e->cfg.flags |= IOPT_CFG_STATS;
	e->x86 = e->cfg.format == IOPT_FMT_X86_64;
	e->sext = e->x86 || e->cfg.format == IOPT_FMT_RISCV;
	e->cfg2 = e->cfg;
	/* Only ARM LPAE, v7s and AMD v1 have runs (x86 and Mali refuse the
	 * quirk): their second table is the one without them. */
	if (e->cfg.format == IOPT_FMT_ARM_LPAE_S1 ||
	    e->cfg.format == IOPT_FMT_ARM_LPAE_S2 ||
	    e->cfg.format == IOPT_FMT_ARM_V7S ||
	    e->cfg.format == IOPT_FMT_AMD_V1)
		e->cfg2.quirks |= IOPT_QUIRK_NO_CONTIG;
	if (e->cfg.format == IOPT_FMT_RISCV)	/* Svnapot's runs */
		e->cfg2.quirks &= ~IOPT_QUIRK_RISCV_NAPOT;
	e->buf = aligned_alloc(4096, BUF_BYTES);
	if (!e->buf) {
		H_FAIL("out of host memory");
		return -ENOMEM;
	}
	memset(e->buf, 0x5a, BUF_BYTES); /* never-used bytes are compared too */
	ret = iopt_arena_init(&e->a, e->buf, BUF_BYTES, BUF_PHYS);
	if (ret) {
		H_FAIL("iopt_arena_init = %d", ret);
		return ret;
	}
	iopt_arena_mem(&e->a, &e->mem);
	ret = iopt_init(&e->t, &e->cfg, &e->mem, &rec_ops, &e->rec[0]);
	if (ret) {
		H_FAIL("%s: iopt_init = %d", name, ret);
		return ret;
	}
	e->up = true;
	ret = iopt_init(&e->t2, &e->cfg2, &e->mem, &rec_ops, &e->rec[1]);
	if (ret) {
		H_FAIL("%s: iopt_init (second table) = %d", name, ret);
		return ret;
	}
	e->up2 = true;
	iopt_gather_init(&e->g);

	TENV_SET_GEOMETRY(e, &e->t, &e->cfg);
	e->oas_end = 1ULL << e->cfg.oas;
	e->x = e->base + 4 * e->blk;
	e->y = e->base + 8 * e->blk;
	e->z = e->base + 12 * e->blk;
	e->w = e->base + 16 * e->blk;
	e->f = e->base + 20 * e->blk;
	e->xe = e->base ? e->base - e->gsz : e->top - e->gsz;

	if (env_map(e, &e->t, e->x, PA, e->gsz, RW) ||
	    env_map(e, &e->t, e->y, PA, e->blk, R) ||
	    (e->contig && env_map(e, &e->t, e->z, PA, e->contig, RW)) ||
	    env_map(e, &e->t, e->base + e->top - e->gsz, 0, e->gsz,
		    R) ||
	    env_map(e, &e->t, e->w + e->gsz, PA, e->gsz, R) ||
	    env_map(e, &e->t2, e->x, PA, e->gsz, RW))
		return -EIO;
	if (e->sext && (env_map(e, &e->t, 0 - e->top, 0, e->gsz, R) ||
		       env_map(e, &e->t, 0 - e->gsz, e->gsz, e->gsz, R)))
		return -EIO;
	/* leave the leaf table at w empty */
	ret = iopt_unmap_range(&e->t, e->w + e->gsz, e->gsz, 0, &e->g, &u);
	if (ret || u != e->gsz || iopt_gather_sync(&e->g)) {
		H_FAIL("%s: unmap at w: %d", name, ret);
		return -EIO;
	}
	memset(e->rec, 0, sizeof(e->rec));
	return 0;
}

/* ---- snapshots: everything a refused call must leave alone ---- */

static uint64_t snap_buf[BUF_BYTES / 8];

/* Word loops, not memcpy/memcmp: under qemu-user (make check-be) the
 * string instructions of some targets (s390x) are emulated byte by byte,
 * and these run twice per refused call over the whole 2 MiB. Both buffers
 * are 8-byte aligned (aligned_alloc, a uint64_t array). */
static void buf_copy(void *dst, const void *src)
{
	uint64_t *d = dst;
	const uint64_t *p = src;

	for (size_t i = 0; i < BUF_BYTES / 8; i++)
		d[i] = p[i];
}

static bool buf_same(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	uint64_t diff = 0;

	for (size_t i = 0; i < BUF_BYTES / 8; i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

struct snap {
	struct iopt_arena a;
	struct iopt_table t, t2;
	struct iopt_gather g;
	struct rec rec[2];
};

static void snap_take(struct benv *e, struct snap *s)
{
	buf_copy(snap_buf, e->buf);
	memcpy(&s->a, &e->a, sizeof(s->a));
	memcpy(&s->t, &e->t, sizeof(s->t));
	memcpy(&s->t2, &e->t2, sizeof(s->t2));
	memcpy(&s->g, &e->g, sizeof(s->g));
	memcpy(s->rec, e->rec, sizeof(s->rec));
}

static bool table_same(const struct iopt_table *now,
		       const struct iopt_table *then, bool walks)
{
	struct iopt_table c;

	memcpy(&c, now, sizeof(c));
	if (walks) /* a read-only descent may count */
		c.stats.walks = then->stats.walks;
	return !memcmp(&c, then, sizeof(c));
}

/*
 * What changed since @s, or NULL. @walks: the call may have walked the
 * table (a refusal found by a descent: -EEXIST, -EXDEV, -ENOENT).
 */
static const char *snap_diff(struct benv *e, const struct snap *s, bool walks)
{
	if (!buf_same(snap_buf, e->buf))
		return "the arena's memory";
	if (memcmp(&s->a, &e->a, sizeof(s->a)))
		return "the arena's counters";
	if (!table_same(&e->t, &s->t, walks))
		return "the table or its statistics";
	if (!table_same(&e->t2, &s->t2, walks))
		return "the second table";
	if (memcmp(&s->g, &e->g, sizeof(s->g)))
		return "the gather";
	if (memcmp(s->rec, e->rec, sizeof(s->rec)))
		return "the flush callbacks";
	return NULL;
}

/* @call must return @err and change nothing (walks: see snap_diff()). */
#define REFUSE_(e, s, walks, call, err)                                      \
	do {                                                                 \
		long long r_ = (long long)(call);                            \
		const char *d_;                                              \
		if (r_ != (long long)(err))                                  \
			H_FAIL("%s: %s = %lld, expected %lld", (e)->name,    \
			       #call, r_, (long long)(err));                 \
		d_ = snap_diff((e), (s), (walks));                           \
		if (d_)                                                      \
			H_FAIL("%s: %s changed %s", (e)->name, #call, d_);   \
		if (walks) /* the next call compares against this one */     \
			snap_take((e), (s));                                 \
	} while (0)
#define REFUSE(e, s, call, err) REFUSE_(e, s, false, call, err)
/* The same for a refusal found by a read-only walk of the table. */
#define REFUSE_WALK(e, s, call, err) REFUSE_(e, s, true, call, err)
/* The same, and the byte count @out must come back 0. */
#define REFUSE_N(e, s, out, call, err)                                       \
	do {                                                                 \
		(out) = 0xbadbad;                                            \
		REFUSE_(e, s, false, call, err);                             \
		CHECK_EQ(out, 0);                                            \
	} while (0)
#define REFUSE_WALK_N(e, s, out, call, err)                                  \
	do {                                                                 \
		(out) = 0xbadbad;                                            \
		REFUSE_(e, s, true, call, err);                              \
		CHECK_EQ(out, 0);                                            \
	} while (0)

/* ---- iopt.h: map ---- */

TEST_CFG(map_pages_args)
{
	struct benv e;
	struct snap s;
	uint64_t m, g, b, f, c;
	unsigned int prot;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	f = e.f;
	c = e.contig;
	snap_take(&e, &s);
#define BAD(call, err) REFUSE_N(&e, &s, m, call, err)
	/* iova or paddr misaligned for the page size */
	BAD(iopt_map_pages(&e.t, f + 8, PA, g, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f + g / 2, PA, g, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA + 8, g, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA + g / 2, g, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f + g, PA, b, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA + g, b, 1, RW, 0, &m), -EINVAL);
	if (c) {
		BAD(iopt_map_pages(&e.t, f + g, PA, c, 1, RW, 0, &m), -EINVAL);
		BAD(iopt_map_pages(&e.t, f, PA + g, c, 1, RW, 0, &m), -EINVAL);
	}
	/* every power of two the format does not support, and non-powers */
	for (unsigned int bit = 0; bit < 64; bit++)
		if (!(e.bitmap & (1ULL << bit)))
			BAD(iopt_map_pages(&e.t, 0, 0, 1ULL << bit, 1, RW, 0, &m),
			    -EINVAL);
	BAD(iopt_map_pages(&e.t, 0, 0, 0, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, 0, 0, g | b, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, 0, 0, 3 * g, 1, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, 0, 0, UINT64_MAX, 1, RW, 0, &m), -EINVAL);
	/* contiguous sizes are not offered with IOPT_QUIRK_NO_CONTIG */
	if (c) {
		CHECK(!(iopt_pgsize_bitmap(&e.t2) & c));
		BAD(iopt_map_pages(&e.t2, f, PA, c, 1, RW, 0, &m), -EINVAL);
	}
	/* zero pages; sizes that overflow or wrap */
	BAD(iopt_map_pages(&e.t, f, PA, g, 0, RW, 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, 0, 0, g, 1ULL << (64 - e.gr), RW, 0, &m),
	    -EOVERFLOW);
	BAD(iopt_map_pages(&e.t, f, PA, g, UINT64_MAX, RW, 0, &m), -EOVERFLOW);
	BAD(iopt_map_pages(&e.t, 0 - g, PA, g, 2, RW, 0, &m), -EOVERFLOW);
	if (e.bitmap & b) /* DART has no blocks: b is -EINVAL there */
		BAD(iopt_map_pages(&e.t, 0 - b, PA, b, 2, RW, 0, &m),
		    -EOVERFLOW);
	/* outside the input space */
	BAD(iopt_map_pages(&e.t, e.base + e.top, PA, g, 1, RW, 0, &m),
	    -ERANGE);
	BAD(iopt_map_pages(&e.t, e.xe - g, PA, g, 3, RW, 0, &m), -ERANGE);
	BAD(iopt_map_pages(&e.t, 1ULL << 63, PA, g, 1, RW, 0, &m), -ERANGE);
	if (e.sext) {
		/* non-canonical: the hole between the two halves */
		BAD(iopt_map_pages(&e.t, 0 - e.top - g, PA, g, 1, RW, 0, &m),
		    -ERANGE);
		BAD(iopt_map_pages(&e.t, 0 - e.top - g, PA, g, 2, RW, 0, &m),
		    -ERANGE);
		BAD(iopt_map_pages(&e.t, (e.top >> 1) | (1ULL << 62), PA, g,
				   1, RW, 0, &m), -ERANGE);
	} else {
		BAD(iopt_map_pages(&e.t, e.base - g, PA, g, 1, RW, 0, &m),
		    -ERANGE);
	}
	/* beyond the output size, or a physical range that wraps */
	BAD(iopt_map_pages(&e.t, f, e.oas_end, g, 1, RW, 0, &m), -ERANGE);
	BAD(iopt_map_pages(&e.t, f, e.oas_end - g, g, 2, RW, 0, &m), -ERANGE);
	if (e.bitmap & b)
		BAD(iopt_map_pages(&e.t, f, e.oas_end - b, b, 2, RW, 0, &m),
		    -ERANGE);
	BAD(iopt_map_pages(&e.t, f, 0 - g, g, 2, RW, 0, &m), -ERANGE);
	BAD(iopt_map_pages(&e.t, f, 1ULL << 63, g, 1, RW, 0, &m), -ERANGE);
	/* protection without READ or WRITE, or with unknown bits */
	for (prot = 0; prot <= IOPT_PROT_ALL; prot++)
		if (!(prot & RW))
			BAD(iopt_map_pages(&e.t, f, PA, g, 1, prot, 0, &m),
			    -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA, g, 1, R | (1u << 6), 0, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA, g, 1, RW | (1u << 31), 0, &m),
	    -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA, g, 1, ~0u, 0, &m), -EINVAL);
	/* unknown flags */
	BAD(iopt_map_pages(&e.t, f, PA, g, 1, RW, 1u << 1, &m), -EINVAL);
	BAD(iopt_map_pages(&e.t, f, PA, g, 1, RW, ~0u, &m), -EINVAL);
	/* NULL */
	BAD(iopt_map_pages(NULL, f, PA, g, 1, RW, 0, &m), -EINVAL);
	REFUSE(&e, &s, iopt_map_pages(&e.t, f, PA, g, 1, RW, 0, NULL),
	       -EINVAL);
#undef BAD
out:
	env_close(&e);
}

TEST_CFG(map_range_args)
{
	struct benv e;
	struct snap s;
	uint64_t m, g, b, f;
	unsigned int prot;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	f = e.f;
	snap_take(&e, &s);
#define BAD(call, err) REFUSE_N(&e, &s, m, call, err)
	/* iova, paddr or size not a multiple of the smallest page */
	BAD(iopt_map_range(&e.t, f + 8, PA, g, RW, 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f + g / 2, PA, b, RW, 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA + g / 2, b, RW, 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA, g + 8, RW, 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA, b - g / 2, RW, 0, &m), -EINVAL);
	/* zero, wrapping */
	BAD(iopt_map_range(&e.t, f, PA, 0, RW, 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, 0 - g, PA, 2 * g, RW, 0, &m), -EOVERFLOW);
	BAD(iopt_map_range(&e.t, 2 * g, PA, 0 - g, RW, 0, &m), -EOVERFLOW);
	/* input space */
	BAD(iopt_map_range(&e.t, e.base + e.top, PA, g, RW, 0, &m), -ERANGE);
	BAD(iopt_map_range(&e.t, e.xe - g, PA, 4 * g, RW, 0, &m), -ERANGE);
	BAD(iopt_map_range(&e.t, 0, 0, 0 - g, RW, 0, &m), -ERANGE);
	BAD(iopt_map_range(&e.t, g, 0, 0 - g, RW, 0, &m), -ERANGE); /* to 2^64 */
	if (e.sext) {
		BAD(iopt_map_range(&e.t, 0 - e.top - g, PA, g, RW, 0, &m),
		    -ERANGE);
		BAD(iopt_map_range(&e.t, 0 - e.top - 2 * g, PA, 4 * g, RW, 0,
				   &m), -ERANGE);
	}
	/* output size */
	BAD(iopt_map_range(&e.t, f, e.oas_end, g, RW, 0, &m), -ERANGE);
	BAD(iopt_map_range(&e.t, f, e.oas_end - b, 2 * b, RW, 0, &m),
	    -ERANGE);
	BAD(iopt_map_range(&e.t, f, 0 - g, 2 * g, RW, 0, &m), -ERANGE);
	/* protection, flags, NULL */
	for (prot = 0; prot <= IOPT_PROT_ALL; prot++)
		if (!(prot & RW))
			BAD(iopt_map_range(&e.t, f, PA, b, prot, 0, &m),
			    -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA, b, R | (1u << 6), 0, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA, b, RW, 1u << 1, &m), -EINVAL);
	BAD(iopt_map_range(&e.t, f, PA, b, RW, ~0u, &m), -EINVAL);
	BAD(iopt_map_range(NULL, f, PA, b, RW, 0, &m), -EINVAL);
	REFUSE(&e, &s, iopt_map_range(&e.t, f, PA, b, RW, 0, NULL), -EINVAL);
#undef BAD
out:
	env_close(&e);
}

/* ---- iopt.h: unmap ---- */

TEST_CFG(unmap_args)
{
	struct benv e;
	struct snap s;
	uint64_t u, g, b, x, y;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.x;
	y = e.y;
	snap_take(&e, &s);
#define BAD(call, err) REFUSE_N(&e, &s, u, call, err)
	/* misaligned, zero */
	BAD(iopt_unmap_range(&e.t, x + 8, g, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x + g / 2, g, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x, g / 2, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x, g + 8, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x, 0, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, x, g, 0, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, y + g, b, 1, 0, &e.g, &u), -EINVAL);
	for (unsigned int bit = 0; bit < 64; bit++)
		if (!(e.bitmap & (1ULL << bit)))
			BAD(iopt_unmap_pages(&e.t, 0, 1ULL << bit, 1, 0, &e.g,
					     &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, 0, 0, 1, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, 0, g | b, 1, 0, &e.g, &u), -EINVAL);
	/* overflow, wrap */
	BAD(iopt_unmap_pages(&e.t, 0, g, 1ULL << (64 - e.gr), 0, &e.g, &u),
	    -EOVERFLOW);
	BAD(iopt_unmap_pages(&e.t, x, g, UINT64_MAX, 0, &e.g, &u),
	    -EOVERFLOW);
	BAD(iopt_unmap_range(&e.t, 0 - g, 2 * g, 0, &e.g, &u), -EOVERFLOW);
	BAD(iopt_unmap_range(&e.t, 2 * g, 0 - g, 0, &e.g, &u), -EOVERFLOW);
	/* input space */
	BAD(iopt_unmap_range(&e.t, e.base + e.top, g, 0, &e.g, &u), -ERANGE);
	BAD(iopt_unmap_range(&e.t, e.xe, 2 * g, 0, &e.g, &u), -ERANGE);
	BAD(iopt_unmap_range(&e.t, 0, 0 - g, 0, &e.g, &u), -ERANGE);
	BAD(iopt_unmap_pages(&e.t, 1ULL << 63, g, 1, 0, &e.g, &u), -ERANGE);
	if (e.sext) {
		BAD(iopt_unmap_range(&e.t, 0 - e.top - g, g, 0, &e.g, &u),
		    -ERANGE);
		BAD(iopt_unmap_range(&e.t, 0 - e.top - g, 2 * g, 0, &e.g, &u),
		    -ERANGE);
	} else {
		BAD(iopt_unmap_range(&e.t, e.base - g, g, 0, &e.g, &u),
		    -ERANGE);
	}
	/* flags, NULL */
	BAD(iopt_unmap_range(&e.t, x, g, 1u << 1, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x, g, ~0u, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, x, g, 1, 1u << 1, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(NULL, x, g, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_pages(NULL, x, g, 1, 0, &e.g, &u), -EINVAL);
	BAD(iopt_unmap_range(&e.t, x, g, 0, NULL, &u), -EINVAL);
	BAD(iopt_unmap_pages(&e.t, x, g, 1, 0, NULL, &u), -EINVAL);
	REFUSE(&e, &s, iopt_unmap_range(&e.t, x, g, 0, &e.g, NULL), -EINVAL);
	REFUSE(&e, &s, iopt_unmap_pages(&e.t, x, g, 1, 0, &e.g, NULL),
	       -EINVAL);
#undef BAD
out:
	env_close(&e);
}

/*
 * Refusals a walk finds: mapping over something, splitting a leaf, a hole
 * under IOPT_UNMAP_NO_HOLES. test_boundary.c (no_overmap, no_split, holes)
 * covers their variety; this checks the whole arena and both tables.
 */
TEST_CFG(state_errors)
{
	struct benv e;
	struct snap s;
	uint64_t n, g, b;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	snap_take(&e, &s);
	/* -EEXIST: over a page, into a block, over a table with a live page,
	 * over a contiguous run */
	REFUSE_WALK_N(&e, &s, n, iopt_map_pages(&e.t, e.x, PA, g, 1, RW, 0,
						&n), -EEXIST);
	REFUSE_WALK_N(&e, &s, n, iopt_map_pages(&e.t, e.y + g, PA, g, 1, RW, 0,
						&n), -EEXIST);
	if (e.bitmap & b) /* without blocks, y holds a block's span of pages */
		REFUSE_WALK_N(&e, &s, n, iopt_map_pages(&e.t, e.x, PA, b, 1,
							RW, 0, &n), -EEXIST);
	REFUSE_WALK_N(&e, &s, n, iopt_map_range(&e.t, e.x - b, PA, 4 * b, RW,
						IOPT_MAP_ALL_OR_NOTHING, &n),
		      -EEXIST);
	if (e.contig)
		REFUSE_WALK_N(&e, &s, n, iopt_map_pages(&e.t, e.z + e.contig -
							g, PA, g, 1, RW, 0,
							&n), -EEXIST);
	/* -EXDEV: a range that ends or starts inside a block or a run */
	if (e.bitmap & b) {
		REFUSE_WALK_N(&e, &s, n, iopt_unmap_range(&e.t, e.y, g, 0,
							  &e.g, &n), -EXDEV);
		REFUSE_WALK_N(&e, &s, n, iopt_unmap_range(&e.t, e.y + g, b - g,
							  0, &e.g, &n), -EXDEV);
		REFUSE_WALK_N(&e, &s, n, iopt_unmap_range(&e.t, e.y - b, b + g,
							  0, &e.g, &n), -EXDEV);
	}
	if (e.contig)
		REFUSE_WALK_N(&e, &s, n, iopt_unmap_pages(&e.t, e.z, g, 1, 0,
							  &e.g, &n), -EXDEV);
	/* -ENOENT: a hole with IOPT_UNMAP_NO_HOLES */
	REFUSE_WALK_N(&e, &s, n, iopt_unmap_range(&e.t, e.x, 2 * g,
						  IOPT_UNMAP_NO_HOLES, &e.g,
						  &n), -ENOENT);
	REFUSE_WALK_N(&e, &s, n, iopt_unmap_range(&e.t, e.f, b,
						  IOPT_UNMAP_NO_HOLES, &e.g,
						  &n), -ENOENT);
out:
	env_close(&e);
}

/* ---- iopt.h: lookups ---- */

static int stop_fn(void *arg, uint64_t iova, uint64_t phys, uint64_t length,
		   unsigned int prot)
{
	tenv_count_extent(arg, iova, phys, length, prot);
	return 7;
}

TEST_CFG(lookup_args)
{
	struct benv e;
	struct snap s;
	uint64_t phys, len, g, x, hole, n = 0;
	unsigned int prot;
	struct iopt_path path, path0;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	x = e.x;
	/* outside the input space: past the end (TTBR1: before the start),
	 * or (x86) not canonical */
	hole = e.sext ? 0 - e.top - g : e.base - g;
	snap_take(&e, &s);
	phys = len = 0x1234;
	prot = 0x77;
	REFUSE(&e, &s, iopt_iova_to_phys(NULL, x), IOPT_PHYS_NONE);
	REFUSE(&e, &s, iopt_iova_to_phys(&e.t, e.base + e.top), IOPT_PHYS_NONE);
	REFUSE(&e, &s, iopt_iova_to_phys(&e.t, hole), IOPT_PHYS_NONE);
	REFUSE(&e, &s, iopt_iova_to_phys_length(NULL, x, &phys, &len, &prot),
	       -EINVAL);
	REFUSE(&e, &s, iopt_iova_to_phys_length(&e.t, x, NULL, &len, &prot),
	       -EINVAL);
	REFUSE(&e, &s, iopt_iova_to_phys_length(&e.t, x, &phys, NULL, &prot),
	       -EINVAL);
	REFUSE(&e, &s, iopt_iova_to_phys_length(&e.t, e.base + e.top, &phys,
						&len, &prot), -ERANGE);
	REFUSE(&e, &s, iopt_iova_to_phys_length(&e.t, hole, &phys, &len,
						&prot), -ERANGE);
	REFUSE(&e, &s, iopt_iova_to_pgsize(NULL, x), 0);
	REFUSE(&e, &s, iopt_iova_to_pgsize(&e.t, e.base + e.top), 0);
	REFUSE(&e, &s, iopt_iova_to_pgsize(&e.t, hole), 0);
	/* not mapped: a walk, then the documented "nothing" */
	REFUSE_WALK(&e, &s, iopt_iova_to_phys(&e.t, x + g), IOPT_PHYS_NONE);
	REFUSE_WALK(&e, &s, iopt_iova_to_phys_length(&e.t, x + g, &phys, &len,
						     &prot), -ENOENT);
	REFUSE_WALK(&e, &s, iopt_iova_to_pgsize(&e.t, e.f), 0);
	/* outputs are written only on success */
	CHECK_EQ(phys, 0x1234);
	CHECK_EQ(len, 0x1234);
	CHECK_EQ(prot, 0x77);

	REFUSE(&e, &s, iopt_for_each_extent(NULL, 0, g, tenv_count_extent,
					    &n), -EINVAL);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, 0, g, NULL, &n), -EINVAL);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, x, 0, tenv_count_extent,
					    &n), -EINVAL);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, 0 - g, 2 * g,
					    tenv_count_extent, &n), -EOVERFLOW);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, 2 * g, 0 - g,
					    tenv_count_extent, &n), -EOVERFLOW);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, e.xe, 2 * g,
					    tenv_count_extent, &n), -ERANGE);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, 0, 0 - g,
					    tenv_count_extent, &n), -ERANGE);
	if (e.sext)
		REFUSE(&e, &s, iopt_for_each_extent(&e.t, hole, 2 * g,
						    tenv_count_extent, &n),
		       -ERANGE);
	CHECK_EQ(n, 0);
	/* a callback's non-zero return stops the walk and is returned */
	REFUSE_WALK(&e, &s, iopt_for_each_extent(&e.t, e.base, e.top, stop_fn,
						 &n), 7);
	CHECK_EQ(n, 1);

	memset(&path, 0xa5, sizeof(path));
	memcpy(&path0, &path, sizeof(path));
	REFUSE(&e, &s, iopt_walk_path(NULL, x, &path), -EINVAL);
	REFUSE(&e, &s, iopt_walk_path(&e.t, x, NULL), -EINVAL);
	REFUSE(&e, &s, iopt_walk_path(&e.t, e.base + e.top, &path), -ERANGE);
	REFUSE(&e, &s, iopt_walk_path(&e.t, hole, &path), -ERANGE);
	CHECK(!memcmp(&path, &path0, sizeof(path)));
out:
	env_close(&e);
}

/* ---- iopt.h: the gather ---- */

TEST_CFG(gather_misuse)
{
	struct benv e;
	struct snap s;
	struct iopt_domain d2;
	uint64_t u, g, b, x;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	x = e.x;
	iopt_gather_init(NULL); /* ignored */
	CHECK_EQ(iopt_gather_sync(NULL), -EINVAL);

	/* sync of an empty gather: no callback, nothing changes */
	snap_take(&e, &s);
	REFUSE(&e, &s, iopt_gather_sync(&e.g), 0);
	/* nor after an unmap that found only a hole */
	ASSERT_EQ(iopt_unmap_range(&e.t, e.f, g, 0, &e.g, &u), 0);
	CHECK_EQ(u, 0);
	snap_take(&e, &s);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(!memcmp(e.rec, s.rec, sizeof(s.rec)));
	CHECK(!memcmp(snap_buf, e.buf, BUF_BYTES));
	CHECK(table_same(&e.t, &s.t, false));
	CHECK_EQ(e.g.nr_ranges + e.g.nr_tables, 0);

	/* reuse before sync: work for one table, offered to another */
	ASSERT_EQ(iopt_unmap_range(&e.t, x, g, 0, &e.g, &u), 0);
	CHECK_EQ(u, g);
	ASSERT_EQ(iopt_domain_init(&d2, &e.t2, IOPT_DOMAIN_BATCHED), 0);
	snap_take(&e, &s);
	REFUSE_N(&e, &s, u, iopt_unmap_range(&e.t2, x, g, 0, &e.g, &u),
		 -EINVAL);
	REFUSE_N(&e, &s, u, iopt_unmap_pages(&e.t2, x, g, 1, 0, &e.g, &u),
		 -EINVAL);
	REFUSE_N(&e, &s, u, iopt_domain_unmap(&d2, x, g, &e.g, &u), -EINVAL);
	CHECK_EQ(iopt_iova_to_phys(&e.t2, x), PA);
	/* more work for the same table is fine before the sync */
	ASSERT_EQ(iopt_unmap_range(&e.t, e.y, b, 0, &e.g, &u), 0);
	CHECK_EQ(u, b);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.rec[0].range >= 1);
	CHECK_EQ(e.rec[1].range + e.rec[1].all, 0);
	CHECK_EQ(iopt_iova_to_phys(&e.t, x), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, e.y), IOPT_PHYS_NONE);
	/* synced: it may serve the other table now */
	ASSERT_EQ(iopt_unmap_range(&e.t2, x, g, 0, &e.g, &u), 0);
	CHECK_EQ(u, g);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK(e.rec[1].range >= 1);
	CHECK_EQ(iopt_iova_to_phys(&e.t2, x), IOPT_PHYS_NONE);

	/* sync after the table was destroyed: refused, no callback; the
	 * detached leaf table is lost to the arena, not freed twice */
	ASSERT_EQ(iopt_unmap_range(&e.t, x & ~(b - 1), b, 0, &e.g, &u), 0);
	iopt_fini(&e.t);
	e.up = false;
	memset(e.rec, 0, sizeof(e.rec));
	snap_take(&e, &s);
	CHECK_EQ(iopt_gather_sync(&e.g), -EINVAL);
	CHECK_EQ(e.rec[0].all + e.rec[0].range, 0);
	CHECK(!memcmp(snap_buf, e.buf, BUF_BYTES));
	CHECK(!memcmp(&s.a, &e.a, sizeof(s.a)));
	/* emptied and unbound: usable again */
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	ASSERT_EQ(iopt_map_pages(&e.t2, x, PA, g, 1, RW, 0, &u), 0);
	ASSERT_EQ(iopt_unmap_range(&e.t2, x, g, 0, &e.g, &u), 0);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	iopt_fini(&e.t2);
	e.up2 = false;
	CHECK_EQ(e.a.used, e.tbl); /* the one lost leaf table */
out:
	env_close(&e);
}

/* ---- iopt.h: a destroyed table ---- */

TEST_CFG(destroyed_table)
{
	struct benv e;
	struct snap s;
	struct iopt_domain d;
	struct iopt_stats st;
	struct iopt_path p;
	uint64_t n, phys, len, g, cnt = 0;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	iopt_fini(&e.t);
	e.up = false;
	snap_take(&e, &s);
	iopt_fini(&e.t); /* twice: ignored */
	CHECK(!snap_diff(&e, &s, false));
	REFUSE_N(&e, &s, n, iopt_map_pages(&e.t, e.f, PA, g, 1, RW, 0, &n),
		 -EINVAL);
	REFUSE_N(&e, &s, n, iopt_map_range(&e.t, e.f, PA, g, RW, 0, &n),
		 -EINVAL);
	REFUSE_N(&e, &s, n, iopt_unmap_range(&e.t, e.x, g, 0, &e.g, &n),
		 -EINVAL);
	REFUSE_N(&e, &s, n, iopt_unmap_pages(&e.t, e.x, g, 1, 0, &e.g, &n),
		 -EINVAL);
	REFUSE(&e, &s, iopt_iova_to_phys(&e.t, e.x), IOPT_PHYS_NONE);
	REFUSE(&e, &s, iopt_iova_to_phys_length(&e.t, e.x, &phys, &len, NULL),
	       -EINVAL);
	REFUSE(&e, &s, iopt_iova_to_pgsize(&e.t, e.x), 0);
	REFUSE(&e, &s, iopt_for_each_extent(&e.t, 0, g, tenv_count_extent,
					    &cnt), -EINVAL);
	REFUSE(&e, &s, iopt_walk_path(&e.t, e.x, &p), -EINVAL);
	REFUSE(&e, &s, iopt_root_phys(&e.t), 0);
	REFUSE(&e, &s, iopt_pgsize_bitmap(&e.t), 0);
	REFUSE(&e, &s, iopt_levels(&e.t), 0);
	REFUSE(&e, &s, iopt_root_tables(&e.t), 0);
	REFUSE(&e, &s, iopt_prot_effective(&e.t, RW), 0);
	REFUSE(&e, &s, iopt_domain_init(&d, &e.t, IOPT_DOMAIN_BATCHED), -EINVAL);
	/* the counters stay readable */
	iopt_get_stats(&e.t, &st);
	CHECK_EQ(st.table_bytes, 0);
	CHECK_EQ(st.tables_allocated, st.tables_freed);
	CHECK_EQ(cnt, 0);
out:
	env_close(&e);
}

/* ---- iopt.h: configurations and iopt_init() ---- */

TEST(config_from_name_args)
{
	static const char *const bad[] = {
		"", "bogus", "ARM-LPAE-S1-4K", "arm-lpae-s1-4k ", "arm-lpae",
		"arm-lpae-s1-4k:", "arm-lpae-s1-4k:ias", "arm-lpae-s1-4k:ias=",
		"arm-lpae-s1-4k:ias=abc", "arm-lpae-s1-4k:ias=1234",
		"arm-lpae-s1-4k:ias=-1", "arm-lpae-s1-4k:ias=+4",
		"arm-lpae-s1-4k:ias=40,", "arm-lpae-s1-4k:,ias=40",
		"arm-lpae-s1-4k:foo=1", "arm-lpae-s1-4k:bogus",
		"arm-lpae-s1-4k:ias=40:oas=40", "arm-lpae-s1-4k,ias=40",
		"x86-64-4lvl:NOCONTIG", ":ias=40",
	};
	struct iopt_config cfg, cfg0;

	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&cfg0, &cfg, sizeof(cfg));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = iopt_config_from_name(bad[i], &cfg);

		if (r != -EINVAL)
			H_FAIL("iopt_config_from_name(\"%s\") = %d", bad[i], r);
		if (memcmp(&cfg, &cfg0, sizeof(cfg)))
			H_FAIL("\"%s\" changed the configuration", bad[i]);
	}
	CHECK_EQ(iopt_config_from_name(NULL, &cfg), -EINVAL);
	CHECK_EQ(iopt_config_from_name("arm-lpae-s1-4k", NULL), -EINVAL);
	CHECK(!memcmp(&cfg, &cfg0, sizeof(cfg)));
	/* past the last name: NULL, and the configuration is not written */
	for (unsigned int i = 0; iopt_config_name(i, NULL); i++)
		CHECK(i < 64);
	CHECK(iopt_config_name(1000, &cfg) == NULL);
	CHECK(iopt_config_name(UINT_MAX, &cfg) == NULL);
	CHECK(!memcmp(&cfg, &cfg0, sizeof(cfg)));
}

static void *no_alloc(void *ctx, size_t size, uint64_t *phys,
		      unsigned int flags)
{
	(void)ctx;
	(void)size;
	(void)phys;
	(void)flags;
	H_FAIL("alloc called");
	return NULL;
}

static void no_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	(void)ctx;
	(void)virt;
	(void)phys;
	(void)size;
	H_FAIL("free called");
}

/* One refused iopt_init(): the error, no allocation, a cleared table. */
static void init_refused(struct iopt_arena *a, const struct iopt_config *cfg,
			 const struct iopt_mem *mem, int err, const char *what)
{
	struct iopt_table t;
	uint64_t attempts = a->attempts;
	int r;

	memset(&t, 0xa5, sizeof(t));
	r = iopt_init(&t, cfg, mem, NULL, NULL);
	if (r != err)
		H_FAIL("iopt_init(%s) = %d, expected %d", what, r, err);
	if (a->attempts != attempts || a->used)
		H_FAIL("iopt_init(%s) allocated", what);
	if (iopt_root_phys(&t) || iopt_levels(&t))
		H_FAIL("iopt_init(%s) left a live-looking table", what);
	iopt_fini(&t); /* does nothing */
	CHECK_EQ(a->used, 0);
}

/* Half a labelling backend: never called (iopt_init() refuses it). */
static uint32_t one_label_of(void *ctx, uint64_t phys, size_t size)
{
	(void)ctx;
	(void)phys;
	(void)size;
	return 1;
}

static void one_set_label(void *ctx, uint64_t phys, size_t size, uint32_t l)
{
	(void)ctx;
	(void)phys;
	(void)size;
	(void)l;
}

TEST(init_args)
{
	static unsigned char region[1 << 20] __attribute__((aligned(4096)));
	static const struct iopt_mem_ops no_ops = { .alloc = no_alloc,
						    .free = no_free };
	static const struct {
		const char *name;  /* base configuration */
		const char *what;
		int field;         /* 0 granule, 1 ias, 2 oas, 3 quirks,
				    * 4 flags, 5 format */
		unsigned int value;
		int err;
	} cases[] = {
		{ "arm-lpae-s1-4k", "granule 13", 0, 13, -ENOTSUP },
		{ "arm-lpae-s1-4k", "granule 15", 0, 15, -ENOTSUP },
		{ "arm-lpae-s1-4k", "granule 11", 0, 11, -ENOTSUP },
		{ "arm-lpae-s1-4k", "granule 21", 0, 21, -ENOTSUP },
		{ "arm-lpae-s2-64k", "granule 64", 0, 64, -ENOTSUP },
		{ "x86-64-4lvl", "x86 granule 14", 0, 14, -ENOTSUP },
		{ "arm-mali-lpae", "Mali granule 16", 0, 16, -ENOTSUP },
		{ "arm-lpae-s1-4k", "ias 31", 1, 31, -ENOTSUP },
		{ "arm-lpae-s1-4k", "ias 49", 1, 49, -ENOTSUP },
		{ "arm-lpae-s2-16k", "ias 0", 1, 0, -ENOTSUP },
		{ "arm-lpae-s1-64k", "ias 64", 1, 64, -ENOTSUP },
		{ "x86-64-4lvl", "x86 ias 47", 1, 47, -ENOTSUP },
		{ "x86-64-5lvl", "x86 ias 56", 1, 56, -ENOTSUP },
		{ "x86-64-4lvl", "x86 ias 64", 1, 64, -ENOTSUP },
		{ "arm-mali-lpae", "Mali ias 31", 1, 31, -ENOTSUP },
		{ "arm-mali-lpae", "Mali ias 49", 1, 49, -ENOTSUP },
		{ "arm-lpae-s1-4k", "oas 31", 2, 31, -ENOTSUP },
		{ "arm-lpae-s1-4k", "oas 33", 2, 33, -ENOTSUP },
		{ "arm-lpae-s2-4k", "oas 52 with 4K", 2, 52, -ENOTSUP },
		{ "arm-lpae-s1-16k", "oas 52 with 16K", 2, 52, -ENOTSUP },
		{ "arm-lpae-s1-64k", "oas 53", 2, 53, -ENOTSUP },
		{ "arm-lpae-s1-64k", "oas 64", 2, 64, -ENOTSUP },
		{ "x86-64-4lvl", "x86 oas 31", 2, 31, -ENOTSUP },
		{ "x86-64-5lvl", "x86 oas 53", 2, 53, -ENOTSUP },
		{ "arm-mali-lpae", "Mali oas 31", 2, 31, -ENOTSUP },
		{ "arm-mali-lpae", "Mali oas 41", 2, 41, -ENOTSUP },
		/* stage 2, 4K, 48-bit input over a 40-bit output: would need
		 * 512 concatenated start tables (the architecture allows 16) */
		{ "arm-lpae-s2-4k:ias=48,oas=40", "s2 concatenation", 3, 0,
		  -ENOTSUP },
		{ "arm-lpae-s1-4k", "S2FWB on stage 1", 3,
		  IOPT_QUIRK_ARM_S2FWB, -EINVAL },
		{ "arm-lpae-s2-4k", "NS on stage 2", 3, IOPT_QUIRK_ARM_NS,
		  -EINVAL },
		{ "x86-64-4lvl", "NO_CONTIG on x86", 3, IOPT_QUIRK_NO_CONTIG,
		  -EINVAL },
		{ "x86-64-4lvl", "NS on x86", 3, IOPT_QUIRK_ARM_NS, -EINVAL },
		{ "arm-mali-lpae", "NO_CONTIG on Mali", 3, IOPT_QUIRK_NO_CONTIG,
		  -EINVAL },
		{ "arm-mali-lpae", "NS on Mali", 3, IOPT_QUIRK_ARM_NS, -EINVAL },
		{ "arm-lpae-s1-4k", "unknown quirk", 3, 1u << 7, -EINVAL },
		{ "arm-lpae-s1-4k", "unknown flag", 4, 1u << 1, -EINVAL },
		{ "x86-64-4lvl", "all flags", 4, ~0u, -EINVAL },
		{ "arm-lpae-s1-4k", "format 0", 5, 0, -EINVAL },
		{ "arm-lpae-s1-4k", "format 64", 5, 64, -EINVAL },
		{ "arm-lpae-s1-4k", "v7s geometry of LPAE", 5, IOPT_FMT_ARM_V7S,
		  -ENOTSUP },
		{ "arm-v7s", "v7s ias 31", 1, 31, -ENOTSUP },
		{ "arm-v7s", "v7s ias 33", 1, 33, -ENOTSUP },
		{ "arm-v7s", "v7s oas 33", 2, 33, -ENOTSUP },
		{ "arm-v7s", "v7s oas 31", 2, 31, -ENOTSUP },
		{ "arm-v7s", "v7s 16K granule", 0, 14, -ENOTSUP },
		{ "arm-v7s", "MTK_EXT without NO_PERMS", 3,
		  IOPT_QUIRK_V7S_MTK_EXT, -EINVAL },
		{ "arm-v7s:no_perms,mtk_ext", "MTK_EXT oas 36", 2, 36, -ENOTSUP },
		{ "arm-v7s", "S2FWB on v7s", 3, IOPT_QUIRK_ARM_S2FWB, -EINVAL },
		{ "arm-lpae-s1-4k", "NO_PERMS on LPAE", 3,
		  IOPT_QUIRK_V7S_NO_PERMS, -EINVAL },
		{ "arm-lpae-s1-4k", "format 99", 5, 99, -EINVAL },
	};
	struct iopt_arena a;
	struct iopt_mem mem, bad;
	struct iopt_mem_ops half;
	struct iopt_config cfg;
	struct iopt_table t;

	ASSERT_EQ(iopt_arena_init(&a, region, sizeof(region), BUF_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(iopt_config_from_name(cases[i].name, &cfg), 0);
		switch (cases[i].field) {
		case 0: cfg.granule_lg2 = cases[i].value; break;
		case 1: cfg.ias = cases[i].value; break;
		case 2: cfg.oas = cases[i].value; break;
		case 3: cfg.quirks |= cases[i].value; break;
		case 4: cfg.flags = cases[i].value; break;
		default: cfg.format = (enum iopt_format)cases[i].value; break;
		}
		init_refused(&a, &cfg, &mem, cases[i].err, cases[i].what);
	}
	/* NULL pointers, and backends that cannot work */
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &cfg), 0);
	CHECK_EQ(iopt_init(NULL, &cfg, &mem, NULL, NULL), -EINVAL);
	init_refused(&a, NULL, &mem, -EINVAL, "NULL cfg");
	init_refused(&a, &cfg, NULL, -EINVAL, "NULL mem");
	bad = mem;
	bad.ops = NULL;
	init_refused(&a, &cfg, &bad, -EINVAL, "NULL mem ops");
	half = *mem.ops;
	half.alloc = NULL;
	bad.ops = &half;
	init_refused(&a, &cfg, &bad, -EINVAL, "NULL alloc");
	half = *mem.ops;
	half.free = NULL;
	init_refused(&a, &cfg, &bad, -EINVAL, "NULL free");
	/* labels: both functions or neither */
	half = *mem.ops;
	half.set_label = NULL;
	half.label_of = one_label_of;
	bad.ops = &half;
	init_refused(&a, &cfg, &bad, -EINVAL, "label_of without set_label");
	half.set_label = one_set_label;
	half.label_of = NULL;
	init_refused(&a, &cfg, &bad, -EINVAL, "set_label without label_of");
	/* not linear, and no phys_to_virt: nothing can be read back */
	bad.ops = &no_ops;
	bad.linear = false;
	init_refused(&a, &cfg, &bad, -EINVAL, "no translation");

	/* no memory for the root: -ENOMEM, nothing kept, fini is a no-op */
	for (size_t i = 0; iopt_config_name((unsigned int)i, &cfg); i++) {
		memset(&t, 0xa5, sizeof(t));
		a.fail_at = a.attempts + 1;
		CHECK_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), -ENOMEM);
		a.fail_at = 0;
		CHECK_EQ(a.used, 0);
		CHECK_EQ(iopt_root_phys(&t), 0);
		iopt_fini(&t);
		CHECK_EQ(a.used, 0);
	}
}

TEST(misc_args)
{
	struct iopt_stats st, st0;
	struct benv e;

	CHECK_EQ(iopt_root_phys(NULL), 0);
	CHECK_EQ(iopt_pgsize_bitmap(NULL), 0);
	CHECK_EQ(iopt_levels(NULL), 0);
	CHECK_EQ(iopt_root_tables(NULL), 0);
	CHECK_EQ(iopt_prot_effective(NULL, RW), 0);
	iopt_fini(NULL);
	memset(&st, 0xa5, sizeof(st));
	memcpy(&st0, &st, sizeof(st));
	iopt_get_stats(NULL, &st);
	CHECK(!memcmp(&st, &st0, sizeof(st)));
	if (!env_open(&e, "arm-lpae-s1-4k")) {
		iopt_get_stats(&e.t, NULL); /* ignored */
		/* unknown protection bits are ignored */
		CHECK_EQ(iopt_prot_effective(&e.t, R | (1u << 20)),
			 iopt_prot_effective(&e.t, R));
		CHECK_EQ(iopt_prot_effective(&e.t, ~0u),
			 iopt_prot_effective(&e.t, IOPT_PROT_ALL));
	}
	env_close(&e);
	/* every error the library returns has its own text */
	{
		static const int errs[] = { EINVAL, ERANGE, EOVERFLOW, EEXIST,
					    ENOMEM, EXDEV, ENOENT, ENOTSUP,
					    EFAULT, EBUSY };
		const char *unknown = iopt_strerror(-9999);

		CHECK(unknown && *unknown);
		CHECK(!strcmp(iopt_strerror(1), unknown));
		CHECK(!strcmp(iopt_strerror(INT_MIN), unknown));
		CHECK(!strcmp(iopt_strerror(-EPERM), unknown));
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			CHECK(strcmp(iopt_strerror(-errs[i]), unknown));
			for (size_t j = 0; j < i; j++)
				CHECK(strcmp(iopt_strerror(-errs[i]),
					     iopt_strerror(-errs[j])));
		}
	}
}

/* ---- mem.h ---- */

TEST(arena_args)
{
	static unsigned char region[1 << 20] __attribute__((aligned(4096)));
	struct iopt_arena a, a0;
	struct iopt_mem mem, mem0;
	uint64_t ph[3];
	void *v[3], *again;
	size_t used;

	/* init: refused without touching the arena */
	memset(&a, 0xa5, sizeof(a));
	memcpy(&a0, &a, sizeof(a));
	CHECK_EQ(iopt_arena_init(NULL, region, sizeof(region), 0), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, NULL, sizeof(region), 0), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, 0, 0), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, 127, 0), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region + 4, sizeof(region) - 4, 0),
		 -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region), 4096), -EINVAL);
	CHECK_EQ(iopt_arena_init(&a, region, sizeof(region),
				 IOPT_ARENA_ALIGN / 2 + BUF_PHYS), -EINVAL);
	CHECK(!memcmp(&a, &a0, sizeof(a)));
	/* create: as init, and an impossible size (no leak either way) */
	CHECK_EQ(iopt_arena_create(NULL, 1 << 20, 0), -EINVAL);
	CHECK_EQ(iopt_arena_create(&a, 0, 0), -EINVAL);
	CHECK_EQ(iopt_arena_create(&a, 1 << 20, 12345), -EINVAL);
	CHECK_EQ(iopt_arena_create(&a, 100, 0), -EINVAL);
	CHECK_EQ(iopt_arena_create(&a, SIZE_MAX, 0), -ENOMEM);
	CHECK_EQ(iopt_arena_create(&a, SIZE_MAX - 4094, 0), -ENOMEM);
	CHECK(!memcmp(&a, &a0, sizeof(a)));
	iopt_arena_destroy(NULL);
	ASSERT_EQ(iopt_arena_create(&a, 1 << 20, 0), 0);
	iopt_arena_destroy(&a);
	iopt_arena_destroy(&a); /* twice: ignored */

	/* mem: NULL either way is ignored */
	memset(&mem, 0xa5, sizeof(mem));
	memcpy(&mem0, &mem, sizeof(mem));
	iopt_arena_mem(NULL, &mem);
	iopt_heap_mem(NULL);
	CHECK(!memcmp(&mem, &mem0, sizeof(mem)));
	ASSERT_EQ(iopt_arena_init(&a, region, sizeof(region), BUF_PHYS), 0);
	iopt_arena_mem(&a, NULL);

	/* is_free: NULL, empty, outside, and a length running off the end */
	iopt_arena_mem(&a, &mem);
	CHECK(!iopt_arena_is_free(NULL, BUF_PHYS, 64));
	CHECK(!iopt_arena_is_free(&a, BUF_PHYS, 0));
	CHECK(!iopt_arena_is_free(&a, BUF_PHYS - 64, 64));
	CHECK(!iopt_arena_is_free(&a, UINT64_MAX - 63, 64));
	CHECK(iopt_arena_is_free(&a, BUF_PHYS, SIZE_MAX));

	/* alloc: sizes no block serves fail cleanly */
	CHECK(mem.ops->alloc(mem.ctx, SIZE_MAX, &ph[0], 0) == NULL);
	CHECK(mem.ops->alloc(mem.ctx, ((size_t)1 << 63) + 1, &ph[0], 0) ==
	      NULL);
	CHECK(mem.ops->alloc(mem.ctx, ((size_t)1 << IOPT_ARENA_MAX_LG2) + 1,
			     &ph[0], 0) == NULL);
	CHECK_EQ(a.used, 0);
	CHECK_EQ(a.failures, 3);

	/* free: a double free, a foreign pointer, a misaligned or
	 * out-of-range block are ignored */
	for (int i = 0; i < 3; i++) {
		v[i] = mem.ops->alloc(mem.ctx, 4096, &ph[i], 0);
		ASSERT(v[i]);
	}
	mem.ops->free(mem.ctx, v[1], ph[1], 4096);
	used = a.used;
	mem.ops->free(mem.ctx, v[1], ph[1], 4096);             /* again */
	mem.ops->free(mem.ctx, region + 8, BUF_PHYS + 8, 4096); /* misaligned */
	mem.ops->free(mem.ctx, &a, 0, 4096);                  /* not ours */
	mem.ops->free(mem.ctx, region + sizeof(region) - 4096, 0, 8192);
	mem.ops->free(mem.ctx, v[0], ph[0], SIZE_MAX);        /* no such size */
	CHECK_EQ(a.used, used);
	CHECK_EQ(a.frees, 1);
	CHECK(!iopt_arena_is_free(&a, ph[0], 4096));
	CHECK(!iopt_arena_is_free(&a, ph[2], 4096));
	/* the freed block comes back once, not twice */
	again = mem.ops->alloc(mem.ctx, 4096, &ph[1], 0);
	CHECK(again == v[1]);
	again = mem.ops->alloc(mem.ctx, 4096, &ph[1], 0);
	CHECK(again && again != v[0] && again != v[1] && again != v[2]);
}

/* ---- domain.h ---- */

struct exts {
	unsigned int n;
	uint64_t v[64][4];
};

static int exts_fn(void *arg, uint64_t iova, uint64_t phys, uint64_t length,
		   unsigned int prot)
{
	struct exts *x = arg;

	if (x->n < 64) {
		x->v[x->n][0] = iova;
		x->v[x->n][1] = phys;
		x->v[x->n][2] = length;
		x->v[x->n][3] = prot;
	}
	x->n++;
	return 0;
}

/* Every mapped run of the table, both halves on x86. */
static void exts_get(struct benv *e, struct exts *x)
{
	memset(x, 0, sizeof(*x));
	iopt_for_each_extent(&e->t, e->base, e->top, exts_fn, x);
	if (e->sext)
		iopt_for_each_extent(&e->t, 0 - e->top, e->top, exts_fn, x);
}

TEST_CFG(domain_args)
{
	struct iopt_domain d, dp, d0;
	struct benv e;
	struct snap s;
	struct iopt_sg sg[3];
	struct exts before, after;
	uint64_t g, b, f, u, n;
	int mode;

	if (env_open(&e, cfg->name))
		goto out;
	g = e.gsz;
	b = e.blk;
	f = e.f;
	/* init */
	memset(&d, 0xa5, sizeof(d));
	memcpy(&d0, &d, sizeof(d));
	CHECK_EQ(iopt_domain_init(NULL, &e.t, IOPT_DOMAIN_BATCHED), -EINVAL);
	CHECK_EQ(iopt_domain_init(&d, NULL, IOPT_DOMAIN_BATCHED), -EINVAL);
	CHECK_EQ(iopt_domain_init(&d, &e.t, (enum iopt_domain_mode)2),
		 -EINVAL);
	CHECK_EQ(iopt_domain_init(&d, &e.t, (enum iopt_domain_mode)-1),
		 -EINVAL);
	CHECK(!memcmp(&d, &d0, sizeof(d)));
	/* pgsize: nothing fits */
	n = 99;
	CHECK_EQ(iopt_domain_pgsize(0, 0, 0, g, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(iopt_domain_pgsize(e.bitmap, 0, 0, 0, &n), 0);
	CHECK_EQ(iopt_domain_pgsize(e.bitmap, 8, 0, g, &n), 0);
	CHECK_EQ(iopt_domain_pgsize(e.bitmap, 0, 8, g, &n), 0);
	CHECK_EQ(iopt_domain_pgsize(e.bitmap, 0, 0, g / 2, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(iopt_domain_pgsize(e.bitmap, 0, 0, g, NULL), 0);

	ASSERT_EQ(iopt_domain_init(&d, &e.t, IOPT_DOMAIN_BATCHED), 0);
	ASSERT_EQ(iopt_domain_init(&dp, &e.t, IOPT_DOMAIN_PER_PAGE), 0);
	snap_take(&e, &s);
	for (mode = 0; mode < 2; mode++) {
		struct iopt_domain *dd = mode ? &dp : &d;

#define BAD(call, err) REFUSE(&e, &s, call, err)
		BAD(iopt_domain_map(NULL, f, PA, g, RW), -EINVAL);
		BAD(iopt_domain_map(dd, f + 8, PA, g, RW), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA + g / 2, g, RW), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA, g + 8, RW), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA, 0, RW), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA, g, 0), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA, g, IOPT_NOEXEC), -EINVAL);
		BAD(iopt_domain_map(dd, f, PA, g, R | (1u << 6)), -EINVAL);
		/* a range across 2^64 (x86: its both ends are canonical, so
		 * each run alone would be fine) */
		BAD(iopt_domain_map(dd, 0 - b, PA, 2 * b, RW), -EOVERFLOW);
		BAD(iopt_domain_map(dd, 0 - 2 * g, PA, 4 * g, RW), -EOVERFLOW);
		/* across the end of the input space: the first runs fit
		 * (TTBR1, whose space ends at 2^64: refused at once, below
		 * its start) */
		BAD(iopt_domain_map(dd, e.top - 2 * b, 0, 4 * b, RW), -ERANGE);
		if (e.sext)
			BAD(iopt_domain_map(dd, 0 - e.top - b, 0, 2 * b, RW),
			    -ERANGE);
		/* output size: the first run fits */
		BAD(iopt_domain_map(dd, f, e.oas_end - b, 2 * b, RW), -ERANGE);
		BAD(iopt_domain_map(dd, f, 0 - b, 2 * b, RW), -ERANGE);

		/* map_sg */
		sg[0] = (struct iopt_sg){ PA, b };
		sg[1] = (struct iopt_sg){ PA + 4 * b, g };
		sg[2] = (struct iopt_sg){ PA + 8 * b, b };
		REFUSE(&e, &s, iopt_domain_map_sg(dd, f, sg, 3, RW, NULL),
		       -EINVAL);
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(NULL, f, sg, 3, RW, &n),
			 -EINVAL);
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, NULL, 3, RW, &n),
			 -EINVAL);
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, sg, 3, 0, &n),
			 -EINVAL);
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f + 8, sg, 3, RW,
						       &n), -EINVAL);
		/* nothing to map: not an error */
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, NULL, 0, RW, &n),
			 0);
		sg[1].length = 0;
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, &sg[1], 1, RW,
						       &n), 0);
		/* a bad segment after good ones */
		sg[1] = (struct iopt_sg){ PA + 4 * b + g / 2, g };
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, sg, 3, RW, &n),
			 -EINVAL);
		sg[1] = (struct iopt_sg){ PA + 4 * b, g + g / 2 };
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, sg, 3, RW, &n),
			 -EINVAL);
		sg[1] = (struct iopt_sg){ e.oas_end - g, 2 * g };
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, f, sg, 3, RW, &n),
			 -ERANGE);
		sg[1] = (struct iopt_sg){ PA + 4 * b, g };
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, e.top - b - g, sg,
						       3, RW, &n), -ERANGE);
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(dd, 0 - b - g, sg, 3,
						       RW, &n), -EOVERFLOW);

		/* unmap */
		REFUSE(&e, &s, iopt_domain_unmap(dd, e.x, g, &e.g, NULL),
		       -EINVAL);
		BAD(iopt_domain_unmap(NULL, e.x, g, &e.g, &u), -EINVAL);
		BAD(iopt_domain_unmap(dd, e.x, g, NULL, &u), -EINVAL);
		BAD(iopt_domain_unmap(dd, e.x + 8, g, &e.g, &u), -EINVAL);
		BAD(iopt_domain_unmap(dd, e.x, g / 2, &e.g, &u), -EINVAL);
		BAD(iopt_domain_unmap(dd, e.x, 0, &e.g, &u), -EINVAL);
		/* x86: the page at 0 - g and the one at 0 are both canonical */
		BAD(iopt_domain_unmap(dd, 0 - g, 2 * g, &e.g, &u), -EOVERFLOW);
		BAD(iopt_domain_unmap(dd, e.xe, 2 * g, &e.g, &u), -ERANGE);
#undef BAD
	}
	/* lengths that add up past 2^64, each segment fine on its own */
	if (e.cfg.oas >= 48) {
		size_t nseg = ((size_t)1 << (64 - e.cfg.oas)) + 1;
		struct iopt_sg *many = calloc(nseg, sizeof(*many));

		ASSERT(many);
		for (size_t i = 0; i < nseg; i++)
			many[i] = (struct iopt_sg){ 0, e.oas_end };
		REFUSE_N(&e, &s, n, iopt_domain_map_sg(&d, 0, many, nseg, RW,
						       &n), -EOVERFLOW);
		free(many);
	}
	/* the wrapped ranges were not mapped at either end */
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys(&e.t, 0 - b), IOPT_PHYS_NONE);

	/* -EEXIST part-way: rolled back, the mapping is what it was (tables
	 * may stay, empty) */
	exts_get(&e, &before);
	CHECK_EQ(iopt_domain_map(&d, e.x - 2 * g, PA, 4 * g, RW), -EEXIST);
	CHECK_EQ(iopt_domain_map(&dp, e.x - 2 * g, PA, 4 * g, RW), -EEXIST);
	sg[0] = (struct iopt_sg){ PA, g };
	sg[1] = (struct iopt_sg){ PA + 8 * g, g };
	sg[2] = (struct iopt_sg){ PA + 16 * g, g };
	CHECK_EQ(iopt_domain_map_sg(&d, e.x - 2 * g, sg, 3, RW, &n), -EEXIST);
	CHECK_EQ(n, 0);
	exts_get(&e, &after);
	CHECK(!memcmp(&before, &after, sizeof(before)));
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
	CHECK_EQ(e.g.nr_ranges + e.g.nr_tables, 0);

	/*
	 * -EXDEV part-way: the runs before the leaf that would be split stay
	 * unmapped and are counted. [Y - g, Y + mid + g) splits into a page,
	 * then a run of size mid at Y, inside the larger leaf at Y: the block
	 * at y with the contiguous size (ARM), a 1G leaf with 2M (x86).
	 * DART has no leaf larger than a page, VT-d with no1g none larger
	 * than a block: no such run.
	 */
	if (e.contig || (e.bitmap & b * (b / g))) {
		uint64_t Y = e.y, mid = e.contig;

		if (!mid) {
			Y = 16ULL << 30;
			mid = b;
			ASSERT_EQ(iopt_map_pages(&e.t, Y, PA, b * (b / g), 1, RW,
						 0, &n), 0);
		}
		for (mode = 0; mode < 2; mode++) {
			ASSERT_EQ(iopt_map_pages(&e.t, Y - g, PA, g, 1, RW, 0,
						 &n), 0);
			u = 0;
			CHECK_EQ(iopt_domain_unmap(mode ? &dp : &d, Y - g,
						   mid + 2 * g, &e.g, &u),
				 -EXDEV);
			CHECK_EQ(u, g);
			CHECK_EQ(iopt_gather_sync(&e.g), 0);
			CHECK_EQ(iopt_iova_to_phys(&e.t, Y - g), IOPT_PHYS_NONE);
			CHECK_EQ(iopt_iova_to_phys(&e.t, Y), PA);
		}
	}
out:
	env_close(&e);
}

/* ---- trace.h (the rest is in test_trace.c) ---- */

TEST(trace_args)
{
	struct iopt_trace_op op;
	char why[256], tiny[2];
	const char *end;
	uint64_t v = 42;
	size_t n = 2u << 20;
	char *big = malloc(n + 1);

	ASSERT(big);
	/* a line of 2 MiB: refused, with a short printable reason */
	memset(big, 'z', n);
	big[n] = '\0';
	CHECK_EQ(iopt_trace_parse_line(big, &op, why, sizeof(why)), -EINVAL);
	CHECK(strlen(why) < 200);
	/* a number of 2 MiB digits */
	memcpy(big, "lookup ", 7);
	memset(big + 7, '9', n - 7);
	CHECK_EQ(iopt_trace_parse_line(big, &op, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "does not fit in 64 bits") != NULL);
	memset(big, '0', n);
	big[n - 1] = '7';
	CHECK_EQ(iopt_trace_parse_u64(big, NULL, &v), 0);
	CHECK_EQ(v, 7);
	memset(big, '1', n);
	CHECK_EQ(iopt_trace_parse_u64(big, &end, &v), -ERANGE);
	CHECK_EQ(v, 7);
	free(big);
	/* ftrace fields: too large, negative, the largest */
	CHECK_EQ(iopt_trace_parse_line("map: IOMMU: iova=0x10000000000000000 "
				       "paddr=0x0 size=4096", &op, why,
				       sizeof(why)), -EINVAL);
	CHECK(strstr(why, "does not fit") != NULL);
	CHECK_EQ(iopt_trace_parse_line("unmap: IOMMU: iova=0x1000 size=-1 "
				       "unmapped_size=4096", &op, why,
				       sizeof(why)), -EINVAL);
	CHECK(strstr(why, "not a number") != NULL);
	CHECK_EQ(iopt_trace_parse_line("map: IOMMU: iova=0x1000 paddr=0x0 "
				       "size=18446744073709551615", &op, why,
				       sizeof(why)), 0);
	CHECK_EQ(op.size, UINT64_MAX);
	/* the reason fits a buffer of any size */
	CHECK_EQ(iopt_trace_parse_line("bogus", &op, tiny, 1), -EINVAL);
	CHECK_EQ(tiny[0], 0);
	CHECK_EQ(iopt_trace_parse_line("bogus", &op, tiny, 2), -EINVAL);
	CHECK_EQ(strlen(tiny), 1);
	/* invalid UTF-8 is quoted, not copied */
	CHECK_EQ(iopt_trace_parse_line("map \xc3\x28 0 4K", &op, why,
				       sizeof(why)), -EINVAL);
	CHECK(strstr(why, "\\xc3(") != NULL);
	/* a NUL byte ends the line (the tool refuses such lines itself) */
	CHECK_EQ(iopt_trace_parse_line("lookup 0x1000\0 junk", &op, why,
				       sizeof(why)), 0);
	CHECK_EQ(op.kind, IOPT_TRACE_LOOKUP);
}

/* ---- vfio.h (DMA_MAP's errors: test_vfio.c) ---- */

TEST(vfio_args)
{
	struct iopt_host_config hc = {
		.seed = 1, .size = 64ULL << 20, .va_base = 1ULL << 40,
		.phys_base = 1ULL << 32, .page_lg2 = 12,
	};
	struct iopt_host_config bad;
	struct iopt_host h, h0;
	struct iopt_host_stats hs;
	struct iopt_vfio c, c2;
	struct iopt_vfio_counters ctr;
	struct iopt_config cfg;
	struct iopt_arena a;
	struct iopt_mem mem;
	uint64_t phys, contig, folio, dg, u, pfns[4];
	void *buf;

	/* host_init: every bad layout */
	memset(&h, 0xa5, sizeof(h));
	memcpy(&h0, &h, sizeof(h));
	CHECK_EQ(iopt_host_init(NULL, &hc), -EINVAL);
	CHECK_EQ(iopt_host_init(&h, NULL), -EINVAL);
#define BAD_HOST(field, value)                                               \
	do {                                                                 \
		bad = hc;                                                    \
		bad.field = (value);                                         \
		if (iopt_host_init(&h, &bad) != -EINVAL)                     \
			H_FAIL("host %s = 0x%llx accepted", #field,          \
			       (unsigned long long)(value));                 \
	} while (0)
	BAD_HOST(size, 0);
	BAD_HOST(size, 3ULL << 20);
	BAD_HOST(va_base, (1ULL << 40) + 4096);
	BAD_HOST(phys_base, (1ULL << 32) + (2ULL << 20));
	BAD_HOST(page_lg2, 13);
	BAD_HOST(page_lg2, 21);
	BAD_HOST(pct_1g, 101);
	BAD_HOST(pct_hole, 101);
	BAD_HOST(pct_2m, 1000);
	BAD_HOST(pct_frag, 101);
	bad = hc;                                      /* region wraps */
	bad.size = 2ULL << 30;
	bad.va_base = 0 - (1ULL << 30);
	CHECK_EQ(iopt_host_init(&h, &bad), -EINVAL);
	bad.va_base = hc.va_base;
	bad.phys_base = 0 - (1ULL << 30);
	CHECK_EQ(iopt_host_init(&h, &bad), -EINVAL);
	BAD_HOST(size, 1ULL << 45);                    /* 2^33 host pages */
#undef BAD_HOST
	CHECK(!memcmp(&h, &h0, sizeof(h)));

	/* host functions on NULL or outside the host */
	iopt_host_fini(NULL);
	CHECK_EQ(iopt_host_page_size(NULL), 0);
	CHECK_EQ(iopt_host_pincount(NULL, 0), 0);
	CHECK_EQ(iopt_host_pin_digest(NULL), 0);
	CHECK_EQ(iopt_host_pin(NULL, hc.phys_base, 1), -EINVAL);
	CHECK_EQ(iopt_host_unpin(NULL, hc.phys_base, 1), -EINVAL);
	CHECK_EQ(iopt_host_lock_acct(NULL, 1), -EINVAL);
	CHECK_EQ(iopt_host_translate(NULL, hc.va_base, &phys, NULL, NULL),
		 -EINVAL);
	iopt_host_get_stats(NULL, &hs);
	ASSERT_EQ(iopt_host_init(&h, &hc), 0);
	iopt_host_get_stats(&h, NULL);
	CHECK_EQ(iopt_host_page_size(&h), 4096);
	phys = contig = folio = 77;
	CHECK_EQ(iopt_host_translate(&h, hc.va_base, NULL, NULL, NULL),
		 -EINVAL);
	CHECK_EQ(iopt_host_translate(&h, hc.va_base - 1, &phys, &contig,
				     &folio), -EFAULT);
	CHECK_EQ(iopt_host_translate(&h, hc.va_base + hc.size, &phys, &contig,
				     &folio), -EFAULT);
	CHECK_EQ(iopt_host_translate(&h, UINT64_MAX, &phys, &contig, &folio),
		 -EFAULT);
	CHECK(phys == 77 && contig == 77 && folio == 77);
	ASSERT_EQ(iopt_host_pin(&h, hc.phys_base, 2), 0);
	ASSERT_EQ(iopt_host_lock_acct(&h, 2), 0);
	dg = iopt_host_pin_digest(&h);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base + 1, 1), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base, 0), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base - 4096, 2), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base + hc.size - 4096, 2), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base, UINT64_MAX), -EINVAL);
	CHECK_EQ(iopt_host_unpin(&h, hc.phys_base, 3), -ENOENT);
	CHECK_EQ(iopt_host_unpin(&h, hc.phys_base + 8192, 1), -ENOENT);
	CHECK_EQ(iopt_host_unpin(&h, hc.phys_base + 1, 1), -EINVAL);
	CHECK_EQ(iopt_host_unpin(&h, UINT64_MAX & ~4095ULL, 1), -EINVAL);
	CHECK_EQ(iopt_host_pincount(&h, hc.phys_base - 1), 0);
	CHECK_EQ(iopt_host_pincount(&h, UINT64_MAX), 0);
	CHECK_EQ(iopt_host_lock_acct(&h, -3), -EINVAL);
	CHECK_EQ(iopt_host_lock_acct(&h, INT64_MIN), -EINVAL);
	CHECK_EQ(iopt_host_pin_digest(&h), dg);
	iopt_host_get_stats(&h, &hs);
	CHECK_EQ(hs.locked_vm, 2);
	CHECK_EQ(hs.pins, 2);
	CHECK_EQ(hs.bad_unpins, 2);

	/* the container */
	buf = aligned_alloc(4096, 4u << 20);
	ASSERT(buf);
	ASSERT_EQ(iopt_arena_init(&a, buf, 4u << 20, BUF_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	ASSERT_EQ(iopt_config_from_name("x86-64-4lvl", &cfg), 0);
	CHECK_EQ(iopt_vfio_init(NULL, &h, &cfg, &mem, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_init(&c, NULL, &cfg, &mem, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_init(&c, &h, NULL, &mem, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_init(&c, &h, &cfg, NULL, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_init(&c, &h, &cfg, &mem, (enum iopt_domain_mode)7),
		 -EINVAL);
	CHECK_EQ(a.used, 0);
	memset(&h0, 0, sizeof(h0)); /* a host never initialised */
	CHECK_EQ(iopt_vfio_init(&c, &h0, &cfg, &mem, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	cfg.ias = 40;
	CHECK_EQ(iopt_vfio_init(&c, &h, &cfg, &mem, IOPT_DOMAIN_BATCHED),
		 -ENOTSUP);
	/* a table page larger than the host's page */
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-16k", &cfg), 0);
	CHECK_EQ(iopt_vfio_init(&c, &h, &cfg, &mem, IOPT_DOMAIN_BATCHED),
		 -EINVAL);
	CHECK_EQ(a.used, 0);

	iopt_vfio_fini(NULL);
	CHECK_EQ(iopt_vfio_set_strategy(NULL, IOPT_VFIO_SCAN_PHYS), -EINVAL);
	CHECK_EQ(iopt_vfio_set_flags(NULL, 0), -EINVAL);
	CHECK(!strcmp(iopt_vfio_strategy_name((enum iopt_vfio_strategy)-1),
		      "?"));
	CHECK_EQ(iopt_vfio_dma_map(NULL, hc.va_base, 0, 4096, R), -EINVAL);
	u = 5;
	CHECK_EQ(iopt_vfio_dma_unmap(NULL, 0, 4096, &u), -EINVAL);
	CHECK_EQ(u, 0);
	u = 5;
	CHECK_EQ(iopt_vfio_dma_unmap_all(NULL, &u), -EINVAL);
	CHECK_EQ(u, 0);
	CHECK_EQ(iopt_vfio_nr_dmas(NULL), 0);
	CHECK(iopt_vfio_table(NULL) == NULL);
	CHECK(iopt_vfio_domain(NULL) == NULL);
	iopt_vfio_get_counters(NULL, &ctr, true);

	ASSERT_EQ(iopt_config_from_name("x86-64-4lvl", &cfg), 0);
	ASSERT_EQ(iopt_vfio_init(&c, &h, &cfg, &mem, IOPT_DOMAIN_BATCHED), 0);
	CHECK_EQ(iopt_vfio_set_strategy(&c, (enum iopt_vfio_strategy)4),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap(&c, 0, 4096, NULL), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap_all(&c, NULL), -EINVAL);
	iopt_vfio_get_counters(&c, NULL, false);
	/* a user range that wraps; cache attributes are VFIO's to add */
	CHECK_EQ(iopt_vfio_dma_map(&c, 0 - 4096, 0, 8192, R), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&c, hc.va_base, 0, 4096, R | IOPT_CACHE),
		 -EINVAL);
	/* an IOVA range that leaves the table's input space part-way */
	CHECK_EQ(iopt_vfio_dma_map(&c, hc.va_base, (1ULL << 47) - 4096, 8192,
				   R), -ERANGE);
	CHECK_EQ(iopt_host_pin_digest(&h), dg);
	CHECK_EQ(iopt_vfio_nr_dmas(&c), 0);
	/* pfns_from_domain */
	memset(pfns, 0xa5, sizeof(pfns));
	{
		struct iopt_domain *dom = iopt_vfio_domain(&c);
		uint64_t p0 = pfns[0];

		CHECK_EQ(iopt_pfns_from_domain(NULL, 0, 4096, 12,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 4096, 12,
					       IOPT_PFNS_BY_PAGE, NULL, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 4096, 11,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 1ULL << 31, 31,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 4096, 12,
					       (enum iopt_pfn_method)3, pfns,
					       NULL, NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 0, 12,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 8, 4096, 12,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0, 4097, 12,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EINVAL);
		CHECK_EQ(iopt_pfns_from_domain(dom, 0 - 4096, 8192, 12,
					       IOPT_PFNS_BY_PAGE, pfns, NULL,
					       NULL), -EOVERFLOW);
		CHECK_EQ(iopt_pfns_from_domain(dom, (1ULL << 47) - 4096, 8192,
					       12, IOPT_PFNS_BY_EXTENT, pfns,
					       NULL, NULL), -ERANGE);
		CHECK_EQ(pfns[0], p0);
	}
	/* a second container over the same host works after all this */
	ASSERT_EQ(iopt_vfio_init(&c2, &h, &cfg, &mem, IOPT_DOMAIN_PER_PAGE), 0);
	CHECK_EQ(iopt_vfio_dma_map(&c2, hc.va_base, 0, 2ULL << 20, R), 0);
	iopt_vfio_fini(&c2);
	iopt_vfio_fini(&c);
	CHECK_EQ(a.used, 0);
	CHECK_EQ(iopt_host_pin_digest(&h), dg);
	iopt_host_fini(&h);
	iopt_host_fini(&h); /* twice: ignored */
	CHECK_EQ(iopt_host_page_size(&h), 0);
	free(buf);
}

/* ---- hwsim.h: argument errors only (the walkers are tested elsewhere) */

TEST(hwsim_args)
{
	static const uint64_t image[8];
	struct iopt_hwsim_params pr = { 8, 3, 0, 0, 0 };
	struct iopt_hwsim_counters cnt;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_geom geo;
	struct iopt_hwsim_mem m, m0;
	struct iopt_hwsim sim;
	struct iopt_config cfg;
	void *cookie = &cfg;

	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &cfg), 0);
	iopt_hwsim_mem_image(&m, image, sizeof(image), 0);
	CHECK_EQ(iopt_hwsim_geometry(NULL, &geo), -EINVAL);
	CHECK_EQ(iopt_hwsim_geometry(&cfg, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(NULL, &cfg, &m, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(&sim, NULL, &m, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(&sim, &cfg, NULL, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(&sim, &cfg, &m, &pr), -EINVAL); /* 3 ways of 8 */
	pr = (struct iopt_hwsim_params){ 8, 0, 0, 0, 1u << 5 };
	CHECK_EQ(iopt_hwsim_init(&sim, &cfg, &m, &pr), -EINVAL);
	cfg.granule_lg2 = 13;
	CHECK_EQ(iopt_hwsim_init(&sim, &cfg, &m, NULL), -ENOTSUP);
	cfg.granule_lg2 = 12;
	iopt_hwsim_fini(NULL);
	CHECK_EQ(iopt_hwsim_set_root(NULL, 0), -EINVAL);
	CHECK_EQ(iopt_hwsim_translate(NULL, 0, 0, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_all(NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(NULL, 0, 4096, 12, true), -EINVAL);
	CHECK_EQ(iopt_hwsim_check_coherent(NULL, NULL, NULL), -EINVAL);
	iopt_hwsim_set_event_fn(NULL, NULL, NULL);
	iopt_hwsim_reset_counters(NULL);
	memset(&cnt, 0xa5, sizeof(cnt));
	iopt_hwsim_get_counters(NULL, &cnt);
	CHECK_EQ(cnt.translations, 0);
	CHECK(iopt_hwsim_flush_ops(NULL, NULL) != NULL);
	CHECK(iopt_hwsim_flush_ops(NULL, &cookie) != NULL);
	CHECK(cookie == NULL);
	CHECK(!strcmp(iopt_hwsim_fault_name((enum iopt_hwsim_fault)99), "?"));
	iopt_hwsim_mem_arena(NULL, NULL);
	iopt_hwsim_mem_image(NULL, NULL, 0, 0);
	ASSERT_EQ(iopt_hwsim_geometry(&cfg, &geo), 0);
	CHECK_EQ(iopt_hwsim_walk(NULL, &m, 0, 0, 0, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_walk(&geo, NULL, 0, 0, 0, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_walk(&geo, &m, 0, 0, 0, NULL), -EINVAL);

	memcpy(&m0, &m, sizeof(m));
	ASSERT_EQ(iopt_hwsim_init(&sim, &cfg, &m, NULL), 0);
	/* no root programmed yet */
	CHECK_EQ(iopt_hwsim_translate(&sim, 0, 0, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_set_root(&sim, 0), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0, 0, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0, 0, 12, true), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0 - 4096, 8192, 12, true),
		 -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0, 4096, 64, true), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0 - 4096, 4096, 12, false), 0);
	iopt_hwsim_get_counters(&sim, NULL);
	iopt_hwsim_fini(&sim);
	iopt_hwsim_fini(&sim); /* twice: ignored */
	CHECK(!memcmp(&m, &m0, sizeof(m)));
}
