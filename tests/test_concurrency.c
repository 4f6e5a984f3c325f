// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Concurrency, as iopt.h's header comment promises it: map and unmap of
 * disjoint ranges on several threads at once, also where the ranges share
 * interior tables (so table installation races), with lookups running beside
 * them on ranges nobody changes.
 *
 * Layout per configuration, with SLICE the span of one leaf table and REGION
 * the span of the table above it (4K granule: 2M and 1G; 16K: 32M and 64G;
 * 64K: 512M and 4T):
 *
 *   region A = [REGION, 2 * REGION): the writers', rebuilt every round
 *     slices 0, 1   chunks of CHUNK_PAGES pages owned round-robin by the
 *                   writers: neighbours' edge pages share one leaf table
 *     slices 2..    whole slices owned round-robin (interleaved entries of
 *                   the region's table)
 *   region B = [2 * REGION, 3 * REGION): the reader's, with writers beside it
 *     slice 0       chunks owned round-robin by the writers and the reader
 *     slice 1       the reader: one block (or whatever map_range picks)
 *     slice 2       the reader: its first READER_PAGES pages, as pages
 *     slices 3..    one whole slice per writer
 *
 * A round starts at a barrier, where every writer at once maps its first
 * chunk of each shared slice and its whole slices, so all of them race to
 * install region A's table and the shared leaf tables. Then each does random
 * map_pages / map_range / unmap_range / unmap_pages / iopt_reclaim (each
 * thread its own gather, synced after every unmap or sweep: a sweep frees
 * the emptied leaf tables of a thread's own slices, whose parent the other
 * writers share) and lookups of its own ranges, every
 * result checked against the thread's own model (tests/model.h). At the end
 * of a round the writers unmap what they own, except their chunks in region
 * B's slice 0, and writer 0 alone unmaps all of region A, which frees its
 * tables: the table memory must then be exactly what it was before the first
 * round (a table lost in a race would stay allocated), and the next round
 * races to install them again.
 *
 * The reader runs throughout: it translates, measures and iterates its own
 * mappings in region B (made before any thread starts, in tables the writers
 * write beside it) and reads the table's counters. It also translates them
 * as a device would, through its own simulated IOMMU (include/iopt/hwsim.h):
 * with an IOTLB and walk cache that it invalidates now and then and checks
 * for coherence, and with fresh walks; each result must be the model's. The
 * simulated IOMMU reads table memory through a callback that loads whole
 * words atomically and never touches the arena's allocator state, which
 * the writers change under a lock (the wrapper's or the arena's own).
 *
 * Each configuration runs twice: with the arena behind a caller's mutex
 * (locked_ops, as any backend that is not thread-safe must be), and with
 * the arena's own backend unlocked, which mem.h says is safe for this.
 *
 * arena_threads calls the arena directly from several threads at once:
 * alloc, free, set_label, label_of, iopt_arena_is_free() and refused frees,
 * each thread checking that its blocks stay its own.
 *
 * After the last round (which leaves its mappings in place) the table must
 * hold exactly the union of all models; one unmap of the whole input space
 * must then leave only the root allocated.
 *
 * Table memory is the arena, so freed tables are poisoned: a walk through a
 * table freed under it reads "not present" and a lookup check fails. The
 * allocator wrapper yields now and then, inside the engine's window between
 * reading an empty entry and installing a table there, so that threads lose
 * that race often even when they share one CPU.
 *
 * Run under ThreadSanitizer by `make tsan` (mk/tsan.mk), which also makes any
 * data race in the library a failure.
 *
 * Environment: IOPT_TEST_SEED; IOPT_TEST_CONC_ROUNDS (default 64),
 * IOPT_TEST_CONC_OPS (random operations per writer and round, default 32),
 * IOPT_TEST_CONC_WRITERS (2..4, default 3). `make tsan` raises the rounds.
 * The thread interleaving is not reproducible; the operations are (the seed).
 */
#define HARNESS_MAIN
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <iopt/hwsim.h>
#include <iopt/mem.h>

#include "model.h"

#define MAX_WRITERS 4
#define CHUNK_PAGES 16       /* a power of two: units are aligned to their size */
#define CHUNKS_EACH 3        /* chunks per owner in each chunked slice */
#define READER_PAGES 8
#define MAX_UNITS 16
#define MAX_MSGS 4
#define MIN_READS 200        /* reader iterations, at the least */
#define SIM_INV_EVERY 64     /* reader iterations between invalidate-alls */
#define SIM_CHECK_EVERY 256  /* ... and between coherence checks */
#define ARENA_BYTES (32u << 20)
#define ARENA_PHYS 0x80000000ULL
#define OFF_BITS 33          /* offsets inside a region that addresses encode */

/* A range one thread owns. Units are aligned to their (power-of-two) size. */
struct unit {
	uint64_t iova;
	uint64_t size;
	bool keep;           /* stays mapped across rounds (region B, slice 0) */
	bool burst;          /* mapped first thing in every round */
};

struct conc;

struct worker {
	struct conc *c;
	pthread_t thread;
	unsigned int id;     /* writers 0..n-1; the reader is n */
	uint64_t rng;
	struct model m;      /* what this thread has mapped */
	struct iopt_gather g;
	struct unit unit[MAX_UNITS];
	unsigned int nr_units;
	unsigned int gen;    /* varies the physical addresses per map */
	uint64_t ops;
	unsigned int errors;
	char msg[MAX_MSGS][256];
};

/*
 * Not a tenv (env.h): the table's memory is the arena, behind a mutex
 * (locked_ops below) or directly, keeping the arena's bounds, and the
 * reader's simulated IOMMU reads that arena directly; all of it is shared
 * by the threads.
 */
struct conc {
	const char *name;
	struct iopt_config cfg;
	struct iopt_table t;
	struct iopt_arena arena;
	struct iopt_mem arena_mem;   /* the arena's own (unlocked) backend */
	struct iopt_mem mem;         /* what the table uses: either of them */
	pthread_mutex_t lock;        /* serialises the arena */
	pthread_barrier_t barrier;   /* the writers' rounds */
	atomic_bool stop;            /* the reader's end */
	unsigned int nr_writers;
	uint64_t rounds, nops;
	uint64_t gsz, slice, region, base_a, base_b, bitmap;
	unsigned int off_bits;   /* OFF_BITS, or fewer for a small output size */
	size_t baseline;             /* arena bytes held between rounds */
	struct iopt_hwsim sim;       /* the reader's simulated IOMMU */
	struct iopt_hwsim_geom geom; /* for its fresh walks */
	struct iopt_hwsim_mem sim_mem;
	struct worker w[MAX_WRITERS + 2]; /* writers, the reader, final checks */
};

/* -------------------------------------------------------- table memory */

static _Thread_local unsigned int tl_allocs;

/*
 * The library takes no locks. Under the concurrency contract in iopt.h, a
 * backend used by concurrent map and unmap calls must be safe to call from
 * several threads; the arena is (it has a lock of its own), and this wrapper
 * stands for one that is not, made safe by its caller with a mutex around
 * alloc and free. (It has no labels, so the engine trusts the tables.)
 *
 * Zeroing is done outside the lock (the arena is asked for IOPT_MEM_NOZERO
 * and the wrapper clears the block after unlocking), as a per-CPU or
 * lock-free allocator would: otherwise the mutex alone would order a new
 * table's zeroing before every later allocation by another thread, and hide
 * from ThreadSanitizer a publication of tables that lacks ordering of its own.
 */
static void *locked_alloc(void *ctx, size_t size, uint64_t *phys,
			  unsigned int flags)
{
	struct conc *c = ctx;
	void *v;

	pthread_mutex_lock(&c->lock);
	v = c->arena_mem.ops->alloc(c->arena_mem.ctx, size, phys,
				    flags | IOPT_MEM_NOZERO);
	pthread_mutex_unlock(&c->lock);
	if (v && !(flags & IOPT_MEM_NOZERO))
		memset(v, 0, size);
	/*
	 * The engine allocates between reading an empty entry and its
	 * compare-and-swap: yielding here (every other time) lets another
	 * thread install its table first, so the lost-race path runs often even
	 * where the threads share one CPU.
	 */
	if (tl_allocs++ & 1)
		sched_yield();
	return v;
}

static void locked_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct conc *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->arena_mem.ops->free(c->arena_mem.ctx, virt, phys, size);
	pthread_mutex_unlock(&c->lock);
}

