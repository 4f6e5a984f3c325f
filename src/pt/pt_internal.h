/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Definitions shared by the engine, the formats, the gather and the API
 * layer. Not installed.
 */
#ifndef IOPT_PT_INTERNAL_H
#define IOPT_PT_INTERNAL_H

#include "iopt_env.h"
#include <iopt/iopt.h>

/* What an entry is, as far as the engine cares. */
enum pt_kind { PT_EMPTY = 0, PT_TABLE = 1, PT_LEAF = 2 };

/* The most levels any format has (x86-64 5-level). */
#define PT_MAX_LEVELS 6

/* A map request, after the API layer validated it. */
struct pt_map_req {
	uint64_t iova;
	uint64_t last;       /* inclusive */
	uint64_t paddr;
	uint64_t sizes;      /* leaf sizes the walk may use (bitmap) */
	unsigned int prot;
	unsigned int flags;
	uint64_t mapped;     /* out */
};

struct pt_unmap_req {
	uint64_t iova;
	uint64_t last;       /* inclusive */
	unsigned int flags;
	struct iopt_gather *gather;
	uint64_t unmapped;   /* out */
};

struct pt_leaf {
	bool want_prot;      /* in: decode the protection too */
	uint64_t phys;       /* of the looked-up address */
	unsigned int size_lg2;
	unsigned int prot;
};

/*
 * One instantiation of the engine for one format and granule: the only
 * indirect calls, one per API call.
 */
struct iopt_fmt_ops {
	int (*map)(struct iopt_table *t, struct pt_map_req *req);
	int (*unmap)(struct iopt_table *t, struct pt_unmap_req *req);
	int (*reclaim)(struct iopt_table *t, uint64_t iova, uint64_t last,
		       struct iopt_gather *g, uint64_t *freed);
	int (*lookup)(struct iopt_table *t, uint64_t iova, struct pt_leaf *out);
	int (*iterate)(struct iopt_table *t, uint64_t iova, uint64_t last,
		       iopt_extent_fn fn, void *arg);
	int (*walk_path)(struct iopt_table *t, uint64_t iova,
			 struct iopt_path *path);
	void (*free_tree)(struct iopt_table *t, uint64_t phys,
			  unsigned int level);
	void (*destroy)(struct iopt_table *t);
	unsigned int (*prot_effective)(const struct iopt_table *t,
				       unsigned int prot);
};

/* Format families: fill t->ops, geometry and page sizes from t->cfg. */
int iopt_arm_lpae_init(struct iopt_table *t);
int iopt_arm_mali_init(struct iopt_table *t);
int iopt_x86_64_init(struct iopt_table *t);
int iopt_arm_v7s_init(struct iopt_table *t);
int iopt_apple_dart_init(struct iopt_table *t);
int iopt_amd_v1_init(struct iopt_table *t);
int iopt_vtd_ss_init(struct iopt_table *t);
int iopt_riscv_init(struct iopt_table *t);

/*
 * Argument checks of the engine, for callers that split one request into
 * several engine calls (the domain layer) and must refuse a bad request
 * before the first of them. Each returns 0 or the error a map or unmap of
 * the whole request would return: -EINVAL (NULL or destroyed table, size
 * 0), -EOVERFLOW (IOVA range wraps), -ERANGE (outside the input space, or
 * physical range beyond the output size or wrapping). Alignment is the
 * caller's to check.
 */
int iopt_iova_args_(const struct iopt_table *t, uint64_t iova, uint64_t size);
int iopt_paddr_args_(const struct iopt_table *t, uint64_t paddr, uint64_t size);

/* READ or WRITE, and no unknown bit. */
static inline bool pt_prot_valid(unsigned int prot)
{
	return !(prot & ~IOPT_PROT_ALL) && (prot & (IOPT_READ | IOPT_WRITE));
}

/* Gather internals used by the engine. busy: @g holds work for a table
 * other than @t. */
bool iopt_gather_busy_(const struct iopt_gather *g,
		       const struct iopt_table *t);
int iopt_gather_bind_(struct iopt_gather *g, struct iopt_table *t);

