/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The engine: map, unmap, lookup, iterate and free, written once.
 *
 * A format file defines its entry primitives as macros and then includes
 * this file, once per granule it supports. Every primitive is inlined into
 * the algorithms, so there is no indirect call per entry or per level; the
 * instantiation's functions are reached through one struct iopt_fmt_ops per
 * API call. Parameters (undefined again at the end of this file):
 *
 *   PT_NAME(x)                 prefix for this instantiation's functions
 *   PT_GRANULE_LG2             log2 of the smallest page
 *   PT_ENTRY_LG2               optional: log2 of the entry size, 3 (64-bit,
 *                              the default) or 2 (32-bit)
 *   PT_BITS                    optional: index bits of every table below the
 *                              top (default PT_GRANULE_LG2 - PT_ENTRY_LG2,
 *                              a table of one granule); the top table's width
 *                              is t->top_index_bits, its size t->root_size
 *   PT_REPLICATED              optional: 1 when the entries of a contiguous run
 *                              are identical copies that all hold the run's
 *                              output address (v7s, Svnapot), 0 (default) when
 *                              each holds its own item's address (ARM's hint)
 *   PT_KIND(t, pte, lvl)       enum pt_kind of an entry at a level
 *   PT_TABLE_PA(t, pte)        physical address of the next table
 *   PT_LEAF_OA(t, pte, lvl)    output address of the entry: its item's, or
 *                              with PT_REPLICATED its run's (aligned to it)
 *   PT_LEAF_CONTIG(t, pte, lvl) log2 of the items in this leaf's run (0: none)
 *   PT_IS_LEAF0(pte)           1 if a level-0 entry is a leaf, else 0, branch-free
 *   PT_ALL_LEAF0(tab)          optional: 1 if every entry of the level-0 table
 *                              @tab (const PT_E *, little-endian words) is a
 *                              leaf, else 0 (see subtree_bytes). The default,
 *                              PT_IS_LEAF0() of the AND of all entries, is a
 *                              proof only where leafness is a set of bits that
 *                              must all be present; a format whose leaf test
 *                              also needs some bit clear (Mali: 0b01 is a
 *                              page, 0b11 is not) defines its own
 *   PT_LEAF_AT(t, lvl)         may a leaf be written at this level
 *   PT_CONTIG_SIZES(t, lvl)    the runs map may write at this level, as a mask
 *                              of log2 item counts (bit n: runs of 2^n items;
 *                              0: none). One bit for ARM's hint and v7s, many
 *                              for AMD v1's size-encoded runs
 *   PT_MAKE_TABLE(t, pa, lvl)  a table entry at level @lvl (pointing to a
 *                              table of level @lvl - 1)
 *   PT_LEAF_BITS(t, attrs, lvl, run)  a leaf entry without its address;
 *                              @run is log2 of the items of its run (0: a
 *                              single item)
 *   PT_OA_BITS(t, oa)          the address field for @oa
 *   PT_PROT_ATTRS(t, prot)     per-call attributes from IOPT_* flags
 *   PT_LEAF_PROT(t, pte, lvl)  IOPT_* flags of a leaf at a level
 *   PT_PROT_EFFECTIVE          function: what a leaf made from prot reports
 *
 * Levels count up from 0, the level of the smallest leaf. Ranges are
 * inclusive [va, last] so that the top of a 64-bit space is expressible.
 * Every recursive walker is handed a range that lies inside the table it is
 * given; it moves from entry to entry and descends, so a walk over many
 * tables visits each once and never restarts from the root.
 */

#ifndef PT_ENGINE_COMMON
#define PT_ENGINE_COMMON

/* State of one map call. */
struct pt_mctx {
	struct iopt_table *t;
	struct pt_map_req *req;
	uint64_t delta;          /* paddr - iova, modulo 2^64 */
	uint64_t attrs;
	unsigned int leaf_mask;  /* levels where whole entries become leaves */
	unsigned int plain_mask; /* levels where single-item leaves are allowed */
	unsigned int contig_mask;/* levels where contiguous runs are allowed */
	uint32_t runs[PT_MAX_LEVELS]; /* per level: PT_CONTIG_SIZES the call may use */
	bool replace;            /* empty tables sit where leaves go */
	uint64_t need;           /* tables the map will allocate */
	void *pool;              /* preallocated tables (all-or-nothing) */
	uint64_t pool_phys;
	uint64_t written;
	uint64_t allocated;
	uint64_t budget;         /* tables subtree_has_leaf() may still visit */
};

/* State of one unmap call. */
struct pt_uctx {
	struct iopt_table *t;
	struct iopt_gather *g;
	uint64_t bytes;
	uint64_t cleared;
	uint64_t budget;         /* tables subtree_bytes() may still visit */
};

/* State of one extent iteration: the run being built. */
struct pt_ictx {
	iopt_extent_fn fn;
	void *arg;
	bool have;
	uint64_t iova, last, phys;
	unsigned int prot;
	int ret;
};

static inline int pt_iter_emit(struct pt_ictx *it, uint64_t va, uint64_t last,
			       uint64_t phys, unsigned int prot)
{
	if (it->have && va == it->last + 1 && prot == it->prot &&
	    phys == it->phys + (it->last - it->iova + 1)) {
		it->last = last;
		return 0;
	}
	if (it->have) {
		it->ret = it->fn(it->arg, it->iova, it->phys,
				 it->last - it->iova + 1, it->prot);
		if (it->ret)
			return it->ret;
	}
	it->have = true;
	it->iova = va;
	it->last = last;
	it->phys = phys;
	it->prot = prot;
	return 0;
}

/*
 * The largest run of @runs (a PT_CONTIG_SIZES mask) that may start at entry
 * @k and end by entry @j: @k aligned to it, and it fits. 0 if none.
 */
static inline unsigned int pt_pick_run(uint32_t runs, unsigned int k,
				       unsigned int j)
{
	unsigned int fit = pt_fls64(j - k + 1);
	unsigned int align = k ? pt_ctz64(k) : 31;
	unsigned int max = fit < align ? fit : align;
	uint32_t ok = runs & (uint32_t)((2ULL << max) - 1);

	return ok ? pt_fls64(ok) : 0;
}

#endif /* PT_ENGINE_COMMON */

#ifndef PT_ENTRY_LG2
#define PT_ENTRY_LG2 3
#endif
#ifndef PT_BITS
#define PT_BITS (PT_GRANULE_LG2 - PT_ENTRY_LG2)
#endif
#ifndef PT_REPLICATED
#define PT_REPLICATED 0
#endif
#define PT_ENTRY_BYTES (1ULL << PT_ENTRY_LG2)
#define PT_TABLE_SIZE (1ULL << (PT_BITS + PT_ENTRY_LG2))
/* Entries in memory: whole words of the format's width, little-endian. */
#if PT_ENTRY_LG2 == 3
#define PT_E uint64_t
#define PT_LOAD(p) pt_load(p)
#define PT_STORE(p, v) pt_store((p), (v))
#define PT_INSTALL(p, old, v) pt_install((p), (old), (v))
#define PT_LE(x) iopt_le64(x)
#elif PT_ENTRY_LG2 == 2
#define PT_E uint32_t
#define PT_LOAD(p) pt_load32(p)
#define PT_STORE(p, v) pt_store32((p), (v))
#define PT_INSTALL(p, old, v) pt_install32((p), (old), (v))
#define PT_LE(x) ((uint64_t)iopt_le32((uint32_t)(x)))
#else
#error "PT_ENTRY_LG2 must be 2 or 3"
#endif

