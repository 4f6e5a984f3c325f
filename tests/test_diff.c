// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Differential tests: long random sequences of map, unmap, lookup and
 * extent calls on a real table, each checked against the reference model
 * (model.h) and against the contracts of iopt.h.
 *
 * Addresses come from a few windows per configuration (the bottom of the
 * input space, its middle, its very top; for x86-64 both canonical halves
 * at both of their ends), so leaves of all sizes collide and share tables.
 * Some operations are deliberately broken (misaligned, out of range, bad
 * size, NULL, unknown flag) and must fail with the documented error having
 * changed nothing.
 *
 * Besides results, every call is checked for its memory behaviour: unmap
 * never allocates; a table is never freed in a call before a flush that
 * invalidates walk caches in that same call; a gather sync flushes every
 * leaf that the unmaps before it removed, at a granule no larger than the
 * leaf; at the end only the root is left, and iopt_fini() frees it.
 *
 * IOPT_TEST_SEED replays a run; IOPT_TEST_OPS sets the number of operations
 * per configuration (default 100000; the all-or-nothing test uses a tenth).
 */
#define HARNESS_MAIN
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

#include <iopt/mem.h>
#include "model.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL
#define PROT_SENTINEL 0xdead0000u

/* Acceptable error sets for argument errors. */
#define E_INVAL    (1u << 0)
#define E_OVERFLOW (1u << 1)
#define E_RANGE    (1u << 2)

/* Which pointer arguments an operation passes as NULL. */
#define NULL_TABLE  (1u << 0)
#define NULL_OUT    (1u << 1) /* mapped, unmapped, phys */
#define NULL_OUT2   (1u << 2) /* gather, length, extent callback */
#define NULL_PROT   (1u << 3) /* prot of iova_to_phys_length (allowed) */

#define ARENA_SIZE ((size_t)256 << 20)
#define ARENA_PHYS 0x40000000ULL
#define CHECK_ALL_EVERY 2048
#define MAX_RANGE_LEAVES 4096

enum op_kind {
	OP_MAP_PAGES,
	OP_MAP_RANGE,
	OP_UNMAP_RANGE,
	OP_UNMAP_PAGES,
	OP_PHYS,
	OP_PHYS_LEN,
	OP_PGSIZE,
	OP_EXTENTS,
	OP_SYNC,
	OP_WIPE,
	OP_CHECK_ALL,
	OP_SCATTER,
	OP_REPLACE,
	OP_END,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	[OP_MAP_PAGES] = "map_pages",
	[OP_MAP_RANGE] = "map_range",
	[OP_UNMAP_RANGE] = "unmap_range",
	[OP_UNMAP_PAGES] = "unmap_pages",
	[OP_PHYS] = "iova_to_phys",
	[OP_PHYS_LEN] = "iova_to_phys_length",
	[OP_PGSIZE] = "iova_to_pgsize",
	[OP_EXTENTS] = "for_each_extent",
	[OP_SYNC] = "gather_sync",
	[OP_WIPE] = "unmap_window",
	[OP_CHECK_ALL] = "check_all",
	[OP_SCATTER] = "scatter",
	[OP_REPLACE] = "replace",
	[OP_END] = "unmap_all",
};

struct op {
	enum op_kind kind;
	uint64_t iova;
	uint64_t paddr;
	uint64_t size;		/* map_range, unmap_range, extents */
	uint64_t pgsize;	/* map_pages, unmap_pages */
	uint64_t count;
	unsigned int prot;
	unsigned int prot_eff;	/* iopt_prot_effective(prot) */
	unsigned int flags;
	unsigned int nulls;
	unsigned int stop_after; /* extents: callback stops after this many */
	uint64_t fail_at;	/* 0, or the allocation (relative) that fails */
	bool sync;		/* unmaps: sync the gather right after */
	bool bad;		/* generated as a deliberately wrong call */
};

struct window {
	uint64_t base;		/* a multiple of cap (mod 2^64) */
	bool down;		/* addresses [base - cap, base) instead of [base, base + cap) */
};

struct ext {
	uint64_t iova;
	uint64_t phys;
	uint64_t length;
	unsigned int prot;
};

struct extbuf {
	struct ext *v;
	size_t nr;
	size_t cap;
	unsigned int stop_after;
};

struct dctx {
	const struct h_cfg *hc;
	const char *test;
	struct iopt_config cfg;
	struct iopt_table t;
	bool live;
	struct iopt_arena arena;
	struct iopt_mem inner;	/* the arena backend */
	struct iopt_mem mem;	/* our wrapper around it */
	void *region;
	size_t root_used;
	struct model m;
	uint64_t bitmap;
	uint64_t min_pg;
	uint64_t sizes[64];	/* usable page sizes, ascending */
	uint64_t weight[64];
	uint64_t weight_total;
	unsigned int nsizes;
	uint64_t cap;		/* window length */
	struct window win[6];
	unsigned int nwin;
	uint64_t delta[3];	/* paddr - iova offsets, multiples of cap */
	uint64_t seed;
	uint64_t rng;
	bool sext;
	uint64_t base;		/* first IOVA: 0, or ARM TTBR1's 2^64 - 2^ias */
	unsigned int ias;
	unsigned int oas;
	uint64_t pa_last;	/* 2^oas - 1 */
	bool aon;		/* the all-or-nothing test */

	struct iopt_gather g;
	unsigned int pending;	/* unmaps since the last sync */

	/* flush and free tracking */
	struct model_range *fl;
	size_t nfl, capfl;
	bool flush_all_seen;
	uint64_t flush_all_calls;
	uint64_t flush_range_calls;
	bool call_flushed;	/* walk-cache flush seen in the current call */
	uint64_t unflushed_frees; /* frees before such a flush in the call */
	uint64_t call_frees;	/* frees in the current call */
	uint64_t call_flushes;	/* flush callbacks in the current call */
	uint64_t *fresh;	/* tables allocated in the current call */
	size_t nfresh, capfresh;
	struct model_range *rm;	/* leaves removed since the last sync */
	size_t nrm, caprm;

	struct extbuf ea, eb;
	uint64_t opno;
	struct op op;
	bool failed;

	/* what the run did, for the diagnostics */
	uint64_t n_ops[OP_NR];
	uint64_t n_fail;	/* calls that returned an error */
	uint64_t n_enomem;
	uint64_t n_bbm;		/* maps that flushed (replaced empty tables) */
	uint64_t n_early;	/* unmaps that freed tables (early gather sync) */
	uint64_t n_exdev;
	uint64_t n_eexist;
	uint64_t max_leaves;
};

/* ---- small helpers ---- */

static uint64_t r64(struct dctx *c)
{
	return h_rand(&c->rng);
}

static uint64_t rn(struct dctx *c, uint64_t n)
{
	return n ? r64(c) % n : 0;
}

static bool chance(struct dctx *c, unsigned int pct)
{
	return rn(c, 100) < pct;
}

static unsigned int lg2(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * elem);
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	*cap = n;
	return p;
}

static const char *err_name(int rc)
{
	switch (rc) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -EOVERFLOW: return "-EOVERFLOW";
	case -ERANGE: return "-ERANGE";
	case -EEXIST: return "-EEXIST";
	case -EXDEV: return "-EXDEV";
	case -ENOENT: return "-ENOENT";
	case -ENOMEM: return "-ENOMEM";
	case -ENOTSUP: return "-ENOTSUP";
	default: return "other";
	}
}

static void mask_name(unsigned int mask, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 mask & E_INVAL ? "-EINVAL " : "",
		 mask & E_OVERFLOW ? "-EOVERFLOW " : "",
		 mask & E_RANGE ? "-ERANGE " : "");
}

static bool rc_in(int rc, unsigned int mask)
{
	return (rc == -EINVAL && (mask & E_INVAL)) ||
	       (rc == -EOVERFLOW && (mask & E_OVERFLOW)) ||
	       (rc == -ERANGE && (mask & E_RANGE));
}

static void op_print(const struct dctx *c)
{
	const struct op *o = &c->op;

	printf("#   %s %s: mismatch at op %" PRIu64 " (seed=0x%" PRIx64 "): %s%s"
	       " iova=0x%" PRIx64 " paddr=0x%" PRIx64 " size=0x%" PRIx64
	       " pgsize=0x%" PRIx64 " count=0x%" PRIx64 " prot=0x%x"
	       " flags=0x%x nulls=0x%x stop_after=%u fail_at=+%" PRIu64
	       " sync=%d\n",
	       c->test, c->hc->name, c->opno, c->seed, op_names[o->kind],
	       o->bad ? " (deliberately bad)" : "", o->iova, o->paddr, o->size,
	       o->pgsize, o->count, o->prot, o->flags, o->nulls, o->stop_after,
	       o->fail_at, o->sync);
}

