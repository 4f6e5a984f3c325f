// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Allocation-failure sweeps (issue 4, part 2). For each scenario, on every
 * h_configs configuration: run it once to count the table allocations it
 * makes, then run it again failing allocation 1, 2, ... N in turn (and
 * N + 1, which must not happen: the count is exact). After each failure:
 *
 *  - the call returned -ENOMEM;
 *  - without IOPT_MAP_ALL_OR_NOTHING the table maps exactly the prefix the
 *    call reported, which ends on a leaf of the request's decomposition,
 *    compared with tests/model.h extent by extent and leaf by leaf; with
 *    the flag it reported 0 and the table memory is bit-identical;
 *  - the backend holds exactly what the table accounts for (no allocation
 *    lost or freed twice), and nothing else;
 *  - the table still works: the rest of the request maps, the table then
 *    matches the model of the whole request, an unmap of the whole input
 *    space gives back every table but the root, and iopt_fini() gives back
 *    everything.
 *
 * Two backends: the arena (its fail_at hook; bit-identical checks over its
 * bytes) and a malloc backend with its own fail_at, whose blocks are left
 * unzeroed when the engine says it writes them all (IOPT_MEM_NOZERO) and
 * whose leaks LeakSanitizer reports in the SAN=1 build.
 *
 * Scenarios: a deep map (one page needing a table at every level, at the
 * top of each canonical half), pages across several leaf tables and an
 * upper-level table boundary (on a fresh table and beside live and freed
 * tables), map_range with every page size of the format in one call, a
 * block over an empty table that must be replaced, domain maps and map_sg
 * (rolled back on failure), and the VFIO model's DMA_MAP.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"
#include "model.h"

#include <errno.h>

#include <iopt/domain.h>
#include <iopt/mem.h>
#include <iopt/vfio.h>

#define REGION_BYTES (4u << 20)
#define REGION_PHYS 0x40000000ULL
#define PA 0x80000000ULL
#define RW (IOPT_READ | IOPT_WRITE)

static unsigned char region[REGION_BYTES] __attribute__((aligned(4096)));

/* Runs, and failures injected, per test point (printed as a figure). */
static uint64_t nr_runs, nr_failed;

/* ---- the arena's table memory before a call ---- */

static unsigned char snap_buf[REGION_BYTES];
static uint64_t snap_live[REGION_BYTES / 64 / 64];
static size_t snap_bump;

static void snap_take(const struct iopt_arena *a)
{
	snap_bump = a->bump;
	memcpy(snap_buf, a->base, snap_bump);
	memcpy(snap_live, a->live, (snap_bump / 64 + 63) / 64 * 8);
}

static bool unit_live(const uint64_t *live, size_t u)
{
	return live[u / 64] >> (u % 64) & 1;
}

/*
 * Is the table memory as it was? Every 64-byte unit that was allocated is
 * still allocated and holds the same bytes, and nothing else below the
 * old bump pointer is allocated. Free blocks may differ: their first word
 * links the free list, whose order a balanced alloc/free may change.
 */
static bool snap_same(const struct iopt_arena *a)
{
	for (size_t u = 0; u < snap_bump / 64; u++) {
		bool was = unit_live(snap_live, u);

		if (was != unit_live(a->live, u))
			return false;
		if (was && memcmp(snap_buf + 64 * u, a->base + 64 * u, 64))
			return false;
	}
	return true;
}

/* ---- a malloc backend with a fail_at hook ---- */

struct fheap {
	uint64_t attempts;
	uint64_t fail_at;     /* refuse allocation number N (1-based); 0 = off */
	uint64_t live;        /* bytes held now */
};

static void *fh_alloc(void *ctx, size_t size, uint64_t *phys,
		      unsigned int flags)
{
	struct fheap *h = ctx;
	void *p;

	if (size < 64)
		size = 64;
	if (++h->attempts == h->fail_at)
		return NULL;
	p = aligned_alloc(size, size);
	if (!p)
		return NULL;
	/* NOZERO: the engine promised to write every byte; make it show if
	 * it does not (0xa5.. is a valid-looking entry in every format). */
	memset(p, (flags & IOPT_MEM_NOZERO) ? 0xa5 : 0, size);
	h->live += size;
	*phys = (uint64_t)(uintptr_t)p;
	return p;
}