/* A table below the top (all are PT_TABLE_SIZE bytes), for reading:
 * NULL if outside the backend's bound. */
static inline PT_E *PT_NAME(table)(const struct iopt_table *t,
				       uint64_t phys)
{
	return pt_table(t, phys);
}

/* The same for the write paths: NULL unless it is this tree's table for
 * level @lvl (see pt_table_own()). */
static inline PT_E *PT_NAME(table_own)(const struct iopt_table *t,
					   uint64_t phys, unsigned int lvl)
{
	return pt_table_own(t, phys, lvl, PT_TABLE_SIZE);
}

static inline unsigned int PT_NAME(item_lg2)(unsigned int lvl)
{
	return PT_GRANULE_LG2 + lvl * PT_BITS;
}

static inline unsigned int PT_NAME(index)(const struct iopt_table *t,
					  uint64_t va, unsigned int lvl)
{
	unsigned int bits = lvl == t->top_level ? t->top_index_bits : PT_BITS;

	return (unsigned int)((va >> PT_NAME(item_lg2)(lvl)) &
			      ((1ULL << bits) - 1));
}

/* The IOVA of entry @i of the table at @lvl that holds @va. */
static inline uint64_t PT_NAME(index_va)(const struct iopt_table *t,
					 uint64_t va, unsigned int lvl,
					 unsigned int i)
{
	unsigned int sh = PT_NAME(item_lg2)(lvl);
	unsigned int bits = lvl == t->top_level ? t->top_index_bits : PT_BITS;
	uint64_t span_mask = ((1ULL << bits) << sh) - 1;

	return (va & ~span_mask) | ((uint64_t)i << sh);
}

/* ------------------------------------------------------------------ map */

/* A new table for level @lvl, labelled so: from the pool if there is one. */
static void *PT_NAME(new_table)(struct pt_mctx *c, uint64_t *phys,
				unsigned int flags, unsigned int lvl)
{
	void *v = c->pool;

	if (v) {
		uint64_t *w = v;

		*phys = c->pool_phys;
		c->pool = (void *)(uintptr_t)w[0];
		c->pool_phys = w[1];
		w[0] = 0;
		w[1] = 0;
		iopt_table_label_(c->t, *phys, PT_TABLE_SIZE, lvl);
		return v;
	}
	if (c->req->flags & IOPT_MAP_ALL_OR_NOTHING)
		return NULL; /* never reached: the pool covers every need */
	return iopt_table_alloc_(c->t, PT_TABLE_SIZE, phys, flags, lvl);
}

static void PT_NAME(pool_put)(struct pt_mctx *c, void *v, uint64_t phys)
{
	uint64_t *w = v;

	w[0] = (uint64_t)(uintptr_t)c->pool;
	w[1] = c->pool_phys;
	c->pool = v;
	c->pool_phys = phys;
}

static void PT_NAME(pool_drain)(struct pt_mctx *c)
{
	while (c->pool) {
		uint64_t *w = c->pool;
		void *next = (void *)(uintptr_t)w[0];
		uint64_t next_phys = w[1];

		w[0] = 0;
		w[1] = 0;
		iopt_table_free_(c->t, c->pool, c->pool_phys, PT_TABLE_SIZE);
		c->pool = next;
		c->pool_phys = next_phys;
	}
}

/*
 * Does anything below @tab (at @lvl) map? A table that is not this tree's
 * holds nothing (the map that replaces it only unhooks it), and a tree
 * whose walk exceeds the budget shares tables: treated as occupied.
 */
static bool PT_NAME(subtree_has_leaf)(struct pt_mctx *c, const PT_E *tab,
				      unsigned int lvl)
{
	struct iopt_table *t = c->t;

	if (!c->budget)
		return true;
	c->budget--;
	for (unsigned int i = 0; i < (1u << PT_BITS); i++) {
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);
		const PT_E *child;

		if (k == PT_LEAF)
			return true;
		if (k != PT_TABLE || lvl == 0)
			continue;
		child = PT_NAME(table_own)(t, PT_TABLE_PA(t, pte), lvl - 1);
		if (child && PT_NAME(subtree_has_leaf)(c, child, lvl - 1))
			return true;
	}
	return false;
}

/* Tables needed below one whole entry at @lvl. */
static uint64_t PT_NAME(full_cost)(const struct pt_mctx *c, unsigned int lvl)
{
	if ((c->leaf_mask & (1u << lvl)) || lvl == 0)
		return 0;
	return 1 + (1ULL << PT_BITS) * PT_NAME(full_cost)(c, lvl - 1);
}

/*
 * May the whole entry at @va (level @lvl, a level in c->leaf_mask) become a
 * leaf of a call whose range in this table is [@first, @last]? Yes where the
 * call may write single items there. Where it may write only runs (AMD v1's
 * 1T..128T runs beside the 512G size it lacks; map_pages of a run size), the
 * smallest run holding the entry must lie inside the range.
 */
static inline bool PT_NAME(leafable)(const struct pt_mctx *c, unsigned int lvl,
				     uint64_t va, uint64_t first, uint64_t last)
{
	uint64_t s;

	if (c->plain_mask & (1u << lvl))
		return true;
	s = (1ULL << (PT_NAME(item_lg2)(lvl) + pt_ctz64(c->runs[lvl]))) - 1;
	return (va & ~s) >= first && ((va & ~s) | s) <= last;
}

/*
 * Whole entries in [@a, @b] (level @lvl, where only runs may be written)
 * that are not leafable() in a call range [@first, @last]: those in the
 * partly covered runs at either end.
 */
static inline uint64_t PT_NAME(unleafable)(const struct pt_mctx *c,
					   unsigned int lvl, uint64_t a,
					   uint64_t b, uint64_t first,
					   uint64_t last)
{
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t s = (1ULL << (sh + pt_ctz64(c->runs[lvl]))) - 1;
	const uint64_t total = ((b - a) >> sh) + 1;
	uint64_t lo, end, hi;

	if (first > UINT64_MAX - s)
		return total; /* no run starts at or after @first */
	lo = (first + s) & ~s;          /* the first run inside */
	end = (last + 1) & ~s;          /* past the last (0: at 2^64) */
	if (last != UINT64_MAX && end <= lo)
		return total;           /* no whole run */
	hi = end - 1;
	if (lo < a)
		lo = a;
	if (hi > b)
		hi = b;
	if (lo > hi)
		return total;
	return total - (((hi - lo) >> sh) + 1);
}

static uint64_t PT_NAME(count_new)(const struct pt_mctx *c, unsigned int lvl,
				   uint64_t va, uint64_t last);

/* Tables needed for the part [va, last] of one entry at @lvl that is empty,
 * in a call whose range in this table is [first, end]. */
static uint64_t PT_NAME(entry_cost)(const struct pt_mctx *c, unsigned int lvl,
				    uint64_t va, uint64_t last, uint64_t first,
				    uint64_t end)
{
	uint64_t m = (1ULL << PT_NAME(item_lg2)(lvl)) - 1;

	if (!(va & m) && (last & m) == m && (c->leaf_mask & (1u << lvl)) &&
	    PT_NAME(leafable)(c, lvl, va, first, end))
		return 0;
	if (lvl == 0)
		return 0;
	return 1 + PT_NAME(count_new)(c, lvl - 1, va, last);
}