/* Report a mismatch; the first one also prints the operation. */
#define BAD(c, ...)                                                          \
	do {                                                                 \
		if (!(c)->failed)                                            \
			op_print(c);                                         \
		(c)->failed = true;                                          \
		H_FAIL(__VA_ARGS__);                                         \
	} while (0)

/* ---- address space ---- */

static bool iova_ok(const struct dctx *c, uint64_t v)
{
	if (c->sext) {
		int64_t hi = (int64_t)v >> (c->ias - 1);

		return hi == 0 || hi == -1;
	}
	return c->ias >= 64 || !((v - c->base) >> c->ias);
}

static bool span_ok(const struct dctx *c, uint64_t iova, uint64_t last)
{
	if (!iova_ok(c, iova) || !iova_ok(c, last) || last < iova)
		return false;
	return !c->sext || (iova >> 63) == (last >> 63);
}

/* size > 0 */
static bool wraps(uint64_t iova, uint64_t size)
{
	return size - 1 > UINT64_MAX - iova;
}

/* Argument errors of an IOVA range of @size > 0 bytes (not overflowing). */
static unsigned int range_errs(const struct dctx *c, uint64_t iova,
			       uint64_t size)
{
	if (wraps(iova, size))
		return E_OVERFLOW | (iova_ok(c, iova) ? 0 : E_RANGE);
	if (!span_ok(c, iova, iova + (size - 1)))
		return E_RANGE;
	return 0;
}

static bool paddr_ok(const struct dctx *c, uint64_t paddr, uint64_t size)
{
	return size - 1 <= c->pa_last && paddr <= c->pa_last - (size - 1);
}

static bool pgsize_ok(const struct dctx *c, uint64_t pgsize)
{
	return pgsize && !(pgsize & (pgsize - 1)) && (pgsize & c->bitmap);
}

/* End (exclusive) of the low part of the input space (TTBR1: 2^64, 0). */
static uint64_t low_end(const struct dctx *c)
{
	return c->sext ? 1ULL << (c->ias - 1) : c->base + (1ULL << c->ias);
}

/* ---- memory backend wrapper and flush callbacks ---- */

static void *w_alloc(void *ctx, size_t size, uint64_t *phys, unsigned int flags)
{
	struct dctx *c = ctx;
	void *v = c->inner.ops->alloc(c->inner.ctx, size, phys, flags);

	if (v) {
		c->fresh = grow(c->fresh, &c->capfresh, c->nfresh + 1,
				sizeof(*c->fresh));
		c->fresh[c->nfresh++] = *phys;
	}
	return v;
}

/*
 * A table that existed before the current call may have been walked by the
 * IOMMU, so freeing it needs a walk-cache flush first, in the same call.
 * One allocated in this call and freed again (a spare) needs none.
 */
static void w_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct dctx *c = ctx;
	bool spare = false;

	for (size_t i = 0; i < c->nfresh && !spare; i++)
		spare = c->fresh[i] == phys;
	if (!c->call_flushed && !spare)
		c->unflushed_frees++;
	c->call_frees++;
	c->inner.ops->free(c->inner.ctx, virt, phys, size);
}

static void *w_phys_to_virt(void *ctx, uint64_t phys)
{
	struct dctx *c = ctx;

	if (c->inner.ops->phys_to_virt)
		return c->inner.ops->phys_to_virt(c->inner.ctx, phys);
	return (void *)(uintptr_t)(phys + c->inner.virt_offset);
}

static void w_set_label(void *ctx, uint64_t phys, size_t size, uint32_t l)
{
	struct dctx *c = ctx;

	c->inner.ops->set_label(c->inner.ctx, phys, size, l);
}

static uint32_t w_label_of(void *ctx, uint64_t phys, size_t size)
{
	struct dctx *c = ctx;

	return c->inner.ops->label_of(c->inner.ctx, phys, size);
}

static const struct iopt_mem_ops wrap_ops = {
	.alloc = w_alloc,
	.free = w_free,
	.phys_to_virt = w_phys_to_virt,
};

/* The same, passing the inner backend's labels through. */
static const struct iopt_mem_ops wrap_ops_labels = {
	.alloc = w_alloc,
	.free = w_free,
	.phys_to_virt = w_phys_to_virt,
	.set_label = w_set_label,
	.label_of = w_label_of,
};

static void f_all(void *cookie)
{
	struct dctx *c = cookie;

	c->flush_all_calls++;
	c->call_flushes++;
	c->flush_all_seen = true;
	c->call_flushed = true;
}

static void f_range(void *cookie, uint64_t iova, uint64_t size,
		    unsigned int granule_lg2, bool leaf_only)
{
	struct dctx *c = cookie;
	struct model_range *f;

	c->flush_range_calls++;
	c->call_flushes++;
	if (!leaf_only)
		c->call_flushed = true;
	if (!size)
		return;
	c->fl = grow(c->fl, &c->capfl, c->nfl + 1, sizeof(*c->fl));
	f = &c->fl[c->nfl++];
	f->iova = iova;
	f->last = iova + (size - 1);
	f->lg2 = granule_lg2;
	f->leaf_only = leaf_only;
}

static const struct iopt_flush_ops flush_ops = {
	.flush_all = f_all,
	.flush_range = f_range,
};

static void record_removed(void *arg, const struct model_leaf *l)
{
	struct dctx *c = arg;

	c->rm = grow(c->rm, &c->caprm, c->nrm + 1, sizeof(*c->rm));
	c->rm[c->nrm].iova = l->iova;
	c->rm[c->nrm].last = l->last;
	c->rm[c->nrm].lg2 = lg2(model_leaf_size(l));
	c->nrm++;
}

/* Start of a call that may free tables. */
static void call_begin(struct dctx *c)
{
	c->call_flushed = false;
	c->unflushed_frees = 0;
	c->call_frees = 0;
	c->call_flushes = 0;
	c->nfresh = 0;
}

static void call_end(struct dctx *c, const char *what)
{
	if (c->unflushed_frees)
		BAD(c, "%s freed %" PRIu64 " table(s) before any walk-cache flush (flush_all or flush_range with leaf_only false) in the same call",
		    what, c->unflushed_frees);
}

/*
 * How the flushes cover a removed leaf: 0 when every byte is inside a flush
 * whose granule is no larger than the leaf (a hardware range invalidation
 * with that granule hint drops it), 1 when some byte is not flushed at all,
 * 2 when only flushes at larger granules cover it.
 */
static int flushed(const struct dctx *c, uint64_t iova, uint64_t last,
		   unsigned int granule_lg2)
{
	if (model_ranges_cover(c->fl, c->nfl, iova, last, granule_lg2))
		return 0;
	return model_ranges_cover(c->fl, c->nfl, iova, last, 64) ? 2 : 1;
}

static void flush_dump(const struct dctx *c)
{
	for (size_t i = 0; i < c->nfl; i++)
		printf("#     flushed [0x%" PRIx64 ", 0x%" PRIx64 "] granule 2^%u%s\n",
		       c->fl[i].iova, c->fl[i].last, c->fl[i].lg2,
		       c->fl[i].leaf_only ? " leaf_only" : "");
}

static void do_sync(struct dctx *c)
{
	int rc;

	call_begin(c);
	rc = iopt_gather_sync(&c->g);
	call_end(c, "iopt_gather_sync");
	if (rc)
		BAD(c, "iopt_gather_sync returned %d", rc);
	if (!c->failed) {
		/* now empty: a second sync calls nothing */
		call_begin(c);
		rc = iopt_gather_sync(&c->g);
		if (rc || c->call_flushes || c->call_frees)
			BAD(c, "a second iopt_gather_sync returned %d after %" PRIu64 " flush callbacks and %" PRIu64 " frees; an empty gather must call nothing",
			    rc, c->call_flushes, c->call_frees);
	}
	if (!c->flush_all_seen && c->nrm) {
		model_ranges_sort(c->fl, c->nfl);
		for (size_t i = 0; i < c->nrm && !c->failed; i++) {
			const struct model_range *r = &c->rm[i];
			int how = flushed(c, r->iova, r->last, r->lg2);

			if (how)
				BAD(c, "unmapped leaf [0x%" PRIx64 ", 0x%" PRIx64 "] (one of %zu since the last sync) was %s by the unmaps and gather sync",
				    r->iova, r->last, c->nrm,
				    how == 1 ? "not flushed" :
				    "flushed only at granules larger than itself");
		}
		if (c->failed)
			flush_dump(c);
	}
	c->nfl = 0;
	c->nrm = 0;
	c->flush_all_seen = false;
	c->pending = 0;
}