static void fh_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct fheap *h = ctx;

	(void)phys;
	if (size < 64)
		size = 64;
	h->live -= size;
	free(virt);
}

static const struct iopt_mem_ops fh_ops = {
	.alloc = fh_alloc,
	.free = fh_free,
};

/* ---- the environment ---- */

/*
 * Not a tenv (env.h): the table lives on one of two fault-injecting
 * backends, the fixed region whose bytes snap_take() copies or the malloc
 * one, and each environment carries its model. The geometry is env.h's.
 */
struct aenv {
	const char *name;
	bool heap;
	struct iopt_config cfg;
	struct iopt_arena a;
	struct fheap h;
	struct iopt_mem mem;
	struct iopt_table t;
	struct iopt_gather g;
	struct model m;
	bool up;
	/* geometry */
	uint64_t bitmap, gsz, blk, tbl, base, top, contig;
	unsigned int ent;
	unsigned int gr, levels;
	bool x86;
	bool sext;
};

static uint64_t env_attempts(const struct aenv *e)
{
	return e->heap ? e->h.attempts : e->a.attempts;
}

static void env_fail_at(struct aenv *e, uint64_t n)
{
	if (e->heap)
		e->h.fail_at = n;
	else
		e->a.fail_at = n;
}

static uint64_t env_used(const struct aenv *e)
{
	return e->heap ? e->h.live : e->a.used;
}

static int env_open(struct aenv *e, const char *name, bool heap)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->name = name;
	e->heap = heap;
	ret = iopt_config_from_name(name, &e->cfg);
	if (ret) {
		H_FAIL("iopt_config_from_name(%s) = %d", name, ret);
		return ret;
	}
	if (heap) {
		e->mem = (struct iopt_mem){ .ops = &fh_ops, .ctx = &e->h,
					    .linear = true };
	} else {
		ret = iopt_arena_init(&e->a, region, REGION_BYTES, REGION_PHYS);
		if (ret) {
			H_FAIL("iopt_arena_init = %d", ret);
			return ret;
		}
		iopt_arena_mem(&e->a, &e->mem);
	}
	ret = iopt_init(&e->t, &e->cfg, &e->mem, NULL, NULL);
	if (ret) {
		H_FAIL("%s: iopt_init = %d", name, ret);
		return ret;
	}
	e->up = true;
	iopt_gather_init(&e->g);
	TENV_SET_GEOMETRY(e, &e->t, &e->cfg);
	model_init(&e->m, e->bitmap);
	return 0;
}

static void env_close(struct aenv *e)
{
	if (e->up) {
		iopt_fini(&e->t);
		if (env_used(e))
			H_FAIL("%s: %" PRIu64 " bytes held after iopt_fini",
			       e->name, env_used(e));
	}
	e->up = false;
	model_free(&e->m);
}

/* ---- comparing the table with the model ---- */

/* Both halves of the input space on x86, [base, base + top) elsewhere. */
static void table_exts(struct aenv *e, struct model_ext_list *l)
{
	iopt_for_each_extent(&e->t, e->base, e->top, model_ext_add, l);
	if (e->sext)
		iopt_for_each_extent(&e->t, 0 - e->top, e->top, model_ext_add, l);
}

static void model_exts(struct aenv *e, struct model_ext_list *l)
{
	model_for_each_extent(&e->m, 0, UINT64_MAX, model_ext_add, l);
}

/*
 * The table maps what the model holds: the same extents, and (@leaves)
 * every model leaf is one leaf of the table, of the same size.
 */
