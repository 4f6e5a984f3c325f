// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Fuzz target: the write paths on hostile table memory.
 *
 * Two or three table trees (one configuration, or a second one for the
 * trees after the first) share one strict memory backend, each through its
 * own ctx. The input maps normally, then interleaves corruption of live
 * table memory with iopt_map_pages(), iopt_map_range(), iopt_unmap_pages(),
 * iopt_reclaim(), iopt_unmap_range() (with and without IOPT_UNMAP_NO_HOLES and
 * IOPT_MAP_ALL_OR_NOTHING, with allocation failures), iopt_gather_sync()
 * of gathers that span several unmaps (also of another tree's gather, and
 * of one whose table was destroyed), and iopt_fini() of corrupted trees
 * (optionally with a gather still holding work, and an iopt_init() of the
 * same struct after it). Every call runs between fw_begin() and fw_end().
 *
 * Corruption overwrites entries of live tables (found by iopt_walk_path()
 * through the tree, or any live block of any tree) with raw input bytes or
 * crafted entries: a table entry (the format's own bits, read once from a
 * scratch table on the heap with iopt_walk_path(), address field replaced)
 * pointing at the table itself, its root, an ancestor or descendant on the
 * walked path, another live table of the same tree, another tree's live
 * table or root, the block the backend will hand out next for that size
 * (the "free-list head"), any freed block, never-used memory, an address
 * inside a block (not its start), outside the region; the entry of the
 * walked path copied to another slot (the same child from two entries); a
 * whole table filled with one pointer (to itself, its child or the root:
 * the shapes that made walks exponential); a leaf; an empty entry.
 *
 * The strict backend (fw_alloc() and friends): one region from malloc(), so
 * AddressSanitizer reports any access outside it; blocks of power-of-two
 * sizes aligned (physically) to their size; the most recently freed block
 * of a size is handed out first, as a free list would. Every live
 * allocation is recorded with its size, its tree and the tree's
 * generation (iopt_init() of the same struct starts a new one). It
 * implements the label ops of include/iopt/iopt.h, and per input (setup
 * bits 0-1) the engine gets them as callbacks only, also as the inline
 * labels array, or over a non-linear backend (phys_to_virt()). It fails
 * the run on:
 *  - a free() of anything that is not exactly a live allocation of that
 *    size, made for the same tree and generation, at its own virtual
 *    address; a free of a table that existed before the call, in a call
 *    that has not yet flushed walk caches (flush_all, or flush_range with
 *    leaf_only false);
 *  - set_label() of anything but a live allocation of the calling tree, or
 *    with label 0; once the engine labels at all, a table allocated in a
 *    call and still unlabelled when the call returns;
 *  - a write into freed or never-used memory: it is filled with
 *    FW_POISON, checked when a block is handed out, after every call for
 *    the freed blocks the fuzzer pointed entries at, and over the whole
 *    region at the end of the input;
 *  - a write by a call on one tree into a live block of another tree (or of
 *    a destroyed generation): every live block is copied before each call
 *    and compared after it (the fuzzer's own corruption happens between
 *    calls); a refused call (argument error, -EXDEV, -ENOENT, gather
 *    misuse) must not change its own tree either;
 *  - more allocations than the call may need: none for unmap, sync and fini
 *    ("never allocates"); for a map, twice the tables of every level the
 *    range spans, plus two per level (a retry loop that allocates forever
 *    stops here at once);
 *  - more table visits than linear. A visit is a label_of() or
 *    phys_to_virt() call: the engine makes one per entry it follows (on
 *    write paths with labels; for every descent over a non-linear backend).
 *    The bound: one pass over a tree follows each entry of each table at
 *    most once (iopt.h: "visits each at most once per subtree"), so it
 *    makes at most N * E + R visits, where N is the tree's live tables (at
 *    the start of the call plus those allocated in it), E the entries of a
 *    granule-sized table and R those of the root; a call makes a bounded
 *    number of passes (map: the single-item descent, the check walk, the
 *    check below covered tables, the detach walk, the map walk; unmap: the
 *    descent, two edge paths, the hole check, the clearing walk and the
 *    byte count below covered tables; each sync frees what it holds once),
 *    counted generously as FW_PASSES, plus 4 * IOPT_GATHER_TABLES for the
 *    gathered tables' own checks. A self-referencing or DAG-shared tree
 *    that is walked exponentially exceeds it by orders of magnitude. With
 *    the inline labels array the engine makes no calls to count: there
 *    libFuzzer's -timeout is the bound (mk/fuzz.mk).
 * And it checks what the API returns against iopt.h: argument errors
 * exactly when the arguments are bad (the target knows), and then nothing
 * changed; otherwise map returns only 0 (*mapped == size), -EEXIST or
 * -EFAULT (nothing changed: *mapped 0, no table kept, the tree's memory as
 * before), -ENOMEM (only when an allocation failed; with
 * IOPT_MAP_ALL_OR_NOTHING nothing changed either); unmap only 0, -EXDEV or
 * -ENOENT (IOPT_UNMAP_NO_HOLES only; both change nothing), or -EINVAL
 * exactly when the gather holds work for another table or for a destroyed
 * one (never -EFAULT);
 * *unmapped never exceeds the request, and a successful IOPT_UNMAP_NO_HOLES
 * unmap unmaps all of it; iopt_gather_sync() returns 0, or -EINVAL without
 * freeing or flushing anything when its table was destroyed; the table's
 * counters (iopt_get_stats() table_bytes) equal what the backend holds for
 * it. iopt_fini() must free every table reachable from the root through
 * entries the engine may follow: a live allocation of that tree and
 * generation, of the table size, with the label the engine gave that
 * level (learned from a probe map's path right after iopt_init()); tables
 * left unreachable by the corruption, and those in a gather that still
 * held work when its table was destroyed, are the documented leaks.
 *
 * A failed check prints the configuration, the last operations and what
 * went wrong, then abort()s (tests/fuzz/fuzz.h); with IOPT_FUZZ_TRACE set in
 * the environment every operation is printed as it runs, and all free
 * memory is checked after every call. IOPT_FUZZ_NO_HOLES=0 leaves out
 * IOPT_UNMAP_NO_HOLES (to look past a known finding in its hole check).
 *
 * Input (little-endian):
 *   byte 0   configuration of tree 0 (fz_config_name())
 *   byte 1   setup: bits 0-1 label mode (0, 3: label_of callbacks; 1: and the
 *            inline labels array; 2: non-linear backend, phys_to_virt),
 *            bit 2 three trees instead of two, bit 3 the other trees use the
 *            configuration in byte 2, bit 4 no flush_range callback,
 *            bit 5 IOPT_CFG_STATS
 *   byte 2   configuration of the other trees (with setup bit 3)
 *   bytes    u16 per tree: the probe address (fw_pick_iova() indices)
 *   then ops one byte each, then a tree byte and the op's operands, until
 *            the input ends or FW_MAX_OPS (low nibble of the op byte: 0-1
 *            map_pages, 2 map_range, 3-4 unmap_range, 5 unmap_pages, 6 sync
 *            of the tree's gather, 7-11 corruption (fw_corrupt()), 12
 *            iopt_fini (0x10: sync first, 0x20: iopt_init again), 13 iopt_init
 *            of a destroyed tree, 14-15 one to four unmaps into one gather,
 *            then its sync); at the end every gather is synced and every tree
 *            destroyed, with the checks above. tests/fuzz/seeds.py
 *            (write_seeds()) writes inputs of this layout.
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>

#define FW_REGION_SIZE ((size_t)4 << 20)
#define FW_PHYS UINT64_C(0x80000000)      /* aligned to the region's size */
#define FW_UNIT_LG2 IOPT_MEM_LABEL_UNIT_LG2
#define FW_UNIT ((size_t)1 << FW_UNIT_LG2)
#define FW_NUNITS (FW_REGION_SIZE >> FW_UNIT_LG2)
#define FW_MAX_BLKS 4096            /* live allocations at once */
#define FW_MAX_TREES 3
#define FW_MAX_OPS 192
#define FW_MAX_LG2 22               /* largest block: the region / 1 */
#define FW_LIFO 32                  /* recently freed blocks kept per size */
#define FW_WATCH 32                 /* freed blocks pointed at, rechecked */
#define FW_FRESH 512                /* blocks allocated in one call, tracked */
#define FW_LOG 24                   /* operations shown on failure */
#define FW_PASSES 16
#define FW_POISON 0xfefefefefefefefeULL /* "not present" everywhere but VT-d
					  * (W set, reserved TM bit 62) */
#define FW_JUNK 0xa5                /* IOPT_MEM_NOZERO blocks */

struct fw_blk {
	uint64_t phys;
	size_t size;
	uint32_t label;
	uint32_t call;       /* the call that allocated it */
	uint32_t gen;        /* generation of the owner */
	uint32_t mark;       /* reachability epoch */
	uint8_t owner;       /* tree index */
	bool live;
};

struct fw_state;

struct fw_ctx {
	struct fw_state *s;
	unsigned int id;
	uint32_t gen;
};

/* Entry bits of a configuration, read from a scratch table. */
struct fw_tmpl {
	bool done;
	uint64_t tbl;            /* a table entry, address field clear */
	uint64_t leaf[8];        /* leaves per level, address field clear */
	uint64_t contig[8];      /* contiguous-run leaves */
	bool have_tbl, have_leaf[8], have_contig[8];
};

struct fw_tree {
	unsigned int id;
	unsigned int cfg_sel;
	const char *name;
	struct iopt_config cfg;
	struct iopt_table t;
	bool live;
	struct fw_ctx ctx;
	struct iopt_mem mem;
	struct iopt_flush_ops flush;
	struct iopt_gather g;
	bool g_stale;            /* g held work for a table that was destroyed */
	const struct fw_tmpl *tm;

	/* geometry */
	unsigned int gl2, bits, levels, top_bits, ias, oas;
	bool sext;
	uint64_t bitmap, min_pg, gsz;
	uint64_t tsz;            /* bytes of a table below the top */
	unsigned int ent;        /* bytes of an entry: 8, or 4 (v7s) */
	size_t entries, root_entries;
	uint64_t sizes[64];
	unsigned int nsizes;
	uint64_t va_lo_last, va_hi_first;
	uint64_t probe;

	/* labels the engine gave each level (learned after iopt_init) */
	uint32_t lvl_label[8];
	bool lvl_known[8];

	/* the current generation's allocations */
	uint64_t nlive, live_bytes;
};

struct fw_state {
	unsigned char *region;
	unsigned char *shadow;   /* copies of live blocks before a call */
	uint32_t *labels;        /* the inline array (setup mode 1) */
	uint16_t unit[FW_NUNITS];/* record + 1 of the live block at each unit */
	struct fw_blk blk[FW_MAX_BLKS];
	uint16_t slots[FW_MAX_BLKS];
	unsigned int nslots;
	uint64_t lifo[FW_MAX_LG2 + 1][FW_LIFO];
	unsigned int nlifo[FW_MAX_LG2 + 1];
	size_t hw;               /* end of the part of the region ever used */
	bool poisoned;           /* the region holds poison beyond hw */

	unsigned int mode;
	bool no_range_flush, stats;
	struct fw_tree tree[FW_MAX_TREES];
	unsigned int ntrees;

	/* the running call */
	int cur;                 /* its tree, -1 between calls */
	uint32_t call;
	uint64_t c_allocs, c_frees, c_visits, c_flushes;
	uint64_t c_max_allocs;
	uint64_t c_nlive0;       /* live tables of the tree when it began */
	uint64_t c_fail_nth;     /* this allocation of the call fails */
	bool c_alloc_failed;
	bool c_walk_flushed;
	uint16_t fresh[FW_FRESH];
	unsigned int nfresh;
	bool labels_seen;        /* the engine has called set_label() */
	uint32_t epoch;

	uint64_t watch[FW_WATCH];
	unsigned int nwatch;

	bool trace;              /* IOPT_FUZZ_TRACE set: print every operation */
	bool no_holes_off;       /* IOPT_FUZZ_NO_HOLES=0: never IOPT_UNMAP_NO_HOLES */
	char log[FW_LOG][200];
	unsigned int nlog;
	unsigned int opno;
};

static struct fw_state fw_the_state;
static struct fw_tmpl fw_tmpls[64];

/* ---- failures ---- */

static void fw_dump(const struct fw_state *s)
{
	fz_note("fuzz_write: mode %u, %u trees:", s->mode, s->ntrees);
	for (unsigned int i = 0; i < s->ntrees; i++)
		fz_note("  tree %u: %s (generation %u)%s", i, s->tree[i].name,
			s->tree[i].ctx.gen, s->tree[i].live ? "" : ", destroyed");
	fz_note("the last operations (op %u last):", s->opno);
	for (unsigned int k = s->nlog > FW_LOG ? s->nlog - FW_LOG : 0; k < s->nlog; k++)
		fz_note("  %s", s->log[k % FW_LOG]);
}

#define FW_FAIL(s, ...)                                                      \
	do {                                                                 \
		fw_dump(s);                                                  \
		FZ_FAIL(__VA_ARGS__);                                        \
	} while (0)

#define FW_CHECK(s, cond, ...)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			fz_note("%s", #cond);                                \
			FW_FAIL(s, __VA_ARGS__);                             \
		}                                                            \
	} while (0)

