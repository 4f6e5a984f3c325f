// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Fuzz target: hostile table memory.
 *
 * A table is built normally (iopt_init() over an arena, a few maps), then
 * bytes of the arena - the root, the tables the maps allocated, any other
 * block - are overwritten from the input, and the read-only calls walk the
 * result: iopt_iova_to_phys(), iopt_iova_to_phys_length(),
 * iopt_iova_to_pgsize(), iopt_walk_path() and iopt_for_each_extent() on
 * bounded ranges. Whatever the entries say, they must not crash, hang, read
 * outside the arena or write anything, and they must agree with each other:
 *
 *  - the four single-address calls see the same leaf (or the same absence,
 *    or the same -EFAULT for a table address outside the backend's bound);
 *  - iopt_walk_path() reads only the root and tables inside the bound;
 *  - iterating [a, a] gives exactly the leaf iopt_iova_to_phys_length()
 *    gives for a;
 *  - a range's extents are ordered, disjoint, clipped, maximal, and every
 *    sampled address inside one (or in a gap between them) looks up the same
 *    way; a callback that stops after k extents sees a prefix of them.
 *
 * The simulated IOMMU (include/iopt/hwsim.h) walks the same memory, from
 * the table's root or from a root taken from the input (any address, a
 * block of the arena, the edges of the arena):
 *
 *  - iopt_hwsim_walk() reads it three ways that must agree exactly: a byte
 *    image of the arena (iopt_hwsim_mem_image()), the arena itself
 *    (iopt_hwsim_mem_arena(), which also reports reads of free blocks), and
 *    a read callback that requires every read to be one aligned 8-byte
 *    entry, refuses addresses outside the arena (the walk must then abort)
 *    and counts the reads: at most one per level, so no entry can make a
 *    walk loop. A read of a free block is reported exactly when the
 *    callback saw one. A translation keeps the offset inside its leaf, has
 *    a size the format has, and fails an access exactly when its
 *    permissions lack it. While the table is as the engine built it (no
 *    patches), walker and engine agree on every address.
 *  - geometries from the input (any levels, granule, sizes) are refused
 *    with -EINVAL or walked with the same bounds.
 *  - a simulated IOMMU with an IOTLB and walk caches of a shape from the
 *    input (strict mode and hit verification included) translates
 *    addresses and takes invalidation commands. Memory does not change, so
 *    every answer must be a fresh walk's, and iopt_hwsim_check_coherent()
 *    must find nothing stale, except where a cached contiguous run is
 *    inconsistent in memory (its entries disagree: the architecture leaves
 *    the outcome open), which is checked entry by entry. Reads of free
 *    blocks must be reported as use-after-free events naming a free block.
 *
 * Where table addresses may lie comes from the memory backend: the arena
 * sets iopt_mem.bound_lo/bound_size to its region itself (the engine then
 * refuses any other address with -EFAULT), so nothing here fills them in; a
 * backend without them would be unbounded and this target would crash it.
 * Under AddressSanitizer the arena's bitmap (the end of its region, outside
 * the bound) is poisoned while the lookups run, so a read of it is reported
 * like one past the region; it is open only while iopt_arena_is_free()
 * needs it (the walker's arena view, the simulated IOMMU).
 *
 * The region is read-only while the lookups run (where mprotect() exists;
 * elsewhere it is hashed before and after), so a write faults at once.
 *
 * Hostile tables are never handed to iopt_fini(): freeing follows the
 * entries, and corrupt entries would free blocks that are not tables. The
 * table is simply dropped; the next input starts a new arena.
 *
 * Input (little-endian):
 *   byte 0       configuration (fz_config_name(): h_configs[], then more)
 *   byte 1       number of maps to build with (0..7), 3 bytes each
 *   byte         number of patches (0..31); each: mode, target, u16 entry
 *                index, then the mode's operands (tb_patch())
 *   byte         the simulated IOMMU's cache shape and flags (tb_sim_setup())
 *   then probes  until the input ends: kind, an address, operands
 *                (tb_probe())
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <iopt/hwsim.h>
#include <iopt/iopt.h>
#include <iopt/mem.h>

#if defined(__SANITIZE_ADDRESS__)
#define TB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TB_ASAN 1
#endif
#endif
#ifdef TB_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(__unix__)
#include <sys/mman.h>
#define TB_MPROTECT 1
#endif

#define TB_ARENA_SIZE ((size_t)2 << 20)
#define TB_ARENA_PHYS 0x80000000ULL
#define TB_MAX_PROBES 256
#define TB_MAX_PAGES 4096        /* smallest pages in one iterated range */
#define TB_SENTINEL 0x5a5a5a5a5a5a5a5aULL


struct tb_ext {
	uint64_t iova;
	uint64_t phys;
	uint64_t length;
	unsigned int prot;
};

struct tb_extbuf {
	struct tb_ext *v;
	size_t nr, cap;
	unsigned int stop_after;
};

struct tb_ctx {
	char name[64];
	struct iopt_config cfg;
	struct iopt_table t;
	struct iopt_arena arena;
	struct iopt_mem mem;
	unsigned char *region;
	size_t dirty;            /* bytes of the region the last input touched */

	unsigned int ias, g, bits, levels, top_bits;
	unsigned int ent;       /* entry bytes: 8, or 4 (v7s) */
	size_t tsz;             /* bytes of a table below the top */
	bool sext;
	uint64_t bitmap, min_pg;
	uint64_t root_phys;
	size_t root_entries;
	uint64_t tables[256];    /* live granule-sized blocks after the build */
	unsigned int ntables;
	size_t nblocks;          /* granule-sized blocks in the arena */

	struct tb_extbuf ea, eb;  /* a range's extents; stopping early */
	struct tb_extbuf es;      /* a single address's */
	char desc[160];

	/* the simulated IOMMU */
	unsigned int npatched;    /* patches applied */
	struct iopt_hwsim_geom geom;
	struct iopt_hwsim_mem m_image, m_arena, m_cb;
	struct iopt_hwsim sim;
	uint64_t sim_root;        /* the root programmed into it */
	bool sim_live;
	unsigned int cb_reads;    /* reads the callback served in this walk */
	unsigned int cb_max;      /* most reads one walk may make */
	bool cb_free_read;        /* one of them was of a free block */
	bool cb_outside;          /* one was refused: outside the arena */
	bool guarded;             /* the arena's bitmap is poisoned (ASan) */
};

static struct tb_ctx tb_the_ctx;

#define TB_CHECK(c, cond, ...)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			fz_note("fuzz_tables: %s: %s", (c)->name, (c)->desc); \
			FZ_FAIL(__VA_ARGS__);                                \
		}                                                            \
	} while (0)

/* ---- setup ---- */

static int tb_hw_read(void *ctx, uint64_t phys, void *buf, size_t len);

static void *tb_virt(struct tb_ctx *c, uint64_t phys)
{
	return c->region + (phys - TB_ARENA_PHYS);
}

/* Mark [off, off + len) of the region as written by this input. */
static void tb_touch(struct tb_ctx *c, size_t off, size_t len)
{
	if (off + len > c->dirty)
		c->dirty = off + len;
}