static bool matches(struct aenv *e, bool leaves, const char *what)
{
	struct model_ext_list a = { 0 }, b = { 0 };
	bool ok = true;

	table_exts(e, &a);
	model_exts(e, &b);
	if (a.n != b.n) {
		H_FAIL("%s: %s: %zu extents, the model has %zu", e->name, what,
		       a.n, b.n);
		ok = false;
	}
	for (size_t i = 0; ok && i < a.n; i++) {
		const struct model_ext *x = &a.v[i], *y = &b.v[i];

		if (!model_ext_equal(x, y)) {
			H_FAIL("%s: %s: extent %zu is 0x%" PRIx64 "+0x%" PRIx64
			       " -> 0x%" PRIx64 ", the model has 0x%" PRIx64
			       "+0x%" PRIx64 " -> 0x%" PRIx64, e->name, what,
			       i, x->iova, x->len, x->phys, y->iova, y->len,
			       y->phys);
			ok = false;
		}
	}
	for (size_t i = 0; ok && leaves && i < e->m.nr; i++) {
		const struct model_leaf *l = &e->m.leaf[i];
		uint64_t phys, len;

		if (iopt_iova_to_phys_length(&e->t, l->iova, &phys, &len,
					     NULL) ||
		    phys != l->paddr || len != model_leaf_size(l)) {
			H_FAIL("%s: %s: leaf at 0x%" PRIx64 " is not one leaf "
			       "of 0x%" PRIx64, e->name, what, l->iova,
			       model_leaf_size(l));
			ok = false;
		}
	}
	model_ext_free(&a);
	model_ext_free(&b);
	return ok;
}

/* Unmap the whole input space: every table but the root goes. */
static void unmap_all(struct aenv *e, const char *what)
{
	uint64_t u;

	CHECK_EQ(iopt_unmap_range(&e->t, e->base, e->top, 0, &e->g, &u), 0);
	if (e->sext)
		CHECK_EQ(iopt_unmap_range(&e->t, 0 - e->top, e->top, 0, &e->g,
					  &u), 0);
	CHECK_EQ(iopt_gather_sync(&e->g), 0);
	model_clear(&e->m);
	if (env_used(e) != e->t.root_size)
		H_FAIL("%s: %s: %" PRIu64 " bytes held after unmapping "
		       "everything, the root is %zu", e->name, what,
		       env_used(e), e->t.root_size);
}

/* ---- engine scenarios ---- */

enum op_kind { OP_PAGES, OP_RANGE };

/* One engine call, and what a scenario maps before it. */
struct scen {
	const char *name;
	enum op_kind kind;
	uint64_t iova, pa, pgsize, count; /* count: pages, or range bytes */
	unsigned int prot;
	unsigned int pre; /* PRE_* bits */
};

#define PRE_DIRTY   (1u << 0) /* freed tables on the free lists, and a live
			       * page just below the call's range */
#define PRE_EMPTY   (1u << 1) /* an empty leaf table at the call's iova */

static uint64_t scen_bytes(const struct scen *s)
{
	return s->kind == OP_PAGES ? s->pgsize * s->count : s->count;
}

static int scen_pre(struct aenv *e, const struct scen *s)
{
	uint64_t m, u, g = e->gsz;

	if (s->pre & PRE_DIRTY) {
		/* tables that come and go, far from the call */
		uint64_t far = e->base + e->top / 4;

		if (iopt_map_pages(&e->t, far, 0, g, 3, IOPT_READ, 0, &m) ||
		    iopt_map_pages(&e->t, far + 4 * e->blk, 0, g, 1,
				   IOPT_READ, 0, &m) ||
		    iopt_unmap_range(&e->t, far, 8 * e->blk, 0, &e->g, &u) ||
		    iopt_gather_sync(&e->g))
			return -EIO;
		/* a live neighbour sharing the first tables of the call */
		if (iopt_map_pages(&e->t, s->iova - g, PA, g, 1, IOPT_READ, 0,
				   &m))
			return -EIO;
		model_map_pages(&e->m, s->iova - g, PA, g, 1,
				iopt_prot_effective(&e->t, IOPT_READ));
	}
	if (s->pre & PRE_EMPTY) {
		if (iopt_map_pages(&e->t, s->iova + g, PA, g, 1, IOPT_READ, 0,
				   &m) ||
		    iopt_unmap_range(&e->t, s->iova + g, g, 0, &e->g, &u) ||
		    iopt_gather_sync(&e->g))
			return -EIO;
	}
	return 0;
}