/* ---- extents ---- */

static int ext_collect(void *arg, uint64_t iova, uint64_t phys,
		       uint64_t length, unsigned int prot)
{
	struct extbuf *b = arg;

	b->v = grow(b->v, &b->cap, b->nr + 1, sizeof(*b->v));
	b->v[b->nr].iova = iova;
	b->v[b->nr].phys = phys;
	b->v[b->nr].length = length;
	b->v[b->nr].prot = prot;
	b->nr++;
	if (b->stop_after && b->nr == b->stop_after)
		return 1000 + (int)b->stop_after;
	return 0;
}

static void ext_print(const char *who, const struct extbuf *b, size_t i)
{
	if (i < b->nr)
		printf("#     %s extent %zu: iova=0x%" PRIx64 " phys=0x%" PRIx64
		       " length=0x%" PRIx64 " prot=0x%x\n", who, i,
		       b->v[i].iova, b->v[i].phys, b->v[i].length,
		       b->v[i].prot);
	else
		printf("#     %s extent %zu: none (%zu in all)\n", who, i, b->nr);
}

/* Compare the extents of [iova, iova + size) (valid, size > 0). */
static void compare_extents(struct dctx *c, uint64_t iova, uint64_t size,
			    unsigned int stop_after, const char *why)
{
	int rl, rm;
	size_t i;

	c->ea.nr = 0;
	c->eb.nr = 0;
	c->ea.stop_after = stop_after;
	c->eb.stop_after = stop_after;
	rl = iopt_for_each_extent(&c->t, iova, size, ext_collect, &c->ea);
	rm = model_for_each_extent(&c->m, iova, iova + (size - 1), ext_collect,
				   &c->eb);
	for (i = 0; i < c->ea.nr && i < c->eb.nr; i++)
		if (c->ea.v[i].iova != c->eb.v[i].iova ||
		    c->ea.v[i].phys != c->eb.v[i].phys ||
		    c->ea.v[i].length != c->eb.v[i].length ||
		    c->ea.v[i].prot != c->eb.v[i].prot)
			break;
	if (rl != rm || c->ea.nr != c->eb.nr || i < c->ea.nr) {
		BAD(c, "%s: extents of [0x%" PRIx64 ", +0x%" PRIx64 ") differ: library returned %d with %zu extents, model %d with %zu; first difference at %zu",
		    why, iova, size, rl, c->ea.nr, rm, c->eb.nr, i);
		ext_print("library", &c->ea, i);
		ext_print("model  ", &c->eb, i);
	}
}

/* Check that [iova, last] looks as the model says (if it is valid). */
static void check_span(struct dctx *c, uint64_t iova, uint64_t last,
		       const char *why)
{
	if (!span_ok(c, iova, last))
		return;
	compare_extents(c, iova, last - iova + 1, 0, why);
}

static void check_leaf(struct dctx *c, const struct model_leaf *l,
		       uint64_t at, const char *why)
{
	uint64_t phys = SENTINEL, len = SENTINEL;
	unsigned int prot = PROT_SENTINEL;
	int rc = iopt_iova_to_phys_length(&c->t, at, &phys, &len, &prot);

	if (rc || phys != l->paddr + (at - l->iova) ||
	    len != model_leaf_size(l) || prot != l->prot)
		BAD(c, "%s: iova_to_phys_length(0x%" PRIx64 ") = %s phys=0x%" PRIx64 " length=0x%" PRIx64 " prot=0x%x; model leaf [0x%" PRIx64 ", 0x%" PRIx64 "] -> 0x%" PRIx64 " prot 0x%x",
		    why, at, err_name(rc), phys, len, prot, l->iova, l->last,
		    l->paddr, l->prot);
}

/* Check the first and last few model leaves of [iova, last]. */
static void check_leaves(struct dctx *c, uint64_t iova, uint64_t last,
			 const char *why)
{
	size_t lo = model_first(&c->m, iova), hi = lo;

	while (hi < c->m.nr && c->m.leaf[hi].iova <= last)
		hi++;
	for (size_t i = lo; i < hi && !c->failed; i++) {
		const struct model_leaf *l = &c->m.leaf[i];

		if (i >= lo + 8 && i + 8 < hi)
			i = hi - 8;
		l = &c->m.leaf[i];
		check_leaf(c, l, l->iova + rn(c, model_leaf_size(l)), why);
	}
}

/* Every window, and every leaf of the model. */
static void check_all(struct dctx *c, const char *why)
{
	for (unsigned int w = 0; w < c->nwin && !c->failed; w++) {
		const struct window *win = &c->win[w];
		uint64_t lo = win->down ? win->base - c->cap : win->base;

		compare_extents(c, lo, c->cap, 0, why);
	}
	for (size_t i = 0; i < c->m.nr && !c->failed; i++) {
		const struct model_leaf *l = &c->m.leaf[i];
		uint64_t s = iopt_iova_to_pgsize(&c->t, l->last);

		if (s != model_leaf_size(l))
			BAD(c, "%s: iova_to_pgsize(0x%" PRIx64 ") = 0x%" PRIx64 ", model leaf [0x%" PRIx64 ", 0x%" PRIx64 "]",
			    why, l->last, s, l->iova, l->last);
	}
}

/* ---- executing operations ---- */

static unsigned int map_errs(const struct dctx *c, const struct op *o)
{
	unsigned int e = 0;
	bool pages = o->kind == OP_MAP_PAGES;

	if (o->nulls & (NULL_TABLE | NULL_OUT))
		e |= E_INVAL;
	if (o->flags & ~IOPT_MAP_ALL_OR_NOTHING)
		e |= E_INVAL;
	if (!(o->prot & (IOPT_READ | IOPT_WRITE)))
		e |= E_INVAL;
	if (pages) {
		if (!pgsize_ok(c, o->pgsize) || !o->count)
			e |= E_INVAL;
		if (o->pgsize && (o->iova % o->pgsize || o->paddr % o->pgsize))
			e |= E_INVAL;
		if (!pgsize_ok(c, o->pgsize) || !o->count)
			return e;
		if (o->count > UINT64_MAX / o->pgsize) /* size beyond 2^64 */
			return e | E_OVERFLOW | E_RANGE;
		e |= range_errs(c, o->iova, o->pgsize * o->count);
		if (!paddr_ok(c, o->paddr, o->pgsize * o->count))
			e |= E_RANGE;
	} else {
		if (!o->size || (o->iova | o->paddr | o->size) % c->min_pg)
			e |= E_INVAL;
		if (!o->size)
			return e;
		e |= range_errs(c, o->iova, o->size);
		if (!paddr_ok(c, o->paddr, o->size))
			e |= E_RANGE;
	}
	return e;
}