/*
 * Tables needed to map [va, last] inside a new, empty table at @lvl, not
 * counting that table. Only the two partial entries at the ends recurse;
 * the whole entries between them cost full_cost() each.
 */
static uint64_t PT_NAME(count_new)(const struct pt_mctx *c, unsigned int lvl,
				   uint64_t va, uint64_t last)
{
	uint64_t m = (1ULL << PT_NAME(item_lg2)(lvl)) - 1;
	uint64_t first_last = (va | m) < last ? (va | m) : last;
	uint64_t n = PT_NAME(entry_cost)(c, lvl, va, first_last, va, last);
	uint64_t last_first, whole;

	if (first_last == last)
		return n;
	last_first = last & ~m;
	whole = (last_first - (first_last + 1)) >> PT_NAME(item_lg2)(lvl);
	/* full_cost() of a run-only level assumes its run is covered; the
	 * entries of the partly covered runs at the ends need a table each. */
	n += whole * PT_NAME(full_cost)(c, lvl);
	if (whole && lvl && (c->leaf_mask & ~c->plain_mask & (1u << lvl)))
		n += PT_NAME(unleafable)(c, lvl, first_last + 1, last_first - 1,
					 va, last) *
		     (1 + (1ULL << PT_BITS) * PT_NAME(full_cost)(c, lvl - 1));
	return n + PT_NAME(entry_cost)(c, lvl, last_first, last, va, last);
}

/*
 * The read-only walk before a map: fails with -EEXIST on anything mapped in
 * the way, counts the tables the map will need and notes empty tables that
 * leaves will replace. With @detach it instead unhooks those empty tables
 * into @g (the caller flushes before any leaf is written).
 */
static int PT_NAME(map_check)(struct pt_mctx *c, PT_E *tab, uint64_t tab_phys,
			      unsigned int lvl, uint64_t va, uint64_t last,
			      struct iopt_gather *g)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	const bool can_leaf = c->leaf_mask & (1u << lvl);
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);
	const uint64_t first = va;
	int ret;

	for (;; i++) {
		uint64_t sub_last = (va | m) < last ? (va | m) : last;
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_LEAF)
			return -EEXIST;
		if (can_leaf && !(va & m) && sub_last == (va | m) &&
		    PT_NAME(leafable)(c, lvl, va, first, last)) {
			if (k == PT_TABLE) {
				uint64_t cphys = PT_TABLE_PA(t, pte);
				PT_E *child = PT_NAME(table_own)(t, cphys, lvl - 1);

				if (g) {
					PT_STORE(&tab[i], 0);
					pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
					c->written++;
					iopt_gather_add_range_(g, va, sub_last,
							       PT_GRANULE_LG2, false);
					if (child)
						iopt_gather_add_table_(g, cphys, lvl - 1);
				} else if (!child) {
					return -EFAULT;
				} else if (PT_NAME(subtree_has_leaf)(c, child, lvl - 1)) {
					return -EEXIST;
				} else {
					c->replace = true;
				}
			}
		} else if (k == PT_TABLE) {
			uint64_t cphys = PT_TABLE_PA(t, pte);

			PT_E *child = PT_NAME(table_own)(t, cphys, lvl - 1);

			if (!child)
				return -EFAULT;
			ret = PT_NAME(map_check)(c, child, cphys, lvl - 1, va,
						 sub_last, g);
			if (ret)
				return ret;
		} else if (lvl == 0) {
			return -EINVAL; /* unreachable after the API's checks */
		} else if (!g) {
			c->need += 1 + PT_NAME(count_new)(c, lvl - 1, va, sub_last);
		}
		if (i == end)
			return 0;
		va = sub_last + 1;
	}
}

/* AND of every entry of a table below the top, in host order. */
static inline uint64_t PT_NAME(and_all)(const PT_E *tab)
{
	uint64_t w = iopt_le64(pt_and_words((const uint64_t *)(const void *)tab,
					    (PT_TABLE_SIZE / 8)));

	if (PT_ENTRY_LG2 == 2)
		w &= w >> 32; /* two entries per word */
	return w;
}

/* Is every entry of a level-0 table a leaf? */
#ifdef PT_ALL_LEAF0
#define PT_ALL_LEAF0_(tab) PT_ALL_LEAF0(tab)
#else
#define PT_ALL_LEAF0_(tab) PT_IS_LEAF0(PT_NAME(and_all)(tab))
#endif

/*
 * Store leaves [from, to] of @tab starting at output address @oa. Where the
 * address field is a plain bit range over the run (every format but the
 * 64K-granule LPAE packing across 2^48), entry k is entry 0 plus k steps, a
 * loop the compiler vectorises. Entries are aligned 64-bit words, so each
 * store stays single-copy atomic for the walker; no CPU reads them
 * concurrently under the locking rules.
 */
static inline void PT_NAME(fill)(struct iopt_table *t, PT_E *tab,
				 unsigned int from, unsigned int to,
				 uint64_t tmpl, uint64_t oa, unsigned int sh)
{
	const uint64_t step = 1ULL << sh;
	const uint64_t span = (uint64_t)(to - from) << sh;
	uint64_t v = tmpl | PT_OA_BITS(t, oa);

	(void)t;
	if ((tmpl | PT_OA_BITS(t, oa + span)) - v == span) {
		/* A pointer loop: an unsigned index costs a widening per entry. */
		for (PT_E *p = tab + from, *e = tab + to + 1; p != e; p++, v += step)
			*p = (PT_E)PT_LE(v);
		return;
	}
	for (unsigned int k = from; k <= to; k++, oa += step)
		PT_STORE(&tab[k], tmpl | PT_OA_BITS(t, oa));
}

/*
 * Replicated runs: [from, to] holds whole runs of 2^@n_lg2 entries, and
 * every entry of a run is the same word, with the run's output address.
 */
static inline void PT_NAME(fill_replicated)(struct iopt_table *t, PT_E *tab,
					    unsigned int from, unsigned int to,
					    uint64_t tmpl, uint64_t oa,
					    unsigned int sh, unsigned int n_lg2)
{
	(void)t;
	for (unsigned int k = from; k <= to; k += 1u << n_lg2) {
		PT_E v = (PT_E)PT_LE(tmpl | PT_OA_BITS(t, oa +
						     ((uint64_t)(k - from) << sh)));

		for (unsigned int j = 0; j < (1u << n_lg2); j++)
			tab[k + j] = v;
	}
}

/*
 * Whole entries [i, j] of @tab, the first at @va, become leaves: runs where
 * the call may use them (the largest that fits at each aligned entry), single
 * items between them. With one run size (ARM's hint, v7s) that is a head of
 * single items, the runs, and a tail.
 */