static int scen_call(struct aenv *e, const struct scen *s, uint64_t iova,
		     uint64_t pa, uint64_t bytes, unsigned int flags,
		     uint64_t *mapped)
{
	if (s->kind == OP_PAGES)
		return iopt_map_pages(&e->t, iova, pa, s->pgsize,
				      bytes / s->pgsize, s->prot, flags,
				      mapped);
	return iopt_map_range(&e->t, iova, pa, bytes, s->prot, flags, mapped);
}

/* Add bytes [from, to) of the scenario's request to the model. */
static void scen_model(struct aenv *e, const struct scen *s, uint64_t from,
		       uint64_t to)
{
	unsigned int prot = iopt_prot_effective(&e->t, s->prot);

	if (from == to)
		return;
	if (s->kind == OP_PAGES)
		model_map_pages(&e->m, s->iova + from, s->pa + from, s->pgsize,
				(to - from) / s->pgsize, prot);
	else
		model_map_range(&e->m, s->iova + from, s->pa + from, to - from,
				prot);
}

/* One run of @s with allocation @k failing (0: none). Returns how many
 * allocations the call attempted. */
static uint64_t scen_run(const char *name, bool heap, const struct scen *s,
			 unsigned int flags, uint64_t k, uint64_t nr)
{
	struct aenv e;
	uint64_t a0, mapped = ~0ULL, bytes = scen_bytes(s), used0, stat0, n;
	uint64_t rest;
	struct iopt_stats st;
	char what[160];
	int ret;

	snprintf(what, sizeof(what), "%s%s%s fail_at %" PRIu64 "/%" PRIu64,
		 s->name, flags ? " (all or nothing)" : "",
		 heap ? " [heap]" : "", k, nr);
	if (env_open(&e, name, heap) || scen_pre(&e, s)) {
		H_FAIL("%s: %s: setup failed", name, what);
		env_close(&e);
		return 0;
	}
	if (!heap)
		snap_take(&e.a);
	nr_runs++;
	nr_failed += k && k <= nr;
	used0 = env_used(&e);
	iopt_get_stats(&e.t, &st);
	stat0 = st.table_bytes;
	a0 = env_attempts(&e);
	env_fail_at(&e, k ? a0 + k : 0);
	ret = scen_call(&e, s, s->iova, s->pa, bytes, flags, &mapped);
	env_fail_at(&e, 0);
	n = env_attempts(&e) - a0;

	iopt_get_stats(&e.t, &st);
	/* the backend holds what the table accounts for, nothing else */
	if (env_used(&e) - used0 != st.table_bytes - stat0)
		H_FAIL("%s: %s: backend grew by %" PRIu64 ", the table by %"
		       PRIu64, name, what, env_used(&e) - used0,
		       st.table_bytes - stat0);
	if (!k || k > nr) {
		if (ret || mapped != bytes)
			H_FAIL("%s: %s: = %d, mapped 0x%" PRIx64 " of 0x%" PRIx64,
			       name, what, ret, mapped, bytes);
		scen_model(&e, s, 0, bytes);
		matches(&e, true, what);
		goto finish;
	}
	if (ret != -ENOMEM) {
		H_FAIL("%s: %s: = %d, expected -ENOMEM", name, what, ret);
		goto finish;
	}
	if (flags & IOPT_MAP_ALL_OR_NOTHING) {
		CHECK_EQ(mapped, 0);
		if (env_used(&e) != used0)
			H_FAIL("%s: %s: holds %" PRIu64 " bytes, before %" PRIu64,
			       name, what, env_used(&e), used0);
		if (!heap && !snap_same(&e.a))
			H_FAIL("%s: %s: the table memory changed", name, what);
	} else if (mapped >= bytes || mapped % e.gsz ||
		   (s->kind == OP_RANGE &&
		    !model_range_boundary(e.bitmap, s->iova, s->pa, bytes,
					  mapped)) ||
		   (s->kind == OP_PAGES && mapped % s->pgsize)) {
		H_FAIL("%s: %s: reported 0x%" PRIx64 " of 0x%" PRIx64
		       ", not a prefix of whole leaves", name, what, mapped,
		       bytes);
		goto finish;
	}
	/* exactly the reported prefix */
	scen_model(&e, s, 0, mapped);
	if (!matches(&e, true, what))
		goto finish;
	/* the rest maps now, and the whole request is there */
	ret = scen_call(&e, s, s->iova + mapped, s->pa + mapped,
			bytes - mapped, 0, &rest);
	if (ret || rest != bytes - mapped)
		H_FAIL("%s: %s: the rest = %d (0x%" PRIx64 ")", name, what,
		       ret, rest);
	scen_model(&e, s, mapped, bytes);
	matches(&e, true, what);
finish:
	unmap_all(&e, what);
	env_close(&e);
	return n;
}