static void do_map(struct dctx *c, const struct op *o)
{
	bool pages = o->kind == OP_MAP_PAGES;
	struct iopt_table *t = (o->nulls & NULL_TABLE) ? NULL : &c->t;
	uint64_t mapped = SENTINEL;
	uint64_t *mp = (o->nulls & NULL_OUT) ? NULL : &mapped;
	unsigned int e = map_errs(c, o);
	size_t used0 = c->arena.used;
	uint64_t size = pages ? o->pgsize * o->count : o->size;
	uint64_t last = o->iova + (size - 1);
	char buf[64];
	int rc;

	if (o->fail_at)
		c->arena.fail_at = c->arena.attempts + o->fail_at;
	call_begin(c);
	if (pages)
		rc = iopt_map_pages(t, o->iova, o->paddr, o->pgsize, o->count,
				    o->prot, o->flags, mp);
	else
		rc = iopt_map_range(t, o->iova, o->paddr, o->size, o->prot,
				    o->flags, mp);
	c->arena.fail_at = 0;
	if (rc)
		c->n_fail++;
	if (c->call_flushes)
		c->n_bbm++;
	if (rc != -ENOMEM)
		call_end(c, op_names[o->kind]);
	if (c->failed)
		return;

	if (e) {
		mask_name(e, buf, sizeof(buf));
		if (!rc_in(rc, e))
			BAD(c, "returned %d (%s), expected one of %s", rc,
			    err_name(rc), buf);
		else if (mp && mapped)
			BAD(c, "failed with %s but *mapped = 0x%" PRIx64,
			    err_name(rc), mapped);
		else if (c->arena.used != used0)
			BAD(c, "failed with %s but table memory changed: %zu -> %zu bytes",
			    err_name(rc), used0, c->arena.used);
		else if (!(e & (E_OVERFLOW | E_RANGE)))
			check_span(c, o->iova, last, "after a failed map");
		return;
	}
	if (model_overlaps(&c->m, o->iova, last)) {
		c->n_eexist++;
		if (rc != -EEXIST)
			BAD(c, "returned %d (%s) over a mapped leaf, expected -EEXIST",
			    rc, err_name(rc));
		else if (mapped)
			BAD(c, "-EEXIST but *mapped = 0x%" PRIx64, mapped);
		else if (c->arena.used != used0)
			BAD(c, "-EEXIST but table memory changed: %zu -> %zu bytes",
			    used0, c->arena.used);
		else
			check_span(c, o->iova, last, "after -EEXIST");
		return;
	}
	if (rc == -ENOMEM && o->fail_at) {
		c->n_enomem++;
		if (o->flags & IOPT_MAP_ALL_OR_NOTHING) {
			if (mapped)
				BAD(c, "-ENOMEM with IOPT_MAP_ALL_OR_NOTHING but *mapped = 0x%" PRIx64,
				    mapped);
			else if (c->arena.used != used0)
				BAD(c, "-ENOMEM with IOPT_MAP_ALL_OR_NOTHING but table memory changed: %zu -> %zu bytes",
				    used0, c->arena.used);
			else
				check_span(c, o->iova, last,
					   "after -ENOMEM (all or nothing)");
			return;
		}
		if (mapped >= size ||
		    (pages ? mapped % o->pgsize != 0 :
		     !model_range_boundary(c->bitmap, o->iova, o->paddr, size,
					   mapped))) {
			BAD(c, "-ENOMEM with *mapped = 0x%" PRIx64 ", which is not a whole number of leaves of the 0x%" PRIx64 " requested",
			    mapped, size);
			return;
		}
		if (mapped) {
			int mrc = pages ?
				model_map_pages(&c->m, o->iova, o->paddr,
						o->pgsize, mapped / o->pgsize,
						o->prot_eff) :
				model_map_range(&c->m, o->iova, o->paddr,
						mapped, o->prot_eff);

			if (mrc)
				BAD(c, "model failed (%d) to apply the prefix", mrc);
		}
		check_span(c, o->iova, last, "after -ENOMEM (prefix mapped)");
		return;
	}
	if (rc) {
		BAD(c, "returned %d (%s), expected success", rc, err_name(rc));
		return;
	}
	if (mapped != size) {
		BAD(c, "succeeded with *mapped = 0x%" PRIx64 ", expected 0x%" PRIx64,
		    mapped, size);
		return;
	}
	if (pages)
		rc = model_map_pages(&c->m, o->iova, o->paddr, o->pgsize,
				     o->count, o->prot_eff);
	else
		rc = model_map_range(&c->m, o->iova, o->paddr, o->size,
				     o->prot_eff);
	if (rc) {
		BAD(c, "model failed (%d)", rc);
		return;
	}
	if (c->m.nr > c->max_leaves)
		c->max_leaves = c->m.nr;
	check_span(c, o->iova, last, "after map");
	check_leaves(c, o->iova, last, "after map");
}

static unsigned int unmap_errs(const struct dctx *c, const struct op *o)
{
	unsigned int e = 0;

	if (o->nulls & (NULL_TABLE | NULL_OUT | NULL_OUT2))
		e |= E_INVAL;
	if (o->flags & ~IOPT_UNMAP_NO_HOLES)
		e |= E_INVAL;
	if (o->kind == OP_UNMAP_PAGES) {
		if (!pgsize_ok(c, o->pgsize) || !o->count)
			e |= E_INVAL;
		if (o->pgsize && o->iova % o->pgsize)
			e |= E_INVAL;
		if (!pgsize_ok(c, o->pgsize) || !o->count)
			return e;
		if (o->count > UINT64_MAX / o->pgsize)
			return e | E_OVERFLOW | (iova_ok(c, o->iova) ? 0 : E_RANGE);
		return e | range_errs(c, o->iova, o->pgsize * o->count);
	}
	if (!o->size || (o->iova | o->size) % c->min_pg)
		e |= E_INVAL;
	if (!o->size)
		return e;
	return e | range_errs(c, o->iova, o->size);
}

static void do_unmap(struct dctx *c, const struct op *o)
{
	bool pages = o->kind == OP_UNMAP_PAGES;
	struct iopt_table *t = (o->nulls & NULL_TABLE) ? NULL : &c->t;
	uint64_t unmapped = SENTINEL, munmapped;
	uint64_t *up = (o->nulls & NULL_OUT) ? NULL : &unmapped;
	struct iopt_gather *g = (o->nulls & NULL_OUT2) ? NULL : &c->g;
	unsigned int e = unmap_errs(c, o);
	size_t used0 = c->arena.used;
	uint64_t attempts0 = c->arena.attempts;
	uint64_t size = pages ? o->pgsize * o->count : o->size;
	uint64_t last = o->iova + (size - 1);
	unsigned int mflags = (o->flags & IOPT_UNMAP_NO_HOLES) ? MODEL_NO_HOLES : 0;
	bool both;
	char buf[64];
	int rc, mrc;

	call_begin(c);
	if (pages)
		rc = iopt_unmap_pages(t, o->iova, o->pgsize, o->count, o->flags,
				      g, up);
	else
		rc = iopt_unmap_range(t, o->iova, o->size, o->flags, g, up);
	call_end(c, op_names[o->kind]);
	if (rc)
		c->n_fail++;
	if (c->call_frees)
		c->n_early++;
	if (c->failed)
		return;
	if (c->arena.attempts != attempts0) {
		BAD(c, "unmap tried to allocate table memory (%" PRIu64 " attempts)",
		    c->arena.attempts - attempts0);
		return;
	}
	if (e) {
		mask_name(e, buf, sizeof(buf));
		if (!rc_in(rc, e))
			BAD(c, "returned %d (%s), expected one of %s", rc,
			    err_name(rc), buf);
		else if (up && unmapped)
			BAD(c, "failed with %s but *unmapped = 0x%" PRIx64,
			    err_name(rc), unmapped);
		else if (c->arena.used != used0)
			BAD(c, "failed with %s but table memory changed: %zu -> %zu bytes",
			    err_name(rc), used0, c->arena.used);
		else if (!(e & (E_OVERFLOW | E_RANGE)))
			check_span(c, o->iova, last, "after a failed unmap");
		return;
	}
	mrc = model_unmap(&c->m, o->iova, last, mflags, &munmapped, &both,
			  record_removed, c);
	if (mrc) {
		if (mrc == -EXDEV)
			c->n_exdev++;
		if (rc != mrc && !(both && (rc == -EXDEV || rc == -ENOENT)))
			BAD(c, "returned %d (%s), expected %s%s", rc,
			    err_name(rc), err_name(mrc),
			    both ? " or -ENOENT" : "");
		else if (unmapped)
			BAD(c, "failed with %s but *unmapped = 0x%" PRIx64,
			    err_name(rc), unmapped);
		else if (c->arena.used != used0)
			BAD(c, "failed with %s but table memory changed: %zu -> %zu bytes",
			    err_name(rc), used0, c->arena.used);
		else
			check_span(c, o->iova, last, "after a failed unmap");
		return;
	}
	if (rc) {
		BAD(c, "returned %d (%s), expected success (model unmaps 0x%" PRIx64 " bytes)",
		    rc, err_name(rc), munmapped);
		return;
	}
	if (unmapped != munmapped) {
		BAD(c, "*unmapped = 0x%" PRIx64 ", model unmapped 0x%" PRIx64,
		    unmapped, munmapped);
		return;
	}
	check_span(c, o->iova, last, "after unmap");
	c->pending++;
	if (o->sync || c->pending >= 4)
		do_sync(c);
}