static int PT_NAME(write_leaves)(struct pt_mctx *c, PT_E *tab,
				 uint64_t tab_phys, unsigned int lvl,
				 unsigned int i, unsigned int j, uint64_t va)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t oa = va + c->delta;
	const uint32_t runs = (c->contig_mask >> lvl) & 1 ? c->runs[lvl] : 0;
	const unsigned int small = runs ? 1u << pt_ctz64(runs) : 0;

	if (!(c->plain_mask & (1u << lvl)) &&
	    (!runs || (i & (small - 1)) || ((j + 1) & (small - 1))))
		return -EINVAL; /* unreachable after the API's alignment checks */
	for (unsigned int k = i; k <= j;) {
		const unsigned int n = runs ? pt_pick_run(runs, k, j) : 0;
		const uint64_t koa = oa + ((uint64_t)(k - i) << sh);
		unsigned int stop = j + 1;

		if (!n) {
			/* Single items up to where the smallest run aligns. */
			if (runs && ((k | (small - 1)) + 1) < stop)
				stop = (k | (small - 1)) + 1;
			PT_NAME(fill)(t, tab, k, stop - 1,
				      PT_LEAF_BITS(t, c->attrs, lvl, 0), koa, sh);
		} else {
			/* Runs of 2^n until a larger one aligns, or the end. */
			const uint32_t larger = runs & ~(uint32_t)((2ULL << n) - 1);

			stop &= ~((1u << n) - 1);
			if (larger) {
				unsigned int m = 1u << pt_ctz64(larger);

				if (((k | (m - 1)) + 1) < stop)
					stop = (k | (m - 1)) + 1;
			}
			if (PT_REPLICATED)
				PT_NAME(fill_replicated)(t, tab, k, stop - 1,
							 PT_LEAF_BITS(t, c->attrs, lvl, n),
							 koa, sh, n);
			else
				PT_NAME(fill)(t, tab, k, stop - 1,
					      PT_LEAF_BITS(t, c->attrs, lvl, n), koa, sh);
		}
		k = stop;
	}
	pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES * (j - i + 1));
	c->written += j - i + 1;
	c->req->mapped += (uint64_t)(j - i + 1) << sh;
	return 0;
}

/* The table below entry @i of @tab, allocating and publishing it if empty. */
static int PT_NAME(child_for_map)(struct pt_mctx *c, PT_E *tab,
				  uint64_t tab_phys, unsigned int i,
				  unsigned int lvl, PT_E **child,
				  uint64_t *child_phys)
{
	struct iopt_table *t = c->t;

	for (;;) {
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);
		uint64_t phys;
		void *v;

		if (k == PT_TABLE) {
			*child_phys = PT_TABLE_PA(t, pte);
			*child = PT_NAME(table_own)(t, *child_phys, lvl - 1);
			return *child ? 0 : -EFAULT;
		}
		if (k == PT_LEAF)
			return -EEXIST; /* raced with a map of an overlapping range */
		v = PT_NAME(new_table)(c, &phys, 0, lvl - 1);
		if (!v)
			return -ENOMEM;
		/* The zeroed table must be visible before anything points to it. */
		pt_sync(t, v, phys, PT_TABLE_SIZE);
		if (PT_INSTALL(&tab[i], pte, PT_MAKE_TABLE(t, phys, lvl))) {
			pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
			c->written++;
			c->allocated++;
			*child = v;
			*child_phys = phys;
			return 0;
		}
		/* Another thread installed a table here first: use theirs. */
		if (c->req->flags & IOPT_MAP_ALL_OR_NOTHING)
			PT_NAME(pool_put)(c, v, phys);
		else
			iopt_table_free_(t, v, phys, PT_TABLE_SIZE);
	}
}

/*
 * Entry @i of @tab (at @lvl, starting at @va) is empty and the map covers
 * its whole span with leaves one level down: fill a new table, then publish
 * it. -EAGAIN when the slot is not empty (or another thread filled it first):
 * the caller takes the ordinary path.
 */
static int PT_NAME(build_leaf_table)(struct pt_mctx *c, PT_E *tab,
				     uint64_t tab_phys, unsigned int i,
				     unsigned int lvl, uint64_t va)
{
	struct iopt_table *t = c->t;
	uint64_t pte = PT_LOAD(&tab[i]), phys, mapped = c->req->mapped;
	uint64_t written = c->written;
	PT_E *v;
	int ret;

	if (PT_KIND(t, pte, lvl) != PT_EMPTY)
		return -EAGAIN;
	v = PT_NAME(new_table)(c, &phys, IOPT_MEM_NOZERO, lvl - 1);
	if (!v)
		return -ENOMEM;
	ret = PT_NAME(write_leaves)(c, v, phys, lvl - 1, 0,
				    (1u << PT_BITS) - 1, va);
	if (!ret && PT_INSTALL(&tab[i], pte, PT_MAKE_TABLE(t, phys, lvl))) {
		pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
		c->written++;
		c->allocated++;
		return 0;
	}
	/* Not published: nobody saw it; undo the accounting. */
	c->req->mapped = mapped;
	c->written = written;
	if (c->req->flags & IOPT_MAP_ALL_OR_NOTHING) {
		iopt_memset(v, 0, PT_TABLE_SIZE); /* the pool holds zeroed tables */
		PT_NAME(pool_put)(c, v, phys);
	}
	else
		iopt_table_free_(t, v, phys, PT_TABLE_SIZE);
	return ret ? ret : -EAGAIN;
}

static int PT_NAME(map_level)(struct pt_mctx *c, PT_E *tab,
			      uint64_t tab_phys, unsigned int lvl,
			      uint64_t va, uint64_t last)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	const bool can_leaf = c->leaf_mask & (1u << lvl);
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);
	const uint64_t first = va;
	int ret;

	for (;;) {
		uint64_t sub_last = (va | m) < last ? (va | m) : last;
		PT_E *child;
		uint64_t child_phys;

		if (can_leaf && !(va & m) && sub_last == (va | m) &&
		    PT_NAME(leafable)(c, lvl, va, first, last)) {
			/* Every whole entry from here on is a leaf (with runs
			 * only: up to the end of the last whole run). */
			unsigned int j = (last & m) == m ? end : end - 1;

			if (!(c->plain_mask & (1u << lvl)))
				j = PT_NAME(index)(t, ((last + 1) &
					~((1ULL << (sh + pt_ctz64(c->runs[lvl]))) - 1)) - 1,
						   lvl);

			ret = PT_NAME(write_leaves)(c, tab, tab_phys, lvl, i, j, va);
			if (ret || j == end)
				return ret;
			va += (uint64_t)(j - i + 1) << sh;
			i = j + 1;
			continue;
		}
		if (lvl == 0)
			return -EINVAL; /* unreachable after the API's checks */
		if (!(va & m) && sub_last == (va | m) &&
		    (c->leaf_mask & (1u << (lvl - 1)))) {
			/* A whole table of leaves: built privately, then
			 * published, so it is never zeroed only to be overwritten
			 * and no walker sees it half filled. */
			ret = PT_NAME(build_leaf_table)(c, tab, tab_phys, i, lvl, va);
			if (ret != -EAGAIN) {
				if (ret || i == end)
					return ret;
				va = sub_last + 1;
				i++;
				continue;
			}
		}
		ret = PT_NAME(child_for_map)(c, tab, tab_phys, i, lvl, &child,
					     &child_phys);
		if (ret)
			return ret;
		ret = PT_NAME(map_level)(c, child, child_phys, lvl - 1, va,
					 sub_last);
		if (ret || i == end)
			return ret;
		va = sub_last + 1;
		i++;
	}
}