static bool tb_setup(struct tb_ctx *c, struct fz *f)
{
	int rc;

	snprintf(c->name, sizeof(c->name), "%s", fz_config_name(fz_u8(f)));
	snprintf(c->desc, sizeof(c->desc), "setup");
	rc = iopt_config_from_name(c->name, &c->cfg);
	TB_CHECK(c, rc == 0, "iopt_config_from_name = %d", rc);

	if (!c->region) {
		c->region = aligned_alloc((size_t)1 << 16, TB_ARENA_SIZE);
		if (!c->region)
			FZ_FAIL("no memory for the arena");
		c->dirty = TB_ARENA_SIZE;
	}
	/* Same starting bytes for every input, so that runs replay exactly. */
	memset(c->region, 0, c->dirty);
	c->dirty = 0;
	rc = iopt_arena_init(&c->arena, c->region, TB_ARENA_SIZE, TB_ARENA_PHYS);
	TB_CHECK(c, rc == 0, "iopt_arena_init = %d", rc);
	/* The arena backend bounds table addresses to its region itself. */
	iopt_arena_mem(&c->arena, &c->mem);
	/* The previous input's table is never finalised (see above): its
	 * struct still looks live, and iopt_init() would refuse it. */
	memset(&c->t, 0, sizeof(c->t));
	rc = iopt_init(&c->t, &c->cfg, &c->mem, NULL, NULL);
	TB_CHECK(c, rc == 0, "iopt_init = %d", rc);

	c->bitmap = iopt_pgsize_bitmap(&c->t);
	c->min_pg = c->bitmap & -c->bitmap;
	c->g = fz_lg2(c->min_pg);
	c->ent = c->cfg.format == IOPT_FMT_ARM_V7S ? 4 : 8;
	c->bits = c->cfg.format == IOPT_FMT_ARM_V7S ? 8 : c->g - 3;
	c->tsz = ((size_t)1 << c->bits) * c->ent;
	c->levels = iopt_levels(&c->t);
	c->ias = c->cfg.ias;
	c->sext = h_sign_extended(&c->cfg);
	/* The bits the walk indexes: ias, except on Mali, whose walk always
	 * starts from a full table indexed by IOVA[47:39]. */
	c->top_bits = (c->cfg.format == IOPT_FMT_ARM_MALI_LPAE ? 48 : c->ias) -
		      c->g - c->bits * (c->levels - 1);
	c->root_phys = iopt_root_phys(&c->t);
	c->root_entries = (size_t)1 << c->top_bits;
	c->nblocks = c->arena.size >> c->g;

	c->npatched = 0;
	c->sim_live = false;
	rc = iopt_hwsim_geometry(&c->cfg, &c->geom);
	TB_CHECK(c, rc == 0 && c->geom.levels == c->levels &&
		 c->geom.top_bits == c->top_bits,
		 "iopt_hwsim_geometry = %d: %u levels, %u start index bits; the table has %u and %u",
		 rc, c->geom.levels, c->geom.top_bits, c->levels, c->top_bits);
	iopt_hwsim_mem_image(&c->m_image, c->region, c->arena.size, TB_ARENA_PHYS);
	iopt_hwsim_mem_arena(&c->m_arena, &c->arena);
	memset(&c->m_cb, 0, sizeof(c->m_cb));
	c->m_cb.read = tb_hw_read;
	c->m_cb.ctx = c;
	return true;
}

/* ---- building with real maps ---- */

/* The first IOVA: 0, or ARM TTBR1's 2^64 - 2^ias (the upper 2^ias bytes). */
static uint64_t tb_base(const struct tb_ctx *c)
{
	return c->cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - (1ULL << c->ias) : 0;
}

static uint64_t tb_space_end(const struct tb_ctx *c)
{
	return c->sext ? 1ULL << (c->ias - 1) : 1ULL << c->ias;
}

static void tb_build(struct tb_ctx *c, struct fz *f)
{
	unsigned int n = fz_u8(f) % 8, nsizes = 0;
	uint64_t sizes[64];

	for (unsigned int b = 0; b < 64; b++)
		if ((c->bitmap >> b & 1) && b < c->ias - 2)
			sizes[nsizes++] = 1ULL << b;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t a = fz_u8(f), k = fz_u8(f), m = fz_u8(f);
		uint64_t s = sizes[a % nsizes], count = 1 + m % 4;
		uint64_t blk = sizes[(a >> 3) % nsizes] > s ?
			       sizes[(a >> 3) % nsizes] : s;
		uint64_t iova = (k % 8) * blk + ((m >> 2) % 8) * s, mapped;

		if (a & 0x80) /* the top of the (lower) input space */
			iova = tb_space_end(c) - blk * (1 + k % 4) + ((m >> 2) % 8) * s;
		if ((a & 0x40) && c->sext) /* the upper canonical half */
			iova = 0 - tb_space_end(c) + iova % tb_space_end(c);
		iova += tb_base(c);
		snprintf(c->desc, sizeof(c->desc), "build map_pages iova=0x%" PRIx64
			 " pgsize=0x%" PRIx64 " count=%" PRIu64, iova, s, count);
		/* Overlaps and ranges off the end fail; that is fine. */
		iopt_map_pages(&c->t, iova, (iova + (uint64_t)k * blk) & ((1ULL << 32) - 1) &
			       ~(s - 1), s, count, IOPT_READ | IOPT_WRITE, 0,
			       &mapped);
	}
	tb_touch(c, 0, c->arena.bump);
	c->ntables = 0;
	for (size_t off = 0; off < c->arena.size && c->ntables < 256;
	     off += c->tsz) {
		uint64_t phys = TB_ARENA_PHYS + off;

		if (off >= c->arena.bump)
			break;
		if (!iopt_arena_is_free(&c->arena, phys, c->tsz))
			c->tables[c->ntables++] = phys;
	}
}

/* ---- overwriting table memory ---- */

/* Low attribute byte and top byte of an entry that points at @phys. */
static uint64_t tb_entry(const struct tb_ctx *c, struct fz *f, uint64_t phys)
{
	uint8_t lo = fz_u8(f), hi = fz_u8(f);

	/* Mostly "valid table" in every family (ARM 0b11, x86 P|RW, VT-d
	 * R|W, v7s 0b01; a 32-bit entry keeps the low word only). */
	if (c->cfg.format == IOPT_FMT_RISCV) {
		/* PPN in [53:10]; mostly a pointer: V alone (A, D, U, N and
		 * PBMT are reserved in one), else any low and top bits. */
		uint64_t ppn = (phys >> 2) & 0x003ffffffffffc00ULL;

		if (!(lo & 0x80))
			return ppn | 1;
		return ppn | lo | ((uint64_t)(hi & 0xf8) << 56);
	}
	if (!(lo & 0x80))
		lo = (uint8_t)((lo & 0x7c) | (c->ent == 4 ? 1 : 3));
	return phys | lo | ((uint64_t)(hi & 0xf8) << 56);
}

/* An entry of the format's width at @p, little-endian. */
static uint64_t tb_get(const struct tb_ctx *c, const unsigned char *p)
{
	return c->ent == 4 ? fz_get_le64(p) & 0xffffffffULL : fz_get_le64(p);
}