static void do_lookup(struct dctx *c, const struct op *o)
{
	const struct model_leaf *l = NULL;
	bool in = iova_ok(c, o->iova);
	uint64_t want = IOPT_PHYS_NONE;

	if (in)
		l = model_lookup(&c->m, o->iova);
	if (l)
		want = l->paddr + (o->iova - l->iova);

	if (o->kind == OP_PHYS) {
		uint64_t p = iopt_iova_to_phys(&c->t, o->iova);

		if (p != want)
			BAD(c, "iova_to_phys = 0x%" PRIx64 ", expected 0x%" PRIx64,
			    p, want);
	} else if (o->kind == OP_PGSIZE) {
		uint64_t s = iopt_iova_to_pgsize(&c->t, o->iova);
		uint64_t ws = l ? model_leaf_size(l) : 0;

		if (s != ws)
			BAD(c, "iova_to_pgsize = 0x%" PRIx64 ", expected 0x%" PRIx64,
			    s, ws);
	} else {
		uint64_t phys = SENTINEL, len = SENTINEL;
		unsigned int prot = PROT_SENTINEL;
		int rc = iopt_iova_to_phys_length(&c->t, o->iova,
						  (o->nulls & NULL_OUT) ? NULL : &phys,
						  (o->nulls & NULL_OUT2) ? NULL : &len,
						  (o->nulls & NULL_PROT) ? NULL : &prot);
		int want_rc = (o->nulls & (NULL_OUT | NULL_OUT2)) ? -EINVAL :
			      !in ? -ERANGE : l ? 0 : -ENOENT;

		if (rc != want_rc) {
			BAD(c, "iova_to_phys_length returned %d (%s), expected %s",
			    rc, err_name(rc), err_name(want_rc));
		} else if (rc) {
			if (phys != SENTINEL || len != SENTINEL ||
			    prot != PROT_SENTINEL)
				BAD(c, "iova_to_phys_length failed with %s but wrote its outputs",
				    err_name(rc));
		} else if (phys != want || len != model_leaf_size(l) ||
			   (!(o->nulls & NULL_PROT) && prot != l->prot) ||
			   ((o->nulls & NULL_PROT) && prot != PROT_SENTINEL)) {
			BAD(c, "iova_to_phys_length: phys=0x%" PRIx64 " length=0x%" PRIx64 " prot=0x%x; model leaf [0x%" PRIx64 ", 0x%" PRIx64 "] -> 0x%" PRIx64 " prot 0x%x",
			    phys, len, prot, l->iova, l->last, l->paddr, l->prot);
		}
		if (rc)
			c->n_fail++;
	}
}

static void do_extents(struct dctx *c, const struct op *o)
{
	unsigned int e = 0;
	char buf[64];
	int rc;

	if (o->nulls & NULL_OUT2)
		e |= E_INVAL;
	if (!o->size)
		e |= E_INVAL;
	else
		e |= range_errs(c, o->iova, o->size);
	if (!e) {
		compare_extents(c, o->iova, o->size, o->stop_after,
				"for_each_extent");
		return;
	}
	c->n_fail++;
	c->ea.nr = 0;
	c->ea.stop_after = 0;
	rc = iopt_for_each_extent(&c->t, o->iova, o->size,
				  (o->nulls & NULL_OUT2) ? NULL : ext_collect,
				  &c->ea);
	mask_name(e, buf, sizeof(buf));
	if (!rc_in(rc, e))
		BAD(c, "for_each_extent returned %d (%s), expected one of %s",
		    rc, err_name(rc), buf);
	else if (c->ea.nr)
		BAD(c, "for_each_extent failed with %s but called back %zu times",
		    err_name(rc), c->ea.nr);
}

/* Unmap a whole window (or the whole space) and sync. */
static void unmap_span(struct dctx *c, uint64_t iova, uint64_t size)
{
	uint64_t unmapped = SENTINEL, munmapped;
	uint64_t last = iova + (size - 1);
	int rc, mrc;

	call_begin(c);
	rc = iopt_unmap_range(&c->t, iova, size, 0, &c->g, &unmapped);
	call_end(c, "iopt_unmap_range");
	if (c->failed)
		return;
	mrc = model_unmap(&c->m, iova, last, 0, &munmapped, NULL,
			  record_removed, c);
	if (rc != mrc || unmapped != munmapped) {
		BAD(c, "unmap of [0x%" PRIx64 ", 0x%" PRIx64 "] returned %d (%s) *unmapped=0x%" PRIx64 "; model %d, 0x%" PRIx64,
		    iova, last, rc, err_name(rc), unmapped, mrc, munmapped);
		return;
	}
	do_sync(c);
	check_span(c, iova, last, "after unmapping a window");
}

static void exec_op(struct dctx *c, const struct op *o);
static uint64_t gen_paddr(struct dctx *c, uint64_t iova, uint64_t len,
			  uint64_t align);

/*
 * Populate more leaf tables than a gather holds (one page in each of
 * SCATTER_TABLES consecutive leaf-table spans, under one parent that the
 * range does not cover), then unmap them in one call: the gather must sync
 * early on the way, flushing before it frees, and leak nothing.
 */
#define SCATTER_TABLES (IOPT_GATHER_TABLES + 44)
static void do_scatter(struct dctx *c, const struct op *sop)
{
	const struct op sc = *sop, *so = &sc; /* *sop is c->op, reused below */
	uint64_t tspan = c->min_pg * (c->min_pg / 8);
	uint64_t lo = so->iova, n = so->count;
	struct op o;

	memset(&o, 0, sizeof(o));
	o.kind = OP_WIPE;
	o.iova = so->paddr;	/* the window */
	o.size = c->cap;
	c->op = o;
	exec_op(c, &o);
	for (uint64_t k = 0; k < n && !c->failed; k++) {
		memset(&o, 0, sizeof(o));
		o.kind = OP_MAP_PAGES;
		o.iova = lo + k * tspan + rn(c, tspan / c->min_pg) * c->min_pg;
		o.pgsize = c->min_pg;
		o.count = 1;
		o.paddr = gen_paddr(c, o.iova, c->min_pg, c->min_pg);
		o.prot = IOPT_READ | IOPT_WRITE;
		o.prot_eff = iopt_prot_effective(&c->t, o.prot);
		c->op = o;
		exec_op(c, &o);
	}
	if (c->failed)
		return;
	memset(&o, 0, sizeof(o));
	o.kind = OP_UNMAP_RANGE;
	o.iova = lo;
	o.size = n * tspan;
	o.flags = so->flags;
	o.sync = true;
	c->op = o;
	exec_op(c, &o);
}

/*
 * Leave empty tables where a large leaf goes (map small pages in the block,
 * unmap them again), then map the large leaf: the map must replace them
 * (break-before-make: flush, then free).
 */
static void do_replace(struct dctx *c, const struct op *rop)
{
	unsigned int n = 1 + (unsigned int)rn(c, 3);
	const struct op r = *rop, *ro = &r; /* *rop is c->op, reused below */
	uint64_t at[3];
	struct op o;

	for (unsigned int k = 0; k < n && !c->failed; k++) {
		memset(&o, 0, sizeof(o));
		o.kind = OP_MAP_PAGES;
		at[k] = ro->iova + rn(c, ro->pgsize / c->min_pg) * c->min_pg;
		o.iova = at[k];
		o.pgsize = c->min_pg;
		o.count = 1;
		o.paddr = gen_paddr(c, o.iova, c->min_pg, c->min_pg);
		o.prot = IOPT_READ | IOPT_WRITE;
		o.prot_eff = iopt_prot_effective(&c->t, o.prot);
		c->op = o;
		exec_op(c, &o);
	}
	for (unsigned int k = 0; k < n && !c->failed; k++) {
		memset(&o, 0, sizeof(o));
		o.kind = OP_UNMAP_RANGE;
		o.iova = at[k];
		o.size = c->min_pg;
		o.sync = chance(c, 50);
		c->op = o;
		exec_op(c, &o);
	}
	if (c->failed)
		return;
	o = *ro;
	o.kind = OP_MAP_PAGES;
	c->op = o;
	exec_op(c, &o);
}

static void exec_op(struct dctx *c, const struct op *o)
{
	c->n_ops[o->kind]++;
	switch (o->kind) {
	case OP_MAP_PAGES:
	case OP_MAP_RANGE:
		do_map(c, o);
		break;
	case OP_UNMAP_RANGE:
	case OP_UNMAP_PAGES:
		do_unmap(c, o);
		break;
	case OP_PHYS:
	case OP_PHYS_LEN:
	case OP_PGSIZE:
		do_lookup(c, o);
		break;
	case OP_EXTENTS:
		do_extents(c, o);
		break;
	case OP_SYNC:
		do_sync(c);
		break;
	case OP_WIPE:
		if (c->pending)
			do_sync(c);
		unmap_span(c, o->iova, o->size);
		break;
	case OP_CHECK_ALL:
		if (c->pending)
			do_sync(c);
		check_all(c, "periodic check");
		break;
	case OP_SCATTER:
		do_scatter(c, o);
		break;
	case OP_REPLACE:
		do_replace(c, o);
		break;
	default:
		break;
	}
}

/* ---- generating operations ---- */

/* A page size, small ones much more often than large ones. */
static uint64_t pick_size(struct dctx *c)
{
	uint64_t r = rn(c, c->weight_total);

	for (unsigned int i = 0; i < c->nsizes; i++) {
		if (r < c->weight[i])
			return c->sizes[i];
		r -= c->weight[i];
	}
	return c->sizes[0];
}

