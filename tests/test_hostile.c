// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Write paths on hostile tables, and lifetime mistakes.
 *
 * Every table here lives in a strict backend: an arena wrapped so that it
 * records each live block with its size and the table tree it was
 * allocated for, keeps the labels of the backend contract (iopt.h:
 * set_label/label_of) itself, and counts every free that is not exactly a
 * live block of that tree ("bad frees"). It runs in two modes: the engine
 * asks label_of(), or reads the labels array inline (struct iopt_mem.labels).
 *
 * Then entries are overwritten the way a buggy or hostile writer of table
 * memory would: pointing at freed blocks, at another tree's tables and
 * roots, at the table itself, at one child from every entry, outside the
 * backend. Map, unmap, gather_sync and fini must then fail cleanly or
 * drop the entry, never write into or free memory that is not theirs, and
 * finish in time linear in the tables (label_of() calls are counted).
 * A SIGALRM turns a hang into a failure.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <signal.h>
#include <unistd.h>

#define POOL_BYTES (16u << 20)
#define POOL_PHYS 0x40000000ULL
#define UNITS (POOL_BYTES >> IOPT_MEM_LABEL_UNIT_LG2)
#define MAX_TREES 64

/* ---- the strict backend ---- */

struct pool {
	struct iopt_arena a;
	struct iopt_mem am;          /* the arena's own backend */
	void *buf;
	uint32_t labels[UNITS];      /* per 64-byte unit of the bound */
	uint8_t order[UNITS];        /* live block starting here: log2 size */
	uint8_t owner[UNITS];        /* its tree + 1 */
	uint64_t bad_frees;
	uint64_t label_calls;
};

struct sb {                      /* one tree's view of the pool */
	struct pool *p;
	unsigned int tree;
	uint64_t live;               /* bytes held by this tree */
};

static unsigned int lg2_up(size_t size)
{
	unsigned int o = 6;

	while (((size_t)1 << o) < size)
		o++;
	return o;
}

/* Unit index of @phys if it is a live block of exactly @size for @s. */
static bool sb_block(const struct sb *s, uint64_t phys, size_t size,
		     uint64_t *unit)
{
	uint64_t off = phys - POOL_PHYS;

	if (phys < POOL_PHYS || off >= s->p->a.size || (off & 63))
		return false;
	*unit = off >> 6;
	return s->p->order[*unit] == lg2_up(size) &&
	       s->p->owner[*unit] == s->tree + 1;
}

static void *sb_alloc(void *ctx, size_t size, uint64_t *phys,
		      unsigned int flags)
{
	struct sb *s = ctx;
	void *v = s->p->am.ops->alloc(s->p->am.ctx, size, phys, flags);
	uint64_t u = (*phys - POOL_PHYS) >> 6;

	if (!v)
		return NULL;
	s->p->order[u] = (uint8_t)lg2_up(size);
	s->p->owner[u] = (uint8_t)(s->tree + 1);
	__atomic_store_n(&s->p->labels[u], 0, __ATOMIC_RELAXED);
	s->live += (size_t)1 << lg2_up(size);
	return v;
}

static void sb_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct sb *s = ctx;
	uint64_t u;

	if (!sb_block(s, phys, size, &u) ||
	    (char *)virt != (char *)s->p->buf + (phys - POOL_PHYS)) {
		s->p->bad_frees++;
		return;
	}
	s->p->order[u] = 0;
	s->p->owner[u] = 0;
	__atomic_store_n(&s->p->labels[u], 0, __ATOMIC_RELAXED);
	s->live -= (size_t)1 << lg2_up(size);
	s->p->am.ops->free(s->p->am.ctx, virt, phys, size);
}

static void sb_set_label(void *ctx, uint64_t phys, size_t size, uint32_t l)
{
	struct sb *s = ctx;
	uint64_t u;

	if (sb_block(s, phys, size, &u))
		__atomic_store_n(&s->p->labels[u], l, __ATOMIC_RELAXED);
	else
		s->p->bad_frees++; /* labelling what is not ours: as bad */
}

