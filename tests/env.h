/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A table over a fresh 16 MiB arena, for the test programs. Include it after
 * harness.h.
 *
 *   struct tenv e;
 *
 *   if (tenv_open(&e, cfg->name, NULL))   failures are reported (H_FAIL)
 *           goto out;
 *   ... e.t, e.g, e.a and the geometry: e.gsz, e.blk, e.base, e.top, ...
 *
 * IOVAs: a test maps at e.base + offset, offsets below e.top (e.base is 0
 * except for ARM TTBR1 tables, whose IOVAs are the upper 2^ias bytes).
 * out:
 *   tenv_close(&e);                       also after a failed tenv_open()
 *
 * Options (struct tenv_opts, NULL for none): quirks added to the named
 * configuration, flush ops with their cookie, memory ops that the table
 * uses instead of the arena's own (they reach the arena through
 * e->arena_mem, e.g. to count the sync calls), and the arena's size.
 * tenv_close() checks that iopt_fini() gave the arena every byte back.
 *
 * Tests whose environment cannot be a tenv (two tables in one arena, other
 * backends) derive the same geometry fields with TENV_SET_GEOMETRY().
 *
 * Flush callbacks can be recorded in the tenv: tenv_rec_ops does it, or a
 * test's own ops call tenv_record_all() / tenv_record_range(). While
 * e->nr_watch tables are watched, each flush counts in e->freed_early the
 * watched tables that are no longer allocated.
 */
#ifndef IOPT_TEST_ENV_H
#define IOPT_TEST_ENV_H

#include <errno.h>
#include <iopt/mem.h>

#define ARENA_BYTES (16u << 20)
#define ARENA_PHYS 0x40000000ULL
#define TENV_MAX_FLUSH 64
#define TENV_MAX_WATCH 8

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct tenv_opts {
	uint32_t quirks;                    /* OR'd into the named config */
	uint32_t cfg_flags;                 /* IOPT_CFG_* OR'd into it */
	const struct iopt_flush_ops *flush; /* NULL: none */
	void *cookie;                       /* for @flush; NULL: the tenv */
	/* Used instead of the arena's ops, over its linear translation. */
	const struct iopt_mem_ops *mem_ops;
	void *mem_ctx;                      /* for @mem_ops; NULL: the tenv */
	size_t arena_bytes;                 /* 0: ARENA_BYTES */
};

/* One flush_range callback. */
struct tenv_flush {
	uint64_t iova, size;
	unsigned int granule_lg2;
	bool leaf_only;
};

struct tenv {
	struct iopt_arena a;
	struct iopt_mem arena_mem;   /* the arena's own backend */
	struct iopt_mem mem;         /* what the table uses */
	struct iopt_config cfg;
	struct iopt_table t;
	struct iopt_gather g;
	void *buf;
	bool up;

	/* geometry, from the bitmap and the config */
	uint64_t bitmap;
	unsigned int gr;      /* log2 granule */
	uint64_t gsz;         /* granule bytes */
	uint64_t blk;         /* first block size above the granule level */
	uint64_t tbl;         /* bytes of a table below the top */
	unsigned int ent;     /* bytes of an entry: 8, or 4 (v7s) */
	uint64_t contig;      /* smallest contiguous-hint size, or 0 (none) */
	bool x86;             /* the x86-64 format */
	bool sext;            /* sign-extended inputs: x86-64, RISC-V */
	/*
	 * The IOVAs the tests use are [base, base + top - 1]: @top bytes from
	 * @base. @base is 0, or 2^64 - 2^ias for an ARM TTBR1 table (the
	 * upper 2^ias bytes); @top is 2^ias (sign-extended formats, x86-64
	 * and RISC-V, and ias 64: 2^(ias-1), the lower half).
	 * So an IOVA a test means at offset X is base + X, the last one is
	 * base + (top - 1), and base + top (computed modulo 2^64: 0 for
	 * TTBR1) is the first IOVA past the end.
	 */
	uint64_t base;
	uint64_t top;
	unsigned int levels;

	/* flush callbacks recorded */
	unsigned int nr_all, nr_range;
	struct tenv_flush r[TENV_MAX_FLUSH];

	/* tables that must still be allocated whenever a flush runs */
	unsigned int nr_watch;
	uint64_t watch[TENV_MAX_WATCH];
	unsigned int freed_early;
};