/* A usable size at least @s (or the largest), sometimes a few steps up. */
static uint64_t pick_size_ge(struct dctx *c, uint64_t s)
{
	unsigned int i = 0;

	while (i + 1 < c->nsizes && c->sizes[i] < s)
		i++;
	while (i + 1 < c->nsizes && chance(c, 35))
		i++;
	return c->sizes[i];
}

/*
 * @len bytes (at most cap) at an offset that is a multiple of @align from
 * the base of a random window, within a zone of a few times @sref, so that
 * operations land on each other often.
 */
static uint64_t gen_target(struct dctx *c, uint64_t align, uint64_t len,
			   uint64_t sref)
{
	const struct window *w = &c->win[rn(c, c->nwin)];
	unsigned int sh = (unsigned int)rn(c, c->aon ? 7 : 5);
	uint64_t z = sref << sh, off;

	if (z > c->cap || (z >> sh) != sref)
		z = c->cap;
	if (z < len)
		z = len;
	off = rn(c, (z - len) / align + 1) * align;
	return w->down ? w->base - off - len : w->base + off;
}

/* A physical address for @len bytes aligned to @align. */
static uint64_t gen_paddr(struct dctx *c, uint64_t iova, uint64_t len,
			  uint64_t align)
{
	unsigned int mode = (unsigned int)rn(c, 10);
	uint64_t p;

	if (mode < 5) {
		/* congruent to iova modulo every page size: big leaves, and
		 * neighbouring maps that continue each other physically */
		p = (iova + c->delta[rn(c, 3)]) & c->pa_last;
		if (paddr_ok(c, p, len) && !(p % align))
			return p;
	}
	if (mode == 9) {
		/* at the very top of the output space */
		p = ((c->pa_last - (len - 1)) & ~(align - 1)) - rn(c, 4) * align;
		if (paddr_ok(c, p, len))
			return p;
	}
	p = r64(c) & c->pa_last & ~(align - 1);
	if (!paddr_ok(c, p, len))
		p = (c->pa_last - (len - 1)) & ~(align - 1);
	return p;
}

static unsigned int gen_prot(struct dctx *c)
{
	static const unsigned int common[] = {
		IOPT_READ | IOPT_WRITE | IOPT_CACHE,
		IOPT_READ | IOPT_WRITE,
		IOPT_READ | IOPT_NOEXEC | IOPT_CACHE,
	};
	unsigned int p;

	if (chance(c, 70))
		return common[rn(c, 3)];
	p = (unsigned int)rn(c, IOPT_PROT_ALL + 1);
	if (!(p & (IOPT_READ | IOPT_WRITE)))
		p |= 1 + (unsigned int)rn(c, 3);
	return p;
}

/* An address outside the input space (or not canonical), aligned. */
static uint64_t gen_outside(struct dctx *c, uint64_t align)
{
	uint64_t half = 1ULL << (c->ias - 1);

	if (!c->sext)
		return c->base + (1ULL << c->ias) + rn(c, 4) * align;
	if (chance(c, 50))
		return half + rn(c, 4) * align;
	return (0 - half) - (1 + rn(c, 4)) * align;
}

/* @align below the end of the space (2 * align crosses it, or wraps). */
static uint64_t gen_end(struct dctx *c, uint64_t align)
{
	if (!c->sext || chance(c, 50))
		return low_end(c) - align;
	return 0 - align;
}

static uint64_t bad_pgsize(struct dctx *c)
{
	uint64_t s;

	switch (rn(c, 4)) {
	case 0:
		return 0;
	case 1:
		return c->min_pg / 2;
	case 2:
		return 3 * c->min_pg;
	default:
		s = c->min_pg << rn(c, 24);
		return (s & c->bitmap) ? c->min_pg * 5 : s;
	}
}

static void leaf_pair(struct dctx *c, size_t span, size_t *i, size_t *j)
{
	size_t n;

	*i = (size_t)rn(c, c->m.nr);
	n = c->m.nr - *i;
	*j = *i + (size_t)rn(c, n < span ? n : span);
}

static void gen_map(struct dctx *c, struct op *o, bool pages)
{
	uint64_t s = pick_size(c), len;

	o->prot = gen_prot(c);
	o->flags = chance(c, 20) ? IOPT_MAP_ALL_OR_NOTHING : 0;
	if (pages) {
		uint64_t count = 1 + rn(c, s == c->min_pg ? 16 : 4);

		o->kind = OP_MAP_PAGES;
		if (s == c->min_pg && chance(c, 2))
			count = 1 + rn(c, 512);
		if (count > c->cap / s)
			count = c->cap / s;
		len = s * count;
		o->pgsize = s;
		o->count = count;
		o->iova = gen_target(c, s, len, pick_size_ge(c, s));
		o->paddr = gen_paddr(c, o->iova, len, s);
	} else {
		uint64_t align = chance(c, 25) ? c->min_pg : s;

		o->kind = OP_MAP_RANGE;
		len = s * (1 + rn(c, 4));
		if (chance(c, 30))
			len += rn(c, 8) * c->min_pg;
		if (len > c->cap)
			len = s;
		o->iova = gen_target(c, align, len, pick_size_ge(c, s));
		o->paddr = gen_paddr(c, o->iova, len,
				     chance(c, 50) ? s : c->min_pg);
		if (model_range_count(c->bitmap, o->iova, o->paddr, len,
				      MAX_RANGE_LEAVES) > MAX_RANGE_LEAVES)
			len = c->min_pg * (1 + rn(c, 16));
		o->size = len;
	}
	if (!chance(c, 5))
		return;

	/* one deliberate mistake */
	o->bad = true;
	switch (rn(c, 11)) {
	case 0:
		if (pages)
			o->pgsize = bad_pgsize(c);
		else if (chance(c, 50))
			o->size += c->min_pg / 2;
		else
			o->size = 0;
		break;
	case 1:
		o->iova += pages ? o->pgsize / 2 : c->min_pg / 2;
		break;
	case 2:
		o->paddr += pages ? o->pgsize / 2 : c->min_pg / 2;
		break;
	case 3:
		if (pages)
			o->count = 0;
		else
			o->size = 0;
		break;
	case 4:
		o->prot &= ~(IOPT_READ | IOPT_WRITE);
		break;
	case 5:
		o->flags |= 2u << rn(c, 8);
		break;
	case 6:
		o->iova = gen_outside(c, pages ? o->pgsize : c->min_pg);
		break;
	case 7:
		s = pages ? o->pgsize : c->min_pg;
		o->iova = gen_end(c, s);
		o->count = 2;
		o->size = 2 * s;
		o->paddr = gen_paddr(c, o->iova, 2 * s, s);
		break;
	case 8:
		s = pages ? o->pgsize : c->min_pg;
		if (chance(c, 50)) {
			o->paddr = c->pa_last + 1 + rn(c, 4) * s;
		} else {
			o->paddr = c->pa_last + 1 - s;
			o->count = 2;
			o->size = 2 * s;
		}
		break;
	case 9:
		if (pages)
			o->count = UINT64_MAX / o->pgsize + 1 + rn(c, 4);
		else
			o->size = (UINT64_MAX - rn(c, 4) * c->min_pg) &
				  ~(c->min_pg - 1);
		break;
	default:
		o->nulls = chance(c, 50) ? NULL_OUT : NULL_TABLE;
		break;
	}
}

/* Largest page size that divides both @iova and @size. */
static uint64_t best_pgsize(const struct dctx *c, uint64_t iova, uint64_t size)
{
	for (int i = 63; i >= 0; i--) {
		uint64_t s = 1ULL << i;

		if ((c->bitmap & s) && !(iova % s) && !(size % s))
			return s;
	}
	return c->min_pg;
}