/* Count, then fail every allocation in turn, with and without the flag. */
static void sweep(const char *name, bool heap, const struct scen *s)
{
	for (unsigned int flags = 0; flags <= IOPT_MAP_ALL_OR_NOTHING;
	     flags += IOPT_MAP_ALL_OR_NOTHING) {
		uint64_t nr = scen_run(name, heap, s, flags, 0, 0);

		if (!nr)
			H_FAIL("%s: %s: no allocation to fail", name, s->name);
		for (uint64_t k = 1; k <= nr + 1; k++)
			scen_run(name, heap, s, flags, k, nr);
	}
}

/* The scenarios of a configuration, from its geometry. */
static unsigned int scenarios(const struct aenv *e, struct scen *out)
{
	uint64_t g = e->gsz, b = e->blk, entries = b / g;
	uint64_t up = b * entries, cross, base, c = e->contig ? e->contig : g;
	unsigned int n = 0;

	/* an upper-level boundary if there is one below the top, else a
	 * leaf-table boundary in the middle */
	cross = e->base + (e->levels >= 3 && up < e->top ? up : e->top / 2);
	out[n++] = (struct scen){ "deep map at the top", OP_PAGES,
				  e->base + e->top - g, PA, g, 1, RW, 0 };
	if (e->sext)
		out[n++] = (struct scen){ "deep map at the top of the upper "
					  "half", OP_PAGES, 0 - g, PA, g, 1,
					  RW, 0 };
	out[n++] = (struct scen){ "pages across tables", OP_PAGES,
				  cross - b - b / 2, PA + g, g, 3 * entries,
				  RW, 0 };
	out[n++] = (struct scen){ "pages across tables, beside others",
				  OP_PAGES, cross - b - b / 2, PA + g, g,
				  3 * entries, IOPT_READ, PRE_DIRTY };
	/* pages, runs, a block, runs, pages */
	base = e->base + 4 * b;
	out[n++] = (struct scen){ "map_range of every size", OP_RANGE,
				  base - c - 3 * g, PA + 4 * b - c - 3 * g, 0,
				  3 * g + c + b + c + 2 * g, RW, 0 };
	out[n++] = (struct scen){ "block over an empty table, then pages",
				  OP_RANGE, base, PA, 0, b + 2 * g, RW,
				  PRE_EMPTY };
	return n;
}

/*
 * Can the malloc backend serve @name? Its addresses are wherever malloc
 * puts them; a configuration whose output size cannot reach them gets
 * -ERANGE from iopt_init() (no entry could point at such a table).
 */
static bool heap_fits(const char *name)
{
	struct fheap h = { 0 };
	struct iopt_mem mem = { .ops = &fh_ops, .ctx = &h, .linear = true };
	struct iopt_config c;
	struct iopt_table t;
	int ret;

	if (iopt_config_from_name(name, &c))
		return false;
	ret = iopt_init(&t, &c, &mem, NULL, NULL);
	iopt_fini(&t);
	if (ret && ret != -ERANGE)
		H_FAIL("%s: iopt_init over the heap = %d", name, ret);
	CHECK_EQ(h.live, 0);
	return !ret;
}

TEST_CFG(engine_sweeps)
{
	struct scen sc[8];
	struct aenv e;
	unsigned int n;
	bool heap;

	if (env_open(&e, cfg->name, false)) {
		env_close(&e);
		return;
	}
	n = scenarios(&e, sc);
	env_close(&e);
	for (unsigned int i = 0; i < n; i++)
		sweep(cfg->name, false, &sc[i]);
	/* the malloc backend: unzeroed tables, and leaks for LSan */
	heap = heap_fits(cfg->name);
	if (!heap)
		printf("# %s: heap addresses beyond the output size: no heap "
		       "sweeps\n", cfg->name);
	for (unsigned int i = 0; i < n && heap; i++)
		if (!(sc[i].pre & PRE_DIRTY))
			sweep(cfg->name, true, &sc[i]);
	printf("# %s: %u scenarios, %" PRIu64 " runs, %" PRIu64
	       " with an allocation failing\n", cfg->name, n, nr_runs,
	       nr_failed);
	nr_runs = nr_failed = 0;
}