/* Labels need no lock: a backend must take set_label for different
 * blocks concurrently, and label_of beside anything. */
static void fwd_set_label(void *ctx, uint64_t phys, size_t size, uint32_t l)
{
	struct conc *c = ctx;

	c->arena_mem.ops->set_label(c->arena_mem.ctx, phys, size, l);
}

static uint32_t fwd_label_of(void *ctx, uint64_t phys, size_t size)
{
	struct conc *c = ctx;

	return c->arena_mem.ops->label_of(c->arena_mem.ctx, phys, size);
}

static const struct iopt_mem_ops locked_ops = {
	.alloc = locked_alloc,
	.free = locked_free,
};

static const struct iopt_mem_ops locked_ops_labels = {
	.alloc = locked_alloc,
	.free = locked_free,
	.set_label = fwd_set_label,
	.label_of = fwd_label_of,
};

static size_t arena_used(struct conc *c)
{
	size_t used;

	pthread_mutex_lock(&c->lock);
	used = c->arena.used;
	pthread_mutex_unlock(&c->lock);
	return used;
}

/*
 * How the reader's simulated IOMMU reads table memory: a whole aligned word
 * at a time, as an IOMMU's walker does, so that a concurrent store to a
 * neighbouring entry is no data race. Bounded to the arena's region.
 */
static int sim_read(void *ctx, uint64_t phys, void *buf, size_t len)
{
	const struct conc *c = ctx;
	const size_t ent = c->cfg.format == IOPT_FMT_ARM_V7S ? 4 : 8;
	uint64_t off = phys - c->arena.phys_base, v;
	uint32_t v32;

	if (phys < c->arena.phys_base || len != ent || (off & (ent - 1)) ||
	    off >= c->arena.size || c->arena.size - off < ent)
		return -EFAULT;
	if (ent == 4) {
		v32 = __atomic_load_n((const uint32_t *)(const void *)
				      (c->arena.base + off), __ATOMIC_RELAXED);
		memcpy(buf, &v32, 4);
		return 0;
	}
	v = __atomic_load_n((const uint64_t *)(const void *)(c->arena.base + off),
			    __ATOMIC_RELAXED);
	memcpy(buf, &v, 8); /* memory order, as the callback returns it */
	return 0;
}

/* ------------------------------------------------------------- flushes */

/* Flush callbacks run on the thread that syncs its gather: count per thread. */
static _Thread_local uint64_t tl_flushes;

static void conc_flush_all(void *cookie)
{
	(void)cookie;
	tl_flushes++;
}

static void conc_flush_range(void *cookie, uint64_t iova, uint64_t size,
			     unsigned int granule_lg2, bool leaf_only)
{
	(void)cookie;
	(void)iova;
	(void)size;
	(void)granule_lg2;
	(void)leaf_only;
	tl_flushes++;
}

static const struct iopt_flush_ops conc_flush = {
	.flush_all = conc_flush_all,
	.flush_range = conc_flush_range,
};

/* ------------------------------------------------------------- helpers */

/* Failures are recorded per thread and reported by the main thread. */
__attribute__((format(printf, 2, 3)))
static void w_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->errors < MAX_MSGS) {
		va_start(ap, fmt);
		vsnprintf(w->msg[w->errors], sizeof(w->msg[0]), fmt, ap);
		va_end(ap);
	}
	w->errors++;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/*
 * The physical address for @iova in a map by @owner: the offset in its
 * region, the region, the owner and a generation, so that a translation
 * read from the wrong entry or a stale table shows.
 */