static uint32_t sb_label_of(void *ctx, uint64_t phys, size_t size)
{
	struct sb *s = ctx;
	uint64_t off = phys - POOL_PHYS, u;

	s->p->label_calls++;
	if (phys < POOL_PHYS || off >= s->p->a.size || (off & 63))
		return 0;
	u = off >> 6;
	if (!s->p->order[u] || s->p->order[u] != lg2_up(size))
		return 0;
	return __atomic_load_n(&s->p->labels[u], __ATOMIC_RELAXED);
}

static const struct iopt_mem_ops sb_ops = {
	.alloc = sb_alloc,
	.free = sb_free,
	.set_label = sb_set_label,
	.label_of = sb_label_of,
};

static bool pool_open(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	p->buf = aligned_alloc(1 << 20, POOL_BYTES);
	if (!p->buf || iopt_arena_init(&p->a, p->buf, POOL_BYTES, POOL_PHYS)) {
		H_FAIL("cannot make the pool");
		return false;
	}
	iopt_arena_mem(&p->a, &p->am);
	return true;
}

static void pool_close(struct pool *p)
{
	free(p->buf);
	p->buf = NULL;
}

/* A tree's backend: the arena's translation and bound, our ops. */
static void sb_mem(struct pool *p, struct sb *s, unsigned int tree,
		   bool inline_labels, struct iopt_mem *mem)
{
	s->p = p;
	s->tree = tree;
	s->live = 0;
	*mem = p->am;
	mem->ops = &sb_ops;
	mem->ctx = s;
	mem->labels = inline_labels ? p->labels : NULL;
}

/* ---- raw entries ---- */

static void *raw(struct pool *p, uint64_t phys)
{
	return (char *)p->buf + (phys - POOL_PHYS);
}

/* Bytes of an entry of the configuration under test: 8, or 4 for v7s. */
static unsigned int ent = 8;

static void set_ent(const struct iopt_config *cfg)
{
	ent = cfg->format == IOPT_FMT_ARM_V7S ? 4 : 8;
}