__attribute__((format(printf, 2, 3)))
static void fw_log(struct fw_state *s, const char *fmt, ...)
{
	va_list ap;
	char *p = s->log[s->nlog % FW_LOG];
	int n = snprintf(p, sizeof(s->log[0]), "op %u: ", s->opno);

	va_start(ap, fmt);
	vsnprintf(p + n, sizeof(s->log[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	if (s->trace)
		fz_note("%s", p);
	s->nlog++;
}

/* ---- the region and its records ---- */

static void *fw_virt(struct fw_state *s, uint64_t phys)
{
	return s->region + (phys - FW_PHYS);
}

static bool fw_in_region(uint64_t phys, uint64_t len)
{
	return phys >= FW_PHYS && len <= FW_REGION_SIZE &&
	       phys - FW_PHYS <= FW_REGION_SIZE - len;
}

/* The record of the live block that holds @phys, or -1. */
static int fw_blk_at(const struct fw_state *s, uint64_t phys)
{
	if (!fw_in_region(phys, 1))
		return -1;
	return (int)s->unit[(phys - FW_PHYS) >> FW_UNIT_LG2] - 1;
}

/* The record of the live block of exactly @size at @phys, or -1. */
static int fw_blk_exact(const struct fw_state *s, uint64_t phys, size_t size)
{
	int i = fw_blk_at(s, phys);

	if (i < 0 || s->blk[i].phys != phys || s->blk[i].size != size)
		return -1;
	return i;
}

static bool fw_is_poison(const unsigned char *p, size_t len, size_t *bad)
{
	for (size_t k = 0; k < len; k += 8)
		if (fz_get_le64(p + k) != FW_POISON) {
			*bad = k;
			return false;
		}
	return true;
}

static void fw_poison(unsigned char *p, size_t len)
{
	memset(p, 0xfe, len);
}

/* Freed or never-used memory in [phys, phys + len) must still be poison. */
static void fw_check_free_range(struct fw_state *s, uint64_t phys, size_t len,
				const char *when)
{
	for (uint64_t u = phys; u < phys + len; u += FW_UNIT) {
		size_t bad;

		if (fw_blk_at(s, u) >= 0)
			continue;
		if (!fw_is_poison(fw_virt(s, u), FW_UNIT, &bad))
			FW_FAIL(s, "%s: free memory at 0x%" PRIx64 " was written (0x%016" PRIx64 ")",
				when, u + bad, fz_get_le64((unsigned char *)fw_virt(s, u) + bad));
	}
}

static bool fw_range_free(const struct fw_state *s, size_t off, size_t size)
{
	for (size_t u = off >> FW_UNIT_LG2; u < (off + size) >> FW_UNIT_LG2; u++)
		if (s->unit[u])
			return false;
	return true;
}

/* ---- the backend ---- */

static struct fw_tree *fw_ctx_tree(struct fw_ctx *c)
{
	return &c->s->tree[c->id];
}

static void fw_in_call(struct fw_ctx *c, const char *what)
{
	struct fw_state *s = c->s;

	if (s->cur != (int)c->id)
		FW_FAIL(s, "%s through tree %u's backend during %s", what, c->id,
			s->cur < 0 ? "no call" : "a call on another tree");
}

static uint64_t fw_visit_bound(const struct fw_state *s, const struct fw_tree *t)
{
	return FW_PASSES * ((s->c_nlive0 + s->c_allocs) * t->entries +
			    t->root_entries) + 4 * IOPT_GATHER_TABLES + 64;
}

static void fw_visit(struct fw_ctx *c, uint64_t phys)
{
	struct fw_state *s = c->s;
	struct fw_tree *t = fw_ctx_tree(c);

	fw_in_call(c, "a table visit");
	if (++s->c_visits > fw_visit_bound(s, t))
		FW_FAIL(s, "more than %" PRIu64 " table visits (label_of/phys_to_virt) in one call on a tree of %" PRIu64 " tables (%" PRIu64 " allocated in the call): not linear (last 0x%" PRIx64 ")",
			fw_visit_bound(s, t), s->c_nlive0, s->c_allocs, phys);
}

static void *fw_alloc(void *ctx, size_t size, uint64_t *phys, unsigned int flags)
{
	struct fw_ctx *c = ctx;
	struct fw_state *s = c->s;
	struct fw_tree *t = fw_ctx_tree(c);
	unsigned int lg2;
	size_t off = SIZE_MAX, bad;
	unsigned char *v;
	int slot;

	fw_in_call(c, "alloc");
	if (++s->c_allocs > s->c_max_allocs)
		FW_FAIL(s, "allocation %" PRIu64 " of 0x%zx bytes in a call that may make at most %" PRIu64,
			s->c_allocs, size, s->c_max_allocs);
	FW_CHECK(s, size >= FW_UNIT && !(size & (size - 1)) &&
		 size <= FW_REGION_SIZE / 4 &&
		 (flags & ~(IOPT_MEM_NOZERO | IOPT_MEM_DMA32)) == 0,
		 "alloc(0x%zx, flags 0x%x)", size, flags);
	if (s->c_fail_nth && s->c_allocs == s->c_fail_nth) {
		s->c_alloc_failed = true;
		return NULL;
	}
	if (!s->nslots) {
		s->c_alloc_failed = true;
		return NULL;
	}
	lg2 = fz_lg2(size);
	/* The most recently freed block of this size first. */
	while (s->nlifo[lg2] && off == SIZE_MAX) {
		size_t o = (size_t)(s->lifo[lg2][--s->nlifo[lg2]] - FW_PHYS);

		if (fw_range_free(s, o, size))
			off = o;
	}
	for (size_t o = 0; off == SIZE_MAX && o < FW_REGION_SIZE; o += size)
		if (fw_range_free(s, o, size))
			off = o;
	if (off == SIZE_MAX) {
		s->c_alloc_failed = true;
		return NULL;
	}
	v = s->region + off;
	if (!fw_is_poison(v, size, &bad))
		FW_FAIL(s, "alloc: free block 0x%" PRIx64 " (0x%zx bytes) was written at +0x%zx (0x%016" PRIx64 ")",
			FW_PHYS + off, size, bad, fz_get_le64(v + bad));
	memset(v, (flags & IOPT_MEM_NOZERO) ? FW_JUNK : 0, size);
	slot = s->slots[--s->nslots];
	s->blk[slot] = (struct fw_blk){
		.phys = FW_PHYS + off, .size = size, .call = s->call,
		.gen = c->gen, .owner = (uint8_t)c->id, .live = true,
	};
	for (size_t u = off >> FW_UNIT_LG2; u < (off + size) >> FW_UNIT_LG2; u++)
		s->unit[u] = (uint16_t)(slot + 1);
	if (off + size > s->hw)
		s->hw = off + size;
	if (s->nfresh < FW_FRESH)
		s->fresh[s->nfresh++] = (uint16_t)slot;
	t->nlive++;
	t->live_bytes += size;
	*phys = FW_PHYS + off;
	return v;
}

static void fw_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct fw_ctx *c = ctx;
	struct fw_state *s = c->s;
	struct fw_tree *t = fw_ctx_tree(c);
	int i = fw_blk_exact(s, phys, size), j = fw_blk_at(s, phys);
	struct fw_blk *b;
	unsigned int lg2;

	fw_in_call(c, "free");
	s->c_frees++;
	if (i < 0) {
		if (!fw_in_region(phys, 1))
			FW_FAIL(s, "free(0x%" PRIx64 ", 0x%zx): outside the region", phys, size);
		if (j < 0)
			FW_FAIL(s, "free(0x%" PRIx64 ", 0x%zx): not allocated (freed or never handed out)",
				phys, size);
		FW_FAIL(s, "free(0x%" PRIx64 ", 0x%zx): the live block there is 0x%" PRIx64 " of 0x%zx bytes (tree %u generation %u)",
			phys, size, s->blk[j].phys, s->blk[j].size, s->blk[j].owner,
			s->blk[j].gen);
	}
	b = &s->blk[i];
	if (b->owner != c->id || b->gen != c->gen)
		FW_FAIL(s, "free(0x%" PRIx64 ", 0x%zx) through tree %u generation %u: the block belongs to tree %u generation %u",
			phys, size, c->id, c->gen, b->owner, b->gen);
	FW_CHECK(s, virt == fw_virt(s, phys),
		 "free(virt %p, phys 0x%" PRIx64 "): that block is at %p", virt, phys,
		 fw_virt(s, phys));
	if (b->call != s->call && !s->c_walk_flushed)
		FW_FAIL(s, "free(0x%" PRIx64 ") of a table older than the call before any walk-cache flush in it",
			phys);
	for (size_t u = (phys - FW_PHYS) >> FW_UNIT_LG2;
	     u < (phys - FW_PHYS + size) >> FW_UNIT_LG2; u++)
		s->unit[u] = 0;
	if (s->labels)
		__atomic_store_n(&s->labels[(phys - FW_PHYS) >> FW_UNIT_LG2], 0,
				 __ATOMIC_RELAXED);
	fw_poison(virt, size);
	b->live = false;
	s->slots[s->nslots++] = (uint16_t)i;
	lg2 = fz_lg2(size);
	if (s->nlifo[lg2] == FW_LIFO) {
		memmove(s->lifo[lg2], s->lifo[lg2] + 1, (FW_LIFO - 1) * sizeof(uint64_t));
		s->nlifo[lg2]--;
	}
	s->lifo[lg2][s->nlifo[lg2]++] = phys;
	t->nlive--;
	t->live_bytes -= size;
}

static void *fw_phys_to_virt(void *ctx, uint64_t phys)
{
	struct fw_ctx *c = ctx;
	struct fw_tree *t = fw_ctx_tree(c);

	fw_visit(c, phys);
	if (!fw_in_region(phys, t->tsz))
		return NULL;
	return fw_virt(c->s, phys);
}

static void fw_set_label(void *ctx, uint64_t phys, size_t size, uint32_t label)
{
	struct fw_ctx *c = ctx;
	struct fw_state *s = c->s;
	int i = fw_blk_exact(s, phys, size);

	fw_in_call(c, "set_label");
	if (i < 0 || s->blk[i].owner != c->id || s->blk[i].gen != c->gen)
		FW_FAIL(s, "set_label(0x%" PRIx64 ", 0x%zx, 0x%x) through tree %u: not a live allocation of that tree",
			phys, size, label, c->id);
	FW_CHECK(s, label != 0, "set_label(0x%" PRIx64 ", 0x%zx, 0)", phys, size);
	s->labels_seen = true;
	s->blk[i].label = label;
	if (s->labels)
		__atomic_store_n(&s->labels[(phys - FW_PHYS) >> FW_UNIT_LG2], label,
				 __ATOMIC_RELAXED);
}

static uint32_t fw_label_of(void *ctx, uint64_t phys, size_t size)
{
	struct fw_ctx *c = ctx;
	int i;

	fw_visit(c, phys);
	i = fw_blk_exact(c->s, phys, size);
	return i < 0 ? 0 : c->s->blk[i].label;
}

static const struct iopt_mem_ops fw_mem_ops = {
	.alloc = fw_alloc,
	.free = fw_free,
	.phys_to_virt = fw_phys_to_virt,
	.set_label = fw_set_label,
	.label_of = fw_label_of,
};

static void fw_flush_all(void *cookie)
{
	struct fw_tree *t = cookie;
	struct fw_state *s = &fw_the_state;

	FW_CHECK(s, s->cur == (int)t->id, "flush_all of tree %u during a call on %d",
		 t->id, s->cur);
	s->c_flushes++;
	s->c_walk_flushed = true;
}

static void fw_flush_range(void *cookie, uint64_t iova, uint64_t size,
			   unsigned int granule_lg2, bool leaf_only)
{
	struct fw_tree *t = cookie;
	struct fw_state *s = &fw_the_state;

	FW_CHECK(s, s->cur == (int)t->id, "flush_range of tree %u during a call on %d",
		 t->id, s->cur);
	FW_CHECK(s, size && iova + (size - 1) >= iova && granule_lg2 < 64,
		 "flush_range(0x%" PRIx64 ", 0x%" PRIx64 ", 2^%u)", iova, size,
		 granule_lg2);
	s->c_flushes++;
	if (!leaf_only)
		s->c_walk_flushed = true;
}

/* ---- calls ---- */

/* Copy every live block, so fw_end() can tell what the call wrote. */
static void fw_begin(struct fw_state *s, struct fw_tree *t, uint64_t max_allocs)
{
	s->cur = (int)t->id;
	s->call++;
	s->c_allocs = s->c_frees = s->c_visits = s->c_flushes = 0;
	s->c_max_allocs = max_allocs;
	s->c_nlive0 = t->nlive;
	s->c_alloc_failed = false;
	s->c_walk_flushed = false;
	s->nfresh = 0;
	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		const struct fw_blk *b = &s->blk[i];

		if (b->live)
			memcpy(s->shadow + (b->phys - FW_PHYS),
			       s->region + (b->phys - FW_PHYS), b->size);
	}
}

/*
 * After a call: no other tree's block changed (nor, with @own_same, the
 * tree's own), freed memory pointed at is still poison, new tables are
 * labelled, the table's counters match the backend.
 */
static void fw_end(struct fw_state *s, struct fw_tree *t, bool own_same,
		   const char *what)
{
	struct iopt_stats st;

	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		const struct fw_blk *b = &s->blk[i];
		size_t off = b->phys - FW_PHYS;
		bool own = b->owner == t->id && b->gen == t->ctx.gen;

		if (!b->live || b->call == s->call || (own && !own_same) ||
		    !memcmp(s->shadow + off, s->region + off, b->size))
			continue;
		for (size_t k = 0; k < b->size; k += 8)
			if (memcmp(s->shadow + off + k, s->region + off + k, 8))
				FW_FAIL(s, "%s on tree %u wrote 0x%016" PRIx64 " (was 0x%016" PRIx64 ") into %s block 0x%" PRIx64 " (tree %u generation %u) at +0x%zx",
					what, t->id, fz_get_le64(s->region + off + k),
					fz_get_le64(s->shadow + off + k),
					own ? "its own" : "another tree's", b->phys,
					b->owner, b->gen, k);
	}
	for (unsigned int k = 0; k < s->nwatch; k++)
		fw_check_free_range(s, s->watch[k] & ~(FW_UNIT - 1),
				    (size_t)1 << (s->watch[k] & (FW_UNIT - 1)), what);
	if (s->trace) /* all of it, to name the call that wrote */
		fw_check_free_range(s, FW_PHYS, s->hw, what);
	if (s->labels_seen)
		for (unsigned int k = 0; k < s->nfresh; k++) {
			const struct fw_blk *b = &s->blk[s->fresh[k]];

			FW_CHECK(s, !b->live || b->call != s->call || b->label,
				 "%s allocated 0x%" PRIx64 " (0x%zx bytes) and did not label it",
				 what, b->phys, b->size);
		}
	iopt_get_stats(&t->t, &st);
	FW_CHECK(s, st.table_bytes == t->live_bytes,
		 "after %s tree %u counts 0x%" PRIx64 " bytes of tables; the backend holds 0x%" PRIx64 " for it",
		 what, t->id, st.table_bytes, t->live_bytes);
	s->cur = -1;
	s->c_fail_nth = 0;
}