static uint64_t phys_of(const struct conc *c, unsigned int owner,
			unsigned int gen, uint64_t iova)
{
	bool in_b = iova >= c->base_b;
	uint64_t off = iova - (in_b ? c->base_b : c->base_a);
	uint64_t tag = (uint64_t)(owner + 1) * 4 + (gen & 3);

	return (off & ((1ULL << c->off_bits) - 1)) |
	       ((uint64_t)in_b << c->off_bits) | (tag << (c->off_bits + 1));
}

static const unsigned int prots[] = {
	IOPT_READ, IOPT_READ | IOPT_WRITE, IOPT_READ | IOPT_WRITE | IOPT_CACHE,
	IOPT_READ | IOPT_NOEXEC, IOPT_READ | IOPT_WRITE | IOPT_MMIO, IOPT_WRITE,
};

static unsigned int pick_prot(struct worker *w)
{
	return prots[h_rand(&w->rng) % (sizeof(prots) / sizeof(prots[0]))];
}

/* A random page size of the table, at most @max. */
static uint64_t pick_pgsize(struct worker *w, uint64_t max)
{
	uint64_t sizes = w->c->bitmap & (max | (max - 1));
	unsigned int n = (unsigned int)__builtin_popcountll(sizes);
	unsigned int k = (unsigned int)(h_rand(&w->rng) % n);

	while (k--)
		sizes &= sizes - 1;
	return sizes & -sizes;
}

/* A random run of whole pages inside @u: often all of it. */
static void pick_range(struct worker *w, const struct unit *u, uint64_t *iova,
		       uint64_t *size)
{
	uint64_t gsz = w->c->gsz, np = u->size / gsz, first, n;

	if (h_rand(&w->rng) % 4 == 0) {
		*iova = u->iova;
		*size = u->size;
		return;
	}
	first = h_rand(&w->rng) % np;
	n = 1 + h_rand(&w->rng) % (np - first);
	if (h_rand(&w->rng) % 2)
		n = 1 + (n - 1) % 4; /* small runs, often at neighbours' edges */
	*iova = u->iova + first * gsz;
	*size = n * gsz;
}

/* A random page size for @u and a run of pages of it inside @u. */
static void pick_pages(struct worker *w, const struct unit *u, uint64_t *iova,
		       uint64_t *pgsize, uint64_t *count)
{
	uint64_t ps = pick_pgsize(w, u->size), slots = u->size / ps;
	uint64_t first = h_rand(&w->rng) % slots;

	*pgsize = ps;
	*iova = u->iova + first * ps;
	*count = 1 + h_rand(&w->rng) % (slots - first);
}

/* The table's extents of [iova, iova + size) against @m's. */
static void check_extents(struct worker *w, const struct model *m,
			  uint64_t iova, uint64_t size, const char *what)
{
	struct model_ext_list a = { 0 }, b = { 0 };
	int rc = iopt_for_each_extent(&w->c->t, iova, size, model_ext_add, &a);

	model_for_each_extent(m, iova, iova + (size - 1), model_ext_add, &b);
	if (a.oom || b.oom) {
		w_fail(w, "%s: out of memory comparing extents", what);
	} else if (rc) {
		w_fail(w, "%s: for_each_extent(0x%llx, 0x%llx) = %d", what,
		       ull(iova), ull(size), rc);
	} else if (a.n != b.n) {
		w_fail(w, "%s: [0x%llx, +0x%llx) has %zu extents, model %zu%s%llx",
		       what, ull(iova), ull(size), a.n, b.n,
		       a.n ? "; first at 0x" : "; model's first at 0x",
		       ull(a.n ? a.v[0].iova : b.n ? b.v[0].iova : 0));
	} else {
		for (size_t i = 0; i < a.n; i++) {
			const struct model_ext *x = &a.v[i], *y = &b.v[i];

			if (model_ext_equal(x, y))
				continue;
			w_fail(w, "%s: extent %zu: 0x%llx -> 0x%llx +0x%llx prot 0x%x, model 0x%llx -> 0x%llx +0x%llx prot 0x%x",
			       what, i, ull(x->iova), ull(x->phys), ull(x->len),
			       x->prot, ull(y->iova), ull(y->phys), ull(y->len),
			       y->prot);
			break;
		}
	}
	model_ext_free(&a);
	model_ext_free(&b);
}

/* Every single-address lookup of @iova against @m. */
static void check_addr(struct worker *w, const struct model *m, uint64_t iova,
		       const char *what)
{
	struct iopt_table *t = &w->c->t;
	const struct model_leaf *l = model_lookup(m, iova);
	uint64_t pa = iopt_iova_to_phys(t, iova), pgsz = iopt_iova_to_pgsize(t, iova);
	uint64_t phys = 0, len = 0, want, want_len;
	unsigned int prot = 0;
	int rc = iopt_iova_to_phys_length(t, iova, &phys, &len, &prot);

	if (!l) {
		if (pa != IOPT_PHYS_NONE || rc != -ENOENT || pgsz)
			w_fail(w, "%s: 0x%llx is not mapped, but iova_to_phys gives 0x%llx, iova_to_phys_length %d (0x%llx +0x%llx), pgsize 0x%llx",
			       what, ull(iova), ull(pa), rc, ull(phys),
			       ull(len), ull(pgsz));
		return;
	}
	want = l->paddr + (iova - l->iova);
	want_len = model_leaf_size(l);
	if (pa != want || rc || phys != want || len != want_len ||
	    prot != l->prot || pgsz != want_len)
		w_fail(w, "%s: 0x%llx: iova_to_phys 0x%llx, iova_to_phys_length %d 0x%llx +0x%llx prot 0x%x, pgsize 0x%llx; model 0x%llx +0x%llx prot 0x%x",
		       what, ull(iova), ull(pa), rc, ull(phys), ull(len), prot,
		       ull(pgsz), ull(want), ull(want_len), l->prot);
}