/*
 * One item at @leaf_lvl: a single descent that installs missing tables and
 * writes the leaf. Anything unusual (a non-empty target slot, which may be
 * an empty table to replace) goes back to the full path with -EAGAIN; a leaf
 * above the target is -EEXIST, found before anything was written.
 */
static int PT_NAME(map_one)(struct iopt_table *t, struct pt_map_req *req,
			    unsigned int leaf_lvl)
{
	PT_E *tab = t->root;
	uint64_t tab_phys = t->root_phys;
	unsigned int lvl = t->top_level;
	uint64_t written = 0;

	for (;;) {
		unsigned int i = PT_NAME(index)(t, req->iova, lvl);
		uint64_t pte = PT_LOAD(&tab[i]), phys;
		enum pt_kind k = PT_KIND(t, pte, lvl);
		void *v;

		if (lvl == leaf_lvl) {
			if (k != PT_EMPTY)
				return -EAGAIN;
			PT_STORE(&tab[i], PT_LEAF_BITS(t, PT_PROT_ATTRS(t, req->prot),
						       lvl, 0) |
					  PT_OA_BITS(t, req->paddr));
			pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
			req->mapped = req->last - req->iova + 1;
			pt_stat_walk(t, &t->stats.walks, 1);
			pt_stat_walk(t, &t->stats.entries_written, written + 1);
			return 0;
		}
		if (k == PT_LEAF)
			return -EEXIST;
		if (k == PT_TABLE) {
			tab_phys = PT_TABLE_PA(t, pte);
			tab = PT_NAME(table_own)(t, tab_phys, lvl - 1);
			if (!tab)
				return -EFAULT;
			lvl--;
			continue;
		}
		v = iopt_table_alloc_(t, PT_TABLE_SIZE, &phys, 0, lvl - 1);
		if (!v)
			return -ENOMEM;
		pt_sync(t, v, phys, PT_TABLE_SIZE);
		if (!PT_INSTALL(&tab[i], pte, PT_MAKE_TABLE(t, phys, lvl))) {
			iopt_table_free_(t, v, phys, PT_TABLE_SIZE); /* lost a race */
			continue;
		}
		pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
		written++;
		tab = v;
		tab_phys = phys;
		lvl--;
	}
}

static int PT_NAME(map)(struct iopt_table *t, struct pt_map_req *req)
{
	struct pt_mctx c = { .t = t, .req = req };
	uint64_t size = req->last - req->iova + 1;
	int ret;

	/* Exactly one item at some level: no larger leaf fits, no run either. */
	if (!(size & (size - 1)) && !(req->flags & IOPT_MAP_ALL_OR_NOTHING) &&
	    (req->sizes & size) && !((req->iova | req->paddr) & (size - 1))) {
		unsigned int lg2 = pt_ctz64(size) - PT_GRANULE_LG2;
		unsigned int lvl = lg2 / PT_BITS;

		if (lg2 % PT_BITS == 0 && lvl <= t->top_level &&
		    PT_LEAF_AT(t, lvl)) {
			req->mapped = 0;
			ret = PT_NAME(map_one)(t, req, lvl);
			if (ret != -EAGAIN)
				return ret;
		}
	}

	c.delta = req->paddr - req->iova;
	c.attrs = PT_PROT_ATTRS(t, req->prot);
	for (unsigned int lvl = 0; lvl <= t->top_level; lvl++) {
		uint64_t sz = 1ULL << PT_NAME(item_lg2)(lvl);
		uint32_t runs = PT_CONTIG_SIZES(t, lvl), ok = 0;

		if (!PT_LEAF_AT(t, lvl))
			continue;
		if ((req->sizes & sz) && !(c.delta & (sz - 1)))
			c.plain_mask |= 1u << lvl;
		for (; runs; runs &= runs - 1) {
			uint64_t rsz = sz << pt_ctz64(runs);

			if ((req->sizes & rsz) && !(c.delta & (rsz - 1)))
				ok |= runs & -runs;
		}
		c.runs[lvl] = ok;
		if (ok)
			c.contig_mask |= 1u << lvl;
	}
	c.leaf_mask = c.plain_mask | c.contig_mask;
	c.budget = pt_visit_budget(t);
	req->mapped = 0;

	ret = PT_NAME(map_check)(&c, t->root, t->root_phys, t->top_level,
				 req->iova, req->last, NULL);
	pt_stat_walk(t, &t->stats.walks, 1);
	if (ret)
		return ret;

	if (req->flags & IOPT_MAP_ALL_OR_NOTHING) {
		for (uint64_t n = 0; n < c.need; n++) {
			uint64_t phys;
			void *v = iopt_table_alloc_(t, PT_TABLE_SIZE, &phys, 0,
						    PT_NO_LABEL);

			if (!v) {
				PT_NAME(pool_drain)(&c);
				return -ENOMEM;
			}
			PT_NAME(pool_put)(&c, v, phys);
		}
	}

	if (c.replace) {
		/* Break-before-make: unhook the empty tables, flush, then map. */
		struct iopt_gather g;

		iopt_gather_init(&g);
		iopt_gather_bind_(&g, t);
		PT_NAME(map_check)(&c, t->root, t->root_phys, t->top_level,
				   req->iova, req->last, &g);
		iopt_gather_sync(&g);
		pt_stat_walk(t, &t->stats.walks, 1);
	}

	ret = PT_NAME(map_level)(&c, t->root, t->root_phys, t->top_level,
				 req->iova, req->last);
	pt_stat_walk(t, &t->stats.walks, 1);
	PT_NAME(pool_drain)(&c);
	pt_stat_walk(t, &t->stats.entries_written, c.written);
	return ret;
}

/* ---------------------------------------------------------------- unmap */

/*
 * Bytes mapped below a table at @lvl; @min_lg2 gets the smallest leaf.
 * Counts what free_tree() will free: tables of this tree only, each
 * visit charged to the budget (see pt_visit_budget()).
 */
static uint64_t PT_NAME(subtree_bytes)(struct pt_uctx *c, const PT_E *tab,
				       unsigned int lvl, unsigned int *min_lg2)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	uint64_t n = 0, bytes = 0;

	if (!c->budget)
		return 0;
	c->budget--;
	if (lvl == 0) {
		/*
		 * Detached: nobody writes it any more, plain loads suffice. A
		 * full table is the common case, and one test over the whole
		 * table proves it (PT_ALL_LEAF0_: by default an AND, where
		 * leafness is a set of bits that must all be present, so it
		 * holds for the AND only if it holds for every entry).
		 */
		if (PT_ALL_LEAF0_(tab))
			n = 1u << PT_BITS;
		else
			for (unsigned int i = 0; i < (1u << PT_BITS); i++)
				n += PT_IS_LEAF0(PT_LE(tab[i]));
		if (n)
			*min_lg2 = sh;
		return n << sh;
	}
	for (unsigned int i = 0; i < (1u << PT_BITS); i++) {
		uint64_t pte = PT_LE(tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_LEAF) {
			bytes += 1ULL << sh;
			if (sh < *min_lg2)
				*min_lg2 = sh;
		} else if (k == PT_TABLE) {
			const PT_E *child = PT_NAME(table_own)(t, PT_TABLE_PA(t, pte),
								   lvl - 1);

			if (child)
				bytes += PT_NAME(subtree_bytes)(c, child, lvl - 1,
								min_lg2);
		}
	}
	return bytes;
}