static void tb_put(const struct tb_ctx *c, unsigned char *p, uint64_t v)
{
	for (unsigned int i = 0; i < c->ent; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void tb_patch(struct tb_ctx *c, struct fz *f)
{
	uint8_t mode = fz_u8(f), sel = fz_u8(f);
	unsigned int idx = fz_u16(f);
	uint64_t tphys, v;
	size_t entries;
	unsigned char *base;

	/* Where: the root, a table, or any granule-sized block of the arena. */
	if (sel == 0 || (!c->ntables && !(sel & 0x80))) {
		tphys = c->root_phys;
		entries = c->root_entries;
	} else if (!(sel & 0x80)) {
		tphys = c->tables[sel % c->ntables];
		entries = (size_t)1 << c->bits;
	} else {
		tphys = TB_ARENA_PHYS + ((uint64_t)(idx >> 4) % c->nblocks << c->g);
		entries = (size_t)1 << c->bits;
	}
	idx %= (unsigned int)entries;
	base = tb_virt(c, tphys);
	snprintf(c->desc, sizeof(c->desc), "patch mode %u at table 0x%" PRIx64
		 " entry %u", mode % 7, tphys, idx);

	switch (mode % 7) {
	case 0: /* eight raw bytes */
		v = fz_u64(f);
		break;
	case 1: /* a granule-sized block of the arena */
		v = tb_entry(c, f, TB_ARENA_PHYS +
			     ((uint64_t)fz_u16(f) % c->nblocks << c->g));
		break;
	case 2: { /* around the edges of the bound */
		static const int64_t off[] = { -1, 0, 1, 2 };
		uint8_t e = fz_u8(f);
		uint64_t end = TB_ARENA_PHYS + c->arena.size;
		uint64_t edge = (e & 1) ? end : TB_ARENA_PHYS;

		v = tb_entry(c, f, edge + (uint64_t)off[(e >> 1) % 4] * c->min_pg +
				(uint64_t)((e >> 3) % 4) * c->ent);
		break;
	}
	case 3: { /* copy an entry of another table: aliases and loops */
		uint8_t s = fz_u8(f);
		uint64_t sphys = s % (c->ntables + 1) ? c->tables[s % (c->ntables + 1) - 1] :
				 c->root_phys;
		size_t sent = sphys == c->root_phys ? c->root_entries :
			      (size_t)1 << c->bits;

		v = tb_get(c, (unsigned char *)tb_virt(c, sphys) +
			   c->ent * (fz_u16(f) % sent));
		break;
	}
	case 4: { /* the whole table: one pattern in every entry */
		uint8_t s = fz_u8(f);
		uint64_t pat = (mode & 0x80) ? fz_u64(f) :
			       tb_entry(c, f, c->ntables ? c->tables[s % c->ntables] :
					c->root_phys);

		for (size_t i = 0; i < entries; i++)
			tb_put(c, base + c->ent * i, pat);
		tb_touch(c, (size_t)(tphys - TB_ARENA_PHYS), entries * c->ent);
		return;
	}
	case 5: /* this table itself, or the root */
		v = tb_entry(c, f, (mode & 0x80) ? c->root_phys : tphys);
		break;
	default: { /* a run of raw input bytes */
		size_t len = fz_min((size_t)(fz_u8(f) + 1) * c->ent,
				    (entries - idx) * c->ent);

		len = fz_min(len, fz_left(f));
		memcpy(base + c->ent * idx, f->p + f->i, len);
		f->i += len;
		tb_touch(c, (size_t)(tphys - TB_ARENA_PHYS) + c->ent * idx, len);
		return;
	}
	}
	tb_put(c, base + c->ent * idx, v);
	tb_touch(c, (size_t)(tphys - TB_ARENA_PHYS) + c->ent * idx, c->ent);
}

/* ---- probes ---- */

static bool tb_iova_ok(const struct tb_ctx *c, uint64_t v)
{
	if (c->sext) {
		uint64_t top = v >> (c->ias - 1);

		return top == 0 || top == (UINT64_MAX >> (c->ias - 1));
	}
	return ((v - tb_base(c)) >> c->ias) == 0;
}

/* An address made of one index per level (the way walks read it). */
static uint64_t tb_pick_iova(struct tb_ctx *c, struct fz *f)
{
	uint8_t m = fz_u8(f);
	uint64_t v = 0;

	if (m % 4 == 3)
		return fz_u64(f);
	for (unsigned int l = 0; l < c->levels; l++) {
		unsigned int bits = l == c->levels - 1 ? c->top_bits : c->bits;
		uint64_t i = fz_u16(f) & ((1ULL << bits) - 1);

		if (m % 4 == 1 && l + 1 < c->levels)
			i = 0;  /* only the top indices vary */
		v |= i << (c->g + l * c->bits);
	}
	if (m & 4)
		v |= fz_u16(f) & (c->min_pg - 1);
	if (c->sext && (v >> (c->ias - 1) & 1))
		v |= UINT64_MAX << (c->ias - 1);
	return v + tb_base(c);
}

static int tb_collect(void *arg, uint64_t iova, uint64_t phys,
		      uint64_t length, unsigned int prot)
{
	struct tb_extbuf *b = arg;

	if (b->nr == b->cap) {
		size_t n = b->cap ? 2 * b->cap : 256;
		struct tb_ext *v = realloc(b->v, n * sizeof(*v));

		if (!v)
			FZ_FAIL("out of memory");
		b->v = v;
		b->cap = n;
	}
	b->v[b->nr++] = (struct tb_ext){ iova, phys, length, prot };
	if (b->stop_after && b->nr == b->stop_after)
		return 7000 + (int)b->stop_after;
	return 0;
}

/* Does a granule-sized table at @phys lie inside the arena's tables? */
static bool tb_in_bound(const struct tb_ctx *c, uint64_t phys)
{
	return phys >= TB_ARENA_PHYS &&
	       phys - TB_ARENA_PHYS + c->min_pg <= c->arena.size;
}

static void tb_hw_vs_engine(struct tb_ctx *c, uint64_t a, int rc,
			    uint64_t phys, uint64_t len);

/* Everything a single address tells; returns iova_to_phys_length()'s rc. */
static int tb_probe_one(struct tb_ctx *c, uint64_t a, uint64_t *phys_out,
			unsigned int *prot_out)
{
	uint64_t phys = TB_SENTINEL, len = TB_SENTINEL, p2, l2, pp, ps;
	unsigned int prot = 0, lvl;
	struct iopt_path path;
	int rc, rc2, rw, re;

	snprintf(c->desc, sizeof(c->desc), "probe iova=0x%" PRIx64, a);
	rc = iopt_iova_to_phys_length(&c->t, a, &phys, &len, &prot);
	pp = iopt_iova_to_phys(&c->t, a);
	ps = iopt_iova_to_pgsize(&c->t, a);
	memset(&path, 0, sizeof(path));
	rw = iopt_walk_path(&c->t, a, &path);
	if (!tb_iova_ok(c, a)) {
		TB_CHECK(c, rc == -ERANGE && rw == -ERANGE &&
			 pp == IOPT_PHYS_NONE && ps == 0,
			 "outside the input space: %d %d 0x%" PRIx64 " 0x%" PRIx64,
			 rc, rw, pp, ps);
		return rc;
	}
	TB_CHECK(c, rc == 0 || rc == -ENOENT || rc == -EFAULT,
		 "iova_to_phys_length returned %d", rc);
	TB_CHECK(c, pp == (rc ? IOPT_PHYS_NONE : phys),
		 "iova_to_phys 0x%" PRIx64 ", iova_to_phys_length %d 0x%" PRIx64,
		 pp, rc, phys);
	TB_CHECK(c, ps == (rc ? 0 : len),
		 "iova_to_pgsize 0x%" PRIx64 ", iova_to_phys_length %d 0x%" PRIx64,
		 ps, rc, len);
	TB_CHECK(c, (rw == -EFAULT) == (rc == -EFAULT) &&
		 (rw == 0 || rw == -EFAULT),
		 "walk_path returned %d, iova_to_phys_length %d", rw, rc);
	TB_CHECK(c, path.depth >= 1 && path.depth <= c->levels,
		 "walk_path depth %u of %u levels", path.depth, c->levels);
	TB_CHECK(c, path.table_phys[0] == c->root_phys,
		 "walk_path starts at 0x%" PRIx64, path.table_phys[0]);
	for (unsigned int d = 0; d < path.depth; d++) {
		TB_CHECK(c, path.level[d] == c->levels - 1 - d,
			 "walk_path step %u is at level %u", d, path.level[d]);
		TB_CHECK(c, d == 0 || tb_in_bound(c, path.table_phys[d]),
			 "walk_path step %u read a table at 0x%" PRIx64 ", outside the arena [0x%" PRIx64 ", +0x%zx)",
			 d, path.table_phys[d], (uint64_t)TB_ARENA_PHYS, c->arena.size);
	}
	lvl = path.level[path.depth - 1];
	if (!rc) {
		unsigned int item = c->g + lvl * c->bits;
		/* Runs: up to 128 items (ARM 16K granule's contiguous hint),
		 * AMD v1's NextLevel 7 up to 256 (1M of 4K entries). */
		unsigned int run = c->cfg.format == IOPT_FMT_AMD_V1 ? 8 : 7;

		TB_CHECK(c, len && !(len & (len - 1)) && len >= (1ULL << item) &&
			 len <= (1ULL << (item + run)),
			 "a leaf at level %u with length 0x%" PRIx64, lvl, len);
		TB_CHECK(c, ((phys ^ a) & ((1ULL << item) - 1)) == 0,
			 "phys 0x%" PRIx64 " does not keep the offset of 0x%" PRIx64
			 " in a 2^%u item", phys, a, item);
		p2 = l2 = TB_SENTINEL;
		rc2 = iopt_iova_to_phys_length(&c->t, a, &p2, &l2, NULL);
		TB_CHECK(c, rc2 == 0 && p2 == phys && l2 == len,
			 "without prot: %d 0x%" PRIx64 " 0x%" PRIx64, rc2, p2, l2);
	} else {
		TB_CHECK(c, phys == TB_SENTINEL && len == TB_SENTINEL,
			 "iova_to_phys_length failed but wrote its outputs");
	}
	/* Iterating [a, a] reads the same entries. */
	c->es.nr = 0;
	c->es.stop_after = 0;
	re = iopt_for_each_extent(&c->t, a, 1, tb_collect, &c->es);
	if (rc == 0)
		TB_CHECK(c, re == 0 && c->es.nr == 1 && c->es.v[0].iova == a &&
			 c->es.v[0].phys == phys && c->es.v[0].length == 1 &&
			 c->es.v[0].prot == prot,
			 "extents of [a, a]: %d, %zu extents, lookup phys 0x%" PRIx64,
			 re, c->es.nr, phys);
	else
		TB_CHECK(c, re == (rc == -EFAULT ? -EFAULT : 0) && c->es.nr == 0,
			 "extents of [a, a]: %d with %zu extents, lookup %d",
			 re, c->es.nr, rc);
	tb_hw_vs_engine(c, a, rc, phys, len);
	if (phys_out)
		*phys_out = phys;
	if (prot_out)
		*prot_out = prot;
	return rc;
}

/* Extents of [a, a + size): shape, agreement with lookups, stopping. */
static void tb_probe_range(struct tb_ctx *c, uint64_t a, uint64_t size,
			   unsigned int stop)
{
	uint64_t last = a + (size - 1);
	const struct tb_ext *e;
	int re, rs;
	size_t n;

	if (!size || last < a || !tb_iova_ok(c, a) || !tb_iova_ok(c, last) ||
	    (c->sext && (a >> 63) != (last >> 63)))
		return;
	snprintf(c->desc, sizeof(c->desc), "extents of [0x%" PRIx64 ", 0x%" PRIx64 "]",
		 a, last);
	c->ea.nr = 0;
	c->ea.stop_after = 0;
	re = iopt_for_each_extent(&c->t, a, size, tb_collect, &c->ea);
	TB_CHECK(c, re == 0 || re == -EFAULT, "for_each_extent returned %d", re);
	n = c->ea.nr;
	for (size_t i = 0; i < n; i++) {
		e = &c->ea.v[i];
		TB_CHECK(c, e->length && e->iova >= a &&
			 e->iova + (e->length - 1) >= e->iova &&
			 e->iova + (e->length - 1) <= last,
			 "extent %zu [0x%" PRIx64 ", +0x%" PRIx64 ") is not inside the range",
			 i, e->iova, e->length);
		if (i) {
			const struct tb_ext *p = &c->ea.v[i - 1];
			uint64_t plast = p->iova + (p->length - 1);

			TB_CHECK(c, e->iova > plast,
				 "extent %zu at 0x%" PRIx64 " does not follow the one ending at 0x%" PRIx64,
				 i, e->iova, plast);
			TB_CHECK(c, !(e->iova == plast + 1 && e->prot == p->prot &&
				      e->phys == p->phys + p->length),
				 "extents %zu and %zu continue each other but were not merged",
				 i - 1, i);
		}
	}
	/* Sample each extent and each gap with lookups. */
	for (size_t i = 0; i < n && i < 64; i++) {
		uint64_t pts[3], phys;
		unsigned int prot;

		e = &c->ea.v[i];
		pts[0] = e->iova;
		pts[1] = e->iova + (e->length - 1);
		pts[2] = e->iova + e->length / 2;
		for (unsigned int k = 0; k < 3; k++) {
			int rc = tb_probe_one(c, pts[k], &phys, &prot);

			snprintf(c->desc, sizeof(c->desc), "extent %zu of [0x%" PRIx64 ", 0x%" PRIx64 "] at 0x%" PRIx64,
				 i, a, last, pts[k]);
			TB_CHECK(c, rc == 0 && phys == e->phys + (pts[k] - e->iova) &&
				 prot == e->prot,
				 "lookup gave %d phys 0x%" PRIx64 " prot 0x%x; the extent says phys 0x%" PRIx64 " prot 0x%x",
				 rc, phys, prot, e->phys + (pts[k] - e->iova), e->prot);
		}
	}
	/* Where the iteration finished, nothing may be mapped between them. */
	if (re == 0) {
		uint64_t from = a;
		bool end = false;
		unsigned int checked = 0;

		for (size_t i = 0; i <= n && !end && checked < 64; i++) {
			uint64_t to;

			if (i < n) {
				to = c->ea.v[i].iova;
			} else if (from <= last) {
				to = last + 1;     /* may be 0: the top of 2^64 */
			} else {
				break;
			}
			if (to != from) {
				int r1 = tb_probe_one(c, from, NULL, NULL);
				int r2 = tb_probe_one(c, to - 1, NULL, NULL);

				snprintf(c->desc, sizeof(c->desc), "gap [0x%" PRIx64 ", 0x%" PRIx64 "] of [0x%" PRIx64 ", 0x%" PRIx64 "]",
					 from, to - 1, a, last);
				TB_CHECK(c, r1 == -ENOENT && r2 == -ENOENT,
					 "lookups in a gap between extents gave %d and %d",
					 r1, r2);
				checked++;
			}
			if (i < n) {
				from = c->ea.v[i].iova + c->ea.v[i].length;
				end = from == 0 || from > last;
			}
		}
	}
	if (!stop)
		return;
	/* Stopping after k extents sees the first k of them. */
	snprintf(c->desc, sizeof(c->desc), "extents of [0x%" PRIx64 ", 0x%" PRIx64 "] stopping after %u",
		 a, last, stop);
	c->eb.nr = 0;
	c->eb.stop_after = stop;
	rs = iopt_for_each_extent(&c->t, a, size, tb_collect, &c->eb);
	if (n >= stop)
		TB_CHECK(c, rs == 7000 + (int)stop && c->eb.nr == stop,
			 "returned %d after %zu extents; the full run had %zu",
			 rs, c->eb.nr, n);
	else
		TB_CHECK(c, rs == re && c->eb.nr == n,
			 "returned %d after %zu extents; the full run returned %d with %zu",
			 rs, c->eb.nr, re, n);
	for (size_t i = 0; i < c->eb.nr; i++)
		TB_CHECK(c, c->eb.v[i].iova == c->ea.v[i].iova &&
			 c->eb.v[i].phys == c->ea.v[i].phys &&
			 c->eb.v[i].length == c->ea.v[i].length &&
			 c->eb.v[i].prot == c->ea.v[i].prot,
			 "extent %zu differs when stopping early", i);
}

static void tb_hw_geometry(struct tb_ctx *c, struct fz *f);
static uint64_t tb_pick_root(struct tb_ctx *c, struct fz *f);
static unsigned int tb_pick_access(struct fz *f);
static int tb_hw_walk(struct tb_ctx *c, uint64_t root, uint64_t iova,
		      unsigned int access, struct iopt_hwsim_result *out);
static void tb_sim_translate(struct tb_ctx *c, uint64_t iova, unsigned int access);
static void tb_sim_invalidate(struct tb_ctx *c, struct fz *f, uint64_t iova);

/*
 * One probe; the kind byte's low 3 bits say what:
 *   0     one address through every engine lookup (tb_probe_one())
 *   1, 2  the extents of a range of whole pages / of any bytes, checked
 *         against lookups; bits 2-4: stop after that many (0: never)
 *   3     the walker from a root of the input, with an access kind
 *   4, 7  the simulated IOMMU translates the address and (bits 3-5) up to
 *         7 more, (bits 6-7) granules apart
 *   5     an invalidation command of the simulated IOMMU
 *   6     the walker with a geometry of the input
 */
static void tb_probe(struct tb_ctx *c, struct fz *f)
{
	uint8_t kind = fz_u8(f);
	uint64_t a, root;
	unsigned int access;

	if (kind % 8 == 6) {
		tb_hw_geometry(c, f);
		return;
	}
	a = tb_pick_iova(c, f);
	switch (kind % 8) {
	case 0:
		tb_probe_one(c, a, NULL, NULL);
		break;
	case 1: /* whole smallest pages */
		a &= ~(c->min_pg - 1);
		tb_probe_range(c, a, (1 + fz_u16(f) % TB_MAX_PAGES) * c->min_pg,
			       (kind >> 2) % 5);
		break;
	case 2: /* any bytes */
		tb_probe_range(c, a, 1 + fz_u32(f) % (TB_MAX_PAGES * c->min_pg),
			       (kind >> 2) % 5);
		break;
	case 3:
		root = tb_pick_root(c, f);
		access = tb_pick_access(f);
		snprintf(c->desc, sizeof(c->desc), "walk 0x%" PRIx64 " from root 0x%" PRIx64 " access 0x%x",
			 a, root, access);
		tb_hw_walk(c, root, a, access, NULL);
		break;
	case 5:
		tb_sim_invalidate(c, f, a);
		break;
	default:
		access = tb_pick_access(f);
		for (unsigned int i = 0, n = 1 + (kind >> 3) % 8; i < n; i++)
			tb_sim_translate(c, a + ((uint64_t)i << c->g) * (kind >> 6),
					 access);
		break;
	}
}

/* ---- the simulated IOMMU's walker ---- */

/* Poison the arena's bitmap (end of the region) or open it for readers
 * that are allowed to read it: iopt_arena_is_free(). */
static void tb_guard(struct tb_ctx *c, bool on)
{
#ifdef TB_ASAN
	if (on)
		ASAN_POISON_MEMORY_REGION(c->region + c->arena.size,
					  TB_ARENA_SIZE - c->arena.size);
	else
		ASAN_UNPOISON_MEMORY_REGION(c->region + c->arena.size,
					    TB_ARENA_SIZE - c->arena.size);
#endif
	c->guarded = on;
}

static void tb_open_bitmap(struct tb_ctx *c, bool *was)
{
	*was = c->guarded;
	if (*was)
		tb_guard(c, false);
}

static void tb_close_bitmap(struct tb_ctx *c, bool was)
{
	if (was)
		tb_guard(c, true);
}

/* The third view of table memory: entry by entry, refusing what is not
 * inside the arena, counting. */
static int tb_hw_read(void *ctx, uint64_t phys, void *buf, size_t len)
{
	struct tb_ctx *c = ctx;
	uint64_t off = phys - TB_ARENA_PHYS;

	c->cb_reads++;
	TB_CHECK(c, len == c->ent && !(phys & (c->ent - 1)),
		 "the walker read %zu bytes at 0x%" PRIx64 ", not one aligned entry",
		 len, phys);
	TB_CHECK(c, c->cb_reads <= c->cb_max,
		 "the walker read %u entries in one walk, more than its %u levels",
		 c->cb_reads, c->cb_max);
	if (phys < TB_ARENA_PHYS || off > c->arena.size - c->ent) {
		c->cb_outside = true;
		return -EFAULT;
	}
	if (iopt_arena_is_free(&c->arena, phys, c->ent))
		c->cb_free_read = true;
	memcpy(buf, c->region + off, c->ent);
	return 0;
}

static void tb_hw_show(const char *who, int rc, const struct iopt_hwsim_result *r)
{
	fz_note("  %s: rc %d fault %s%s level %u phys 0x%" PRIx64 " size 2^%u leaf 2^%u%s perm 0x%x pte 0x%" PRIx64 " at 0x%" PRIx64 "%s%s",
		who, rc, iopt_hwsim_fault_name(r->fault), r->input ? " (input)" : "",
		r->level, r->phys, r->size_lg2, r->leaf_lg2,
		r->contig ? " contig" : "", r->perm, r->pte, r->pte_phys,
		r->cached ? " cached" : "", r->freed_read ? " freed-read" : "");
}

/* Two outcomes of the same walk (the freed-read report aside). */
static bool tb_hw_same(int ra, const struct iopt_hwsim_result *a, int rb,
		       const struct iopt_hwsim_result *b)
{
	return ra == rb && a->fault == b->fault && a->input == b->input &&
	       a->cached == b->cached && a->contig == b->contig &&
	       a->level == b->level && a->phys == b->phys &&
	       a->size_lg2 == b->size_lg2 && a->leaf_lg2 == b->leaf_lg2 &&
	       a->perm == b->perm && a->pte == b->pte &&
	       a->pte_phys == b->pte_phys;
}

static unsigned int tb_hw_need(unsigned int access)
{
	bool priv = access & IOPT_HWSIM_PRIV;
	unsigned int need = 0;

	if (access & IOPT_HWSIM_READ)
		need |= priv ? IOPT_HWSIM_PERM_PR : IOPT_HWSIM_PERM_UR;
	if (access & IOPT_HWSIM_WRITE)
		need |= priv ? IOPT_HWSIM_PERM_PW : IOPT_HWSIM_PERM_UW;
	if (access & IOPT_HWSIM_EXEC)
		need |= priv ? IOPT_HWSIM_PERM_PX : IOPT_HWSIM_PERM_UX;
	return need;
}

static bool tb_hw_input_ok(const struct iopt_hwsim_geom *g, uint64_t iova)
{
	uint64_t top;

	if (g->sign_extend) {
		top = iova >> (g->ias - 1);
		return top == 0 || top == UINT64_MAX >> (g->ias - 1);
	}
	if (g->ttbr1 && g->ias < 64) /* ARM TTBR1: bits [63:ias] all ones */
		return iova >> g->ias == UINT64_MAX >> g->ias;
	return g->ias >= 64 || !(iova >> g->ias);
}

/* What any walk outcome must look like, whatever memory held. */
static void tb_hw_sane(struct tb_ctx *c, const struct iopt_hwsim_geom *g,
		       uint64_t iova, unsigned int access, int rc,
		       const struct iopt_hwsim_result *r)
{
	bool translated = r->fault == IOPT_HWSIM_FAULT_NONE ||
			  r->fault == IOPT_HWSIM_FAULT_PERMISSION;
	unsigned int need = tb_hw_need(access);

	if (!(rc == 0 || rc == -EFAULT) || (rc == 0) != (r->fault == IOPT_HWSIM_FAULT_NONE) ||
	    r->input != !tb_hw_input_ok(g, iova) ||
	    (r->input && r->fault != IOPT_HWSIM_FAULT_ADDR_SIZE) ||
	    r->level >= g->levels || r->fault > IOPT_HWSIM_FAULT_WALK_ABORT)
		goto bad;
	if (!translated) {
		if (r->phys != IOPT_PHYS_NONE)
			goto bad;
		return;
	}
	if (r->phys == IOPT_PHYS_NONE ||
	    r->leaf_lg2 != g->granule_lg2 + r->level * g->level_bits ||
	    r->size_lg2 < r->leaf_lg2 || r->size_lg2 > r->leaf_lg2 + 8 || /* AMD v1: 256 entries */
	    r->contig != (r->size_lg2 > r->leaf_lg2) ||
	    ((r->phys ^ iova) & ((1ULL << r->leaf_lg2) - 1)) ||
	    (r->phys >> g->oas) || (r->perm & ~0x3fu) ||
	    /* DART's sub-page range can refuse what the permissions allow */
	    (r->subpage ? rc == 0 && (r->perm & need) != need :
	     (rc == 0) != ((r->perm & need) == need)))
		goto bad;
	return;
bad:
	fz_note("fuzz_tables: %s: %s", c->name, c->desc);
	tb_hw_show("walk", rc, r);
	FZ_FAIL("walk of 0x%" PRIx64 " (access 0x%x) is not a possible outcome",
		iova, access);
}

/*
 * iopt_hwsim_walk() of @iova from @root over the image, the arena and the
 * callback; they must agree. Returns the arena walk's rc and result.
 */
static int tb_hw_walk3(struct tb_ctx *c, const struct iopt_hwsim_geom *g,
		       uint64_t root, uint64_t iova, unsigned int access,
		       struct iopt_hwsim_result *out)
{
	struct iopt_hwsim_result ri, ra, rb;
	int ci, ca, cb;

	bool was;

	/* A refused geometry leaves the result alone. */
	memset(&ri, 0, sizeof(ri));
	ra = rb = ri;
	ci = iopt_hwsim_walk(g, &c->m_image, root, iova, access, &ri);
	tb_open_bitmap(c, &was);
	ca = iopt_hwsim_walk(g, &c->m_arena, root, iova, access, &ra);
	c->cb_reads = 0;
	c->cb_max = g->levels;
	c->cb_free_read = c->cb_outside = false;
	cb = iopt_hwsim_walk(g, &c->m_cb, root, iova, access, &rb);
	tb_close_bitmap(c, was);
	if (!tb_hw_same(ci, &ri, ca, &ra) || !tb_hw_same(ci, &ri, cb, &rb) ||
	    ri.freed_read || rb.freed_read || ra.freed_read != c->cb_free_read ||
	    (c->cb_outside && ra.fault != IOPT_HWSIM_FAULT_WALK_ABORT)) {
		fz_note("fuzz_tables: %s: %s", c->name, c->desc);
		tb_hw_show("image", ci, &ri);
		tb_hw_show("arena", ca, &ra);
		tb_hw_show("callback", cb, &rb);
		fz_note("  the callback served %u reads%s%s", c->cb_reads,
			c->cb_free_read ? ", one of a free block" : "",
			c->cb_outside ? ", refused one outside the arena" : "");
		FZ_FAIL("walks of 0x%" PRIx64 " from root 0x%" PRIx64 " over the three views of memory differ",
			iova, root);
	}
	if (ca != -EINVAL)
		tb_hw_sane(c, g, iova, access, ca, &ra);
	*out = ra;
	return ca;
}

/* A walk of @iova with @access, and without any access check: the same
 * translation, failing exactly when the permissions lack the access. */
static int tb_hw_walk(struct tb_ctx *c, uint64_t root, uint64_t iova,
		      unsigned int access, struct iopt_hwsim_result *out)
{
	struct iopt_hwsim_result r0, r;
	int rc0, rc;

	rc0 = tb_hw_walk3(c, &c->geom, root, iova, 0, &r0);
	TB_CHECK(c, rc0 != -EINVAL, "iopt_hwsim_walk refused a valid geometry");
	if (access) {
		rc = tb_hw_walk3(c, &c->geom, root, iova, access, &r);
		if (rc0 == 0) {
			bool allowed = (r0.perm & tb_hw_need(access)) == tb_hw_need(access);
			/* DART's sub-page range may refuse what perm allows */
			bool either = allowed && r0.subpage;

			TB_CHECK(c, (either ? rc == 0 || r.fault == IOPT_HWSIM_FAULT_PERMISSION :
				     (rc == 0) == allowed &&
				     (allowed || r.fault == IOPT_HWSIM_FAULT_PERMISSION)) &&
				 r.phys == r0.phys && r.perm == r0.perm &&
				 r.size_lg2 == r0.size_lg2 && r.level == r0.level,
				 "with access 0x%x the walk of 0x%" PRIx64 " gave %d (%s)",
				 access, iova, rc, iopt_hwsim_fault_name(r.fault));
		} else {
			TB_CHECK(c, tb_hw_same(rc, &r, rc0, &r0),
				 "a walk of 0x%" PRIx64 " faulted (%s), with access 0x%x it gave %d (%s)",
				 iova, iopt_hwsim_fault_name(r0.fault), access, rc,
				 iopt_hwsim_fault_name(r.fault));
		}
	}
	if (out)
		*out = r0;
	return rc0;
}

/* A root for the walker: the table's, a block, the arena's edges, anything. */
static uint64_t tb_pick_root(struct tb_ctx *c, struct fz *f)
{
	uint8_t m = fz_u8(f);
	uint64_t end = TB_ARENA_PHYS + c->arena.size;

	switch (m % 6) {
	case 0:
		return c->root_phys;
	case 1: /* low bits the base register ignores */
		return c->root_phys | (fz_u16(f) & 0xfff);
	case 2:
		return TB_ARENA_PHYS + ((uint64_t)fz_u16(f) % c->nblocks << c->g);
	case 3:
		return c->ntables ? c->tables[fz_u8(f) % c->ntables] : c->root_phys;
	case 4: /* around the ends of the arena */
		return ((m & 8) ? end : TB_ARENA_PHYS) - (uint64_t)c->ent * (m >> 4) +
		       ((m & 0x40) ? (uint64_t)c->ent * (m >> 5) : 0);
	default:
		return fz_u64(f);
	}
}

/* An access kind (combinations of read, write, execute, privileged). */
static unsigned int tb_pick_access(struct fz *f)
{
	return fz_u8(f) & (IOPT_HWSIM_READ | IOPT_HWSIM_WRITE |
			   IOPT_HWSIM_EXEC | IOPT_HWSIM_PRIV);
}

/* A walk of the table as the engine built it must say what the engine says. */
static void tb_hw_vs_engine(struct tb_ctx *c, uint64_t a, int rc,
			    uint64_t phys, uint64_t len)
{
	struct iopt_hwsim_result r;
	int hr = tb_hw_walk(c, c->root_phys, a, 0, &r);

	if (c->npatched || !tb_iova_ok(c, a))
		return;
	if (rc == 0 ? hr == 0 && r.phys == phys && len == 1ULL << r.size_lg2 :
	    rc == -ENOENT && hr == -EFAULT &&
	    r.fault == IOPT_HWSIM_FAULT_TRANSLATION)
		return;
	fz_note("fuzz_tables: %s: %s", c->name, c->desc);
	tb_hw_show("walker", hr, &r);
	FZ_FAIL("the engine says %d phys 0x%" PRIx64 " length 0x%" PRIx64 " for 0x%" PRIx64 " of the table it built; the walker disagrees",
		rc, phys, len, a);
}

/* A geometry from the input: refused, or walked within its own bounds. */
static void tb_hw_geometry(struct tb_ctx *c, struct fz *f)
{
	static const unsigned int gran[4] = { 12, 14, 16, 13 };
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_result r;
	uint8_t a = fz_u8(f), b = fz_u8(f), d = fz_u8(f);
	uint64_t root = tb_pick_root(c, f), iova = tb_pick_iova(c, f);
	unsigned int bpl, access = tb_pick_access(f);
	int rc;

	memset(&g, 0, sizeof(g));
	g.format = (enum iopt_format)(a % 4);
	g.granule_lg2 = gran[(a >> 2) % 4];
	g.levels = (a >> 4) % 7;
	bpl = g.granule_lg2 - 3;
	g.top_bits = b % (bpl + 6);
	g.ias = (b & 0x80) ? d % 70 :
		g.granule_lg2 + (g.levels ? g.levels - 1 : 0) * bpl + g.top_bits;
	g.oas = (d & 0x80) ? d % 66 : c->geom.oas;
	g.concat = 1;
	g.stage2 = d & 1;
	g.sign_extend = d & 2;
	snprintf(c->desc, sizeof(c->desc), "walk with geometry fmt %d granule %u levels %u top %u ias %u oas %u s2 %d sext %d, root 0x%" PRIx64 ", iova 0x%" PRIx64,
		 g.format, g.granule_lg2, g.levels, g.top_bits, g.ias, g.oas,
		 g.stage2, g.sign_extend, root, iova);
	rc = tb_hw_walk3(c, &g, root, iova, access, &r);
	TB_CHECK(c, rc != -EINVAL || c->cb_reads == 0,
		 "iopt_hwsim_walk refused the geometry after reading %u entries",
		 c->cb_reads);
}

/* ---- the simulated IOMMU's caches ---- */

/* Do the entries of the contiguous run at @base agree with each other? */
static bool tb_run_consistent(struct tb_ctx *c, uint64_t base,
			      unsigned int size_lg2, unsigned int leaf_lg2)
{
	struct iopt_hwsim_result r0, r;
	uint64_t n = 1ULL << (size_lg2 - leaf_lg2);

	if (size_lg2 <= leaf_lg2 || size_lg2 - leaf_lg2 > 7 ||
	    iopt_hwsim_walk(&c->geom, &c->m_arena, c->sim_root, base, 0, &r0) ||
	    !r0.contig || r0.size_lg2 != size_lg2 || r0.leaf_lg2 != leaf_lg2)
		return false;
	for (uint64_t k = 1; k < n; k++) {
		uint64_t a = base + (k << leaf_lg2);

		if (iopt_hwsim_walk(&c->geom, &c->m_arena, c->sim_root, a, 0, &r) ||
		    !r.contig || r.size_lg2 != size_lg2 || r.leaf_lg2 != leaf_lg2 ||
		    r.perm != r0.perm || r.phys != r0.phys + (k << leaf_lg2))
			return false;
	}
	return true;
}

static void tb_sim_event(void *arg, const struct iopt_hwsim_event *ev)
{
	struct tb_ctx *c = arg;
	unsigned int leaf;

	switch (ev->kind) {
	case IOPT_HWSIM_EV_USE_AFTER_FREE:
		TB_CHECK(c, iopt_arena_is_free(&c->arena, ev->cached, c->ent),
			 "use-after-free event for 0x%" PRIx64 " (iova 0x%" PRIx64 "), which is not free",
			 ev->cached, ev->iova);
		return;
	case IOPT_HWSIM_EV_STALE_TLB:
		/* Memory does not change: only an inconsistent run can be. */
		leaf = c->geom.granule_lg2 + ev->level * c->geom.level_bits;
		TB_CHECK(c, ev->cached != IOPT_PHYS_NONE &&
			 ev->cached_size_lg2 > leaf &&
			 !tb_run_consistent(c, ev->iova & ~((1ULL << ev->cached_size_lg2) - 1),
					    ev->cached_size_lg2, leaf),
			 "a stale IOTLB entry for 0x%" PRIx64 " (cached 0x%" PRIx64 " size 2^%u, fresh 0x%" PRIx64 " size 2^%u) though memory did not change",
			 ev->iova, ev->cached, ev->cached_size_lg2, ev->fresh,
			 ev->fresh_size_lg2);
		return;
	default:
		FZ_FAIL("fuzz_tables: %s: %s: event %d (walk cache at level %u for 0x%" PRIx64 ": 0x%" PRIx64 ", memory 0x%" PRIx64 ") though memory did not change",
			c->name, c->desc, ev->kind, ev->level, ev->iova,
			ev->cached, ev->fresh);
	}
}

static void tb_sim_setup(struct tb_ctx *c, struct fz *f)
{
	static const unsigned int tlb[4][2] = { { 0, 0 }, { 4, 2 }, { 16, 4 }, { 64, 0 } };
	static const unsigned int wc[4][2] = { { 0, 0 }, { 2, 1 }, { 8, 2 }, { 16, 0 } };
	uint8_t b = fz_u8(f);
	struct iopt_hwsim_params p = {
		.tlb_entries = tlb[b & 3][0], .tlb_ways = tlb[b & 3][1],
		.walk_entries = wc[(b >> 2) & 3][0],
		.walk_ways = wc[(b >> 2) & 3][1],
		.flags = ((b & 0x10) ? IOPT_HWSIM_STRICT : 0) |
			 ((b & 0x20) ? IOPT_HWSIM_VERIFY_HITS : 0),
	};
	struct iopt_hwsim_result r;
	uint64_t root = (b & 0x40) ? tb_pick_root(c, f) : c->root_phys;
	int rc;

	snprintf(c->desc, sizeof(c->desc), "simulated IOMMU 0x%02x, root 0x%" PRIx64,
		 b, root);
	rc = iopt_hwsim_init(&c->sim, &c->cfg, &c->m_arena, &p);
	TB_CHECK(c, rc == 0, "iopt_hwsim_init = %d", rc);
	c->sim_live = true;
	rc = iopt_hwsim_translate(&c->sim, 0, 0, &r);
	TB_CHECK(c, rc == -EINVAL, "a translation before a root was set gave %d", rc);
	iopt_hwsim_set_event_fn(&c->sim, tb_sim_event, c);
	c->sim_root = root;
	rc = iopt_hwsim_set_root(&c->sim, root);
	TB_CHECK(c, rc == 0, "iopt_hwsim_set_root = %d", rc);
}

/* A translation through the caches must be what a fresh walk says. */
static void tb_sim_translate(struct tb_ctx *c, uint64_t iova, unsigned int access)
{
	struct iopt_hwsim_counters k0, k1;
	struct iopt_hwsim_result r, f;
	int rc, rf;

	bool was;

	snprintf(c->desc, sizeof(c->desc), "translate 0x%" PRIx64 " access 0x%x",
		 iova, access);
	tb_open_bitmap(c, &was);
	iopt_hwsim_get_counters(&c->sim, &k0);
	rc = iopt_hwsim_translate(&c->sim, iova, access, &r);
	iopt_hwsim_get_counters(&c->sim, &k1);
	tb_close_bitmap(c, was);
	rf = tb_hw_walk3(c, &c->geom, c->sim_root, iova, access, &f);
	tb_open_bitmap(c, &was);
	TB_CHECK(c, k1.translations == k0.translations + 1 &&
		 k1.faults == k0.faults + (rc != 0),
		 "the counters did not count the translation");
	if (!r.cached) {
		/* A walk, maybe resumed below a cached table descriptor. */
		bool from_root = k1.walk_misses == k0.walk_misses + 1;
		struct iopt_hwsim_result g = f;

		/* Resumed below the descriptor a fresh walk read last, a walk
		 * that cannot read its first entry has read none. */
		if (!from_root && r.fault == IOPT_HWSIM_FAULT_WALK_ABORT &&
		    !r.pte && !r.pte_phys) {
			g.pte = 0;
			g.pte_phys = 0;
		}
		if (tb_hw_same(rc, &r, rf, &g) &&
		    (!from_root || r.freed_read == f.freed_read)) {
			tb_close_bitmap(c, was);
			return;
		}
	} else if (rc == rf && r.fault == f.fault && r.phys == f.phys &&
		   (r.fault == IOPT_HWSIM_FAULT_TRANSLATION ||
		    (r.size_lg2 == f.size_lg2 && r.leaf_lg2 == f.leaf_lg2 &&
		     r.perm == f.perm && r.contig == f.contig))) {
		tb_close_bitmap(c, was);
		return;
	} else if (r.contig &&
		   !tb_run_consistent(c, iova & ~((1ULL << r.size_lg2) - 1),
				      r.size_lg2, r.leaf_lg2)) {
		tb_close_bitmap(c, was);
		return; /* the run disagrees with itself: either answer */
	}
	fz_note("fuzz_tables: %s: %s", c->name, c->desc);
	tb_hw_show("simulated IOMMU", rc, &r);
	tb_hw_show("fresh walk", rf, &f);
	FZ_FAIL("the simulated IOMMU translated 0x%" PRIx64 " unlike a fresh walk of unchanged memory",
		iova);
}

/* An invalidation command; then nothing cached may be stale. */
static void tb_sim_invalidate(struct tb_ctx *c, struct fz *f, uint64_t iova)
{
	uint8_t b = fz_u8(f);
	struct iopt_hwsim_counters k0, k1;
	struct iopt_hwsim_result r;
	bool was;
	int rc, n;

	tb_open_bitmap(c, &was);
	if (b & 1) {
		snprintf(c->desc, sizeof(c->desc), "invalidate all");
		rc = iopt_hwsim_inv_all(&c->sim);
		TB_CHECK(c, rc == 0, "iopt_hwsim_inv_all = %d", rc);
		n = iopt_hwsim_check_coherent(&c->sim, NULL, NULL);
		TB_CHECK(c, n == 0, "%d stale entries after invalidating all", n);
		tb_close_bitmap(c, was);
		return;
	} else {
		uint64_t size = (b & 2) ? fz_u64(f) : (uint64_t)fz_u16(f) << c->g;
		unsigned int gr = (b & 4) ? fz_u8(f) % 70 : c->g + (b >> 4) % 4 * c->bits;
		bool leaf_only = b & 8;
		bool bad = !size || iova + (size - 1) < iova || gr >= 64;

		snprintf(c->desc, sizeof(c->desc), "invalidate [0x%" PRIx64 ", +0x%" PRIx64 ") granule 2^%u%s",
			 iova, size, gr, leaf_only ? " leaf only" : "");
		rc = iopt_hwsim_inv_range(&c->sim, iova, size, gr, leaf_only);
		TB_CHECK(c, rc == (bad ? -EINVAL : 0), "iopt_hwsim_inv_range = %d", rc);
		if (!bad && tb_hw_input_ok(&c->geom, iova)) {
			/* The command acts at its first address: whatever
			 * held it is gone, and without leaf_only so are the
			 * cached descriptors above it. */
			iopt_hwsim_get_counters(&c->sim, &k0);
			rc = iopt_hwsim_translate(&c->sim, iova, 0, &r);
			iopt_hwsim_get_counters(&c->sim, &k1);
			TB_CHECK(c, !r.cached && (leaf_only || k1.walk_misses == k0.walk_misses + 1),
				 "after the command 0x%" PRIx64 " was %s",
				 iova, r.cached ? "still in the IOTLB" :
				 "walked from a cached table descriptor");
		}
	}
	n = iopt_hwsim_check_coherent(&c->sim, NULL, NULL);
	TB_CHECK(c, n >= 0, "iopt_hwsim_check_coherent = %d", n);
	tb_close_bitmap(c, was);
}

/* Lookups must write nothing: the region is read-only while they run. */
static uint64_t tb_freeze(struct tb_ctx *c, bool frozen)
{
#ifdef TB_MPROTECT
	if (mprotect(c->region, TB_ARENA_SIZE,
		     frozen ? PROT_READ : PROT_READ | PROT_WRITE))
		FZ_FAIL("mprotect: %d", errno);
	return 0;
#else
	/* FNV-1a over the bytes this input touched. */
	uint64_t h = 0xcbf29ce484222325ULL;

	(void)frozen;
	for (size_t i = 0; i + 8 <= c->dirty; i += 8)
		h = (h ^ fz_get_le64(c->region + i)) * 0x100000001b3ULL;
	return h;
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tb_ctx *c = &tb_the_ctx;
	struct fz f;
	unsigned int npatch;
	uint64_t h0, h1;

	if (size < 2)
		return 0;
	fz_init(&f, data, size);
	tb_setup(c, &f);
	tb_build(c, &f);
	npatch = fz_u8(&f) % 32;
	for (unsigned int i = 0; i < npatch && fz_more(&f); i++, c->npatched++)
		tb_patch(c, &f);
	tb_sim_setup(c, &f);
	h0 = tb_freeze(c, true);
	tb_guard(c, true);
	for (unsigned int i = 0; i < TB_MAX_PROBES && fz_more(&f); i++)
		tb_probe(c, &f);
	tb_guard(c, false);
	h1 = tb_freeze(c, false);
	iopt_hwsim_fini(&c->sim);
	c->sim_live = false;
	snprintf(c->desc, sizeof(c->desc), "after the probes");
	TB_CHECK(c, h0 == h1, "the lookups changed table memory");
	/* Not iopt_fini(): see the top of this file. */
	return 0;
}