/* The reader's device view of @iova: cached, or a fresh walk. */
static void check_sim(struct worker *w, const struct model *m, uint64_t iova,
		      bool cached)
{
	struct conc *c = w->c;
	const struct model_leaf *l = model_lookup(m, iova);
	struct iopt_hwsim_result r;
	unsigned int access;
	int rc, want;

	if (!l) {
		w_fail(w, "reader: 0x%llx is not in its model", ull(iova));
		return;
	}
	/* A read (privileged where the mapping is) works iff READ is there. */
	access = IOPT_HWSIM_READ | ((l->prot & IOPT_PRIV) ? IOPT_HWSIM_PRIV : 0);
	want = (l->prot & IOPT_READ) ? 0 : -EFAULT;
	if (cached)
		rc = iopt_hwsim_translate(&c->sim, iova, access, &r);
	else
		rc = iopt_hwsim_walk(&c->geom, &c->sim_mem, iopt_root_phys(&c->t),
				     iova, access, &r);
	if (rc != want || (rc && r.fault != IOPT_HWSIM_FAULT_PERMISSION) ||
	    r.phys != l->paddr + (iova - l->iova) || r.size_lg2 >= 64 ||
	    (1ULL << r.size_lg2) != model_leaf_size(l))
		w_fail(w, "reader: simulated IOMMU (%s) 0x%llx: %d %s 0x%llx size 2^%u; model 0x%llx +0x%llx prot 0x%x",
		       cached ? "cached" : "walk", ull(iova), rc,
		       iopt_hwsim_fault_name(r.fault), ull(r.phys), r.size_lg2,
		       ull(l->paddr + (iova - l->iova)),
		       ull(model_leaf_size(l)), l->prot);
}

/* ---------------------------------------------------------- operations */

/* Map [iova, iova + size): with pages of @pgsize, or map_range when 0. */
static void do_map(struct worker *w, uint64_t iova, uint64_t size,
		   uint64_t pgsize, unsigned int flags)
{
	struct conc *c = w->c;
	unsigned int prot = pick_prot(w);
	unsigned int eff = iopt_prot_effective(&c->t, prot);
	uint64_t pa = phys_of(c, w->id, ++w->gen, iova), mapped = ~0ULL;
	int mrc, rc;

	if (pgsize) {
		mrc = model_map_pages(&w->m, iova, pa, pgsize, size / pgsize, eff);
		rc = iopt_map_pages(&c->t, iova, pa, pgsize, size / pgsize,
				    prot, flags, &mapped);
	} else {
		mrc = model_map_range(&w->m, iova, pa, size, eff);
		rc = iopt_map_range(&c->t, iova, pa, size, prot, flags, &mapped);
	}
	if (rc != mrc || mapped != (rc ? 0 : size))
		w_fail(w, "writer %u: map_%s(0x%llx, 0x%llx, 0x%llx, pgsize 0x%llx, flags %u) = %d, mapped 0x%llx; model %d",
		       w->id, pgsize ? "pages" : "range", ull(iova), ull(pa),
		       ull(size), ull(pgsize), flags, rc, ull(mapped), mrc);
	w->ops++;
}

/* Unmap [iova, iova + size): as pages of @pgsize, or unmap_range when 0. */
static void do_unmap(struct worker *w, uint64_t iova, uint64_t size,
		     uint64_t pgsize, unsigned int flags)
{
	struct conc *c = w->c;
	uint64_t munmapped, unmapped = ~0ULL, before = tl_flushes;
	bool both;
	int mrc, rc;

	mrc = model_unmap(&w->m, iova, iova + (size - 1),
			  (flags & IOPT_UNMAP_NO_HOLES) ? MODEL_NO_HOLES : 0,
			  &munmapped, &both, NULL, NULL);
	if (pgsize)
		rc = iopt_unmap_pages(&c->t, iova, pgsize, size / pgsize, flags,
				      &w->g, &unmapped);
	else
		rc = iopt_unmap_range(&c->t, iova, size, flags, &w->g, &unmapped);
	if ((rc != mrc && !(both && (rc == -EXDEV || rc == -ENOENT))) ||
	    unmapped != munmapped)
		w_fail(w, "writer %u: unmap_%s(0x%llx, 0x%llx, pgsize 0x%llx, flags %u) = %d, unmapped 0x%llx; model %d, 0x%llx",
		       w->id, pgsize ? "pages" : "range", ull(iova), ull(size),
		       ull(pgsize), flags, rc, ull(unmapped), mrc,
		       ull(munmapped));
	iopt_gather_sync(&w->g);
	if (unmapped && unmapped != ~0ULL && tl_flushes == before)
		w_fail(w, "writer %u: unmap of 0x%llx bytes at 0x%llx, no flush on this thread",
		       w->id, ull(unmapped), ull(iova));
	w->ops++;
}

/* iopt_reclaim() of a range this writer owns: it frees the tables that
 * lie wholly inside and hold nothing (often a whole slice's leaf table,
 * whose parent the other writers keep changing), never a mapping. */
static void do_reclaim(struct worker *w, uint64_t iova, uint64_t size)
{
	struct conc *c = w->c;
	uint64_t freed = ~0ULL, before = tl_flushes;
	int rc = iopt_reclaim(&c->t, iova, size, &w->g, &freed);

	if (rc)
		w_fail(w, "writer %u: reclaim(0x%llx, 0x%llx) = %d", w->id,
		       ull(iova), ull(size), rc);
	iopt_gather_sync(&w->g);
	if (freed && freed != ~0ULL && tl_flushes == before)
		w_fail(w, "writer %u: reclaim of 0x%llx table bytes at 0x%llx, no flush on this thread",
		       w->id, ull(freed), ull(iova));
	check_extents(w, &w->m, iova, size, "after reclaim");
	w->ops++;
}