static void gen_unmap(struct dctx *c, struct op *o)
{
	unsigned int mode = c->m.nr ? (unsigned int)rn(c, 10) : 0;
	bool pages = chance(c, 35);
	uint64_t s, iova, size;

	o->kind = pages ? OP_UNMAP_PAGES : OP_UNMAP_RANGE;
	o->flags = chance(c, 30) ? IOPT_UNMAP_NO_HOLES : 0;
	o->sync = chance(c, 60);
	if (mode < 3) {
		uint64_t count = 1 + rn(c, 4);

		s = pick_size(c);
		if (count > c->cap / s)
			count = c->cap / s;
		size = s * count;
		iova = gen_target(c, s, size, pick_size_ge(c, s));
	} else if (mode < 8) {
		/* from one leaf to a later one: succeeds unless shifted */
		size_t i = 0, j;
		uint64_t last;

		leaf_pair(c, 8, &i, &j);
		iova = c->m.leaf[i].iova;
		last = c->m.leaf[j].last;
		if (chance(c, 10) && model_leaf_size(&c->m.leaf[i]) > c->min_pg)
			iova += c->min_pg;
		if (chance(c, 10) && last != UINT64_MAX)
			last += c->min_pg;
		size = last - iova + 1;
		if (!size || !span_ok(c, iova, last)) {
			iova = c->m.leaf[i].iova;
			size = model_leaf_size(&c->m.leaf[i]);
		}
	} else {
		/* an aligned block around a leaf */
		const struct model_leaf *l = &c->m.leaf[rn(c, c->m.nr)];

		s = pick_size_ge(c, model_leaf_size(l));
		iova = l->iova & ~(s - 1);
		size = s * (1 + rn(c, 2));
	}
	if (pages) {
		o->pgsize = mode < 3 ? s : best_pgsize(c, iova, size);
		o->count = size / o->pgsize;
	}
	o->iova = iova;
	o->size = size;
	if (!chance(c, 5))
		return;

	o->bad = true;
	s = pages ? o->pgsize : c->min_pg;
	switch (rn(c, 8)) {
	case 0:
		o->count = 0;
		o->size = 0;
		break;
	case 1:
		if (pages && o->pgsize > c->min_pg)
			o->iova += c->min_pg; /* aligned to the granule only */
		else
			o->iova += c->min_pg / 2;
		break;
	case 2:
		if (pages)
			o->pgsize = bad_pgsize(c);
		else
			o->size += c->min_pg / 2;
		break;
	case 3:
		o->flags |= 2u << rn(c, 8);
		break;
	case 4:
		o->iova = gen_outside(c, s);
		break;
	case 5:
		o->iova = gen_end(c, s);
		o->count = 2;
		o->size = 2 * s;
		break;
	case 6:
		o->nulls = (unsigned int[]){ NULL_TABLE, NULL_OUT,
					     NULL_OUT2 }[rn(c, 3)];
		break;
	default:
		if (pages)
			o->count = UINT64_MAX / o->pgsize + 1 + rn(c, 4);
		else
			o->size = (UINT64_MAX - rn(c, 4) * c->min_pg) &
				  ~(c->min_pg - 1);
		break;
	}
}

static void gen_lookup(struct dctx *c, struct op *o, enum op_kind kind)
{
	o->kind = kind;
	if (c->m.nr && chance(c, 70)) {
		const struct model_leaf *l = &c->m.leaf[rn(c, c->m.nr)];

		if (chance(c, 20))
			o->iova = chance(c, 50) ? l->iova : l->last;
		else
			o->iova = l->iova + rn(c, model_leaf_size(l));
	} else {
		o->iova = gen_target(c, 1, 1, pick_size(c));
	}
	if (kind == OP_PHYS_LEN && chance(c, 20))
		o->nulls = NULL_PROT;
	if (!chance(c, 4))
		return;
	o->bad = true;
	if (kind == OP_PHYS_LEN && chance(c, 50))
		o->nulls = chance(c, 50) ? NULL_OUT : NULL_OUT2;
	else
		o->iova = gen_outside(c, c->min_pg) + rn(c, c->min_pg);
}

static void gen_extents(struct dctx *c, struct op *o)
{
	o->kind = OP_EXTENTS;
	if (c->m.nr && chance(c, 60)) {
		size_t i = 0, j;
		uint64_t iova, last;

		leaf_pair(c, 64, &i, &j);
		iova = c->m.leaf[i].iova;
		last = c->m.leaf[j].last;
		if (chance(c, 30))
			iova += rn(c, model_leaf_size(&c->m.leaf[i]));
		if (chance(c, 30))
			last -= rn(c, model_leaf_size(&c->m.leaf[j]));
		if (last < iova)
			last = iova;
		o->iova = iova;
		o->size = last - iova + 1;
	} else {
		uint64_t s = pick_size(c), n = 1 + rn(c, 8);

		if (n > c->cap / s)
			n = c->cap / s;
		o->iova = gen_target(c, s, s * n, pick_size_ge(c, s));
		o->size = s * n;
		if (chance(c, 30)) {
			uint64_t cut = rn(c, c->min_pg);

			o->iova += cut;
			o->size -= cut + rn(c, c->min_pg);
		}
	}
	if (chance(c, 15))
		o->stop_after = 1 + (unsigned int)rn(c, 4);
	if (!chance(c, 4))
		return;
	o->bad = true;
	switch (rn(c, 5)) {
	case 0:
		o->size = 0;
		break;
	case 1:
		o->nulls = NULL_OUT2;
		break;
	case 2:
		o->size = UINT64_MAX - rn(c, 1000);
		break;
	case 3:
		o->iova = gen_outside(c, 1) + rn(c, c->min_pg);
		break;
	default:
		o->iova = gen_end(c, c->min_pg);
		o->size = 2 * c->min_pg;
		break;
	}
}

static void gen_wipe(struct dctx *c, struct op *o)
{
	const struct window *w = &c->win[rn(c, c->nwin)];

	o->kind = OP_WIPE;
	o->iova = w->down ? w->base - c->cap : w->base;
	o->size = c->cap;
}

/* See do_scatter(); falls back to a wipe where the windows are too small. */
static void gen_scatter(struct dctx *c, struct op *o)
{
	const struct window *w = &c->win[rn(c, c->nwin)];
	uint64_t tspan = c->min_pg * (c->min_pg / 8);
	uint64_t wlo = w->down ? w->base - c->cap : w->base;
	uint64_t slots = c->cap / tspan;

	gen_wipe(c, o);
	if (slots < SCATTER_TABLES + 1)
		return;
	o->kind = OP_SCATTER;
	o->paddr = wlo;
	o->count = SCATTER_TABLES;
	o->iova = wlo + rn(c, slots - SCATTER_TABLES) * tspan;
}

/* See do_replace(); an ordinary map when the block is in use. */
static void gen_replace(struct dctx *c, struct op *o)
{
	uint64_t s;

	gen_map(c, o, true);
	if (o->bad || c->nsizes < 2)
		return;
	s = c->sizes[1 + rn(c, c->nsizes - 1)];
	o->iova = gen_target(c, s, s, s);
	if (model_overlaps(&c->m, o->iova, o->iova + (s - 1)))
		return;
	o->kind = OP_REPLACE;
	o->pgsize = s;
	o->count = 1;
	o->paddr = gen_paddr(c, o->iova, s, s);
}

static void gen_op(struct dctx *c, struct op *o)
{
	unsigned int r = (unsigned int)rn(c, 1000);

	memset(o, 0, sizeof(*o));
	if (c->aon) {
		if (r < 1 && chance(c, 25))
			gen_scatter(c, o);
		else if (r < 8 || (c->m.nr > 3000 && r < 50))
			gen_wipe(c, o);
		else if (r < 15)
			gen_replace(c, o);
		else if (r < 350)
			gen_map(c, o, true);
		else if (r < 650)
			gen_map(c, o, false);
		else if (r < 850)
			gen_unmap(c, o);
		else if (r < 950)
			gen_lookup(c, o, OP_PHYS_LEN);
		else
			gen_extents(c, o);
		if ((o->kind == OP_MAP_PAGES || o->kind == OP_MAP_RANGE) &&
		    chance(c, 75))
			o->fail_at = 1 + rn(c, 6);
	} else {
		if (r < 1 || (c->m.nr > 6000 && r < 20))
			gen_wipe(c, o);
		else if (r < 2 && chance(c, 25))
			gen_scatter(c, o);
		else if (r < 6)
			gen_replace(c, o);
		else if (r < 200)
			gen_map(c, o, true);
		else if (r < 340)
			gen_map(c, o, false);
		else if (r < 560)
			gen_unmap(c, o);
		else if (r < 660)
			gen_lookup(c, o, OP_PHYS);
		else if (r < 800)
			gen_lookup(c, o, OP_PHYS_LEN);
		else if (r < 860)
			gen_lookup(c, o, OP_PGSIZE);
		else if (r < 990)
			gen_extents(c, o);
		else
			o->kind = OP_SYNC;
	}
	o->prot_eff = iopt_prot_effective(&c->t, o->prot);
}