/* Invalidation granule: the smallest leaf seen, or the granule if none. */
static inline unsigned int PT_NAME(granule)(unsigned int min_lg2)
{
	return min_lg2 > 63 - 1 ? PT_GRANULE_LG2 : min_lg2;
}

static void PT_NAME(unmap_level)(struct pt_uctx *c, PT_E *tab,
				 uint64_t tab_phys, unsigned int lvl,
				 uint64_t va, uint64_t last)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);
	const uint64_t va0 = va;
	unsigned int lo = ~0u, hi = 0, min_lg2 = 63;
	bool tables = false;

	if (lvl == 0) {
		/* Only leaves live here: one pass clears the run. */
		uint64_t n = 0;

		for (unsigned int k = i; k <= end; k++) {
			if (PT_KIND(t, PT_LOAD(&tab[k]), 0) == PT_EMPTY)
				continue;
			PT_STORE(&tab[k], 0);
			if (lo == ~0u)
				lo = k;
			hi = k;
			n++;
		}
		c->bytes += n << sh;
		c->cleared += n;
		min_lg2 = sh;
	} else {
		for (unsigned int k = i;; k++) {
			uint64_t sub_last = (va | m) < last ? (va | m) : last;
			uint64_t pte = PT_LOAD(&tab[k]);
			enum pt_kind kind = PT_KIND(t, pte, lvl);

			if (kind == PT_LEAF) {
				/* The API checked that no leaf crosses the ends. */
				PT_STORE(&tab[k], 0);
				c->bytes += 1ULL << sh;
				c->cleared++;
				if (sh < min_lg2)
					min_lg2 = sh;
				if (lo == ~0u)
					lo = k;
				hi = k;
			} else if (kind == PT_TABLE) {
				uint64_t cphys = PT_TABLE_PA(t, pte);
				PT_E *child = PT_NAME(table_own)(t, cphys, lvl - 1);

				if (!child) {
					/* Not a table of this tree: drop the
					 * entry only; its memory is not ours to
					 * walk or free. */
					PT_STORE(&tab[k], 0);
					c->cleared++;
					tables = true;
					if (lo == ~0u)
						lo = k;
					hi = k;
				} else if (!(va & m) && sub_last == (va | m)) {
					/* Covered entirely: unhook the subtree. */
					c->bytes += PT_NAME(subtree_bytes)(c, child,
								lvl - 1, &min_lg2);
					PT_STORE(&tab[k], 0);
					c->cleared++;
					tables = true;
					if (lo == ~0u)
						lo = k;
					hi = k;
					/* Record the range before the table, so an
					 * early sync of a full gather flushes it. */
					iopt_gather_add_range_(c->g, va, sub_last,
							       PT_NAME(granule)(min_lg2),
							       false);
					iopt_gather_add_table_(c->g, cphys, lvl - 1);
				} else {
					PT_NAME(unmap_level)(c, child, cphys, lvl - 1,
							     va, sub_last);
				}
			}
			if (k == end)
				break;
			va = sub_last + 1;
		}
	}
	if (lo <= hi) {
		pt_sync(t, &tab[lo], tab_phys + PT_ENTRY_BYTES * lo, PT_ENTRY_BYTES * (hi - lo + 1));
		iopt_gather_add_range_(c->g, PT_NAME(index_va)(t, va0, lvl, lo),
				       PT_NAME(index_va)(t, va0, lvl, hi) | m,
				       PT_NAME(granule)(min_lg2), !tables);
	}
}

/*
 * The bytes unmap_level() would unmap in [va, last] of @tab, without
 * writing: leaves, whole subtrees of this tree through subtree_bytes()
 * (charged to the same budget), partial entries by descending. Entries
 * that are not this tree's tables count nothing, as unmap_level() drops
 * them. Linear in what unmap_level() visits.
 */
static uint64_t PT_NAME(range_bytes)(struct pt_uctx *c, const PT_E *tab,
				     unsigned int lvl, uint64_t va,
				     uint64_t last)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);
	uint64_t bytes = 0;
	unsigned int min_lg2 = 63;

	for (;; i++) {
		uint64_t sub_last = (va | m) < last ? (va | m) : last;
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_LEAF) {
			bytes += sub_last - va + 1; /* no leaf crosses the ends */
		} else if (k == PT_TABLE && lvl > 0) {
			const PT_E *child = PT_NAME(table_own)(t, PT_TABLE_PA(t, pte),
							       lvl - 1);

			if (child && !(va & m) && sub_last == (va | m))
				bytes += PT_NAME(subtree_bytes)(c, child, lvl - 1,
								&min_lg2);
			else if (child)
				bytes += PT_NAME(range_bytes)(c, child, lvl - 1, va,
							      sub_last);
		}
		if (i == end)
			return bytes;
		va = sub_last + 1;
	}
}

/*
 * Would clearing a range with @va as its first address (@end false) or its
 * last (@end true) split a leaf? Follows @va's path down from @tab at @lvl,
 * one entry per level, and looks at the first leaf (or contiguous run) on it.
 */
static bool PT_NAME(edge_splits)(struct iopt_table *t, const PT_E *tab,
				 unsigned int lvl, uint64_t va, bool end)
{
	for (;; lvl--) {
		const uint64_t m = (1ULL << PT_NAME(item_lg2)(lvl)) - 1;
		uint64_t pte = PT_LOAD(&tab[PT_NAME(index)(t, va, lvl)]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_LEAF) {
			uint64_t run = (1ULL << (PT_NAME(item_lg2)(lvl) +
						 PT_LEAF_CONTIG(t, pte, lvl))) - 1;

			return end ? (va & run) != run : (va & run) != 0;
		}
		/* An entry the edge falls on the boundary of holds nothing
		 * that crosses it; a level-0 "table" is corrupt. */
		if (k != PT_TABLE || lvl == 0 || (end ? (va & m) == m : !(va & m)))
			return false;
		tab = PT_NAME(table_own)(t, PT_TABLE_PA(t, pte), lvl - 1);
		if (!tab)
			return false; /* unmap_level() drops the entry */
	}
}

static void PT_NAME(iterate_level)(struct iopt_table *t, struct pt_ictx *it,
				   const PT_E *tab, unsigned int lvl,
				   uint64_t va, uint64_t last);

/*
 * Unmap of exactly one item at @lvl: one descent. A table where the item
 * should be (it was mapped with smaller pages) goes back to the full path.
 */
static int PT_NAME(unmap_one)(struct iopt_table *t, struct pt_unmap_req *req,
			      unsigned int leaf_lvl)
{
	PT_E *tab = t->root;
	uint64_t tab_phys = t->root_phys;

	for (unsigned int lvl = t->top_level;; lvl--) {
		unsigned int i = PT_NAME(index)(t, req->iova, lvl);
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_EMPTY)
			return (req->flags & IOPT_UNMAP_NO_HOLES) ? -ENOENT : 0;
		if (k == PT_LEAF) {
			if (lvl != leaf_lvl || PT_LEAF_CONTIG(t, pte, lvl))
				return -EXDEV; /* a larger leaf holds the range */
			PT_STORE(&tab[i], 0);
			pt_sync(t, &tab[i], tab_phys + PT_ENTRY_BYTES * i, PT_ENTRY_BYTES);
			iopt_gather_add_range_(req->gather, req->iova, req->last,
					       PT_NAME(item_lg2)(lvl), true);
			req->unmapped = req->last - req->iova + 1;
			pt_stat_walk(t, &t->stats.walks, 1);
			pt_stat_walk(t, &t->stats.entries_cleared, 1);
			return 0;
		}
		if (lvl == leaf_lvl)
			return -EAGAIN;
		tab_phys = PT_TABLE_PA(t, pte);
		tab = PT_NAME(table_own)(t, tab_phys, lvl - 1);
		if (!tab)
			return -EAGAIN; /* the full path drops the entry */
	}
}