static void random_op(struct worker *w)
{
	struct conc *c = w->c;
	struct unit *u = &w->unit[h_rand(&w->rng) % w->nr_units];
	uint64_t iova, size, pgsize, count;

	switch (h_rand(&w->rng) % 11) {
	case 0:
	case 1: /* pages of the granule */
		pick_range(w, u, &iova, &size);
		do_map(w, iova, size, c->gsz, 0);
		break;
	case 2: /* pages of any size that fits, contiguous-hint runs too */
		pick_pages(w, u, &iova, &pgsize, &count);
		do_map(w, iova, pgsize * count, pgsize, 0);
		break;
	case 3:
	case 4: /* the largest pages that fit, sometimes all-or-nothing */
		pick_range(w, u, &iova, &size);
		do_map(w, iova, size, 0, (h_rand(&w->rng) % 3) ? 0 :
		       IOPT_MAP_ALL_OR_NOTHING);
		break;
	case 5:
	case 6:
		pick_range(w, u, &iova, &size);
		do_unmap(w, iova, size, 0, (h_rand(&w->rng) % 4) ? 0 :
			 IOPT_UNMAP_NO_HOLES);
		break;
	case 7:
		pick_pages(w, u, &iova, &pgsize, &count);
		do_unmap(w, iova, pgsize * count, pgsize, 0);
		break;
	case 8: /* free the unit's tables and build them again */
		do_unmap(w, u->iova, u->size, 0, 0);
		do_map(w, u->iova, u->size, (h_rand(&w->rng) % 2) ? c->gsz : 0, 0);
		break;
	case 9: /* empty part or all of the unit, sweep it, refill it */
		pick_range(w, u, &iova, &size);
		if (h_rand(&w->rng) % 2) {
			/* all of it, in two halves: the tables stay behind
			 * for the sweep (one unmap would free them itself) */
			iova = u->iova;
			size = u->size;
			do_unmap(w, iova, size / 2, 0, 0);
			do_unmap(w, iova + size / 2, size / 2, 0, 0);
		} else {
			do_unmap(w, iova, size, 0, 0);
		}
		do_reclaim(w, u->iova, u->size);
		if (h_rand(&w->rng) % 2)
			do_map(w, iova, size, c->gsz, 0);
		break;
	default: /* lookups of this thread's own range */
		for (unsigned int i = 0; i < 4; i++)
			check_addr(w, &w->m, u->iova + h_rand(&w->rng) % u->size,
				   "writer lookup");
		check_extents(w, &w->m, u->iova, u->size, "writer extents");
		w->ops++;
		break;
	}
}

/* ------------------------------------------------------------- threads */

/* Writer 0, alone between rounds: free region A's tables, count memory. */
static void cleanup_round(struct worker *w, uint64_t round)
{
	struct conc *c = w->c;
	uint64_t unmapped = ~0ULL;
	size_t used;
	int rc;

	rc = iopt_unmap_range(&c->t, c->base_a, c->region, 0, &w->g, &unmapped);
	if (rc || unmapped)
		w_fail(w, "round %llu: unmap of region A after its owners emptied it = %d, 0x%llx bytes",
		       ull(round), rc, ull(unmapped));
	iopt_gather_sync(&w->g);
	used = arena_used(c);
	if (used != c->baseline)
		w_fail(w, "round %llu: %zu bytes of table memory held, %zu before the first round (a table lost or leaked)",
		       ull(round), used, c->baseline);
}

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct conc *c = w->c;

	for (uint64_t r = 0; r < c->rounds; r++) {
		bool last = r + 1 == c->rounds;

		pthread_barrier_wait(&c->barrier);
		/* All writers at once: the shared tables are installed now. */
		for (unsigned int i = 0; i < w->nr_units; i++) {
			const struct unit *u = &w->unit[i];

			if (!u->burst)
				continue;
			switch ((r + w->id + i) % 3) {
			case 0: /* the engine's single-item path */
				do_map(w, u->iova, c->gsz, c->gsz, 0);
				break;
			case 1:
				do_map(w, u->iova, u->size, c->gsz, 0);
				break;
			default:
				do_map(w, u->iova, u->size, 0, 0);
				break;
			}
		}
		for (uint64_t n = 0; n < c->nops; n++)
			random_op(w);
		if (!last)
			for (unsigned int i = 0; i < w->nr_units; i++)
				if (!w->unit[i].keep)
					do_unmap(w, w->unit[i].iova,
						 w->unit[i].size, 0, 0);
		pthread_barrier_wait(&c->barrier);
		if (w->id == 0 && !last)
			cleanup_round(w, r);
	}
	return NULL;
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;
	struct conc *c = w->c;

	while (!atomic_load(&c->stop) || w->ops < MIN_READS) {
		const struct unit *u = &w->unit[h_rand(&w->rng) % w->nr_units];
		uint64_t iova = u->iova + h_rand(&w->rng) % u->size;
		int stale;

		check_addr(w, &w->m, iova, "reader");
		check_sim(w, &w->m, iova, true);
		check_sim(w, &w->m, u->iova + h_rand(&w->rng) % u->size,
			  w->ops % 2);
		if (w->ops % SIM_INV_EVERY == SIM_INV_EVERY - 1)
			iopt_hwsim_inv_all(&c->sim);
		if (w->ops % SIM_CHECK_EVERY == SIM_CHECK_EVERY / 2) {
			/* Nothing the reader cached has changed. */
			stale = iopt_hwsim_check_coherent(&c->sim, NULL, NULL);
			if (stale)
				w_fail(w, "reader: check_coherent = %d", stale);
		}
		if (w->ops % 4 == 0)
			check_extents(w, &w->m, u->iova, u->size, "reader");
		if (w->ops % 64 == 0) {
			/* "Context: any" (values approximate). */
			struct iopt_stats s;

			iopt_get_stats(&c->t, &s);
			if (s.tables_freed > s.tables_allocated)
				w_fail(w, "stats: %llu tables freed, %llu allocated",
				       ull(s.tables_freed),
				       ull(s.tables_allocated));
		}
		if (++w->ops % 16 == 0)
			sched_yield(); /* leave the writers the CPU, if they share one */
	}
	return NULL;
}

/* --------------------------------------------------------------- setup */

static void add_unit(struct worker *w, uint64_t iova, uint64_t size, bool keep,
		     bool burst)
{
	if (w->nr_units < MAX_UNITS)
		w->unit[w->nr_units++] = (struct unit){ iova, size, keep, burst };
}