/* ---- one run ---- */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void setup_windows(struct dctx *c)
{
	uint64_t half = 1ULL << (c->ias - 1);
	uint64_t maxpg = 1ULL << lg2(c->bitmap);
	uint64_t minpg = c->bitmap & -c->bitmap;
	uint64_t cap = maxpg > (UINT64_MAX >> 6) ? maxpg : maxpg * 32;
	uint64_t w;
	unsigned int n = 0;

	/* At least four leaf tables' spans, so that maps allocate tables
	 * where the largest page is small (DART: pages only). Larger than
	 * this everywhere else already. */
	if (cap < 4 * minpg * (minpg / 8))
		cap = 4 * minpg * (minpg / 8);
	if (cap > half)
		cap = half;
	if (c->oas - 2 < 63 && cap > 1ULL << (c->oas - 2))
		cap = 1ULL << (c->oas - 2);
	c->cap = cap;

	c->nsizes = 0;
	for (unsigned int i = 0; i < 64; i++)
		if ((c->bitmap & (1ULL << i)) && (1ULL << i) <= cap)
			c->sizes[c->nsizes++] = 1ULL << i;
	w = 1;
	c->weight_total = 0;
	for (unsigned int i = c->nsizes; i-- > 0;) {
		c->weight[i] = w;
		c->weight_total += w;
		w *= 3;
	}

	c->win[n++] = (struct window){ 0, false };
	if (c->sext) {
		c->win[n++] = (struct window){ half, true };
		c->win[n++] = (struct window){ 0 - half, false };
		c->win[n++] = (struct window){ 0, true };
		if (half / cap >= 4) {
			c->win[n++] = (struct window){
				cap * (1 + rn(c, half / cap - 2)), false };
			c->win[n++] = (struct window){
				0 - cap * (1 + rn(c, half / cap - 2)), true };
		}
	} else {
		/* from c->base: TTBR1's space ends at 2^64 (0) */
		c->win[0].base = c->base;
		c->win[n++] = (struct window){ c->base + half, false };
		c->win[n++] = (struct window){ c->base + (1ULL << c->ias),
					       true };
		if (half / cap >= 4)
			c->win[n++] = (struct window){
				c->base + cap * (1 + rn(c, half / cap - 2)),
				false };
	}
	c->nwin = n;
	for (unsigned int i = 0; i < 3; i++)
		c->delta[i] = r64(c) & c->pa_last & ~(cap - 1);
}

static bool setup(struct dctx *c, const struct h_cfg *hc, const char *test,
		  bool aon)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->hc = hc;
	c->test = test;
	c->aon = aon;
	rc = iopt_config_from_name(hc->name, &c->cfg);
	if (rc) {
		H_FAIL("iopt_config_from_name(%s) = %d", hc->name, rc);
		return false;
	}
	c->region = aligned_alloc((size_t)1 << 21, ARENA_SIZE);
	if (!c->region) {
		H_FAIL("no memory for the arena");
		return false;
	}
	rc = iopt_arena_init(&c->arena, c->region, ARENA_SIZE, ARENA_PHYS);
	if (rc) {
		H_FAIL("iopt_arena_init = %d", rc);
		return false;
	}
	iopt_arena_mem(&c->arena, &c->inner);
	c->mem.ops = c->inner.ops->set_label ? &wrap_ops_labels : &wrap_ops;
	c->mem.ctx = c;
	c->mem.linear = c->inner.linear;
	c->mem.virt_offset = c->inner.virt_offset;

	if (aon) {
		/* the root allocation fails: nothing is held */
		c->arena.fail_at = 1;
		rc = iopt_init(&c->t, &c->cfg, &c->mem, &flush_ops, c);
		c->arena.fail_at = 0;
		if (rc != -ENOMEM || c->arena.used) {
			H_FAIL("iopt_init with a failing root allocation: %d (%s), %zu bytes held",
			       rc, err_name(rc), c->arena.used);
			if (!rc)
				iopt_fini(&c->t);
			return false;
		}
	}
	rc = iopt_init(&c->t, &c->cfg, &c->mem, &flush_ops, c);
	if (rc) {
		H_FAIL("iopt_init = %d (%s)", rc, err_name(rc));
		return false;
	}
	c->live = true;
	c->root_used = c->arena.used;
	c->bitmap = iopt_pgsize_bitmap(&c->t);
	if (!c->bitmap) {
		H_FAIL("empty page-size bitmap");
		return false;
	}
	c->min_pg = c->bitmap & -c->bitmap;
	c->ias = c->cfg.ias;
	c->oas = c->cfg.oas;
	c->sext = h_sign_extended(&c->cfg);
	c->base = c->cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - (1ULL << c->ias)
						       : 0;
	c->pa_last = c->oas >= 64 ? UINT64_MAX : (1ULL << c->oas) - 1;
	if (c->ias < 16 || c->ias > 63 || c->oas < 16) {
		H_FAIL("unexpected geometry ias=%u oas=%u", c->ias, c->oas);
		return false;
	}

	c->seed = h_seed();
	if (!c->seed)
		c->seed = 1; /* 0 would mean "no seed" on replay */
	c->rng = c->seed ^ name_hash(hc->name) ^ (aon ? 0x5bd1e995ULL : 0);
	if (!c->rng)
		c->rng = 1;
	printf("# seed=0x%" PRIx64 " (replay: IOPT_TEST_SEED=0x%" PRIx64
	       " build/tests/test_diff %s)\n", c->seed, c->seed, test);
	model_init(&c->m, c->bitmap);
	iopt_gather_init(&c->g);
	setup_windows(c);
	return true;
}

static void run_ops(struct dctx *c, uint64_t nops)
{
	for (c->opno = 1; c->opno <= nops && !c->failed; c->opno++) {
		if (!(c->opno % CHECK_ALL_EVERY)) {
			memset(&c->op, 0, sizeof(c->op));
			c->op.kind = OP_CHECK_ALL;
		} else {
			gen_op(c, &c->op);
		}
		exec_op(c, &c->op);
	}
}

static void finish(struct dctx *c)
{
	if (c->live && !c->failed) {
		memset(&c->op, 0, sizeof(c->op));
		c->op.kind = OP_END;
		if (c->pending)
			do_sync(c);
		check_all(c, "final check");
		if (c->sext) {
			uint64_t half = 1ULL << (c->ias - 1);

			if (!c->failed)
				unmap_span(c, 0, half);
			if (!c->failed)
				unmap_span(c, 0 - half, half);
		} else if (!c->failed) {
			unmap_span(c, c->base, 1ULL << c->ias);
		}
		if (!c->failed && c->m.nr)
			BAD(c, "%zu leaves left in the model", c->m.nr);
		if (!c->failed && c->arena.used != c->root_used)
			BAD(c, "after unmapping everything %zu bytes of tables remain; the root alone took %zu",
			    c->arena.used, c->root_used);
	}
	if (c->live) {
		uint64_t fa = c->flush_all_calls;
		bool was_failed = c->failed;

		call_begin(c);
		iopt_fini(&c->t);
		c->live = false;
		if (!was_failed) {
			call_end(c, "iopt_fini");
			if (c->flush_all_calls == fa)
				BAD(c, "iopt_fini did not call flush_all");
			if (c->arena.used)
				BAD(c, "iopt_fini left %zu bytes allocated",
				    c->arena.used);
		}
	}
	printf("# %s: %" PRIu64 " ops (maps %" PRIu64 "+%" PRIu64
	       ", unmaps %" PRIu64 "+%" PRIu64 ", errors %" PRIu64
	       ", -EEXIST %" PRIu64 ", -EXDEV %" PRIu64 ", -ENOMEM %" PRIu64
	       ", replace %" PRIu64 " scatter %" PRIu64
	       ", maps that flushed %" PRIu64 ", unmaps that freed %" PRIu64
	       "), max %" PRIu64 " leaves, table memory peak %zu KiB\n",
	       c->hc->name, c->opno ? c->opno - 1 : 0,
	       c->n_ops[OP_MAP_PAGES], c->n_ops[OP_MAP_RANGE],
	       c->n_ops[OP_UNMAP_RANGE], c->n_ops[OP_UNMAP_PAGES], c->n_fail,
	       c->n_eexist, c->n_exdev, c->n_enomem, c->n_ops[OP_REPLACE],
	       c->n_ops[OP_SCATTER], c->n_bbm, c->n_early,
	       c->max_leaves,
	       c->arena.peak >> 10);
	model_free(&c->m);
	free(c->fl);
	free(c->rm);
	free(c->fresh);
	free(c->ea.v);
	free(c->eb.v);
	free(c->region);
}

static struct dctx the_ctx;

TEST_CFG(differential)
{
	struct dctx *c = &the_ctx;
	uint64_t nops = h_env_u64("IOPT_TEST_OPS", 100000);

	if (setup(c, cfg, "differential", false))
		run_ops(c, nops);
	finish(c);
}

TEST_CFG(differential_all_or_nothing)
{
	struct dctx *c = &the_ctx;
	uint64_t nops = h_env_u64("IOPT_TEST_OPS", 100000) / 10;

	if (setup(c, cfg, "differential_all_or_nothing", true)) {
		run_ops(c, nops ? nops : 1);
		if (!c->failed && !c->n_enomem)
			BAD(c, "no map ran out of memory: the test did not test anything");
	}
	finish(c);
}