static uint64_t le(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static uint32_t le32v(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static uint64_t get(struct pool *p, uint64_t phys)
{
	if (ent == 4)
		return le32v(*(uint32_t *)raw(p, phys));
	return le(*(uint64_t *)raw(p, phys));
}

static void put(struct pool *p, uint64_t phys, uint64_t v)
{
	if (ent == 4)
		*(uint32_t *)raw(p, phys) = le32v((uint32_t)v);
	else
		*(uint64_t *)raw(p, phys) = le(v);
}

/* The path of @iova; ASSERTs in the caller check depth. */
static struct iopt_path path_of(struct iopt_table *t, uint64_t iova)
{
	struct iopt_path path;

	memset(&path, 0, sizeof(path));
	if (iopt_walk_path(t, iova, &path))
		H_FAIL("iopt_walk_path(0x%" PRIx64 ") failed", iova);
	return path;
}

/*
 * The first depth at which the walks @x and @y use different entries
 * (0: the root; deeper when the input space needs only one root entry,
 * as Mali's full root with a small ias), or @x's depth if none.
 */
static unsigned int split_depth(const struct iopt_path *x,
				const struct iopt_path *y)
{
	unsigned int d = 0;

	while (d < x->depth && d < y->depth && x->index[d] == y->index[d])
		d++;
	return d;
}

/* A table entry like @pte (which points at @from) but pointing at @to:
 * the address field is the table address bits in place for every format
 * here, with table addresses below 2^48. */
static uint64_t retarget(uint64_t pte, uint64_t from, uint64_t to)
{
	return pte ^ from ^ to;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok - timed out: a walk did not end\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void watchdog(unsigned int seconds)
{
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

/* ---- one tree ---- */

struct one {
	struct pool p;
	struct sb s;
	struct iopt_mem mem;
	struct iopt_config cfg;
	struct iopt_table t;
	struct iopt_gather g;
	uint64_t g_sz;      /* granule */
	uint64_t base;      /* first IOVA: 0, or ARM TTBR1's 2^64 - top */
	uint64_t top;       /* size of the (x86: lower) input space */
	bool up;
};

static bool one_open(struct one *o, const char *name, bool inline_labels)
{
	memset(o, 0, sizeof(*o));
	if (!pool_open(&o->p))
		return false;
	sb_mem(&o->p, &o->s, 0, inline_labels, &o->mem);
	if (iopt_config_from_name(name, &o->cfg) ||
	    iopt_init(&o->t, &o->cfg, &o->mem, NULL, NULL)) {
		H_FAIL("%s: cannot build the table", name);
		return false;
	}
	o->up = true;
	iopt_gather_init(&o->g);
	set_ent(&o->cfg);
	o->g_sz = 1ULL << o->cfg.granule_lg2;
	o->top = 1ULL << (h_sign_extended(&o->cfg) ? o->cfg.ias - 1 :
			  o->cfg.ias);
	o->base = o->cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - o->top : 0;
	return true;
}

/* fini, then: every block freed exactly once, nothing refused. */
static void one_close(struct one *o)
{
	if (o->up) {
		iopt_gather_sync(&o->g);
		iopt_fini(&o->t);
		CHECK_EQ(o->s.live, 0);
		CHECK_EQ(o->p.a.used, 0);
	}
	CHECK_EQ(o->p.bad_frees, 0);
	o->up = false;
	pool_close(&o->p);
}

static int map1(struct iopt_table *t, uint64_t iova, uint64_t pa, uint64_t g)
{
	uint64_t mapped;

	return iopt_map_pages(t, iova, pa, g, 1, IOPT_READ | IOPT_WRITE, 0,
			      &mapped);
}

/*
 * A root entry (or, if the two ends of the space share it, the first entry
 * where their walks part) pointing at a table that was freed (the block
 * at the head of the arena's free list): map must refuse it and leave every byte of
 * table memory as it was (before, it wrote into the freed block, so the
 * free list's link pointed anywhere, or it never returned); unmap drops
 * the entry without freeing anything.
 */
static void freed_target(const char *name, bool inline_labels)
{
	struct one o;
	struct iopt_path pa, pb;
	uint64_t a, c, freed, slot, bad, mapped, unmapped, allocs;
	unsigned char *snap = NULL;
	unsigned int d;

	if (!one_open(&o, name, inline_labels))
		goto out;
	/* The last root entry (the root may have only two); offsets from
	 * the first IOVA, base. */
	a = o.base;
	c = o.top / 2;
	while (c + (c >> 1) < o.top &&
	       iopt_walk_path(&o.t, o.base + c, &pb) == 0 &&
	       path_of(&o.t, o.base + c + (c >> 1)).index[0] != pb.index[0])
		c += c >> 1;
	c += o.base;
	ASSERT_EQ(map1(&o.t, a, 0x1000000, o.g_sz), 0);
	ASSERT_EQ(map1(&o.t, c, 0x2000000, o.g_sz), 0);
	pa = path_of(&o.t, a);
	pb = path_of(&o.t, c);
	d = split_depth(&pa, &pb);
	ASSERT(pa.depth >= d + 2 && pb.depth >= d + 2);
	freed = pb.table_phys[d + 1];
	slot = pb.table_phys[d] + (uint64_t)ent * pb.index[d];
	ASSERT_EQ(iopt_unmap_range(&o.t, c, o.base + o.top - c, 0, &o.g,
				   &unmapped), 0);
	CHECK_EQ(unmapped, o.g_sz);
	ASSERT_EQ(iopt_gather_sync(&o.g), 0);
	ASSERT(iopt_arena_is_free(&o.p.a, freed, 8));
	ASSERT_EQ(get(&o.p, slot), 0);

	bad = retarget(pa.pte[d], pa.table_phys[d + 1], freed);
	put(&o.p, slot, bad);
	snap = malloc(POOL_BYTES);
	ASSERT(snap);
	memcpy(snap, o.p.buf, POOL_BYTES);
	allocs = o.p.a.attempts;

	CHECK_EQ(map1(&o.t, c, 0x3000000, o.g_sz), -EFAULT);
	CHECK_EQ(iopt_map_range(&o.t, c, 0x3000000, 4 * o.g_sz,
				IOPT_READ, 0, &mapped), -EFAULT);
	CHECK_EQ(mapped, 0);
	CHECK_EQ(iopt_map_pages(&o.t, c, 0x3000000, o.g_sz, 3, IOPT_READ,
				IOPT_MAP_ALL_OR_NOTHING, &mapped), -EFAULT);
	CHECK(!memcmp(snap, o.p.buf, POOL_BYTES));
	CHECK_EQ(o.p.a.attempts, allocs);

	/* Unmap drops the entry, walks and frees nothing below it. */
	CHECK_EQ(iopt_unmap_range(&o.t, c, o.g_sz, 0, &o.g, &unmapped), 0);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(get(&o.p, slot), 0);
	CHECK_EQ(iopt_gather_sync(&o.g), 0);
	put(&o.p, slot, bad);
	CHECK(!memcmp(snap, o.p.buf, POOL_BYTES));
	put(&o.p, slot, 0);
	/* The arena still hands out good blocks, and the table works. */
	CHECK_EQ(map1(&o.t, c, 0x3000000, o.g_sz), 0);
	CHECK_EQ(iopt_iova_to_phys(&o.t, c), 0x3000000);
	CHECK_EQ(iopt_iova_to_phys(&o.t, a), 0x1000000);
out:
	free(snap);
	one_close(&o);
}

TEST_CFG(map_through_freed_table)
{
	watchdog(60);
	freed_target(cfg->name, false);
	freed_target(cfg->name, true);
	alarm(0);
}

/*
 * Entries pointing outside the backend's bound: map fails with -EFAULT
 * and changes nothing; unmap drops them; the lookups say -EFAULT or
 * nothing mapped; the extent iterator reports the runs before the bad
 * entry, then -EFAULT; iopt_walk_path() shows the path up to it.
 */
struct runs {
	unsigned int n;
	uint64_t iova[4], len[4];
};

static int count_run(void *arg, uint64_t iova, uint64_t phys, uint64_t len,
		     unsigned int prot)
{
	struct runs *r = arg;

	(void)phys;
	(void)prot;
	if (r->n < 4) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
	return 0;
}

TEST_CFG(entry_outside_bound)
{
	struct one o;
	struct iopt_path pa, pc, path;
	struct runs r = { 0 };
	uint64_t a, c, slot, outside = POOL_PHYS + POOL_BYTES * 4ULL;
	uint64_t mapped, unmapped, phys, len;
	unsigned int d;

	if (!one_open(&o, cfg->name, true))
		goto out;
	a = o.base;
	c = o.base + o.top / 2;
	ASSERT_EQ(map1(&o.t, a, 0x1000000, o.g_sz), 0);
	pa = path_of(&o.t, a);
	pc = path_of(&o.t, c);
	/* The entry c's walk reads where it parts from a's (the root's
	 * unless both share a root entry). */
	d = split_depth(&pa, &pc);
	ASSERT(pa.depth >= d + 2 && pc.depth == d + 1);
	slot = pc.table_phys[d] + (uint64_t)ent * pc.index[d];
	put(&o.p, slot, retarget(pa.pte[d], pa.table_phys[d + 1], outside));

	CHECK_EQ(map1(&o.t, c, 0x3000000, o.g_sz), -EFAULT);
	CHECK_EQ(iopt_map_range(&o.t, c, 0x3000000, 2 * o.g_sz, IOPT_READ, 0,
				&mapped), -EFAULT);
	CHECK_EQ(mapped, 0);
	CHECK_EQ(iopt_iova_to_phys(&o.t, c), IOPT_PHYS_NONE);
	CHECK_EQ(iopt_iova_to_phys_length(&o.t, c, &phys, &len, NULL), -EFAULT);
	CHECK_EQ(iopt_iova_to_pgsize(&o.t, c), 0);

	/* The walk path: down to the bad entry, then -EFAULT. */
	memset(&path, 0xa5, sizeof(path));
	CHECK_EQ(iopt_walk_path(&o.t, c, &path), -EFAULT);
	CHECK_EQ(path.depth, d + 1);
	CHECK_EQ(path.pte[d], get(&o.p, slot));
	CHECK_EQ(path.table_phys[d], pc.table_phys[d]);
	CHECK_EQ(path.table_phys[0], iopt_root_phys(&o.t));

	/* The run at a is reported, then the bad entry stops the walk. */
	CHECK_EQ(iopt_for_each_extent(&o.t, a, o.top, count_run, &r), -EFAULT);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.iova[0], a);
	CHECK_EQ(r.len[0], o.g_sz);

	CHECK_EQ(iopt_unmap_range(&o.t, c, o.g_sz, 0, &o.g, &unmapped), 0);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(get(&o.p, slot), 0);
	CHECK_EQ(iopt_iova_to_phys(&o.t, a), 0x1000000);
out:
	one_close(&o);
}

/*
 * Many trees in one backend; tree 0's entries point at the others' tables
 * (at the right level), at their roots, and at the table-aligned address
 * where several small roots share a granule. Unmapping all of tree 0 and
 * destroying it must free only its own tables: before, the arena accepted
 * frees that spanned several live roots and live mappings of other trees
 * disappeared.
 */
static void foreign(const char *name, bool inline_labels)
{
	static struct pool p;
	static struct sb s[MAX_TREES];
	static struct iopt_table t[MAX_TREES];
	struct iopt_mem mem;
	struct iopt_config cfg;
	struct iopt_gather g;
	struct iopt_path p0, pi;
	uint64_t gsz, top, base, unmapped;
	unsigned int n, up = 0;

	if (!pool_open(&p) || iopt_config_from_name(name, &cfg))
		goto out;
	gsz = 1ULL << cfg.granule_lg2;
	set_ent(&cfg);
	top = 1ULL << (h_sign_extended(&cfg) ? cfg.ias - 1 : cfg.ias);
	base = cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - top : 0; /* 1st IOVA */
	n = gsz > 4096 ? 8 : MAX_TREES;
	for (up = 0; up < n; up++) {
		sb_mem(&p, &s[up], up, inline_labels, &mem);
		if (iopt_init(&t[up], &cfg, &mem, NULL, NULL) ||
		    map1(&t[up], base, 0x100000ULL * (up + 1), gsz)) {
			H_FAIL("%s: tree %u", name, up);
			goto out;
		}
	}
	p0 = path_of(&t[0], base);
	ASSERT(p0.depth >= 2);
	for (unsigned int i = 1; i < n; i++) {
		uint64_t slot, to;

		pi = path_of(&t[i], base);
		/* Entry i of tree 0's root, wherever it is free. */
		slot = p0.table_phys[0] + (uint64_t)ent * (p0.index[0] + i);
		if (p0.index[0] + i >= (1u << 9) || get(&p, slot))
			break;
		to = i % 3 == 0 ? pi.table_phys[1] :                   /* a table */
		     i % 3 == 1 ? iopt_root_phys(&t[i]) :              /* a root */
				  iopt_root_phys(&t[i]) & ~(gsz - 1);  /* shared */
		put(&p, slot, retarget(p0.pte[0], p0.table_phys[1], to));
	}
	iopt_gather_init(&g);
	CHECK_EQ(iopt_unmap_range(&t[0], base, top, 0, &g, &unmapped), 0);
	CHECK_EQ(unmapped, gsz);
	CHECK_EQ(iopt_gather_sync(&g), 0);
	iopt_fini(&t[0]);
	CHECK_EQ(s[0].live, 0);
	CHECK_EQ(p.bad_frees, 0);
	for (unsigned int i = 1; i < n; i++)
		CHECK_EQ(iopt_iova_to_phys(&t[i], base), 0x100000ULL * (i + 1));
out:
	for (unsigned int i = up ? 1 : 0; i < up; i++) {
		iopt_fini(&t[i]);
		CHECK_EQ(s[i].live, 0);
	}
	CHECK_EQ(p.bad_frees, 0);
	pool_close(&p);
}

TEST_CFG(no_foreign_frees)
{
	foreign(cfg->name, false);
	foreign(cfg->name, true);
}

/*
 * Every entry of every table on one path points back at its own table
 * (@self), or at the path's child (@self false: one child shared by every
 * entry). Unmapping the whole space, syncing and destroying must finish
 * in time linear in the tables: at most a few label_of() calls per entry
 * of the tables that exist (before, the same walk took time exponential
 * in the levels: minutes for x86-64-5lvl).
 */
static void loops(const char *name, bool self, bool inline_labels)
{
	struct one o;
	struct iopt_path pa;
	uint64_t unmapped, entries, bound;

	if (!one_open(&o, name, inline_labels))
		goto out;
	ASSERT_EQ(map1(&o.t, o.base, 0x1000000, o.g_sz), 0);
	pa = path_of(&o.t, o.base);
	ASSERT(pa.depth >= 2);
	entries = (ent == 4 ? 1024 : o.g_sz) / ent; /* v7s: 1 KB tables */
	/* Below the root, every table on the path: all entries the same. */
	for (unsigned int d = 1; d + 1 < pa.depth; d++) {
		uint64_t to = self ? pa.table_phys[d] : pa.table_phys[d + 1];
		uint64_t pte = retarget(pa.pte[d], pa.table_phys[d + 1], to);

		for (uint64_t i = 0; i < entries; i++)
			put(&o.p, pa.table_phys[d] + ent * i, pte);
	}
	o.p.label_calls = 0;
	CHECK_EQ(iopt_unmap_range(&o.t, o.base, o.top, 0, &o.g, &unmapped), 0);
	CHECK_EQ(iopt_gather_sync(&o.g), 0);
	iopt_fini(&o.t);
	o.up = false;
	bound = 4 * entries * pa.depth + 64;
	if (o.p.label_calls > bound)
		H_FAIL("%s: %" PRIu64 " label_of() calls for %u tables (bound %"
		       PRIu64 ")", name, o.p.label_calls, pa.depth, bound);
	/* Self-references orphan the tables below the first one: nothing
	 * points at them any more, so they leak; all the rest is freed. */
	CHECK_EQ(o.s.live, self ? (pa.depth - 2) * o.g_sz : 0);
	o.s.live = 0;
out:
	one_close(&o);
}

TEST_CFG(self_references_linear)
{
	watchdog(120);
	loops(cfg->name, true, false);
	loops(cfg->name, true, true);
	loops(cfg->name, false, false);
	loops(cfg->name, false, true);
	alarm(0);
}

/*
 * iopt_init() refuses a backend whose bound reaches past the output size
 * (an entry could not point at tables there), and table memory an
 * unbounded backend hands out beyond it.
 */
static uint64_t far_base;

static void *far_alloc(void *ctx, size_t size, uint64_t *phys,
		       unsigned int flags)
{
	struct pool *p = ctx;
	void *v = p->am.ops->alloc(p->am.ctx, size, phys, flags);

	*phys += far_base - POOL_PHYS;
	return v;
}

static void far_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct pool *p = ctx;

	p->am.ops->free(p->am.ctx, virt, phys - far_base + POOL_PHYS, size);
}

TEST(init_refuses_unreachable_memory)
{
	static const struct iopt_mem_ops far_ops = { .alloc = far_alloc,
						     .free = far_free };
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_config cfg;
	struct iopt_table t;
	struct pool p;
	void *buf = aligned_alloc(1 << 20, 32 << 20);

	ASSERT(buf);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k:ias=32,oas=32", &cfg), 0);
	/* A bound that crosses 2^32. */
	ASSERT_EQ(iopt_arena_init(&a, buf, 32 << 20, 0xfff00000ULL), 0);
	iopt_arena_mem(&a, &mem);
	CHECK_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), -ERANGE);
	CHECK_EQ(a.attempts, 0);
	iopt_fini(&t);
	/* Inside 2^32: fine. */
	ASSERT_EQ(iopt_arena_init(&a, buf, 32 << 20, 0xf0000000ULL), 0);
	iopt_arena_mem(&a, &mem);
	CHECK_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), 0);
	CHECK_EQ(map1(&t, 0, 0x1000, 4096), 0);
	iopt_fini(&t);
	CHECK_EQ(a.used, 0);
	free(buf);

	/* Unbounded, handing out addresses at 2^40: refused, given back. */
	if (!pool_open(&p))
		return;
	far_base = 1ULL << 40;
	mem = (struct iopt_mem){ .ops = &far_ops, .ctx = &p, .linear = true,
				 .virt_offset = (uint64_t)(uintptr_t)p.buf -
						far_base };
	CHECK_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), -ERANGE);
	CHECK_EQ(p.a.used, 0);
	iopt_fini(&t);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &cfg), 0);
	CHECK_EQ(iopt_init(&t, &cfg, &mem, NULL, NULL), 0);
	CHECK_EQ(map1(&t, 0, 0x1000, 4096), 0);
	CHECK_EQ(iopt_iova_to_phys(&t, 0), 0x1000);
	iopt_fini(&t);
	CHECK_EQ(p.a.used, 0);
	pool_close(&p);
}