/* Hand out the ranges described at the top of this file. */
static void layout(struct conc *c)
{
	unsigned int n = c->nr_writers;
	uint64_t chunk = CHUNK_PAGES * c->gsz;
	struct worker *r = &c->w[n];

	for (unsigned int s = 0; s < 2; s++)
		for (unsigned int j = 0; j < n * CHUNKS_EACH; j++)
			add_unit(&c->w[j % n], c->base_a + s * c->slice + j * chunk,
				 chunk, false, j < n);
	for (unsigned int j = 0; j < 2 * n; j++)
		add_unit(&c->w[j % n], c->base_a + (2 + j) * c->slice, c->slice,
			 false, true);
	for (unsigned int j = 0; j < (n + 1) * CHUNKS_EACH; j++)
		add_unit(&c->w[j % (n + 1)], c->base_b + j * chunk, chunk,
			 true, false);
	add_unit(r, c->base_b + c->slice, c->slice, true, false);
	add_unit(r, c->base_b + 2 * c->slice, READER_PAGES * c->gsz, true,
		 false);
	for (unsigned int k = 0; k < n; k++)
		add_unit(&c->w[k], c->base_b + (3 + k) * c->slice, c->slice,
			 false, true);
}

/* The reader's mappings, made before any thread starts. */
static void map_reader(struct conc *c)
{
	struct worker *r = &c->w[c->nr_writers];

	for (unsigned int i = 0; i < r->nr_units; i++) {
		const struct unit *u = &r->unit[i];

		/* map_range picks contiguous runs and blocks; the last unit
		 * (slice 2's first pages) is single pages. */
		do_map(r, u->iova, u->size, i + 1 == r->nr_units ? c->gsz : 0, 0);
	}
	/* Slices 1 and 2 touch: iterate across them too. */
	add_unit(r, c->base_b + c->slice, c->slice + READER_PAGES * c->gsz,
		 true, false);
}

static void report(struct worker *w, const char *name, const char *who)
{
	for (unsigned int i = 0; i < w->errors && i < MAX_MSGS; i++)
		H_FAIL("%s: %s", name, w->msg[i]);
	if (w->errors > MAX_MSGS)
		H_FAIL("%s: %s: %u more failures", name, who,
		       w->errors - MAX_MSGS);
}

/* The table against the union of all models, then a full teardown. */
static void final_checks(struct conc *c, size_t root_bytes)
{
	unsigned int n = c->nr_writers;
	struct worker *f = &c->w[n + 1];
	struct model all;
	struct iopt_stats s;
	uint64_t total = 0, unmapped = ~0ULL, lower;
	int rc;

	model_init(&all, c->bitmap);
	for (unsigned int k = 0; k <= n; k++) {
		const struct model *m = &c->w[k].m;

		for (size_t i = 0; i < m->nr; i++) {
			const struct model_leaf *l = &m->leaf[i];

			if (model_map_pages(&all, l->iova, l->paddr,
					    model_leaf_size(l), 1, l->prot))
				w_fail(f, "models overlap at 0x%llx (thread %u)",
				       ull(l->iova), k);
			total += model_leaf_size(l);
		}
	}
	check_extents(f, &all, c->base_a, c->region, "final, region A");
	check_extents(f, &all, c->base_b, c->region, "final, region B");
	for (size_t i = 0; i < all.nr; i++) {
		check_addr(f, &all, all.leaf[i].iova, "final");
		check_addr(f, &all, all.leaf[i].last & ~7ULL, "final");
	}

	/* One unmap of the whole (lower) input space frees every table. */
	lower = h_sign_extended(&c->cfg) ? 1ULL << (c->cfg.ias - 1) :
		1ULL << c->cfg.ias;
	rc = iopt_unmap_range(&c->t, 0, lower, 0, &f->g, &unmapped);
	iopt_gather_sync(&f->g);
	if (rc || unmapped != total)
		w_fail(f, "unmap of everything = %d, 0x%llx bytes; the threads left 0x%llx",
		       rc, ull(unmapped), ull(total));
	iopt_get_stats(&c->t, &s);
	if (arena_used(c) != root_bytes || s.table_bytes != root_bytes ||
	    s.tables_allocated - s.tables_freed != 1)
		w_fail(f, "after unmapping everything: %zu bytes in the arena, stats %llu bytes in %llu tables; the root is %zu bytes",
		       arena_used(c), ull(s.table_bytes),
		       ull(s.tables_allocated - s.tables_freed), root_bytes);
	model_free(&all);
}

/* The reader's simulated IOMMU: a small IOTLB and walk cache. */
static int sim_setup(struct conc *c)
{
	static const struct iopt_hwsim_params p = {
		.tlb_entries = 16, .tlb_ways = 4,
		.walk_entries = 4, .walk_ways = 2,
	};
	int rc;

	c->sim_mem = (struct iopt_hwsim_mem){ .read = sim_read, .ctx = c };
	rc = iopt_hwsim_geometry(&c->cfg, &c->geom);
	if (!rc)
		rc = iopt_hwsim_init(&c->sim, &c->cfg, &c->sim_mem, &p);
	if (!rc)
		rc = iopt_hwsim_set_root(&c->sim, iopt_root_phys(&c->t));
	if (!rc && c->geom.levels != iopt_levels(&c->t))
		rc = -EINVAL;
	return rc;
}