static inline unsigned int lg2(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

/*
 * Set the geometry fields of @e (bitmap, gr, gsz, blk, tbl, ent, contig,
 * levels, x86, sext, base, top, as in struct tenv: the input space the tests use
 * is [base, base + top - 1]) from its table @table and configuration
 * @config (base: 2^64 - top with IOPT_QUIRK_ARM_TTBR1, else 0).
 * A macro, so that a test's own environment with fields of these names
 * derives them the same way.
 */
#define TENV_SET_GEOMETRY(e, table, config)                                    \
	do {                                                                 \
		uint64_t tg_between_;                                        \
									     \
		(e)->bitmap = iopt_pgsize_bitmap(table);                       \
		(e)->gr = (unsigned int)__builtin_ctzll((e)->bitmap);        \
		(e)->gsz = 1ULL << (e)->gr;                                  \
		/* One level up: a table of 2^(gr-3) entries of the granule; \
		 * v7s: 256 entries (1 KB tables of 32-bit entries). */      \
		(e)->blk = (config)->format == IOPT_FMT_ARM_V7S ? 1ULL << 20 : \
			   1ULL << (2 * (e)->gr - 3);                        \
		(e)->ent = (config)->format == IOPT_FMT_ARM_V7S ? 4 : 8;     \
		(e)->tbl = (e)->blk / (e)->gsz * (e)->ent;                   \
		/* Contiguous-hint sizes: in the bitmap between page and block. */ \
		tg_between_ = (e)->bitmap & ((e)->blk - 1) & ~(e)->gsz;      \
		(e)->contig = tg_between_ & -tg_between_;                    \
		(e)->levels = iopt_levels(table);                              \
		(e)->x86 = (config)->format == IOPT_FMT_X86_64;              \
		(e)->sext = (e)->x86 || (config)->format == IOPT_FMT_RISCV;  \
		/* ias 64 (AMD v1, 6 levels): the lower half, like x86. */  \
		(e)->top = 1ULL << ((e)->sext || (config)->ias >= 64 ?       \
				    (config)->ias - 1 : (config)->ias);      \
		/* ARM TTBR1: the upper 2^ias bytes, from 2^64 - top. */     \
		(e)->base = (config)->quirks & IOPT_QUIRK_ARM_TTBR1 ?        \
			    0 - (e)->top : 0;                                \
	} while (0)

/* Build a table for @name over a fresh arena; 0 or the failing call's code. */
static inline int tenv_open(struct tenv *e, const char *name,
			    const struct tenv_opts *o)
{
	static const struct tenv_opts none;
	void *cookie = NULL;
	size_t bytes;
	int ret;

	if (!o)
		o = &none;
	memset(e, 0, sizeof(*e));
	ret = iopt_config_from_name(name, &e->cfg);
	if (ret) {
		H_FAIL("iopt_config_from_name(\"%s\") = %d", name, ret);
		return ret;
	}
	e->cfg.quirks |= o->quirks;
	e->cfg.flags |= o->cfg_flags;
	bytes = o->arena_bytes ? o->arena_bytes : ARENA_BYTES;
	e->buf = aligned_alloc(4096, bytes);
	if (!e->buf) {
		H_FAIL("out of host memory");
		return -ENOMEM;
	}
	ret = iopt_arena_init(&e->a, e->buf, bytes, ARENA_PHYS);
	if (ret) {
		H_FAIL("iopt_arena_init = %d", ret);
		return ret;
	}
	e->a.poison = true;
	iopt_arena_mem(&e->a, &e->arena_mem);
	e->mem = e->arena_mem;
	if (o->mem_ops) {
		/* the arena's translation, without its bound */
		e->mem = (struct iopt_mem){
			.ops = o->mem_ops,
			.ctx = o->mem_ctx ? o->mem_ctx : e,
			.linear = true,
			.virt_offset = e->arena_mem.virt_offset,
		};
	}
	if (o->flush)
		cookie = o->cookie ? o->cookie : e;
	ret = iopt_init(&e->t, &e->cfg, &e->mem, o->flush, cookie);
	if (ret) {
		H_FAIL("%s: iopt_init = %d", name, ret);
		return ret;
	}
	e->up = true;
	iopt_gather_init(&e->g);
	TENV_SET_GEOMETRY(e, &e->t, &e->cfg);
	return 0;
}

static inline void tenv_close(struct tenv *e)
{
	if (e->up) {
		iopt_fini(&e->t);
		e->up = false;
		if (e->a.used)
			H_FAIL("arena still holds %zu bytes after iopt_fini",
			       e->a.used);
	}
	free(e->buf);
	e->buf = NULL;
}

/* iopt_map_pages() without flags; reports an error or a short map. */
static inline int tenv_map(struct tenv *e, uint64_t iova, uint64_t pa,
			   uint64_t pgsize, uint64_t count, unsigned int prot)
{
	uint64_t mapped = ~0ULL;
	int ret = iopt_map_pages(&e->t, iova, pa, pgsize, count, prot, 0,
				 &mapped);

	if (ret)
		H_FAIL("map iova 0x%" PRIx64 " pa 0x%" PRIx64 " size 0x%"
		       PRIx64 " x%" PRIu64 " prot 0x%x: %d", iova, pa, pgsize,
		       count, prot, ret);
	else if (mapped != pgsize * count)
		H_FAIL("map iova 0x%" PRIx64 ": mapped 0x%" PRIx64, iova,
		       mapped);
	return ret;
}

/* iopt_unmap_range() without flags into e->g; reports an error. */
static inline int tenv_unmap_range(struct tenv *e, uint64_t iova,
				   uint64_t size, uint64_t *unmapped)
{
	int ret = iopt_unmap_range(&e->t, iova, size, 0, &e->g, unmapped);

	if (ret)
		H_FAIL("unmap 0x%" PRIx64 "+0x%" PRIx64 ": %d", iova, size,
		       ret);
	return ret;
}

/* The same, returning the bytes unmapped. */
static inline uint64_t tenv_unmapped(struct tenv *e, uint64_t iova,
				     uint64_t size)
{
	uint64_t unmapped = 0;

	tenv_unmap_range(e, iova, size, &unmapped);
	return unmapped;
}

/* The same, and reports a count of bytes unmapped other than @expect. */
static inline int tenv_unmap(struct tenv *e, uint64_t iova, uint64_t size,
			     uint64_t expect)
{
	uint64_t unmapped = ~0ULL;
	int ret = tenv_unmap_range(e, iova, size, &unmapped);

	if (!ret && unmapped != expect)
		H_FAIL("unmap 0x%" PRIx64 "+0x%" PRIx64 ": unmapped 0x%" PRIx64
		       ", expected 0x%" PRIx64, iova, size, unmapped, expect);
	return ret;
}

/* An iopt_for_each_extent() callback: counts extents in *(uint64_t *)@arg. */
static inline int tenv_count_extent(void *arg, uint64_t iova, uint64_t phys,
				    uint64_t length, unsigned int prot)
{
	(void)iova;
	(void)phys;
	(void)length;
	(void)prot;
	(*(uint64_t *)arg)++;
	return 0;
}

/* ---- recording flush callbacks ---- */

static inline void tenv_check_watch(struct tenv *e)
{
	for (unsigned int i = 0; i < e->nr_watch; i++)
		if (iopt_arena_is_free(&e->a, e->watch[i], 64))
			e->freed_early++;
}

static inline void tenv_record_all(struct tenv *e)
{
	e->nr_all++;
	tenv_check_watch(e);
}

static inline void tenv_record_range(struct tenv *e, uint64_t iova,
				     uint64_t size, unsigned int granule_lg2,
				     bool leaf_only)
{
	if (e->nr_range < TENV_MAX_FLUSH)
		e->r[e->nr_range] = (struct tenv_flush){ iova, size,
							 granule_lg2,
							 leaf_only };
	e->nr_range++;
	tenv_check_watch(e);
}

static inline void tenv_rec_flush_all(void *cookie)
{
	tenv_record_all(cookie);
}

static inline void tenv_rec_flush_range(void *cookie, uint64_t iova,
					uint64_t size, unsigned int granule_lg2,
					bool leaf_only)
{
	tenv_record_range(cookie, iova, size, granule_lg2, leaf_only);
}

/* Flush ops that record into the tenv given as their cookie. */
static const struct iopt_flush_ops tenv_rec_ops = {
	.flush_all = tenv_rec_flush_all,
	.flush_range = tenv_rec_flush_range,
};

/* Forget the flushes recorded and stop watching. */
static inline void tenv_rec_reset(struct tenv *e)
{
	e->nr_all = e->nr_range = 0;
	e->nr_watch = 0;
	e->freed_early = 0;
}

/* Watch the table at @phys from now on. */
static inline void tenv_watch(struct tenv *e, uint64_t phys)
{
	if (e->nr_watch < TENV_MAX_WATCH)
		e->watch[e->nr_watch++] = phys;
}

/*
 * The recorded range that covers [iova, iova + size), or -1. @need_walk:
 * only ranges that invalidate walk caches too (not leaf_only).
 */
static inline int tenv_flush_find(const struct tenv *e, uint64_t iova,
				  uint64_t size, bool need_walk)
{
	for (unsigned int i = 0; i < e->nr_range && i < TENV_MAX_FLUSH; i++) {
		uint64_t last = e->r[i].iova + (e->r[i].size - 1);

		if (need_walk && e->r[i].leaf_only)
			continue;
		if (e->r[i].iova <= iova && iova + (size - 1) <= last)
			return (int)i;
	}
	return -1;
}

/* Was [iova, iova + size) flushed: by a covering range or a flush_all? */
static inline bool tenv_flushed(const struct tenv *e, uint64_t iova,
				uint64_t size, bool need_walk)
{
	return tenv_flush_find(e, iova, size, need_walk) >= 0 ||
	       e->nr_all > 0;
}

#endif /* IOPT_TEST_ENV_H */