/* No memory for the root: nothing is kept. */
TEST_CFG(init_sweep)
{
	struct iopt_config c;
	struct iopt_table t;
	struct fheap h = { 0 };
	struct iopt_mem mem = { .ops = &fh_ops, .ctx = &h, .linear = true };
	int ret;

	ASSERT_EQ(iopt_config_from_name(cfg->name, &c), 0);
	h.fail_at = 1;
	CHECK_EQ(iopt_init(&t, &c, &mem, NULL, NULL), -ENOMEM);
	CHECK_EQ(h.live, 0);
	iopt_fini(&t);
	CHECK_EQ(h.live, 0);
	ret = iopt_init(&t, &c, &mem, NULL, NULL);
	/* -ERANGE: the heap's addresses are beyond the output size. */
	CHECK(ret == 0 || (ret == -ERANGE && c.oas < 64 &&
			   !heap_fits(cfg->name)));
	iopt_fini(&t);
	CHECK_EQ(h.live, 0);
}

/* ---- the domain layer: a failure part-way is rolled back ---- */

static void domain_run(const char *name, int kind, enum iopt_domain_mode mode,
		       uint64_t k, uint64_t *nr)
{
	struct aenv e;
	struct iopt_domain d;
	struct iopt_sg sg[3];
	uint64_t a0, g, b, iova, mapped = 0, size;
	char what[128];
	int ret;

	if (env_open(&e, name, false)) {
		env_close(&e);
		return;
	}
	snprintf(what, sizeof(what), "domain %s (%s) fail_at %" PRIu64,
		 kind ? "map_sg" : "map", mode ? "per page" : "batched", k);
	g = e.gsz;
	b = e.blk;
	iova = e.base + 4 * b - 3 * g;
	size = 3 * g + b + 2 * g;
	/* segments: pages and a block, a lone page, a block */
	sg[0] = (struct iopt_sg){ PA + 4 * b - 3 * g, 3 * g + b };
	sg[1] = (struct iopt_sg){ PA + 16 * b, g };
	sg[2] = (struct iopt_sg){ PA + 32 * b, b };
	ASSERT_EQ(iopt_domain_init(&d, &e.t, mode), 0);
	a0 = env_attempts(&e);
	env_fail_at(&e, k ? a0 + k : 0);
	if (kind)
		ret = iopt_domain_map_sg(&d, iova, sg, 3, RW, &mapped);
	else
		ret = iopt_domain_map(&d, iova, PA + (iova - e.base), size, RW);
	env_fail_at(&e, 0);
	if (!k) {
		*nr = env_attempts(&e) - a0;
		CHECK_EQ(ret, 0);
	} else if (k <= *nr) {
		struct iopt_stats st;

		if (ret != -ENOMEM)
			H_FAIL("%s: %s: = %d", name, what, ret);
		CHECK_EQ(mapped, 0);
		/* nothing mapped; the tables it made may stay, accounted */
		if (!matches(&e, true, what))
			H_FAIL("%s: %s: not rolled back", name, what);
		iopt_get_stats(&e.t, &st);
		CHECK_EQ(env_used(&e), st.table_bytes);
		CHECK(d.stats.rollbacks <= 1);
		/* and it maps on a second try */
		if (kind)
			ret = iopt_domain_map_sg(&d, iova, sg, 3, RW, &mapped);
		else
			ret = iopt_domain_map(&d, iova, PA + (iova - e.base),
					      size, RW);
		CHECK_EQ(ret, 0);
	} else {
		CHECK_EQ(ret, 0);
	}
	if (!ret) {
		unsigned int prot = iopt_prot_effective(&e.t, RW);

		if (kind) {
			uint64_t at = iova;

			for (int i = 0; i < 3; i++) {
				model_map_range(&e.m, at, sg[i].paddr,
						sg[i].length, prot);
				at += sg[i].length;
			}
		} else {
			model_map_range(&e.m, iova, PA + (iova - e.base), size,
					prot);
		}
		matches(&e, false, what);
	}
	unmap_all(&e, what);
	env_close(&e);
}