/* iopt_init() on a live table: -EBUSY, the table untouched and working. */
TEST(init_refuses_live_table)
{
	struct one o;
	struct iopt_table copy;

	if (!one_open(&o, "arm-lpae-s1-4k", true))
		goto out;
	ASSERT_EQ(map1(&o.t, 0, 0x1000, o.g_sz), 0);
	memcpy(&copy, &o.t, sizeof(copy));
	CHECK_EQ(iopt_init(&o.t, &o.cfg, &o.mem, NULL, NULL), -EBUSY);
	CHECK(!memcmp(&copy, &o.t, sizeof(copy)));
	CHECK_EQ(iopt_iova_to_phys(&o.t, 0), 0x1000);
	iopt_fini(&o.t);
	CHECK_EQ(o.s.live, 0);
	CHECK_EQ(iopt_init(&o.t, &o.cfg, &o.mem, NULL, NULL), 0);
out:
	one_close(&o);
}

/*
 * A gather still holding work when its table is destroyed and the same
 * struct initialised again: the new table refuses it (unmap -EINVAL,
 * nothing changed) and iopt_gather_sync() calls none of its callbacks and
 * frees nothing through its backend (before, the old tables went to the
 * new backend's free()).
 */
TEST(gather_outlives_its_table)
{
	static struct tenv rec; /* only its flush records are used */
	struct one o;
	struct pool p2;
	struct sb s2;
	struct iopt_mem mem2;
	uint64_t unmapped, mapped, blk;

	if (!one_open(&o, "arm-lpae-s1-4k", true) || !pool_open(&p2))
		goto out;
	blk = o.g_sz * (o.g_sz / 8);
	ASSERT_EQ(iopt_map_pages(&o.t, 0, 0x1000000, o.g_sz, 2 * (o.g_sz / 8),
				 IOPT_READ, 0, &mapped), 0);
	/* Covers one leaf table: the gather holds it. */
	ASSERT_EQ(iopt_unmap_range(&o.t, 0, blk, 0, &o.g, &unmapped), 0);
	ASSERT(o.g.nr_tables == 1);
	iopt_fini(&o.t);
	o.up = false;

	sb_mem(&p2, &s2, 0, true, &mem2);
	memset(&rec, 0, sizeof(rec));
	ASSERT_EQ(iopt_init(&o.t, &o.cfg, &mem2, &tenv_rec_ops, &rec), 0);
	ASSERT_EQ(iopt_map_pages(&o.t, 0, 0x1000000, o.g_sz, 2 * (o.g_sz / 8),
				 IOPT_READ, 0, &mapped), 0);
	CHECK_EQ(iopt_unmap_range(&o.t, blk, blk, 0, &o.g, &unmapped), -EINVAL);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(iopt_iova_to_phys(&o.t, blk), 0x1000000 + blk);
	CHECK_EQ(iopt_gather_sync(&o.g), -EINVAL);
	CHECK_EQ(rec.nr_all + rec.nr_range, 0);
	CHECK_EQ(p2.a.frees, 0);
	CHECK_EQ(p2.bad_frees, 0);
	/* After the refused sync the gather serves the new table. */
	CHECK_EQ(iopt_unmap_range(&o.t, blk, blk, 0, &o.g, &unmapped), 0);
	CHECK_EQ(unmapped, blk);
	CHECK_EQ(iopt_gather_sync(&o.g), 0);
	CHECK(rec.nr_all + rec.nr_range > 0);
	iopt_fini(&o.t);
	CHECK_EQ(s2.live, 0);
	CHECK_EQ(p2.bad_frees, 0);
	/* The old table's detached leaf table is lost to its backend. */
	CHECK_EQ(o.s.live, o.g_sz);
	o.s.live = 0;
	pool_close(&p2);
out:
	one_close(&o);
}