static int PT_NAME(unmap)(struct iopt_table *t, struct pt_unmap_req *req)
{
	struct pt_uctx c = { .t = t, .g = req->gather, .budget = 0 };
	PT_E *tab = t->root;
	uint64_t tab_phys = t->root_phys;
	unsigned int lvl = t->top_level;
	uint64_t size = req->last - req->iova + 1;
	int ret;

	req->unmapped = 0;
	if (!(size & (size - 1)) && !(req->iova & (size - 1))) {
		unsigned int lg2 = pt_ctz64(size) - PT_GRANULE_LG2;

		if (lg2 % PT_BITS == 0 && lg2 / PT_BITS <= t->top_level) {
			ret = PT_NAME(unmap_one)(t, req, lg2 / PT_BITS);
			if (ret != -EAGAIN)
				return ret;
		}
	}
	/*
	 * One walk. Descend while the range lies inside a single entry that
	 * it does not cover: nothing changes above that table (where the
	 * paths of the two ends part). There, before anything is written,
	 * follow each end down to its leaf: a leaf crossing either end fails
	 * the whole call (never split). Then clear from that table.
	 */
	while (lvl > 0) {
		const uint64_t m = (1ULL << PT_NAME(item_lg2)(lvl)) - 1;
		unsigned int i = PT_NAME(index)(t, req->iova, lvl);
		uint64_t pte, cphys;
		PT_E *child;

		if (i != PT_NAME(index)(t, req->last, lvl) ||
		    (!(req->iova & m) && (req->last & m) == m))
			break;
		pte = PT_LOAD(&tab[i]);
		if (PT_KIND(t, pte, lvl) != PT_TABLE)
			break;
		cphys = PT_TABLE_PA(t, pte);
		child = PT_NAME(table_own)(t, cphys, lvl - 1);
		if (!child)
			break; /* unmap_level drops the entry */
		tab = child;
		tab_phys = cphys;
		lvl--;
	}
	pt_stat_walk(t, &t->stats.walks, 1);
	if (PT_NAME(edge_splits)(t, tab, lvl, req->iova, false) ||
	    PT_NAME(edge_splits)(t, tab, lvl, req->last, true))
		return -EXDEV;
	c.budget = pt_visit_budget(t);
	if (req->flags & IOPT_UNMAP_NO_HOLES) {
		/* A second pass over the range, counted as a walk: it counts
		 * exactly what unmap_level() will, with the same budget. */
		struct pt_uctx dry = c;

		pt_stat_walk(t, &t->stats.walks, 1);
		if (PT_NAME(range_bytes)(&dry, tab, lvl, req->iova, req->last) !=
		    req->last - req->iova + 1)
			return -ENOENT;
	}
	PT_NAME(unmap_level)(&c, tab, tab_phys, lvl, req->iova, req->last);
	pt_stat_walk(t, &t->stats.entries_cleared, c.cleared);
	req->unmapped = c.bytes;
	return 0;
}

/* -------------------------------------------------------------- reclaim */

/*
 * In [va, last] of @tab (at @lvl > 0): unhook every table of this tree
 * whose span lies inside the range and that holds no leaf (its own empty
 * tables first, so each table is read once), queueing it on the gather
 * after its range. True when nothing is left in [va, last] of @tab: all
 * its entries there are empty. Leaves, holes and entries that are not
 * this tree's tables are left as they are; a tree that exceeds the visit
 * budget shares tables and keeps the rest.
 */
static bool PT_NAME(reclaim_level)(struct pt_uctx *c, PT_E *tab,
				   uint64_t tab_phys, unsigned int lvl,
				   uint64_t va, uint64_t last)
{
	struct iopt_table *t = c->t;
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);
	bool left = false;

	for (unsigned int k = i;; k++) {
		uint64_t sub_last = (va | m) < last ? (va | m) : last;
		uint64_t pte = PT_LOAD(&tab[k]);
		enum pt_kind kind = PT_KIND(t, pte, lvl);
		bool whole = !(va & m) && sub_last == (va | m);
		uint64_t cphys;
		PT_E *child;

		if (kind == PT_LEAF) {
			left = true;
		} else if (kind == PT_TABLE) {
			cphys = PT_TABLE_PA(t, pte);
			child = PT_NAME(table_own)(t, cphys, lvl - 1);
			if (!child || !c->budget) {
				left = true;
			} else {
				bool empty;

				c->budget--;
				if (lvl - 1 == 0) {
					uint64_t any = 0;

					/* A leaf table: empty or not, read once. */
					for (unsigned int j = 0; whole && j < (1u << PT_BITS); j++)
						any |= PT_KIND(t, PT_LOAD(&child[j]), 0) != PT_EMPTY;
					empty = whole && !any;
				} else {
					empty = PT_NAME(reclaim_level)(c, child, cphys,
								       lvl - 1, va,
								       sub_last) && whole;
				}
				if (empty) {
					PT_STORE(&tab[k], 0);
					pt_sync(t, &tab[k], tab_phys + PT_ENTRY_BYTES * k,
						PT_ENTRY_BYTES);
					c->cleared++;
					c->bytes += PT_TABLE_SIZE;
					iopt_gather_add_range_(c->g, va, sub_last,
							       PT_GRANULE_LG2, false);
					iopt_gather_add_table_(c->g, cphys, lvl - 1);
				} else {
					left = true;
				}
			}
		}
		if (k == end)
			break;
		va = sub_last + 1;
	}
	return !left;
}

static int PT_NAME(reclaim)(struct iopt_table *t, uint64_t iova, uint64_t last,
			    struct iopt_gather *g, uint64_t *freed)
{
	struct pt_uctx c = { .t = t, .g = g, .budget = pt_visit_budget(t) };

	pt_stat_walk(t, &t->stats.walks, 1);
	if (t->top_level > 0)
		PT_NAME(reclaim_level)(&c, t->root, t->root_phys, t->top_level,
				       iova, last);
	pt_stat_walk(t, &t->stats.entries_cleared, c.cleared);
	*freed = c.bytes;
	return 0;
}

/* --------------------------------------------------------------- lookup */

static inline int PT_NAME(lookup_leaf)(struct iopt_table *t, uint64_t pte,
				       unsigned int lvl, uint64_t iova,
				       struct pt_leaf *out)
{
	unsigned int sh = PT_NAME(item_lg2)(lvl);

	unsigned int run = PT_LEAF_CONTIG(t, pte, lvl);

	if (PT_KIND(t, pte, lvl) != PT_LEAF)
		return -ENOENT;
	/* A replicated run's entries all hold the run's address. */
	out->phys = PT_LEAF_OA(t, pte, lvl) +
		    (iova & ((1ULL << (sh + (PT_REPLICATED ? run : 0))) - 1));
	out->size_lg2 = sh + run;
	if (out->want_prot)
		out->prot = PT_LEAF_PROT(t, pte, lvl);
	return 0;
}