/* Bind @g to @t, already known not to be busy with another table. */
static inline void pt_gather_own(struct iopt_gather *g, struct iopt_table *t)
{
	g->table = t;
	g->gen = t->gen;
}
void iopt_gather_add_range_(struct iopt_gather *g, uint64_t iova,
			    uint64_t last, unsigned int granule_lg2,
			    bool leaf_only);
void iopt_gather_add_table_(struct iopt_gather *g, uint64_t phys,
			    unsigned int level);

/* ---- entry access: whole little-endian words, single-copy atomic ---- */

/*
 * Acquire: the entry may point at a table another thread has just published
 * with pt_install(); pairing with its release makes the table's zeroed
 * contents visible before the descent reads them. (Hardware would order
 * them by the address dependency alone, but C11 gives that guarantee only
 * to consume or acquire loads, and compilers implement consume as acquire.)
 */
static inline uint64_t pt_load(const uint64_t *p)
{
	return iopt_le64(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static inline void pt_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, iopt_le64(v), __ATOMIC_RELAXED);
}

/* Publish a new table: release ordering makes its zeroed contents visible
 * to any CPU that finds the pointer. Returns false if *p was not @old. */
static inline bool pt_install(uint64_t *p, uint64_t old, uint64_t v)
{
	uint64_t expect = iopt_le64(old);

	return __atomic_compare_exchange_n(p, &expect, iopt_le64(v), false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* The same for formats with 32-bit entries (values travel as uint64_t). */
static inline uint64_t pt_load32(const uint32_t *p)
{
	return iopt_le32(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static inline void pt_store32(uint32_t *p, uint64_t v)
{
	__atomic_store_n(p, iopt_le32((uint32_t)v), __ATOMIC_RELAXED);
}

static inline bool pt_install32(uint32_t *p, uint64_t old, uint64_t v)
{
	uint32_t expect = iopt_le32((uint32_t)old);

	return __atomic_compare_exchange_n(p, &expect, iopt_le32((uint32_t)v),
					   false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED);
}

static inline void pt_stat_add(uint64_t *ctr, uint64_t n)
{
	if (n)
		__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/*
 * AND of @n raw words (n a multiple of 8), as wide as the compiler's
 * generic vectors allow: reading a whole table this way costs about what
 * clearing it would.
 */
static inline uint64_t pt_and_words(const uint64_t *p, size_t n)
{
	typedef uint64_t v2 __attribute__((vector_size(16)));
	v2 a = { ~0ULL, ~0ULL }, b = a, c = a, d = a, x;

	for (size_t i = 0; i < n; i += 8) {
		__builtin_memcpy(&x, p + i, 16);
		a &= x;
		__builtin_memcpy(&x, p + i + 2, 16);
		b &= x;
		__builtin_memcpy(&x, p + i + 4, 16);
		c &= x;
		__builtin_memcpy(&x, p + i + 6, 16);
		d &= x;
	}
	a &= b & c & d;
	return a[0] & a[1];
}

/*
 * AND and OR of @n raw words (n a multiple of 4), the same way: for leaf
 * tests that need some bits present in every word and others absent from
 * all (Mali's 0b01 pages, AMD v1's NextLevel 0).
 */
static inline void pt_and_or_words(const uint64_t *p, size_t n, uint64_t *and_,
				   uint64_t *or_)
{
	typedef uint64_t v2 __attribute__((vector_size(16)));
	v2 a = { ~0ULL, ~0ULL }, b = a, o = { 0, 0 }, q = o, x, y;

	for (size_t i = 0; i < n; i += 4) {
		__builtin_memcpy(&x, p + i, 16);
		__builtin_memcpy(&y, p + i + 2, 16);
		a &= x;
		o |= x;
		b &= y;
		q |= y;
	}
	a &= b;
	o |= q;
	*and_ = a[0] & a[1];
	*or_ = o[0] | o[1];
}

/* Walk and entry counters: only with IOPT_CFG_STATS. */
static inline void pt_stat_walk(struct iopt_table *t, uint64_t *ctr, uint64_t n)
{
	if (t->cfg.flags & IOPT_CFG_STATS)
		pt_stat_add(ctr, n);
}

/* ---- table memory ---- */

/*
 * Pointer to the granule-sized table at @phys, or NULL when @phys is not
 * table memory: outside the backend's bound (precomputed by iopt_init() as
 * tbl_lo/tbl_span), or refused by its phys_to_virt(). Every descent goes
 * through here, so a corrupt entry can at worst make a walk fail.
 */
static inline void *pt_table(const struct iopt_table *t, uint64_t phys)
{
	if (iopt_likely(t->mem.linear)) {
		if (phys - t->tbl_lo > t->tbl_span)
			return NULL;
		return (void *)(uintptr_t)(phys + t->mem.virt_offset);
	}
	return t->mem.ops->phys_to_virt(t->mem.ctx, phys);
}

/*
 * Labels. A table of this tree at level @lvl carries label_base + lvl
 * (label_base has the low 3 bits clear and is not 0). The root carries
 * top_level: no entry below the top leads to a table labelled so, so no
 * entry can make the engine write into or free the root.
 */
static inline uint32_t pt_label(const struct iopt_table *t, unsigned int lvl)
{
	return t->label_base + lvl;
}

/*
 * Pointer to the table at @phys that this tree allocated for level @lvl
 * (@size bytes), or NULL: the write paths (map, unmap, frees) go through
 * here, so whatever an entry says, they write only into, and free only,
 * tables of this tree. Backends without labels get pt_table()'s bound only.
 */
static inline void *pt_table_own(const struct iopt_table *t, uint64_t phys,
				 unsigned int lvl, size_t size)
{
	if (iopt_likely(t->labels)) {
		uint64_t off = phys - t->tbl_lo;

		if (off > t->tbl_span ||
		    __atomic_load_n(&t->labels[off >> IOPT_MEM_LABEL_UNIT_LG2],
				    __ATOMIC_RELAXED) != pt_label(t, lvl))
			return NULL;
		return (void *)(uintptr_t)(phys + t->mem.virt_offset);
	}
	if (t->label_base) {
		void *v = pt_table(t, phys);

		if (!v || t->mem.ops->label_of(t->mem.ctx, phys, size) !=
			  pt_label(t, lvl))
			return NULL;
		return v;
	}
	return pt_table(t, phys);
}

/*
 * Whole-subtree walks that only read (counting what an unmap detaches,
 * looking for leaves under a table a map replaces) may meet a table that
 * two entries share; each such walk visits at most as many tables as the
 * tree holds, so sharing cannot make it take more than linear time.
 */
static inline uint64_t pt_visit_budget(const struct iopt_table *t)
{
	return __atomic_load_n(&t->stats.tables_allocated, __ATOMIC_RELAXED) -
	       __atomic_load_n(&t->stats.tables_freed, __ATOMIC_RELAXED);
}

/* Cache maintenance for non-coherent walkers: once per written span. */
static inline void pt_sync(struct iopt_table *t, void *virt, uint64_t phys,
			   size_t size)
{
	if (t->mem.ops->sync) {
		t->mem.ops->sync(t->mem.ctx, virt, phys, size);
		pt_stat_add(&t->stats.cache_syncs, 1);
	}
}

/* Allocate table memory; labelled for level @lvl unless it is
 * PT_NO_LABEL (the caller labels it with iopt_table_label_() later). */
#define PT_NO_LABEL (~0u)
void *iopt_table_alloc_(struct iopt_table *t, size_t size, uint64_t *phys,
			unsigned int flags, unsigned int lvl);
void iopt_table_label_(struct iopt_table *t, uint64_t phys, size_t size,
		       unsigned int lvl);
void iopt_table_free_(struct iopt_table *t, void *virt, uint64_t phys,
		      size_t size);

static inline unsigned int pt_ctz64(uint64_t v)
{
	return (unsigned int)__builtin_ctzll(v);
}

static inline unsigned int pt_fls64(uint64_t v) /* index of highest set bit */
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

#endif /* IOPT_PT_INTERNAL_H */