TEST_CFG(domain_sweeps)
{
	for (int kind = 0; kind < 2; kind++) {
		for (int mode = 0; mode < 2; mode++) {
			uint64_t nr = 0;

			domain_run(cfg->name, kind, (enum iopt_domain_mode)mode,
				   0, &nr);
			CHECK(nr > 0);
			for (uint64_t k = 1; k <= nr + 1; k++)
				domain_run(cfg->name, kind,
					   (enum iopt_domain_mode)mode, k, &nr);
		}
	}
}

/* ---- VFIO DMA_MAP: pins, accounting and the table all come back ---- */

TEST_CFG(vfio_dma_map_sweep)
{
	struct iopt_host_config hc = {
		.seed = 3, .size = 64ULL << 20, .va_base = 1ULL << 40,
		.phys_base = 1ULL << 30, .pct_2m = 50, .pct_frag = 50,
	};
	const uint64_t size = 12ULL << 20;
	uint64_t iova, base;
	struct iopt_config c;
	struct iopt_host h;
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_host_stats hs;
	uint64_t nr = 0, digest, u;

	ASSERT_EQ(iopt_config_from_name(cfg->name, &c), 0);
	/* the first IOVA: 0, or ARM TTBR1's 2^64 - 2^ias */
	base = c.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - (1ULL << c.ias) : 0;
	iova = base + (1ULL << 30);
	hc.page_lg2 = c.granule_lg2 ? c.granule_lg2 : 12;
	ASSERT_EQ(iopt_host_init(&h, &hc), 0);
	digest = iopt_host_pin_digest(&h);
	ASSERT_EQ(iopt_arena_init(&a, region, REGION_BYTES, REGION_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	for (uint64_t k = 0; k <= nr + 1; k++) {
		struct iopt_vfio *v = malloc(sizeof(*v));
		uint64_t a0;
		int ret;

		ASSERT(v);
		ASSERT_EQ(iopt_vfio_init(v, &h, &c, &mem, IOPT_DOMAIN_BATCHED),
			  0);
		a0 = a.attempts;
		a.fail_at = k ? a0 + k : 0;
		ret = iopt_vfio_dma_map(v, hc.va_base, iova, size, RW);
		a.fail_at = 0;
		if (!k)
			nr = a.attempts - a0;
		if (k && k <= nr) {
			struct iopt_stats st;
			struct model_ext_list l = { 0 };

			if (ret != -ENOMEM)
				H_FAIL("%s: DMA_MAP fail_at %" PRIu64 " = %d",
				       cfg->name, k, ret);
			CHECK_EQ(iopt_host_pin_digest(&h), digest);
			iopt_host_get_stats(&h, &hs);
			CHECK_EQ(hs.locked_vm, 0);
			CHECK_EQ(iopt_vfio_nr_dmas(v), 0);
			iopt_for_each_extent(iopt_vfio_table(v), base,
					     1ULL << 30, model_ext_add, &l);
			iopt_for_each_extent(iopt_vfio_table(v), iova,
					     1ULL << 30, model_ext_add, &l);
			CHECK_EQ(l.n, 0);
			model_ext_free(&l);
			iopt_get_stats(iopt_vfio_table(v), &st);
			CHECK_EQ(a.used, st.table_bytes);
			ret = iopt_vfio_dma_map(v, hc.va_base, iova, size, RW);
		}
		CHECK_EQ(ret, 0);
		CHECK_EQ(iopt_vfio_nr_dmas(v), 1);
		CHECK_EQ(iopt_vfio_dma_unmap_all(v, &u), 0);
		CHECK_EQ(u, size);
		iopt_vfio_fini(v);
		free(v);
		CHECK_EQ(a.used, 0);
		CHECK_EQ(iopt_host_pin_digest(&h), digest);
	}
	CHECK(nr > 0);
	iopt_host_fini(&h);
}