/* One level of the unrolled lookup: @L is a constant in each case. */
#define PT_LOOKUP_STEP(L)                                                    \
	case L:                                                              \
		if (PT_KIND(t, pte, L) != PT_TABLE)                          \
			return PT_NAME(lookup_leaf)(t, pte, L, iova, out);   \
		tab = PT_NAME(table)(t, PT_TABLE_PA(t, pte));                \
		if (!tab)                                                    \
			return -EFAULT;                                      \
		pte = PT_LOAD(&tab[(iova >> PT_NAME(item_lg2)((L) - 1)) &    \
				   ((1u << PT_BITS) - 1)]);                  \
		__attribute__((fallthrough))

/*
 * A single-address walk, unrolled: every level below the top is a case
 * with constant shifts and masks (only the top table's width varies).
 */
static int PT_NAME(lookup)(struct iopt_table *t, uint64_t iova,
			   struct pt_leaf *out)
{
	const PT_E *tab = t->root;
	uint64_t pte = PT_LOAD(&tab[PT_NAME(index)(t, iova, t->top_level)]);

	pt_stat_walk(t, &t->stats.walks, 1);
	switch (t->top_level) {
	PT_LOOKUP_STEP(5);
	PT_LOOKUP_STEP(4);
	PT_LOOKUP_STEP(3);
	PT_LOOKUP_STEP(2);
	PT_LOOKUP_STEP(1);
	case 0:
		return PT_NAME(lookup_leaf)(t, pte, 0, iova, out);
	default:
		return -EFAULT;
	}
}
#undef PT_LOOKUP_STEP

static int PT_NAME(walk_path)(struct iopt_table *t, uint64_t iova,
			      struct iopt_path *path)
{
	const PT_E *tab = t->root;
	uint64_t tab_phys = t->root_phys;

	path->depth = 0;
	for (unsigned int lvl = t->top_level;; lvl--) {
		unsigned int i = PT_NAME(index)(t, iova, lvl);
		uint64_t pte = PT_LOAD(&tab[i]);
		unsigned int d = path->depth++;
		enum pt_kind k = PT_KIND(t, pte, lvl);

		path->level[d] = lvl;
		path->index[d] = i;
		path->table_phys[d] = tab_phys;
		path->pte[d] = pte;
		if (k != PT_TABLE || lvl == 0)
			return 0;
		tab_phys = PT_TABLE_PA(t, pte);
		tab = PT_NAME(table)(t, tab_phys);
		if (!tab)
			return -EFAULT;
	}
}

/* -------------------------------------------------------------- iterate */

static void PT_NAME(iterate_level)(struct iopt_table *t, struct pt_ictx *it,
				   const PT_E *tab, unsigned int lvl,
				   uint64_t va, uint64_t last)
{
	const unsigned int sh = PT_NAME(item_lg2)(lvl);
	const uint64_t m = (1ULL << sh) - 1;
	unsigned int i = PT_NAME(index)(t, va, lvl);
	const unsigned int end = PT_NAME(index)(t, last, lvl);

	for (;; i++) {
		uint64_t sub_last = (va | m) < last ? (va | m) : last;
		uint64_t pte = PT_LOAD(&tab[i]);
		enum pt_kind k = PT_KIND(t, pte, lvl);

		if (k == PT_LEAF) {
			uint64_t off = PT_REPLICATED ?
				va & ((1ULL << (sh + PT_LEAF_CONTIG(t, pte, lvl))) - 1) :
				va & m;

			if (pt_iter_emit(it, va, sub_last, PT_LEAF_OA(t, pte, lvl) + off,
					 PT_LEAF_PROT(t, pte, lvl)))
				return;
		} else if (k == PT_TABLE && lvl > 0) {
			const PT_E *child = PT_NAME(table)(t, PT_TABLE_PA(t, pte));

			if (!child) {
				it->ret = -EFAULT;
				return;
			}
			PT_NAME(iterate_level)(t, it, child, lvl - 1, va, sub_last);
			if (it->ret)
				return;
		}
		if (i == end)
			return;
		va = sub_last + 1;
	}
}

static int PT_NAME(iterate)(struct iopt_table *t, uint64_t iova, uint64_t last,
			    iopt_extent_fn fn, void *arg)
{
	struct pt_ictx it = { .fn = fn, .arg = arg };

	pt_stat_walk(t, &t->stats.walks, 1);
	PT_NAME(iterate_level)(t, &it, t->root, t->top_level, iova, last);
	/* The run being built ends before an unreadable table, if one
	 * stopped the walk: report it, then the fault. */
	if ((!it.ret || it.ret == -EFAULT) && it.have) {
		int ret = fn(arg, it.iova, it.phys, it.last - it.iova + 1, it.prot);

		if (ret)
			return ret;
	}
	return it.ret;
}

/* ----------------------------------------------------------------- free */

/*
 * Free the table at @phys (at @lvl) and everything below it, if it is this
 * tree's table for that level. A table is freed after its children, and a
 * freed table loses its label, so a table that two entries share is freed
 * once and visited once: linear in the tree, whatever the entries say.
 */
static void PT_NAME(free_tree)(struct iopt_table *t, uint64_t phys,
			       unsigned int lvl)
{
	PT_E *tab = PT_NAME(table_own)(t, phys, lvl);

	if (!tab)
		return;
	if (lvl > 0) {
		for (unsigned int i = 0; i < (1u << PT_BITS); i++) {
			uint64_t pte = PT_LE(tab[i]);

			if (PT_KIND(t, pte, lvl) == PT_TABLE)
				PT_NAME(free_tree)(t, PT_TABLE_PA(t, pte), lvl - 1);
		}
	}
	iopt_table_free_(t, tab, phys, PT_TABLE_SIZE);
}

/* Free every table, the root last (its size and width are its own). */
static void PT_NAME(destroy)(struct iopt_table *t)
{
	const PT_E *tab = t->root;

	if (t->top_level > 0) {
		for (unsigned int i = 0; i < (1u << t->top_index_bits); i++) {
			uint64_t pte = PT_LE(tab[i]);

			if (PT_KIND(t, pte, t->top_level) == PT_TABLE)
				PT_NAME(free_tree)(t, PT_TABLE_PA(t, pte),
						   t->top_level - 1);
		}
	}
	iopt_table_free_(t, t->root, t->root_phys, t->root_size);
}

static const struct iopt_fmt_ops PT_NAME(ops) = {
	.destroy = PT_NAME(destroy),
	.map = PT_NAME(map),
	.unmap = PT_NAME(unmap),
	.reclaim = PT_NAME(reclaim),
	.lookup = PT_NAME(lookup),
	.iterate = PT_NAME(iterate),
	.walk_path = PT_NAME(walk_path),
	.free_tree = PT_NAME(free_tree),
	.prot_effective = PT_PROT_EFFECTIVE,
};

#undef PT_ALL_LEAF0_
#undef PT_BITS
#undef PT_TABLE_SIZE
#undef PT_ENTRY_BYTES
#undef PT_ENTRY_LG2
#undef PT_REPLICATED
#undef PT_E
#undef PT_LOAD
#undef PT_STORE
#undef PT_INSTALL
#undef PT_LE
#undef PT_NAME
#undef PT_GRANULE_LG2