/* No table allocated by this call is still live (a refused map). */
static bool fw_kept_none(const struct fw_state *s)
{
	for (unsigned int k = 0; k < s->nfresh; k++) {
		const struct fw_blk *b = &s->blk[s->fresh[k]];

		if (b->live && b->call == s->call)
			return false;
	}
	return s->nfresh < FW_FRESH;
}

/* ---- formats: entry width and address fields ---- */

/* An entry of @t's width at @p, little-endian (a 32-bit one zero-extended). */
static uint64_t fw_get(const struct fw_tree *t, const unsigned char *p)
{
	uint64_t v = 0;

	for (unsigned int i = t->ent; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void fw_put(const struct fw_tree *t, unsigned char *p, uint64_t v)
{
	for (unsigned int i = 0; i < t->ent; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t fw_addr_mask(const struct fw_tree *t)
{
	if (t->cfg.format == IOPT_FMT_ARM_V7S)		/* table: [31:10] */
		return 0xfffffc00ULL;
	if (t->cfg.format == IOPT_FMT_APPLE_DART2)	/* PA[41:14] in [37:10] */
		return 0x0000003ffffffc00ULL;
	if (t->cfg.format == IOPT_FMT_X86_64 || t->cfg.format == IOPT_FMT_AMD_V1 ||
	    t->cfg.format == IOPT_FMT_VTD_SS)
		return 0x000ffffffffff000ULL;
	if (t->cfg.format == IOPT_FMT_RISCV)		/* PPN: PA[55:12] in [53:10] */
		return 0x003ffffffffffc00ULL;
	return (0x0000ffffffffffffULL & ~(t->gsz - 1)) |
	       (t->gl2 == 16 ? 0xf000ULL : 0);
}

static uint64_t fw_enc(const struct fw_tree *t, uint64_t pa)
{
	if (t->cfg.format == IOPT_FMT_ARM_V7S)
		return pa & 0xfffffc00ULL;
	if (t->cfg.format == IOPT_FMT_APPLE_DART2)
		return (pa >> 4) & 0x0000003ffffffc00ULL;
	if (t->cfg.format == IOPT_FMT_X86_64 || t->cfg.format == IOPT_FMT_AMD_V1 ||
	    t->cfg.format == IOPT_FMT_VTD_SS)
		return pa & 0x000ffffffffff000ULL;
	if (t->cfg.format == IOPT_FMT_RISCV)
		return (pa >> 2) & 0x003ffffffffffc00ULL;
	return (pa & 0x0000ffffffffffffULL & ~(t->gsz - 1)) |
	       (t->gl2 == 16 ? ((pa >> 48) & 0xf) << 12 : 0);
}

static uint64_t fw_dec(const struct fw_tree *t, uint64_t pte)
{
	if (t->cfg.format == IOPT_FMT_ARM_V7S)
		return pte & 0xfffffc00ULL;
	if (t->cfg.format == IOPT_FMT_APPLE_DART2)
		return (pte & 0x0000003ffffffc00ULL) << 4;
	if (t->cfg.format == IOPT_FMT_X86_64 || t->cfg.format == IOPT_FMT_AMD_V1 ||
	    t->cfg.format == IOPT_FMT_VTD_SS)
		return pte & 0x000ffffffffff000ULL;
	if (t->cfg.format == IOPT_FMT_RISCV)
		return (pte & 0x003ffffffffffc00ULL) << 2;
	return (pte & 0x0000ffffffffffffULL & ~(t->gsz - 1)) |
	       (t->gl2 == 16 ? ((pte >> 12) & 0xf) << 48 : 0);
}

/* Does the engine follow @pte at @lvl as a table (its formats' rules)? */
static bool fw_is_table(const struct fw_tree *t, uint64_t pte, unsigned int lvl)
{
	if (t->cfg.format == IOPT_FMT_ARM_V7S)	/* [1:0] = 01 in the L1 table */
		return lvl && (pte & 3) == 1;
	if (t->cfg.format == IOPT_FMT_VTD_SS)	/* R or W, no PS */
		return lvl && (pte & 3) && !(pte & (1ULL << 7));
	if (lvl == 0 || !(pte & 1))
		return false;
	if (t->cfg.format == IOPT_FMT_AMD_V1)	/* NextLevel names the next one */
		return ((pte >> 9) & 7) == lvl;
	if (t->cfg.format == IOPT_FMT_APPLE_DART ||	/* the valid bit alone */
	    t->cfg.format == IOPT_FMT_APPLE_DART2)
		return true;
	if (t->cfg.format == IOPT_FMT_X86_64)
		return !(lvl <= 2 && (pte & (1ULL << 7)));
	if (t->cfg.format == IOPT_FMT_RISCV)	/* V with R = W = X = 0 */
		return !(pte & 0xe);
	return pte & 2;
}

static uint64_t fw_item_lg2(const struct fw_tree *t, unsigned int lvl)
{
	return t->gl2 + lvl * t->bits;
}

/* The first IOVA: 0, or ARM TTBR1's 2^64 - 2^ias; the IOVAs picked below
 * 2^ias are offsets from it. */
static uint64_t fw_base(const struct fw_tree *t)
{
	return t->cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - (1ULL << t->cfg.ias)
						    : 0;
}

/* Entry bits of the configuration: a scratch table in an arena of its own
 * (below 2^32, as every output size allows) maps one page of each size at
 * [size, 2 size) and iopt_walk_path() reads them. */
static const struct fw_tmpl *fw_templates(struct fw_state *s, struct fw_tree *t)
{
	static struct iopt_arena arena;
	static void *region;
	const size_t region_size = (size_t)16 << 20;
	struct fw_tmpl *tm = &fw_tmpls[t->cfg_sel % 64];
	struct iopt_table sc;
	struct iopt_mem mem;
	uint64_t mask = fw_addr_mask(t);
	int rc;

	if (tm->done)
		return tm;
	if (!region && !(region = malloc(region_size)))
		FZ_FAIL("fuzz_write: no memory for the scratch arena");
	rc = iopt_arena_init(&arena, region, region_size, 0x40000000);
	FW_CHECK(s, rc == 0, "iopt_arena_init = %s", fz_err_name(rc));
	iopt_arena_mem(&arena, &mem);
	rc = iopt_init(&sc, &t->cfg, &mem, NULL, NULL);
	FW_CHECK(s, rc == 0, "scratch iopt_init of %s = %s", t->name, fz_err_name(rc));
	for (unsigned int k = 0; k < t->nsizes; k++) {
		uint64_t sz = t->sizes[k], mapped;
		struct iopt_path p;

		if (sz > t->va_lo_last / 2 || (t->oas < 64 && 2 * sz > 1ULL << t->oas))
			continue;
		if (iopt_map_pages(&sc, fw_base(t) + sz, sz, sz, 1, IOPT_READ | IOPT_WRITE, 0,
				   &mapped) ||
		    iopt_walk_path(&sc, fw_base(t) + sz, &p) || !p.depth)
			continue;
		for (unsigned int d = 0; d + 1 < p.depth; d++) {
			tm->tbl = p.pte[d] & ~mask;
			tm->have_tbl = true;
		}
		{
			unsigned int l = p.level[p.depth - 1];
			bool contig = sz != 1ULL << fw_item_lg2(t, l);

			if (contig) {
				tm->contig[l] = p.pte[p.depth - 1] & ~mask;
				/* Svnapot's PPN[3:0] = 1000 marks the size */
				if (t->cfg.format == IOPT_FMT_RISCV)
					tm->contig[l] |= p.pte[p.depth - 1] &
							 (1ULL << 13);
				tm->have_contig[l] = true;
			} else {
				tm->leaf[l] = p.pte[p.depth - 1] & ~mask;
				tm->have_leaf[l] = true;
			}
		}
	}
	iopt_fini(&sc);
	FW_CHECK(s, tm->have_tbl, "no table entry in the scratch table of %s", t->name);
	tm->done = true;
	return tm;
}

static uint64_t fw_tbl_entry(const struct fw_tree *t, uint64_t pa)
{
	return t->tm->tbl | fw_enc(t, pa);
}

/* The record of the live block that starts at @phys, any size, or -1. */
static int fw_blk_start(const struct fw_state *s, uint64_t phys)
{
	int i = fw_blk_at(s, phys);

	return i >= 0 && s->blk[i].phys == phys ? i : -1;
}

/* iopt_walk_path() of a tree (a read: it may visit, never allocate). */
static int fw_walk(struct fw_state *s, struct fw_tree *t, uint64_t iova,
		   struct iopt_path *p)
{
	int rc;

	s->cur = (int)t->id;
	s->c_visits = s->c_allocs = s->c_max_allocs = 0;
	s->c_nlive0 = t->nlive;
	rc = iopt_walk_path(&t->t, iova, p);
	s->cur = -1;
	FW_CHECK(s, s->c_visits <= t->levels, "iopt_walk_path made %" PRIu64 " visits",
		 s->c_visits);
	return rc;
}

/* ---- trees ---- */

static void fw_geometry(struct fw_state *s, struct fw_tree *t)
{
	t->bitmap = iopt_pgsize_bitmap(&t->t);
	t->min_pg = t->bitmap & -t->bitmap;
	t->gl2 = fz_lg2(t->min_pg);
	t->gsz = t->min_pg;
	t->ent = t->cfg.format == IOPT_FMT_ARM_V7S ? 4 : 8;
	t->bits = t->cfg.format == IOPT_FMT_ARM_V7S ? 8 : t->gl2 - 3;
	t->tsz = ((uint64_t)1 << t->bits) * t->ent;
	t->levels = iopt_levels(&t->t);
	t->ias = t->cfg.ias;
	t->oas = t->cfg.oas;
	t->sext = h_sign_extended(&t->cfg);
	t->top_bits = t->ias - t->gl2 - t->bits * (t->levels - 1);
	t->entries = (size_t)1 << t->bits;
	t->root_entries = (size_t)1 << t->top_bits;
	t->va_lo_last = (1ULL << (t->sext ? t->ias - 1 : t->ias)) - 1;
	t->va_hi_first = t->sext ? 0 - (1ULL << (t->ias - 1)) : 0;
	t->nsizes = 0;
	for (unsigned int b = 0; b < 64; b++)
		if (t->bitmap >> b & 1)
			t->sizes[t->nsizes++] = 1ULL << b;
	FW_CHECK(s, t->levels >= 2 && t->levels <= 6 && t->nsizes,
		 "%s: %u levels", t->name, t->levels);
}

/* An address of one small index per level (so addresses share tables),
 * aligned to @align; see the top of the file. */
static uint64_t fw_pick_iova(const struct fw_tree *t, struct fz *f, uint64_t align)
{
	uint8_t m = fz_u8(f);
	uint64_t v = 0;

	if (m % 8 == 7) {
		v = fz_u64(f) & t->va_lo_last;
	} else {
		uint16_t seed = fz_u16(f);

		for (unsigned int l = 0; l < t->levels; l++) {
			uint64_t i = (seed >> (2 * l)) & 3;

			if (l == t->levels - 1 && (m & 0x10))
				i = t->root_entries - 1 - (i % t->root_entries);
			v |= (i % (l == t->levels - 1 ? t->root_entries : t->entries))
			     << fw_item_lg2(t, l);
		}
		v &= t->va_lo_last;
	}
	if (m & 0x40)
		v += (uint64_t)(fz_u8(f) % 8) * align;
	if (t->sext && (m & 0x20))
		v |= t->va_hi_first;
	return (v & ~(align - 1)) + fw_base(t);
}

static uint64_t fw_probe_iova(const struct fw_tree *t)
{
	uint64_t v = 0;

	for (unsigned int l = 0; l < t->levels; l++)
		v |= ((t->probe >> (2 * l)) & 3) << fw_item_lg2(t, l);
	return (v & t->va_lo_last) + fw_base(t);
}

/*
 * iopt_init() of @t (a new generation of its backend ctx), then a probe map
 * of one smallest page, whose path gives the label of every level.
 */
static void fw_tree_init(struct fw_state *s, struct fw_tree *t)
{
	struct iopt_path p;
	uint64_t mapped, iova;
	int rc;

	t->ctx.s = s;
	t->ctx.id = t->id;
	t->ctx.gen++;
	t->nlive = t->live_bytes = 0;
	memset(&t->mem, 0, sizeof(t->mem));
	t->mem.ops = &fw_mem_ops;
	t->mem.ctx = &t->ctx;
	if (s->mode != 2) {
		t->mem.linear = true;
		t->mem.virt_offset = (uint64_t)(uintptr_t)s->region - FW_PHYS;
		t->mem.bound_lo = FW_PHYS;
		t->mem.bound_size = FW_REGION_SIZE;
		if (s->mode == 1)
			t->mem.labels = s->labels;
	}
	t->flush.flush_all = fw_flush_all;
	t->flush.flush_range = s->no_range_flush ? NULL : fw_flush_range;
	fw_log(s, "iopt_init tree %u (%s) generation %u", t->id, t->name, t->ctx.gen);
	t->cfg.flags = s->stats ? IOPT_CFG_STATS : 0;
	fw_begin(s, t, 1);
	rc = iopt_init(&t->t, &t->cfg, &t->mem, &t->flush, t);
	FW_CHECK(s, rc == 0, "iopt_init of %s = %s", t->name, fz_err_name(rc));
	fw_end(s, t, false, "iopt_init");
	t->live = true;
	fw_geometry(s, t);
	t->tm = fw_templates(s, t);

	iova = fw_probe_iova(t);
	fw_log(s, "probe map tree %u iova 0x%" PRIx64, t->id, iova);
	fw_begin(s, t, t->levels);
	rc = iopt_map_pages(&t->t, iova, 0, t->min_pg, 1, IOPT_READ, 0, &mapped);
	fw_end(s, t, false, "the probe map");
	FW_CHECK(s, rc == 0, "probe map = %s", fz_err_name(rc));
	memset(t->lvl_known, 0, sizeof(t->lvl_known));
	if (fw_walk(s, t, iova, &p) == 0) {
		for (unsigned int d = 0; d < p.depth && d < 8; d++) {
			int i = fw_blk_start(s, p.table_phys[d]);

			if (i >= 0 && p.level[d] < 8) {
				t->lvl_label[p.level[d]] = s->blk[i].label;
				t->lvl_known[p.level[d]] = true;
			}
		}
	}
}

/* Tables of every level a range spans: what a map may allocate. */
static uint64_t fw_spanned(const struct fw_tree *t, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + (size - 1), n = 0;

	if (last < iova)
		return 0;
	for (unsigned int l = 0; l + 1 < t->levels; l++) {
		unsigned int sh = (unsigned int)fw_item_lg2(t, l + 1);

		n += (last >> sh) - (iova >> sh) + 1;
		if (n > (1ULL << 40))
			return 1ULL << 40;
	}
	return n;
}

/* 0 when the range is in the input space, else its error. */
static int fw_iova_err(const struct fw_tree *t, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + (size - 1), b = fw_base(t);

	if (last < iova)
		return -EOVERFLOW;
	if ((iova >= b && last - b <= t->va_lo_last) ||
	    (t->sext && iova >= t->va_hi_first))
		return 0;
	return -ERANGE;
}

static bool fw_pa_ok(const struct fw_tree *t, uint64_t pa, uint64_t size)
{
	uint64_t last = pa + (size - 1);

	return last >= pa && (t->oas >= 64 || !(last >> t->oas));
}

/* Work held by @g, and whether the table it is bound to is @t. */
static bool fw_g_busy(const struct iopt_gather *g)
{
	return g->nr_ranges || g->nr_tables;
}

static struct fw_tree *fw_g_owner(struct fw_state *s, const struct iopt_gather *g)
{
	for (unsigned int i = 0; i < s->ntrees; i++)
		if (g->table == &s->tree[i].t)
			return &s->tree[i];
	return NULL;
}

/* ---- the operations ---- */

static void fw_map(struct fw_state *s, struct fw_tree *t, struct fz *f, bool range)
{
	uint8_t b = fz_u8(f), pr = fz_u8(f), cnt = fz_u8(f);
	uint64_t pg = t->sizes[b % t->nsizes], count = 1 + cnt % 16, size;
	unsigned int flags = (b & 0x80) ? IOPT_MAP_ALL_OR_NOTHING : 0;
	unsigned int prot = IOPT_READ | IOPT_WRITE;
	uint64_t iova, pa, mapped = 0xdead;
	int rc, aerr;

	if (cnt & 0x80)
		count *= 32;
	if (pr & 1)
		prot = IOPT_WRITE;
	else if (pr & 2)
		prot = IOPT_READ;
	prot |= (pr & 0x3c) & (IOPT_NOEXEC | IOPT_CACHE | IOPT_MMIO | IOPT_PRIV);
	size = pg * count;
	if (range && (b & 0x20))
		size += t->min_pg * (1 + (cnt >> 4) % 8);
	iova = fw_pick_iova(t, f, range ? t->min_pg : pg);
	pa = ((uint64_t)fz_u16(f) << fz_lg2(pg)) & ((t->oas < 64 ? 1ULL << t->oas : 0) - 1);
	if (range)
		pa |= iova & (pg - 1) & ~(t->min_pg - 1);
	if (b & 0x10)
		s->c_fail_nth = 1 + fz_u8(f) % 4;
	fw_log(s, "%s tree %u iova 0x%" PRIx64 " pa 0x%" PRIx64 " %s0x%" PRIx64 " x %" PRIu64 " prot 0x%x%s%s",
	       range ? "map_range" : "map_pages", t->id, iova, pa,
	       range ? "size " : "pgsize ", range ? size : pg, range ? 1 : count,
	       prot, flags ? " ALL_OR_NOTHING" : "",
	       s->c_fail_nth ? " (an allocation fails)" : "");
	aerr = fw_iova_err(t, iova, size);
	if (!aerr && !fw_pa_ok(t, pa, size))
		aerr = -ERANGE;
	fw_begin(s, t, 2 * fw_spanned(t, iova, size) + 2 * t->levels + 4);
	if (range)
		rc = iopt_map_range(&t->t, iova, pa, size, prot, flags, &mapped);
	else
		rc = iopt_map_pages(&t->t, iova, pa, pg, count, prot, flags, &mapped);
	/* iopt.h: these change nothing. */
	fw_end(s, t, aerr || rc == -EEXIST || rc == -EFAULT ||
		     (rc == -ENOMEM && flags),
	       range ? "iopt_map_range" : "iopt_map_pages");
	FW_CHECK(s, mapped <= size, "mapped 0x%" PRIx64 " of 0x%" PRIx64, mapped, size);
	if (aerr) {
		FW_CHECK(s, rc == -ERANGE || rc == -EOVERFLOW,
			 "a map of bad arguments (%s expected) returned %s", fz_err_name(aerr),
			 fz_err_name(rc));
		FW_CHECK(s, !mapped && !s->c_allocs && !s->c_frees,
			 "a refused map changed something");
		return;
	}
	switch (rc) {
	case 0:
		FW_CHECK(s, mapped == size, "map returned 0 having mapped 0x%" PRIx64 " of 0x%" PRIx64,
			 mapped, size);
		break;
	case -EEXIST:
		FW_CHECK(s, mapped == 0 && fw_kept_none(s),
			 "map returned -EEXIST (nothing changed) having mapped 0x%" PRIx64 "%s",
			 mapped, fw_kept_none(s) ? "" : " and kept a new table");
		break;
	case -ENOMEM:
		FW_CHECK(s, s->c_alloc_failed, "-ENOMEM though no allocation failed");
		if (flags)
			FW_CHECK(s, mapped == 0 && fw_kept_none(s),
				 "ALL_OR_NOTHING map returned -ENOMEM having mapped 0x%" PRIx64 "%s",
				 mapped, fw_kept_none(s) ? "" : " and kept a new table");
		break;
	case -EFAULT:
		FW_CHECK(s, mapped == 0 && fw_kept_none(s),
			 "map returned -EFAULT (nothing changed) having mapped 0x%" PRIx64 "%s",
			 mapped, fw_kept_none(s) ? "" : " and kept a new table");
		break;
	default:
		FW_FAIL(s, "map returned %s (%d)", fz_err_name(rc), rc);
	}
}

static void fw_unmap(struct fw_state *s, struct fw_tree *t, struct fz *f, bool pages)
{
	uint8_t b = fz_u8(f), cnt = fz_u8(f);
	unsigned int flags = (b & 0x80) && !s->no_holes_off ? IOPT_UNMAP_NO_HOLES : 0;
	struct fw_tree *gt = t;
	struct iopt_gather *g;
	uint64_t pg, count = 1 + cnt % 16, size, iova, unmapped = 0xdead;
	unsigned int nr0, nt0;
	bool busy;
	int rc, aerr;

	if (cnt & 0x80)
		count *= 64;
	if ((b & 0x40) && s->ntrees > 1)
		gt = &s->tree[(t->id + 1 + (b >> 5 & 1)) % s->ntrees];
	g = &gt->g;
	if (pages) {
		pg = t->sizes[b % t->nsizes];
		size = pg * count;
		iova = fw_pick_iova(t, f, pg);
	} else if (b & 0x20) {
		/* The whole lower input space (or the upper half). */
		pg = t->min_pg;
		size = t->va_lo_last + 1;
		iova = (t->sext && (cnt & 1)) ? t->va_hi_first : fw_base(t);
	} else {
		pg = t->min_pg;
		size = t->min_pg * ((fz_u16(f) % 1024) + 1);
		if (cnt & 0x40)
			size = t->sizes[cnt % t->nsizes] * (1 + (cnt >> 3) % 4);
		iova = fw_pick_iova(t, f, t->min_pg);
	}
	fw_log(s, "%s tree %u iova 0x%" PRIx64 " size 0x%" PRIx64 "%s, gather of tree %u",
	       pages ? "unmap_pages" : "unmap_range", t->id, iova, size,
	       flags ? " NO_HOLES" : "", gt->id);
	/* iopt.h: -EINVAL when the gather holds work for another table, or
	 * (issue 13) for a destroyed table, even in the same struct. */
	busy = fw_g_busy(g) && (g->table != &t->t || gt->g_stale);
	aerr = fw_iova_err(t, iova, size);
	nr0 = g->nr_ranges;
	nt0 = g->nr_tables;
	fw_begin(s, t, 0);
	if (pages)
		rc = iopt_unmap_pages(&t->t, iova, pg, count, flags, g, &unmapped);
	else
		rc = iopt_unmap_range(&t->t, iova, size, flags, g, &unmapped);
	fw_end(s, t, busy || aerr || rc == -EXDEV || rc == -ENOENT,
	       pages ? "iopt_unmap_pages" : "iopt_unmap_range");
	FW_CHECK(s, unmapped <= size, "unmapped 0x%" PRIx64 " of 0x%" PRIx64, unmapped, size);
	FW_CHECK(s, s->c_frees == 0 || s->c_walk_flushed,
		 "unmap freed tables without a walk-cache flush");
	if (busy || aerr) {
		FW_CHECK(s, busy ? rc == -EINVAL : rc == aerr,
			 "unmap with %s returned %s", busy ? "a gather busy for another table" :
			 fz_err_name(aerr), fz_err_name(rc));
		FW_CHECK(s, !unmapped && !s->c_frees && g->nr_ranges == nr0 &&
			 g->nr_tables == nt0, "a refused unmap changed something");
		return;
	}
	if (g->table == &t->t)
		gt->g_stale = false; /* bound to the live table now */
	switch (rc) {
	case 0:
		FW_CHECK(s, !flags || unmapped == size,
			 "NO_HOLES unmap returned 0 having unmapped 0x%" PRIx64 " of 0x%" PRIx64,
			 unmapped, size);
		break;
	case -ENOENT:
		FW_CHECK(s, flags, "-ENOENT without IOPT_UNMAP_NO_HOLES");
		/* fall through */
	case -EXDEV:
		FW_CHECK(s, !unmapped && g->nr_ranges == nr0 && g->nr_tables == nt0 &&
			 !s->c_frees, "unmap returned %s (nothing changed) but unmapped 0x%" PRIx64 " or gathered",
			 fz_err_name(rc), unmapped);
		break;
	default: /* iopt.h: "an unmap never fails with -EFAULT" */
		FW_FAIL(s, "unmap returned %s (%d)", fz_err_name(rc), rc);
	}
}

/* iopt_reclaim() over a range of @t into its gather or another tree's:
 * the same refusals as an unmap, writes only into its own tables, frees
 * nothing before the sync, and never fails otherwise. */
static void fw_reclaim(struct fw_state *s, struct fw_tree *t, struct fz *f)
{
	uint8_t b = fz_u8(f);
	struct fw_tree *gt = t;
	struct iopt_gather *g;
	uint64_t size, iova, freed = 0xdead;
	unsigned int nr0, nt0;
	bool busy;
	int rc, aerr;

	if ((b & 0x40) && s->ntrees > 1)
		gt = &s->tree[(t->id + 1 + (b >> 5 & 1)) % s->ntrees];
	g = &gt->g;
	if (b & 0x80) {
		size = t->va_lo_last + 1;
		iova = (t->sext && (b & 1)) ? t->va_hi_first : fw_base(t);
	} else {
		size = t->min_pg * ((fz_u16(f) % 4096) + 1);
		iova = fw_pick_iova(t, f, t->min_pg);
	}
	fw_log(s, "reclaim tree %u iova 0x%" PRIx64 " size 0x%" PRIx64 ", gather of tree %u",
	       t->id, iova, size, gt->id);
	busy = fw_g_busy(g) && (g->table != &t->t || gt->g_stale);
	aerr = fw_iova_err(t, iova, size);
	nr0 = g->nr_ranges;
	nt0 = g->nr_tables;
	fw_begin(s, t, 0);
	rc = iopt_reclaim(&t->t, iova, size, g, &freed);
	fw_end(s, t, busy || aerr, "iopt_reclaim");
	FW_CHECK(s, !s->c_frees, "reclaim freed tables before the sync");
	if (busy || aerr) {
		FW_CHECK(s, busy ? rc == -EINVAL : rc == aerr,
			 "reclaim with %s returned %s", busy ? "a gather busy for another table" :
			 fz_err_name(aerr), fz_err_name(rc));
		FW_CHECK(s, !freed && g->nr_ranges == nr0 && g->nr_tables == nt0,
			 "a refused reclaim changed something");
		return;
	}
	FW_CHECK(s, rc == 0, "reclaim returned %s (%d)", fz_err_name(rc), rc);
	FW_CHECK(s, !(freed % t->tsz), "reclaim unhooked 0x%" PRIx64 " bytes, not whole tables", freed);
	FW_CHECK(s, freed || (g->nr_ranges == nr0 && g->nr_tables == nt0),
		 "a reclaim that freed nothing gathered something");
	if (g->table == &t->t)
		gt->g_stale = false;
}

static void fw_sync(struct fw_state *s, struct fw_tree *gt)
{
	struct fw_tree *t = fw_g_owner(s, &gt->g);
	bool stale = gt->g_stale && fw_g_busy(&gt->g);
	int rc;

	if (!t)
		t = gt;
	fw_log(s, "iopt_gather_sync of tree %u's gather (%u ranges, %u tables, for tree %u%s)",
	       gt->id, gt->g.nr_ranges, gt->g.nr_tables, t->id,
	       stale ? ", destroyed" : "");
	fw_begin(s, t, 0);
	rc = iopt_gather_sync(&gt->g);
	fw_end(s, t, stale, "iopt_gather_sync");
	if (stale)
		FW_CHECK(s, rc == -EINVAL && !s->c_frees && !s->c_flushes,
			 "iopt_gather_sync of a gather whose table was destroyed returned %s after %" PRIu64 " frees and %" PRIu64 " flushes",
			 fz_err_name(rc), s->c_frees, s->c_flushes);
	else
		FW_CHECK(s, rc == 0, "iopt_gather_sync returned %s", fz_err_name(rc));
	gt->g_stale = false;
}

/* Mark what iopt_fini() must free: the tables it can reach (see the top). */
static void fw_reach(struct fw_state *s, struct fw_tree *t, int i,
		     size_t nent, unsigned int lvl)
{
	const unsigned char *tab = fw_virt(s, s->blk[i].phys);

	if (s->blk[i].mark == s->epoch)
		return;
	s->blk[i].mark = s->epoch;
	if (lvl == 0)
		return;
	for (size_t k = 0; k < nent; k++) {
		uint64_t pte = fw_get(t, tab + t->ent * k), c;
		int j;

		if (!fw_is_table(t, pte, lvl))
			continue;
		c = fw_dec(t, pte);
		j = fw_blk_exact(s, c, t->tsz);
		if (j < 0 || s->blk[j].owner != t->id || s->blk[j].gen != t->ctx.gen)
			continue;
		if (s->labels_seen && (!t->lvl_known[lvl - 1] ||
				       s->blk[j].label != t->lvl_label[lvl - 1]))
			continue;
		fw_reach(s, t, j, t->entries, lvl - 1);
	}
}

static void fw_fini(struct fw_state *s, struct fw_tree *t, const char *why)
{
	int root = fw_blk_start(s, iopt_root_phys(&t->t));

	fw_log(s, "iopt_fini tree %u (%s)%s", t->id, why,
	       fw_g_busy(&t->g) ? ", its gather holds work" : "");
	s->epoch++;
	if (root >= 0 && (!s->labels_seen || t->lvl_known[t->levels - 1]))
		fw_reach(s, t, root, t->root_entries, t->levels - 1);
	fw_begin(s, t, 0);
	iopt_fini(&t->t);
	fw_end(s, t, false, "iopt_fini");
	t->live = false;
	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		const struct fw_blk *b = &s->blk[i];

		if (b->live && b->owner == t->id && b->gen == t->ctx.gen &&
		    b->mark == s->epoch)
			FW_FAIL(s, "iopt_fini left table 0x%" PRIx64 " (0x%zx bytes), reachable from the root, allocated",
				b->phys, b->size);
	}
	for (unsigned int i = 0; i < s->ntrees; i++)
		if (s->tree[i].g.table == &t->t && fw_g_busy(&s->tree[i].g))
			s->tree[i].g_stale = true;
}

/* ---- corruption ---- */

/* A live block: the @k-th (modulo their number) of tree @only, generation
 * @gen (or of any other tree and generation when @others; of any tree when
 * @only < 0), or -1. */
static int fw_pick_blk(const struct fw_state *s, unsigned int k, int only,
		       uint32_t gen, bool others)
{
	unsigned int n = 0, idx;

	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		const struct fw_blk *b = &s->blk[i];
		bool mine = only < 0 || (b->owner == only && b->gen == gen);

		if (b->live && mine != others)
			n++;
	}
	if (!n)
		return -1;
	idx = k % n;
	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		const struct fw_blk *b = &s->blk[i];
		bool mine = only < 0 || (b->owner == only && b->gen == gen);

		if (b->live && mine != others && idx-- == 0)
			return (int)i;
	}
	return -1;
}

static void fw_watch(struct fw_state *s, uint64_t phys, unsigned int lg2)
{
	if (!fw_in_region(phys, (uint64_t)1 << lg2) || (phys & (FW_UNIT - 1)))
		return;
	if (s->nwatch == FW_WATCH)
		memmove(s->watch, s->watch + 1, (FW_WATCH - 1) * sizeof(s->watch[0]));
	else
		s->nwatch++;
	s->watch[s->nwatch - 1] = phys | lg2;
}

/* A freed block: the @k-th most recent of its size (any size if none). */
static uint64_t fw_freed(struct fw_state *s, const struct fw_tree *t, unsigned int k,
			 bool head)
{
	unsigned int lg2 = t->gl2;

	if (!s->nlifo[lg2] && !head)
		for (unsigned int l = FW_UNIT_LG2; l <= FW_MAX_LG2; l++)
			if (s->nlifo[(l + k) % (FW_MAX_LG2 + 1)]) {
				lg2 = (l + k) % (FW_MAX_LG2 + 1);
				break;
			}
	if (!s->nlifo[lg2])
		return FW_PHYS + s->hw; /* never used yet */
	return s->lifo[lg2][head ? s->nlifo[lg2] - 1 : s->nlifo[lg2] - 1 - k % s->nlifo[lg2]];
}

static void fw_corrupt(struct fw_state *s, struct fw_tree *t, struct fz *f)
{
	uint8_t sel = fz_u8(f), vm = fz_u8(f);
	struct iopt_path p;
	bool have_path = false;
	unsigned int dt = 0, idx, lvl;
	uint64_t tgt, v = 0, a;
	struct fw_tree *ft = t;  /* whose format the target block has */
	size_t nent;
	int bi;

	if (!t->live)
		return;
	/* Where to write. */
	if (sel % 4 <= 1) {
		uint64_t iova = fw_pick_iova(t, f, t->min_pg);

		int rc = fw_walk(s, t, iova, &p);

		/* On -EFAULT the path holds the entries read (iopt.h). */
		if ((rc == 0 || rc == -EFAULT) && p.depth && p.depth <= 8) {
			have_path = true;
			dt = fz_u8(f) % p.depth;
		}
	}
	bi = -1;
	if (have_path) {
		bi = fw_blk_start(s, p.table_phys[dt]);
		if (bi < 0)
			have_path = false;
	}
	if (!have_path && sel % 4 == 2)
		bi = fw_pick_blk(s, fz_u16(f), -1, 0, false);
	if (bi < 0)
		bi = fw_blk_start(s, iopt_root_phys(&t->t));
	if (bi < 0)
		return;
	tgt = s->blk[bi].phys;
	if (s->blk[bi].owner < s->ntrees)
		ft = &s->tree[s->blk[bi].owner];
	nent = s->blk[bi].size / ft->ent;
	lvl = have_path ? p.level[dt] : fz_u8(f) % ft->levels;
	idx = (have_path && (sel & 0x10)) ? p.index[dt] : (unsigned int)(fz_u16(f) % nent);
	if (have_path && dt + 1 < p.depth && (sel & 0x20)) {
		/* Another slot of the same table, next to the walked one. */
		idx = (unsigned int)((p.index[dt] + 1 + (sel >> 6)) % nent);
	}
	/* A walk may read a smaller block as a table: stay inside it. */
	idx %= (unsigned int)nent;

	/* What to write. */
	switch (vm % 14) {
	case 0:
		v = fz_u64(f);
		break;
	case 1: /* this table, an ancestor or a descendant on the path */
		a = have_path ? p.table_phys[fz_u8(f) % p.depth] : tgt;
		v = fw_tbl_entry(ft, a);
		break;
	case 2: { /* another live table of this tree */
		int j = fw_pick_blk(s, fz_u16(f), (int)t->id, t->ctx.gen, false);

		v = fw_tbl_entry(ft, j < 0 ? tgt : s->blk[j].phys);
		break;
	}
	case 3: { /* another tree's live table */
		int j = fw_pick_blk(s, fz_u16(f), (int)t->id, t->ctx.gen, true);

		v = fw_tbl_entry(ft, j < 0 ? tgt : s->blk[j].phys);
		break;
	}
	case 4: /* the block the next allocation of a table gets */
		a = fw_freed(s, ft, 0, true);
		fw_watch(s, a, ft->gl2);
		v = fw_tbl_entry(ft, a);
		break;
	case 5: /* any freed block */
		a = fw_freed(s, ft, fz_u8(f), false);
		fw_watch(s, a, ft->gl2);
		v = fw_tbl_entry(ft, a);
		break;
	case 6: { /* inside a block, not at its start */
		int j = fw_pick_blk(s, fz_u16(f), -1, 0, false);

		a = (j < 0 ? tgt : s->blk[j].phys) + ft->gsz * (1 + fz_u8(f) % 4);
		v = fw_tbl_entry(ft, a);
		fw_watch(s, a, ft->gl2);
		break;
	}
	case 7: { /* outside the region */
		static const int64_t off[] = { -1, 0, 1, -2 };
		uint8_t e = fz_u8(f);

		a = (e & 1) ? FW_PHYS + FW_REGION_SIZE : FW_PHYS;
		a += (uint64_t)(off[(e >> 1) % 4] * (int64_t)ft->gsz);
		if (e & 0x80)
			a = fz_u64(f);
		v = fw_tbl_entry(ft, a);
		break;
	}
	case 8: /* the same child from two entries */
		if (have_path && dt + 1 < p.depth)
			v = p.pte[dt];
		else
			v = fw_get(ft, s->region + (tgt - FW_PHYS) +
				   ft->ent * (fz_u16(f) % nent));
		break;
	case 9: { /* every entry of the table the same pointer */
		uint8_t w = fz_u8(f);

		a = w % 3 == 0 ? tgt :
		    w % 3 == 1 && have_path && dt + 1 < p.depth ? p.table_phys[dt + 1] :
		    iopt_root_phys(&t->t);
		v = fw_tbl_entry(ft, a);
		fw_log(s, "corrupt: every entry of 0x%" PRIx64 " (tree %u) = 0x%016" PRIx64,
		       tgt, s->blk[bi].owner, v);
		for (size_t k = 0; k < nent; k++)
			fw_put(ft, s->region + (tgt - FW_PHYS) + ft->ent * k, v);
		return;
	}
	case 10: /* empty: what was below is unreachable */
		v = 0;
		break;
	case 11: { /* a leaf */
		bool c = fz_u8(f) & 1;

		a = (uint64_t)fz_u32(f) << ft->gl2;
		if (c && lvl < 8 && ft->tm->have_contig[lvl])
			v = ft->tm->contig[lvl] | fw_enc(ft, a);
		else if (lvl < 8 && ft->tm->have_leaf[lvl])
			v = ft->tm->leaf[lvl] | fw_enc(ft, a);
		else
			v = fw_tbl_entry(ft, a);
		break;
	}
	case 12: /* never-used memory */
		a = FW_PHYS + ((s->hw + ft->gsz - 1) & ~(ft->gsz - 1)) +
		    ft->gsz * (fz_u8(f) % 4);
		fw_watch(s, a, ft->gl2);
		v = fw_tbl_entry(ft, a);
		break;
	default: { /* the root of another tree */
		const struct fw_tree *o = &s->tree[(t->id + 1) % s->ntrees];

		v = fw_tbl_entry(ft, o->live ? iopt_root_phys(&o->t) : tgt);
		break;
	}
	}
	fw_log(s, "corrupt: 0x%" PRIx64 " (tree %u%s, level %u) entry %u = 0x%016" PRIx64 " (mode %u)",
	       tgt, s->blk[bi].owner, have_path ? ", on the path" : "", lvl, idx, v,
	       vm % 14);
	fw_put(ft, s->region + (tgt - FW_PHYS) + ft->ent * (size_t)idx, v);
}

/* ---- the input ---- */

static void fw_reset(struct fw_state *s)
{
	if (!s->region) {
		s->region = malloc(FW_REGION_SIZE);
		s->shadow = malloc(FW_REGION_SIZE);
		s->labels = calloc(FW_NUNITS, sizeof(uint32_t));
		if (!s->region || !s->shadow || !s->labels)
			FZ_FAIL("fuzz_write: no memory for the region");
		fw_poison(s->region, FW_REGION_SIZE);
		s->hw = 0;
	} else {
		fw_poison(s->region, s->hw);
		memset(s->labels, 0, (s->hw >> FW_UNIT_LG2) * sizeof(uint32_t));
	}
	memset(s->unit, 0, (s->hw >> FW_UNIT_LG2) * sizeof(s->unit[0]));
	s->hw = 0;
	for (unsigned int i = 0; i < FW_MAX_BLKS; i++) {
		s->blk[i].live = false;
		s->blk[i].mark = 0;
		s->slots[i] = (uint16_t)(FW_MAX_BLKS - 1 - i);
	}
	s->nslots = FW_MAX_BLKS;
	memset(s->nlifo, 0, sizeof(s->nlifo));
	s->nwatch = 0;
	s->nlog = 0;
	s->opno = 0;
	s->cur = -1;
	s->call = 0;
	s->epoch = 0;
	s->c_fail_nth = 0;
	s->labels_seen = false;
	s->trace = getenv("IOPT_FUZZ_TRACE") != NULL;
	s->no_holes_off = getenv("IOPT_FUZZ_NO_HOLES") &&
			  !strcmp(getenv("IOPT_FUZZ_NO_HOLES"), "0");
}

static void fw_op(struct fw_state *s, struct fz *f)
{
	uint8_t op = fz_u8(f);
	struct fw_tree *t = &s->tree[fz_u8(f) % s->ntrees];

	switch (op % 16) {
	case 0: case 1: case 2:
		if (t->live)
			fw_map(s, t, f, op % 16 == 2);
		break;
	case 3: case 4:
		if (t->live)
			fw_unmap(s, t, f, false);
		break;
	case 5:
		if (t->live)
			fw_unmap(s, t, f, true);
		break;
	case 6:
		fw_sync(s, t);
		break;
	case 7: case 8: case 9: case 10: case 11:
		fw_corrupt(s, t, f);
		break;
	case 12:
		if (t->live) {
			if (op & 0x10)
				fw_sync(s, t);
			fw_fini(s, t, "op");
		}
		if (!t->live && (op & 0x20))
			fw_tree_init(s, t);
		break;
	case 13:
		if (!t->live)
			fw_tree_init(s, t);
		break;
	case 14:
		if (t->live)
			fw_reclaim(s, t, f);
		break;
	default:
		/* Several unmaps into one gather, then its sync. */
		if (t->live) {
			unsigned int n = 1 + (op >> 4) % 4;

			for (unsigned int k = 0; k < n && t->live && fz_more(f); k++)
				fw_unmap(s, t, f, k & 1);
			fw_sync(s, t);
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_state *s = &fw_the_state;
	struct fz f;
	uint8_t c0, setup, c1;

	if (size < 3)
		return 0;
	fz_init(&f, data, size);
	fw_reset(s);
	c0 = fz_u8(&f);
	setup = fz_u8(&f);
	c1 = fz_u8(&f);
	s->mode = setup & 3;
	if (s->mode == 3)
		s->mode = 0;
	s->ntrees = (setup & 4) ? 3 : 2;
	s->no_range_flush = setup & 0x10;
	s->stats = setup & 0x20;
	for (unsigned int i = 0; i < s->ntrees; i++) {
		struct fw_tree *t = &s->tree[i];
		unsigned int sel = (i && (setup & 8)) ? c1 : c0;

		memset(t, 0, sizeof(*t));
		t->id = i;
		t->cfg_sel = sel % fz_nr_configs();
		t->name = fz_config_name(sel);
		FW_CHECK(s, iopt_config_from_name(t->name, &t->cfg) == 0,
			 "iopt_config_from_name(%s)", t->name);
		t->probe = fz_u16(&f);
		iopt_gather_init(&t->g);
	}
	for (unsigned int i = 0; i < s->ntrees; i++)
		fw_tree_init(s, &s->tree[i]);
	for (s->opno = 1; s->opno <= FW_MAX_OPS && fz_more(&f); s->opno++)
		fw_op(s, &f);

	/* The end: every gather synced, every tree destroyed. */
	for (unsigned int i = 0; i < s->ntrees; i++)
		if (fw_g_busy(&s->tree[i].g))
			fw_sync(s, &s->tree[i]);
	for (unsigned int i = 0; i < s->ntrees; i++)
		if (s->tree[i].live)
			fw_fini(s, &s->tree[i], "end");
	fw_log(s, "end of input");
	fw_check_free_range(s, FW_PHYS, s->hw, "at the end");
	return 0;
}