static void conc_run(const char *name, uint32_t cfg_flags, bool locked)
{
	struct conc *c = calloc(1, sizeof(*c));
	struct iopt_hwsim_counters sc;
	unsigned int n;
	uint64_t seed = h_seed();
	size_t root_bytes;
	unsigned int lg2;
	int rc;

	ASSERT(c);
	c->name = name;
	n = (unsigned int)h_env_u64("IOPT_TEST_CONC_WRITERS", 3);
	c->nr_writers = n = n < 2 ? 2 : n > MAX_WRITERS ? MAX_WRITERS : n;
	c->rounds = h_env_u64("IOPT_TEST_CONC_ROUNDS", 64);
	c->nops = h_env_u64("IOPT_TEST_CONC_OPS", 32);
	if (!c->rounds)
		c->rounds = 1;

	if (iopt_config_from_name(name, &c->cfg) ||
	    iopt_arena_create(&c->arena, ARENA_BYTES, ARENA_PHYS)) {
		H_FAIL("%s: no configuration or arena", name);
		free(c);
		return;
	}
	c->cfg.flags |= cfg_flags;
	pthread_mutex_init(&c->lock, NULL);
	pthread_barrier_init(&c->barrier, NULL, n);
	atomic_init(&c->stop, false);
	iopt_arena_mem(&c->arena, &c->arena_mem);
	c->mem = c->arena_mem;
	if (locked) {
		c->mem.ops = c->arena_mem.ops->set_label ? &locked_ops_labels
							 : &locked_ops;
		c->mem.ctx = c;
	}
	rc = iopt_init(&c->t, &c->cfg, &c->mem, &conc_flush, c);
	if (rc) {
		H_FAIL("%s: iopt_init = %d", name, rc);
		goto out_arena;
	}
	root_bytes = arena_used(c);

	c->bitmap = iopt_pgsize_bitmap(&c->t);
	c->gsz = c->bitmap & -c->bitmap;
	/* Index bits of a table below the top: a granule of 8-byte entries,
	 * or v7s's 256 32-bit entries. */
	lg2 = c->cfg.format == IOPT_FMT_ARM_V7S ? 8 :
	      (unsigned int)__builtin_ctzll(c->gsz) - 3;
	c->slice = c->gsz << lg2;
	c->region = c->slice << lg2;
	c->base_a = c->region;
	c->base_b = 2 * c->region;
	/* Offset, region bit and a 5-bit tag must fit the output size. */
	c->off_bits = OFF_BITS + 6 <= c->cfg.oas ? OFF_BITS :
		      (unsigned int)__builtin_ctzll(c->region);
	if ((2 + 2 * MAX_WRITERS) * c->slice > 1ULL << c->off_bits ||
	    c->off_bits + 6 > c->cfg.oas ||
	    3 * c->region - 1 > (1ULL << (c->cfg.ias - 1)) - 1) {
		H_FAIL("%s: the layout does not fit", name);
		goto out_table;
	}

	for (unsigned int k = 0; k < n + 2; k++) {
		struct worker *w = &c->w[k];

		w->c = c;
		w->id = k;
		w->rng = seed ^ (0x9e3779b97f4a7c15ULL * (k + 1));
		model_init(&w->m, c->bitmap);
		iopt_gather_init(&w->g);
	}
	layout(c);
	map_reader(c);
	c->baseline = arena_used(c);
	rc = sim_setup(c);
	if (rc) {
		H_FAIL("%s: simulated IOMMU: %d", name, rc);
		goto out_models;
	}

	if (pthread_create(&c->w[n].thread, NULL, reader_main, &c->w[n])) {
		H_FAIL("%s: pthread_create", name);
		goto out_models;
	}
	for (unsigned int k = 0; k < n; k++)
		if (pthread_create(&c->w[k].thread, NULL, writer_main, &c->w[k])) {
			/* the barrier would never open: give up loudly */
			fprintf(stderr, "%s: pthread_create failed\n", name);
			abort();
		}
	for (unsigned int k = 0; k < n; k++)
		pthread_join(c->w[k].thread, NULL);
	atomic_store(&c->stop, true);
	pthread_join(c->w[n].thread, NULL);

	iopt_hwsim_get_counters(&c->sim, &sc);
	printf("# %s: seed 0x%llx, %u writers x %llu rounds x %llu ops (%llu done), reader %llu iterations, %llu device translations (%llu IOTLB hits)\n",
	       name, ull(seed), n, ull(c->rounds), ull(c->nops),
	       ull(c->w[0].ops + c->w[1].ops + (n > 2 ? c->w[2].ops : 0) +
		   (n > 3 ? c->w[3].ops : 0)), ull(c->w[n].ops),
	       ull(sc.translations), ull(sc.tlb_hits));
	if (!sc.tlb_hits || sc.stale || sc.use_after_free)
		H_FAIL("%s: simulated IOMMU: %llu IOTLB hits, %llu stale, %llu use after free",
		       name, ull(sc.tlb_hits), ull(sc.stale),
		       ull(sc.use_after_free));
	final_checks(c, root_bytes);
	for (unsigned int k = 0; k < n; k++)
		report(&c->w[k], name, "writer");
	report(&c->w[n], name, "reader");
	report(&c->w[n + 1], name, "final");

out_models:
	iopt_hwsim_fini(&c->sim);
	for (unsigned int k = 0; k < n + 2; k++)
		model_free(&c->w[k].m);
out_table:
	iopt_fini(&c->t);
	CHECK_EQ(c->arena.used, 0);
out_arena:
	iopt_arena_destroy(&c->arena);
	pthread_barrier_destroy(&c->barrier);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

#define CONC_TEST(fn, cfgname, flags) \
	TEST(fn) { conc_run(cfgname, flags, true); } \
	TEST(fn##_unlocked) { conc_run(cfgname, flags, false); }

CONC_TEST(concurrency_arm_s1_4k, "arm-lpae-s1-4k", IOPT_CFG_STATS)
CONC_TEST(concurrency_arm_s1_16k, "arm-lpae-s1-16k", 0)
CONC_TEST(concurrency_arm_s1_64k, "arm-lpae-s1-64k", IOPT_CFG_STATS)
CONC_TEST(concurrency_arm_s2_4k_concat, "arm-lpae-s2-4k:ias=40,oas=40", 0)
CONC_TEST(concurrency_x86_4lvl, "x86-64-4lvl", IOPT_CFG_STATS)
CONC_TEST(concurrency_x86_5lvl, "x86-64-5lvl", 0)
CONC_TEST(concurrency_arm_v7s, "arm-v7s:no_perms,mtk_ext,oas=35", IOPT_CFG_STATS)

/* ------------------------------------------- the arena on its own, threaded */

#define AT_THREADS 4
#define AT_KEEP 48           /* blocks a thread holds at most */

struct at_block {
	unsigned char *v;
	uint64_t phys;
	size_t size;
	uint32_t label;
};

struct at_thread {
	struct iopt_arena *a;
	const struct iopt_mem *mem;
	pthread_barrier_t *start;
	pthread_t thread;
	unsigned int id;
	uint64_t rng, ops, bad_frees, allocs;
	struct at_block b[AT_KEEP];
	unsigned int n;
	struct worker log;   /* only its failures (w_fail, report) */
};

/* Our block must still hold our bytes and our label. */
static void at_check(struct at_thread *t, const struct at_block *b)
{
	const struct iopt_mem_ops *o = t->mem->ops;
	unsigned char fill = (unsigned char)(0x10 + t->id);

	if (b->v[0] != fill || b->v[b->size / 2] != fill ||
	    b->v[b->size - 1] != fill)
		w_fail(&t->log, "thread %u: block 0x%llx (%zu bytes) was written by another",
			t->id, ull(b->phys), b->size);
	if (o->label_of(t->mem->ctx, b->phys, b->size) != b->label ||
	    __atomic_load_n(&t->mem->labels[(b->phys - t->mem->bound_lo) >> 6],
			    __ATOMIC_RELAXED) != b->label)
		w_fail(&t->log, "thread %u: block 0x%llx lost its label 0x%x",
			t->id, ull(b->phys), b->label);
	if (iopt_arena_is_free(t->a, b->phys, b->size))
		w_fail(&t->log, "thread %u: live block 0x%llx reads as free", t->id,
			ull(b->phys));
}

static void *at_main(void *arg)
{
	struct at_thread *t = arg;
	const struct iopt_mem_ops *o = t->mem->ops;
	void *ctx = t->mem->ctx;

	pthread_barrier_wait(t->start);
	for (uint64_t i = 0; i < t->ops; i++) {
		uint64_t r = h_rand(&t->rng);
		unsigned int k = t->n ? (unsigned int)(r >> 40) % t->n : 0;
		struct at_block *b = &t->b[k];

		if ((r % 4 < 2 && t->n < AT_KEEP) || !t->n) {
			b = &t->b[t->n];
			b->size = (size_t)64 << (r >> 8) % 7;
			b->v = o->alloc(ctx, b->size, &b->phys, 0);
			if (!b->v)
				continue; /* full for now */
			if (b->phys % b->size || o->label_of(ctx, b->phys, b->size))
				w_fail(&t->log, "thread %u: new block 0x%llx misaligned or labelled",
					t->id, ull(b->phys));
			for (size_t j = 0; j < b->size; j++)
				if (b->v[j]) {
					w_fail(&t->log, "thread %u: new block 0x%llx not zeroed",
						t->id, ull(b->phys));
					break;
				}
			memset(b->v, 0x10 + t->id, b->size);
			b->label = ((uint32_t)t->id + 1) << 24 | (uint32_t)(i & 0xffffff);
			o->set_label(ctx, b->phys, b->size, b->label);
			t->n++;
			t->allocs++;
		} else if (r % 4 == 2) {
			at_check(t, b);
			o->free(ctx, b->v, b->phys, b->size);
			t->b[k] = t->b[--t->n];
		} else if (r % 16 == 3) { /* refused: the wrong size */
			o->free(ctx, b->v, b->phys, b->size * 2);
			t->bad_frees++;
			at_check(t, b);
		} else { /* lock-free reads of other blocks */
			uint64_t phys = t->mem->bound_lo +
					(r >> 16) % t->mem->bound_size;

			(void)o->label_of(ctx, phys & ~63ULL, 64);
			(void)iopt_arena_is_free(t->a, phys, 64);
			at_check(t, b);
		}
	}
	while (t->n) {
		t->n--;
		at_check(t, &t->b[t->n]);
		o->free(ctx, t->b[t->n].v, t->b[t->n].phys, t->b[t->n].size);
	}
	return NULL;
}

/* "Unlocked, three writers crash in the free list within seconds." */
TEST(arena_threads)
{
	static struct at_thread th[AT_THREADS];
	struct iopt_arena a;
	struct iopt_mem mem;
	pthread_barrier_t start;
	uint64_t seed = h_seed(), bad = 0, allocs = 0, p;
	uint64_t ops = 200 * h_env_u64("IOPT_TEST_CONC_ROUNDS", 64);
	unsigned int o;

	/* small enough to run full now and then: AT_THREADS x AT_KEEP x 4K */
	ASSERT_EQ(iopt_arena_create(&a, 512u << 10, ARENA_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	pthread_barrier_init(&start, NULL, AT_THREADS);
	for (unsigned int k = 0; k < AT_THREADS; k++) {
		th[k] = (struct at_thread){ .a = &a, .mem = &mem, .start = &start,
					    .id = k, .ops = ops };
		th[k].rng = seed ^ (0x9e3779b97f4a7c15ULL * (k + 1));
		if (pthread_create(&th[k].thread, NULL, at_main, &th[k])) {
			fprintf(stderr, "arena_threads: pthread_create failed\n");
			abort();
		}
	}
	for (unsigned int k = 0; k < AT_THREADS; k++) {
		pthread_join(th[k].thread, NULL);
		bad += th[k].bad_frees;
		allocs += th[k].allocs;
		report(&th[k].log, "arena_threads", "thread");
	}
	printf("# seed 0x%llx, %u threads x %llu operations, %llu allocations, %llu refused frees\n",
	       ull(seed), AT_THREADS, ull(ops), ull(allocs), ull(bad));
	CHECK_EQ(a.used, 0);
	CHECK_EQ(a.allocs, allocs);
	CHECK_EQ(a.frees, allocs);
	CHECK_EQ(a.bad_frees, bad);
	CHECK_EQ(a.corrupt_links, 0);
	CHECK_EQ(a.lock, 0);
	/* everything merged again: the largest aligned block fits */
	for (o = IOPT_ARENA_MAX_LG2; o > IOPT_ARENA_MIN_LG2; o--)
		if (((ARENA_PHYS + (1ULL << o) - 1) & ~((1ULL << o) - 1)) +
		    (1ULL << o) <= ARENA_PHYS + a.size)
			break;
	CHECK(mem.ops->alloc(mem.ctx, (size_t)1 << o, &p, 0) != NULL);
	pthread_barrier_destroy(&start);
	iopt_arena_destroy(&a);
}
