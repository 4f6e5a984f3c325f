// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Fuzz target: operation sequences on a real table, each checked against
 * the reference model (tests/model.h) and the contracts of iopt.h.
 *
 * Input (all numbers little-endian, read with tests/fuzz/fuzz.h):
 *   byte 0      configuration (fz_config_name(): h_configs[], then more)
 *   byte 1      setup bits: 1 = only a flush_all callback (no flush_range),
 *               2 = IOPT_CFG_STATS, 4 = first try iopt_init() with the root
 *               allocation failing (must be -ENOMEM holding nothing),
 *               8 = a non-coherent walker (below), 0x30 = the shape of the
 *               simulated IOMMU's caches (ops_sim_shapes[]), 0x40 = end
 *               with iopt_fini() on the full table instead of unmapping
 *               everything first
 *   bytes 2-5   two u16 seeds for physical-address offsets (times the
 *               window size)
 *   then ops    one byte each: low nibble the operation (ops_do_one()), high
 *               nibble its option bits; then the operands it reads.
 *
 * Addresses come from a few windows of the input space (its bottom, both
 * sides of its middle or of the x86-64 canonical hole, its very top), each
 * a few of the largest pages long. Inside a window an address is a block of
 * some page size plus a small multiple of a smaller one, so leaves of all
 * sizes collide, share tables and leave empty ones behind.
 *
 * After every operation that can change the table, the range it touched,
 * widened to whole blocks of the largest page size, is compared with the
 * model through iopt_for_each_extent() (one descent), and so is the whole
 * input space after every 16th such operation and at the end; the table
 * memory counter is checked against the arena, and every free of a table
 * must have been preceded by a walk-cache flush in the same call. At the
 * end everything is unmapped (only the root may remain) and the table is
 * destroyed (nothing may remain), or (setup bit 0x40) the table is
 * destroyed with everything still mapped. Any mismatch abort()s.
 *
 * The simulated IOMMU (include/iopt/hwsim.h) is a second opinion on the
 * bits, and the oracle for invalidation:
 *  - its walker, which knows the architecture and not the engine, walks the
 *    addresses an operation touched (and every leaf, with the whole-space
 *    checks) and must translate exactly what the model maps, with the size
 *    of the leaf or contiguous run and the permissions the architecture
 *    gives the effective protection; anything else must be a translation
 *    fault. With setup bit 8 the table memory gets a sync() callback and
 *    the walker reads a shadow copy that only sync() updates (as a walker
 *    that is not cache-coherent sees memory; the rest of the shadow holds a
 *    pattern that reads as valid entries), through a read callback that
 *    requires every read to be 8 aligned bytes of live table memory.
 *    Without it the walker reads the arena and must never read a freed block.
 *  - a simulated IOMMU with an IOTLB and walk caches, driven by the flush
 *    callbacks, translates the same addresses (filling its caches also
 *    between an unmap and the sync that follows it). When no unmap is
 *    waiting for its sync, its answers must be the model's; after every
 *    iopt_gather_sync() no cached entry may disagree with memory
 *    (iopt_hwsim_check_coherent()); and no walk may ever read a table that
 *    was freed (a walk-cache pointer that outlived its table).
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <iopt/hwsim.h>
#include <iopt/iopt.h>
#include <iopt/mem.h>
#include "model.h"

#define OPS_ARENA_SIZE ((size_t)64 << 20)
#define OPS_ARENA_PHYS 0x80000000ULL
#define OPS_MAX_OPS 400          /* operations per input */
#define OPS_MAX_LEAVES 3000      /* model size beyond which maps are skipped */
#define OPS_MAX_MAP_LEAVES 256   /* leaves one map may create */
#define OPS_MAX_FRESH 256        /* tables allocated in one call we track */
#define OPS_MAX_FLUSH 512        /* flushed ranges between syncs we keep */
#define OPS_MAX_REMOVED 4096     /* removed leaves between syncs we keep */
#define OPS_MAX_HW_LEAVES 32     /* model leaves walked per operation */
#define OPS_SHADOW_JUNK 0xa5     /* shadow bytes nobody synced: valid-looking */
#define OPS_SENTINEL 0x5a5a5a5a5a5a5a5aULL
#define OPS_PROT_SENTINEL 0xdead0000u

/* Argument errors a call may return (several may apply at once). */
#define OPS_E_INVAL    (1u << 0)
#define OPS_E_OVERFLOW (1u << 1)
#define OPS_E_RANGE    (1u << 2)

/* Pointer arguments passed as NULL. */
#define OPS_NULL_TABLE (1u << 0)
#define OPS_NULL_OUT   (1u << 1) /* mapped, unmapped, phys */
#define OPS_NULL_OUT2  (1u << 2) /* gather, length, extent callback, path */
#define OPS_NULL_PROT  (1u << 3) /* prot of iova_to_phys_length: allowed */

/* Cache shapes of the simulated IOMMU (setup bits 0x30): small and of
 * different associativity, so that entries are evicted and refilled. */
static const struct iopt_hwsim_params ops_sim_shapes[4] = {
	{ .tlb_entries = 16, .tlb_ways = 4, .walk_entries = 4, .walk_ways = 2 },
	{ .tlb_entries = 64, .tlb_ways = 0, .walk_entries = 16, .walk_ways = 0 },
	{ .tlb_entries = 8, .tlb_ways = 1, .walk_entries = 2, .walk_ways = 1 },
	{ .tlb_entries = 0, .walk_entries = 8, .walk_ways = 4 },
};

struct ops_ext {
	uint64_t iova;
	uint64_t phys;
	uint64_t length;
	unsigned int prot;
};

struct ops_extbuf {
	struct ops_ext *v;
	size_t nr;
	size_t cap;
	unsigned int stop_after;  /* callback returns non-zero at this count */
};

struct ops_ctx {
	char name[64];
	struct iopt_config cfg;
	struct iopt_table t;
	bool live;
	unsigned char *region;
	struct iopt_arena arena;
	struct iopt_mem inner;    /* the arena backend */
	struct iopt_mem mem;      /* ours, forwarding to it */
	struct iopt_flush_ops flush;
	struct model m;
	struct iopt_gather g;
	unsigned int pending;     /* unmaps since the last sync */

	/* the simulated IOMMU */
	struct iopt_hwsim_geom geom;
	struct iopt_hwsim_mem hw_mem;  /* what fresh walks read */
	struct iopt_hwsim sim;         /* with caches, reading the arena */
	bool sim_live;
	bool noncoherent;              /* sync() callback and shadow memory */
	bool fini_full;                /* iopt_fini() with everything mapped */
	unsigned char *shadow;
	uint64_t nsyncs;
	unsigned int hw_reads;         /* reads of the current fresh walk */

	/* geometry */
	unsigned int ias, oas, granule_lg2, levels;
	bool sext;
	uint64_t base;  /* the first IOVA: 0, or ARM TTBR1's 2^64 - 2^ias */
	uint64_t bitmap, min_pg, pa_last, root_used;
	uint64_t sizes[64];       /* usable page sizes, ascending */
	unsigned int nsizes;
	uint64_t cap;             /* window length */
	uint64_t win[4];
	unsigned int nwin;
	uint64_t delta[2];

	/* flush and free bookkeeping of the current call */
	bool call_walk_flushed;
	unsigned int unflushed_frees;
	uint64_t fresh[OPS_MAX_FRESH];
	unsigned int nfresh;
	bool fresh_lost;
	uint64_t flush_all_calls;
	uint64_t flush_range_calls;
	uint64_t nallocs, nfrees;      /* through our backend */
	/* between gather syncs */
	bool flushed_all;
	struct model_range fl[OPS_MAX_FLUSH];
	unsigned int nfl;
	bool fl_lost;
	struct model_range rm[OPS_MAX_REMOVED];
	unsigned int nrm;
	bool rm_lost;

	/* what the current operation changed (or tried to) */
	unsigned int nspan;
	uint64_t span_lo, span_hi;
	unsigned int nchanges;    /* operations that may have changed the table */

	struct ops_extbuf ea, eb;
	unsigned int opno;
	char desc[320];           /* the current operation, for diagnostics */
};

static struct ops_ctx ops_the_ctx;
static unsigned char *ops_shadow;   /* kept from input to input */
static size_t ops_shadow_dirty;     /* bytes of it the last input may have synced */

#define OPS_BAD(c, ...)                                                      \
	do {                                                                 \
		fz_note("fuzz_ops: %s, op %u: %s", (c)->name, (c)->opno,     \
			(c)->desc);                                          \
		FZ_FAIL(__VA_ARGS__);                                        \
	} while (0)

#define OPS_CHECK(c, cond, ...)                                              \
	do {                                                                 \
		if (!(cond))                                                 \
			OPS_BAD(c, __VA_ARGS__);                             \
	} while (0)

static bool ops_rc_in(int rc, unsigned int mask)
{
	return (rc == -EINVAL && (mask & OPS_E_INVAL)) ||
	       (rc == -EOVERFLOW && (mask & OPS_E_OVERFLOW)) ||
	       (rc == -ERANGE && (mask & OPS_E_RANGE));
}

/* ---- the input space, as iopt.h defines it ---- */

/* Is @v an input address: in [base, base + 2^ias), or canonical for
 * x86-64. */
static bool ops_iova_ok(const struct ops_ctx *c, uint64_t v)
{
	if (c->sext) {
		uint64_t top = v >> (c->ias - 1);

		return top == 0 || top == (UINT64_MAX >> (c->ias - 1));
	}
	return ((v - c->base) >> c->ias) == 0;
}

/* [iova, last] (last >= iova) lies in one part of the input space. */
static bool ops_span_ok(const struct ops_ctx *c, uint64_t iova, uint64_t last)
{
	return ops_iova_ok(c, iova) && ops_iova_ok(c, last) &&
	       (!c->sext || (iova >> 63) == (last >> 63));
}

/* Errors of an IOVA range of @size >= 1 bytes. */
static unsigned int ops_range_errs(const struct ops_ctx *c, uint64_t iova,
				   uint64_t size)
{
	uint64_t last = iova + (size - 1);

	if (last < iova)
		return OPS_E_OVERFLOW | (ops_iova_ok(c, iova) ? 0 : OPS_E_RANGE);
	return ops_span_ok(c, iova, last) ? 0 : OPS_E_RANGE;
}

static bool ops_paddr_ok(const struct ops_ctx *c, uint64_t paddr,
			 uint64_t size)
{
	return size - 1 <= c->pa_last && paddr <= c->pa_last - (size - 1);
}

static bool ops_pgsize_ok(const struct ops_ctx *c, uint64_t pgsize)
{
	return pgsize && !(pgsize & (pgsize - 1)) && (pgsize & c->bitmap);
}

static bool ops_prot_ok(unsigned int prot)
{
	return !(prot & ~IOPT_PROT_ALL) && (prot & (IOPT_READ | IOPT_WRITE));
}

/* ---- memory backend and flush callbacks, for the bookkeeping ---- */

static void *ops_alloc(void *ctx, size_t size, uint64_t *phys,
		       unsigned int flags)
{
	struct ops_ctx *c = ctx;
	void *v = c->inner.ops->alloc(c->inner.ctx, size, phys, flags);

	if (v) {
		c->nallocs++;
		if (c->nfresh < OPS_MAX_FRESH)
			c->fresh[c->nfresh++] = *phys;
		else
			c->fresh_lost = true;
	}
	return v;
}

/* A table the IOMMU may have walked (one that existed before this call)
 * may only be freed after a walk-cache flush in the same call. */
static void ops_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct ops_ctx *c = ctx;
	bool spare = c->fresh_lost;

	/* The arena trusts its caller: a double or stray free is caught here. */
	OPS_CHECK(c, phys >= OPS_ARENA_PHYS && phys - OPS_ARENA_PHYS < c->arena.size &&
		  virt == c->region + (phys - OPS_ARENA_PHYS) && size &&
		  !(phys & (size - 1)) &&
		  !iopt_arena_is_free(&c->arena, phys, size),
		  "free(virt=%p, phys=0x%" PRIx64 ", size=0x%zx) is not a block the arena handed out",
		  virt, phys, size);
	for (unsigned int i = 0; i < c->nfresh && !spare; i++)
		spare = c->fresh[i] == phys;
	if (!spare && !c->call_walk_flushed)
		c->unflushed_frees++;
	c->nfrees++;
	c->inner.ops->free(c->inner.ctx, virt, phys, size);
}

static void *ops_phys_to_virt(void *ctx, uint64_t phys)
{
	struct ops_ctx *c = ctx;

	return c->inner.ops->phys_to_virt ?
	       c->inner.ops->phys_to_virt(c->inner.ctx, phys) :
	       (void *)(uintptr_t)(phys + c->inner.virt_offset);
}

/*
 * Cache maintenance for a walker that is not coherent: what the engine
 * syncs becomes visible in the shadow the walker reads. A sync must name
 * whole entries of live table memory, at the virtual address of that
 * physical address.
 */
static void ops_sync_cb(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct ops_ctx *c = ctx;
	uint64_t off = phys - OPS_ARENA_PHYS;

	c->nsyncs++;
	OPS_CHECK(c, phys >= OPS_ARENA_PHYS && off < c->arena.size &&
		  size && size <= c->arena.size - off &&
		  !((phys | size) & (c->cfg.format == IOPT_FMT_ARM_V7S ? 3 : 7)),
		  "sync(phys=0x%" PRIx64 ", size=0x%zx) is not whole entries inside the arena",
		  phys, size);
	OPS_CHECK(c, virt == c->region + off,
		  "sync(virt=%p, phys=0x%" PRIx64 "): the arena has that address at %p",
		  virt, phys, (void *)(c->region + off));
	OPS_CHECK(c, !iopt_arena_is_free(&c->arena, phys, size),
		  "sync(phys=0x%" PRIx64 ", size=0x%zx) covers memory that is not allocated",
		  phys, size);
	memcpy(c->shadow + off, c->region + off, size);
}

static const struct iopt_mem_ops ops_mem_ops = {
	.alloc = ops_alloc,
	.free = ops_free,
	.phys_to_virt = ops_phys_to_virt,
};

static const struct iopt_mem_ops ops_mem_ops_sync = {
	.alloc = ops_alloc,
	.free = ops_free,
	.phys_to_virt = ops_phys_to_virt,
	.sync = ops_sync_cb,
};

static void ops_flush_all(void *cookie)
{
	struct ops_ctx *c = cookie;

	c->flush_all_calls++;
	c->call_walk_flushed = true;
	c->flushed_all = true;
	if (c->sim_live)
		iopt_hwsim_inv_all(&c->sim);
}

static void ops_flush_range(void *cookie, uint64_t iova, uint64_t size,
			    unsigned int granule_lg2, bool leaf_only)
{
	struct ops_ctx *c = cookie;

	c->flush_range_calls++;
	if (!leaf_only)
		c->call_walk_flushed = true;
	OPS_CHECK(c, size && iova + (size - 1) >= iova && granule_lg2 < 64,
		  "flush_range(0x%" PRIx64 ", 0x%" PRIx64 ", granule 2^%u) is empty or wraps",
		  iova, size, granule_lg2);
	if (c->sim_live) {
		int rc = iopt_hwsim_inv_range(&c->sim, iova, size, granule_lg2,
					      leaf_only);

		OPS_CHECK(c, rc == 0, "iopt_hwsim_inv_range = %d", rc);
	}
	if (c->nfl == OPS_MAX_FLUSH) {
		c->fl_lost = true;
		return;
	}
	c->fl[c->nfl++] = (struct model_range){ .iova = iova,
						.last = iova + (size - 1),
						.lg2 = granule_lg2,
						.leaf_only = leaf_only };
}

static void ops_removed(void *arg, const struct model_leaf *l)
{
	struct ops_ctx *c = arg;

	if (c->nrm == OPS_MAX_REMOVED) {
		c->rm_lost = true;
		return;
	}
	c->rm[c->nrm++] = (struct model_range){
		.iova = l->iova, .last = l->last,
		.lg2 = fz_lg2(model_leaf_size(l)) };
}

static void ops_call_begin(struct ops_ctx *c)
{
	c->call_walk_flushed = false;
	c->unflushed_frees = 0;
	c->nfresh = 0;
	c->fresh_lost = false;
}

static void ops_call_end(struct ops_ctx *c, const char *what)
{
	OPS_CHECK(c, !c->unflushed_frees,
		  "%s freed %u table(s) before a walk-cache flush (flush_all, or flush_range with leaf_only false) in the same call",
		  what, c->unflushed_frees);
}

static void ops_hw_coherent(struct ops_ctx *c, const char *why);

static void ops_sync(struct ops_ctx *c)
{
	int rc;

	ops_call_begin(c);
	rc = iopt_gather_sync(&c->g);
	ops_call_end(c, "iopt_gather_sync");
	OPS_CHECK(c, rc == 0, "iopt_gather_sync = %d", rc);
	if (!c->flushed_all && !c->fl_lost && !c->rm_lost) {
		model_ranges_sort(c->fl, c->nfl);
		for (unsigned int i = 0; i < c->nrm; i++)
			OPS_CHECK(c, model_ranges_cover(c->fl, c->nfl, c->rm[i].iova,
						       c->rm[i].last, c->rm[i].lg2),
				  "after iopt_gather_sync the removed leaf [0x%" PRIx64 ", 0x%" PRIx64 "] was not flushed at a granule of at most 2^%u",
				  c->rm[i].iova, c->rm[i].last, c->rm[i].lg2);
	}
	c->flushed_all = false;
	c->nfl = 0;
	c->fl_lost = false;
	c->nrm = 0;
	c->rm_lost = false;
	c->pending = 0;
	ops_hw_coherent(c, "after iopt_gather_sync");
}

/* ---- extents ---- */

static int ops_ext_collect(void *arg, uint64_t iova, uint64_t phys,
			   uint64_t length, unsigned int prot)
{
	struct ops_extbuf *b = arg;

	if (b->nr == b->cap) {
		size_t n = b->cap ? 2 * b->cap : 256;
		struct ops_ext *v = realloc(b->v, n * sizeof(*v));

		if (!v)
			FZ_FAIL("out of memory");
		b->v = v;
		b->cap = n;
	}
	b->v[b->nr++] = (struct ops_ext){ iova, phys, length, prot };
	if (b->stop_after && b->nr == b->stop_after)
		return 100 + (int)b->stop_after;
	return 0;
}

static void ops_ext_show(const char *who, const struct ops_extbuf *b, size_t i)
{
	if (i < b->nr)
		fz_note("  %s extent %zu: iova=0x%" PRIx64 " phys=0x%" PRIx64
			" length=0x%" PRIx64 " prot=0x%x", who, i, b->v[i].iova,
			b->v[i].phys, b->v[i].length, b->v[i].prot);
	else
		fz_note("  %s: no extent %zu (%zu in all)", who, i, b->nr);
}

/* [iova, iova + size) is a valid range (size >= 1). */
static void ops_compare_extents(struct ops_ctx *c, uint64_t iova,
				uint64_t size, unsigned int stop_after,
				const char *why)
{
	int rl, rm;
	size_t i;

	c->ea.nr = c->eb.nr = 0;
	c->ea.stop_after = c->eb.stop_after = stop_after;
	rl = iopt_for_each_extent(&c->t, iova, size, ops_ext_collect, &c->ea);
	rm = model_for_each_extent(&c->m, iova, iova + (size - 1),
				   ops_ext_collect, &c->eb);
	for (i = 0; i < c->ea.nr && i < c->eb.nr; i++) {
		const struct ops_ext *x = &c->ea.v[i], *y = &c->eb.v[i];

		if (x->iova != y->iova || x->phys != y->phys ||
		    x->length != y->length || x->prot != y->prot)
			break;
	}
	if (rl == rm && c->ea.nr == c->eb.nr && i == c->ea.nr)
		return;
	fz_note("fuzz_ops: %s, op %u: %s", c->name, c->opno, c->desc);
	ops_ext_show("library", &c->ea, i);
	ops_ext_show("model", &c->eb, i);
	FZ_FAIL("%s: extents of [0x%" PRIx64 ", +0x%" PRIx64 ") differ: library returned %d with %zu extents, model %d with %zu; first difference at %zu",
		why, iova, size, rl, c->ea.nr, rm, c->eb.nr, i);
}

/*
 * What a leaf mapped with @prot (valid) reports, from iopt.h and the
 * formats' documented limits rather than from the engine: MMIO wins over
 * CACHE; ARM stage 1 and x86-64 cannot deny reads; stage 2 has no
 * privilege; x86-64 keeps coherency per PASID, not per page; RISC-V
 * writes no PBMT and no write-only leaf.
 */
static unsigned int ops_expect_effective(const struct ops_ctx *c,
					 unsigned int prot)
{
	unsigned int p = prot & IOPT_PROT_ALL;

	if (p & IOPT_MMIO)
		p &= ~IOPT_CACHE;
	switch (c->cfg.format) {
	case IOPT_FMT_ARM_LPAE_S1:
		return p | IOPT_READ;
	case IOPT_FMT_ARM_LPAE_S2:
	case IOPT_FMT_ARM_MALI_LPAE: /* stage-2-like permissions */
		return p & ~IOPT_PRIV;
	case IOPT_FMT_RISCV:	/* W needs R; no Svpbmt: no memory types */
		return (p & (IOPT_WRITE | IOPT_NOEXEC | IOPT_PRIV)) | IOPT_READ;
	case IOPT_FMT_APPLE_DART:	/* NO_READ / NO_WRITE, nothing else */
		return p & (IOPT_READ | IOPT_WRITE);
	case IOPT_FMT_APPLE_DART2:	/* and NO_CACHE */
	case IOPT_FMT_AMD_V1:		/* IR, IW and FC */
	case IOPT_FMT_VTD_SS:		/* R, W and SNP */
		return p & (IOPT_READ | IOPT_WRITE | IOPT_CACHE);
	case IOPT_FMT_ARM_V7S:
		if (c->cfg.quirks & IOPT_QUIRK_V7S_NO_PERMS)
			return (p & (IOPT_MMIO | IOPT_CACHE)) | IOPT_READ |
			       IOPT_WRITE;
		return p | IOPT_READ;
	default:
		return (p | IOPT_READ) & ~IOPT_CACHE;
	}
}

/* ---- the simulated IOMMU ---- */

/* What the architecture lets a leaf made from @prot (effective) do. */
static unsigned int ops_expect_perm(const struct ops_ctx *c, unsigned int prot)
{
	bool r = prot & IOPT_READ, w = prot & IOPT_WRITE;
	bool x = !(prot & IOPT_NOEXEC), user = !(prot & IOPT_PRIV);
	unsigned int p = 0;

	if (c->cfg.quirks & IOPT_QUIRK_V7S_NO_PERMS)
		return IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_UW |
		       IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PR |
		       IOPT_HWSIM_PERM_PW | IOPT_HWSIM_PERM_PX;
	switch (c->cfg.format) {
	case IOPT_FMT_APPLE_DART:
	case IOPT_FMT_APPLE_DART2:
	case IOPT_FMT_AMD_V1:
	case IOPT_FMT_VTD_SS:	/* without ECAP.SLEE */
		/* no privilege, no execute bit: a fetch is a read */
		if (r)
			p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR |
			     IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
		if (w)
			p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
		break;
	case IOPT_FMT_ARM_LPAE_S1:
		p = IOPT_HWSIM_PERM_PR;
		if (w)
			p |= IOPT_HWSIM_PERM_PW;
		if (user)
			p |= IOPT_HWSIM_PERM_UR;
		if (user && w)
			p |= IOPT_HWSIM_PERM_UW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX;
		/* never privileged-execute what unprivileged code may write */
		if (x && !(user && w))
			p |= IOPT_HWSIM_PERM_PX;
		break;
	case IOPT_FMT_RISCV:
		/* U = 1: unprivileged only; U = 0: privileged only (SUM 0) */
		if (r)
			p |= IOPT_HWSIM_PERM_UR;
		if (w)
			p |= IOPT_HWSIM_PERM_UW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX;
		if (!user)
			p <<= 3;
		break;
	case IOPT_FMT_ARM_LPAE_S2:
	case IOPT_FMT_ARM_MALI_LPAE:
		if (r)
			p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR;
		if (w)
			p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
		break;
	default:
		p = IOPT_HWSIM_PERM_PR;
		if (w)
			p |= IOPT_HWSIM_PERM_PW;
		if (x)
			p |= IOPT_HWSIM_PERM_PX;
		if (user)
			p |= IOPT_HWSIM_PERM_UR | (w ? IOPT_HWSIM_PERM_UW : 0) |
			     (x ? IOPT_HWSIM_PERM_UX : 0);
		break;
	}
	return p;
}

/* The non-coherent walker's view: the shadow, read only where tables are. */
static int ops_hw_read(void *ctx, uint64_t phys, void *buf, size_t len)
{
	struct ops_ctx *c = ctx;
	uint64_t off = phys - OPS_ARENA_PHYS;

	const size_t ent = c->cfg.format == IOPT_FMT_ARM_V7S ? 4 : 8;

	c->hw_reads++;
	OPS_CHECK(c, len == ent && !(phys & (ent - 1)) && phys >= OPS_ARENA_PHYS &&
		  off <= c->arena.size - ent,
		  "the walker read %zu bytes at 0x%" PRIx64 ", not an entry of the arena [0x%" PRIx64 ", +0x%zx)",
		  len, phys, (uint64_t)OPS_ARENA_PHYS, c->arena.size);
	OPS_CHECK(c, !iopt_arena_is_free(&c->arena, phys, ent),
		  "the walker read 0x%" PRIx64 ", which is not allocated table memory",
		  phys);
	memcpy(buf, c->shadow + off, ent);
	return 0;
}

static void ops_hw_event(void *arg, const struct iopt_hwsim_event *ev)
{
	struct ops_ctx *c = arg;

	fz_note("hwsim event %d: iova=0x%" PRIx64 " level %u cached=0x%" PRIx64
		" fresh=0x%" PRIx64 " sizes 2^%u/2^%u perms 0x%x/0x%x fault %s%s",
		ev->kind, ev->iova, ev->level, ev->cached, ev->fresh,
		ev->cached_size_lg2, ev->fresh_size_lg2, ev->cached_perm,
		ev->fresh_perm, iopt_hwsim_fault_name(ev->fresh_fault),
		ev->via_cache ? " (through a cached table pointer)" : "");
	OPS_CHECK(c, ev->kind != IOPT_HWSIM_EV_USE_AFTER_FREE,
		  "the simulated IOMMU walked table memory that was freed (0x%" PRIx64 ")",
		  ev->cached);
}

static void ops_hw_show(const char *who, int rc, const struct iopt_hwsim_result *r)
{
	fz_note("  %s: rc %d fault %s%s level %u phys 0x%" PRIx64 " size 2^%u leaf 2^%u%s perm 0x%x pte 0x%" PRIx64 " at 0x%" PRIx64 "%s",
		who, rc, iopt_hwsim_fault_name(r->fault), r->input ? " (input)" : "",
		r->level, r->phys, r->size_lg2, r->leaf_lg2,
		r->contig ? " contig" : "", r->perm, r->pte, r->pte_phys,
		r->cached ? " cached" : "");
}

/* Does a translation of @iova say what the model says? */
static bool ops_hw_agrees(const struct ops_ctx *c, uint64_t iova, int rc,
			  const struct iopt_hwsim_result *r)
{
	const struct model_leaf *l;

	if (!ops_iova_ok(c, iova))
		return rc == -EFAULT && r->fault == IOPT_HWSIM_FAULT_ADDR_SIZE &&
		       r->input;
	l = model_lookup(&c->m, iova);
	if (!l)
		return rc == -EFAULT && r->fault == IOPT_HWSIM_FAULT_TRANSLATION &&
		       r->phys == IOPT_PHYS_NONE;
	return rc == 0 && r->fault == IOPT_HWSIM_FAULT_NONE &&
	       r->phys == l->paddr + (iova - l->iova) &&
	       r->size_lg2 == fz_lg2(model_leaf_size(l)) &&
	       r->contig == (r->size_lg2 != r->leaf_lg2) &&
	       r->leaf_lg2 <= r->size_lg2 &&
	       r->perm == ops_expect_perm(c, l->prot);
}

static void ops_hw_mismatch(struct ops_ctx *c, uint64_t iova, const char *how,
			    int rc, const struct iopt_hwsim_result *r,
			    const char *why)
{
	const struct model_leaf *l = ops_iova_ok(c, iova) ?
				     model_lookup(&c->m, iova) : NULL;

	fz_note("fuzz_ops: %s, op %u: %s", c->name, c->opno, c->desc);
	ops_hw_show(how, rc, r);
	if (l)
		fz_note("  model: [0x%" PRIx64 ", 0x%" PRIx64 "] -> 0x%" PRIx64 " prot 0x%x (perm 0x%x)",
			l->iova, l->last, l->paddr, l->prot,
			ops_expect_perm(c, l->prot));
	else
		fz_note("  model: %s", ops_iova_ok(c, iova) ? "nothing mapped" :
			"outside the input space");
	FZ_FAIL("%s: the %s translates 0x%" PRIx64 " differently from the model",
		why, how, iova);
}

/*
 * @iova through the simulated IOMMU: a fresh walk of table memory, and a
 * translation through the caches (compared only when no unmap waits for
 * its invalidation: until then stale entries are allowed).
 */
static void ops_hw_probe(struct ops_ctx *c, uint64_t iova, const char *why)
{
	struct iopt_hwsim_result r;
	int rc;

	c->hw_reads = 0;
	rc = iopt_hwsim_walk(&c->geom, &c->hw_mem, iopt_root_phys(&c->t), iova,
			     0, &r);
	if (!ops_hw_agrees(c, iova, rc, &r) || r.freed_read || r.cached)
		ops_hw_mismatch(c, iova, c->noncoherent ?
				"walker (non-coherent view)" : "walker", rc, &r,
				why);
	OPS_CHECK(c, c->hw_reads <= c->geom.levels,
		  "%s: the walker read %u entries for 0x%" PRIx64 " with %u levels",
		  why, c->hw_reads, iova, c->geom.levels);
	if (!c->sim_live)
		return;
	rc = iopt_hwsim_translate(&c->sim, iova, 0, &r);
	if (!c->pending && !ops_hw_agrees(c, iova, rc, &r))
		ops_hw_mismatch(c, iova, "simulated IOMMU", rc, &r, why);
}

/* After a call: the ends of what it touched, and the leaves inside. */
static void ops_hw_span(struct ops_ctx *c, uint64_t lo, uint64_t hi,
			const char *why)
{
	size_t i = model_first(&c->m, lo);

	ops_hw_probe(c, lo, why);
	ops_hw_probe(c, hi, why);
	if (lo && ops_iova_ok(c, lo - 1))
		ops_hw_probe(c, lo - 1, why);
	if (hi != UINT64_MAX && ops_iova_ok(c, hi + 1))
		ops_hw_probe(c, hi + 1, why);
	for (unsigned int n = 0; i < c->m.nr && c->m.leaf[i].iova <= hi &&
	     n < OPS_MAX_HW_LEAVES; i++, n++) {
		const struct model_leaf *l = &c->m.leaf[i];

		ops_hw_probe(c, l->iova, why);
		ops_hw_probe(c, l->last, why);
		ops_hw_probe(c, l->iova + model_leaf_size(l) / 2 + 8, why);
	}
}

/* After an invalidation: nothing cached may disagree with memory. */
static void ops_hw_coherent(struct ops_ctx *c, const char *why)
{
	int n;

	if (!c->sim_live)
		return;
	n = iopt_hwsim_check_coherent(&c->sim, NULL, NULL);
	OPS_CHECK(c, n == 0,
		  "%s: the simulated IOMMU holds %d stale entries (events above)",
		  why, n);
}

static void ops_check_memory(struct ops_ctx *c, const char *why)
{
	struct iopt_stats st;

	iopt_get_stats(&c->t, &st);
	OPS_CHECK(c, st.table_bytes == c->arena.used,
		  "%s: iopt_get_stats says %" PRIu64 " bytes of tables, the arena holds %zu",
		  why, st.table_bytes, c->arena.used);
	OPS_CHECK(c, st.cache_syncs == c->nsyncs,
		  "%s: iopt_get_stats counts %" PRIu64 " syncs, the callback saw %" PRIu64,
		  why, st.cache_syncs, c->nsyncs);
	OPS_CHECK(c, st.flush_all_calls == c->flush_all_calls &&
		  st.flush_range_calls == c->flush_range_calls,
		  "%s: iopt_get_stats counts %" PRIu64 " flush_all and %" PRIu64 " flush_range calls; the callbacks saw %" PRIu64 " and %" PRIu64,
		  why, st.flush_all_calls, st.flush_range_calls,
		  c->flush_all_calls, c->flush_range_calls);
	OPS_CHECK(c, st.tables_allocated == c->nallocs &&
		  st.tables_freed == c->nfrees &&
		  st.table_bytes_peak >= st.table_bytes,
		  "%s: iopt_get_stats counts %" PRIu64 " allocations and %" PRIu64 " frees (peak %" PRIu64 "); the backend saw %" PRIu64 " and %" PRIu64,
		  why, st.tables_allocated, st.tables_freed, st.table_bytes_peak,
		  c->nallocs, c->nfrees);
}

/* A call may change [iova, last] (valid, last >= iova). */
static void ops_note_span(struct ops_ctx *c, uint64_t iova, uint64_t last)
{
	if (!c->nspan++) {
		c->span_lo = iova;
		c->span_hi = last;
	} else {
		c->span_lo = fz_min(c->span_lo, iova);
		c->span_hi = fz_max(c->span_hi, last);
	}
}

/* The whole input space against the model, and the memory counters. */
static void ops_check_all(struct ops_ctx *c, const char *why)
{
	if (c->sext) {
		uint64_t half = 1ULL << (c->ias - 1);

		ops_compare_extents(c, 0, half, 0, why);
		ops_compare_extents(c, 0 - half, half, 0, why);
	} else {
		ops_compare_extents(c, c->base, 1ULL << c->ias, 0, why);
	}
	ops_check_memory(c, why);
	/* The walker on leaves spread over the whole space (each operation
	 * has had its own span walked already). */
	for (size_t i = 0, step = c->m.nr / OPS_MAX_HW_LEAVES + 1; i < c->m.nr;
	     i += step) {
		ops_hw_probe(c, c->m.leaf[i].iova, why);
		ops_hw_probe(c, c->m.leaf[i].last, why);
	}
}

/* After an operation: what it touched, and every 16th time everything. */
static void ops_check_changed(struct ops_ctx *c)
{
	uint64_t blk = c->sizes[c->nsizes - 1];
	uint64_t lo = c->span_lo & ~(blk - 1), hi = c->span_hi | (blk - 1);

	if (c->nspan)
		ops_hw_span(c, c->span_lo, c->span_hi, "after the operation");
	if (++c->nchanges % 16 == 0 || (c->nspan && !ops_span_ok(c, lo, hi))) {
		ops_check_all(c, "after the operation");
		return;
	}
	if (c->nspan)
		ops_compare_extents(c, lo, hi - lo + 1, 0,
				    "after the operation (the blocks it touched)");
	ops_check_memory(c, "after the operation");
}

/* ---- operands ---- */

static uint64_t ops_pick_size(struct ops_ctx *c, struct fz *f)
{
	return c->sizes[fz_u8(f) % c->nsizes];
}

/*
 * An IOVA aligned to @align (a usable page size): a window, a block of some
 * page size inside it, and a small multiple of @align inside the block.
 */
static uint64_t ops_pick_iova(struct ops_ctx *c, struct fz *f, uint64_t align)
{
	uint8_t a = fz_u8(f), k = fz_u8(f), n = fz_u8(f);
	uint64_t blk = fz_max(c->sizes[(a >> 2) % c->nsizes], align);

	return c->win[a % c->nwin] + (k % (c->cap / blk)) * blk +
	       (n % fz_min(blk / align, 64)) * align;
}

/* A physical address aligned to @align for a map at @iova. */
static uint64_t ops_pick_paddr(struct ops_ctx *c, struct fz *f, uint64_t iova,
			       uint64_t align)
{
	uint8_t m = fz_u8(f);

	switch (m & 3) {
	case 0:
	case 1: /* the window moved as a whole: alignments match */
		return (iova + c->delta[m & 1]) & c->pa_last;
	case 2:
		return (fz_u16(f) * align) & c->pa_last;
	default: /* the top of the output space */
		return c->pa_last + 1 - (1 + (m >> 2) % 4) * align;
	}
}

static unsigned int ops_pick_prot(struct fz *f)
{
	uint8_t b = fz_u8(f);
	unsigned int prot = b & IOPT_PROT_ALL;

	if ((b & 0xc0) == 0xc0)         /* as is: maybe no READ/WRITE */
		return prot;
	if ((b & 0xc0) == 0x80)         /* an unknown bit */
		return prot | IOPT_READ | (1u << (6 + b % 8));
	return (prot & (IOPT_READ | IOPT_WRITE)) ? prot : prot | IOPT_READ;
}

/* An address to look up: inside a model leaf, in a window, or anything. */
static uint64_t ops_pick_probe(struct ops_ctx *c, struct fz *f)
{
	uint8_t m = fz_u8(f);

	if (c->m.nr && m % 4 < 2) {
		const struct model_leaf *l = &c->m.leaf[fz_u16(f) % c->m.nr];
		uint64_t size = model_leaf_size(l);

		if (m % 4 == 0)
			return (m & 4) ? l->last : l->iova;
		return l->iova + fz_u64(f) % size;
	}
	if (m % 4 == 2)
		return ops_pick_iova(c, f, c->min_pg) + fz_u16(f) % c->min_pg;
	return fz_u64(f);
}

/* ---- map ---- */

struct ops_map {
	bool pages;
	uint64_t iova, paddr, pgsize, count, size;
	unsigned int prot, flags, nulls;
	uint64_t fail_in;        /* the allocation that fails, from now; 0: none */
};

static unsigned int ops_map_errs(const struct ops_ctx *c,
				 const struct ops_map *o)
{
	unsigned int e = 0;

	if (o->nulls & (OPS_NULL_TABLE | OPS_NULL_OUT))
		e |= OPS_E_INVAL;
	if ((o->flags & ~IOPT_MAP_ALL_OR_NOTHING) || !ops_prot_ok(o->prot))
		e |= OPS_E_INVAL;
	if (o->pages) {
		if (!ops_pgsize_ok(c, o->pgsize) || !o->count)
			return e | OPS_E_INVAL;
		if ((o->iova | o->paddr) & (o->pgsize - 1))
			e |= OPS_E_INVAL;
		if (o->count > UINT64_MAX / o->pgsize)
			return e | OPS_E_OVERFLOW |
			       (ops_iova_ok(c, o->iova) ? 0 : OPS_E_RANGE);
	} else {
		if (!o->size)
			return e | OPS_E_INVAL;
		if ((o->iova | o->paddr | o->size) & (c->min_pg - 1))
			e |= OPS_E_INVAL;
	}
	e |= ops_range_errs(c, o->iova, o->size);
	if (!ops_paddr_ok(c, o->paddr, o->size))
		e |= OPS_E_RANGE;
	return e;
}

static void ops_do_map(struct ops_ctx *c, struct ops_map *o)
{
	struct iopt_table *t = (o->nulls & OPS_NULL_TABLE) ? NULL : &c->t;
	uint64_t mapped = OPS_SENTINEL;
	uint64_t *mp = (o->nulls & OPS_NULL_OUT) ? NULL : &mapped;
	unsigned int e, prot_eff = iopt_prot_effective(&c->t, o->prot);
	size_t used0 = c->arena.used;
	uint64_t last;
	int rc, mrc;

	if (o->pages && o->pgsize && o->count <= UINT64_MAX / o->pgsize)
		o->size = o->pgsize * o->count;
	e = ops_map_errs(c, o);
	if (!e)
		ops_note_span(c, o->iova, o->iova + (o->size - 1));
	OPS_CHECK(c, !ops_prot_ok(o->prot) ||
		  prot_eff == ops_expect_effective(c, o->prot),
		  "iopt_prot_effective(0x%x) = 0x%x, expected 0x%x", o->prot,
		  prot_eff, ops_expect_effective(c, o->prot));
	if (!e) {
		/* Keep the model and the table small. */
		size_t n = o->pages ? (size_t)fz_min(o->count, SIZE_MAX) :
			   model_range_count(c->bitmap, o->iova, o->paddr,
					     o->size, OPS_MAX_MAP_LEAVES);

		if (n > OPS_MAX_MAP_LEAVES || c->m.nr + n > OPS_MAX_LEAVES)
			return;
	}
	snprintf(c->desc, sizeof(c->desc),
		 "%s iova=0x%" PRIx64 " paddr=0x%" PRIx64 " pgsize=0x%" PRIx64
		 " count=0x%" PRIx64 " size=0x%" PRIx64 " prot=0x%x flags=0x%x"
		 " nulls=0x%x fail_in=%" PRIu64,
		 o->pages ? "map_pages" : "map_range", o->iova, o->paddr,
		 o->pgsize, o->count, o->size, o->prot, o->flags, o->nulls,
		 o->fail_in);
	if (o->fail_in)
		c->arena.fail_at = c->arena.attempts + o->fail_in;
	ops_call_begin(c);
	if (o->pages)
		rc = iopt_map_pages(t, o->iova, o->paddr, o->pgsize, o->count,
				    o->prot, o->flags, mp);
	else
		rc = iopt_map_range(t, o->iova, o->paddr, o->size, o->prot,
				    o->flags, mp);
	c->arena.fail_at = 0;
	ops_call_end(c, "map");

	if (e) {
		OPS_CHECK(c, ops_rc_in(rc, e),
			  "returned %d (%s), expected an argument error (mask 0x%x)",
			  rc, fz_err_name(rc), e);
		OPS_CHECK(c, !mp || mapped == 0,
			  "failed with %s but *mapped = 0x%" PRIx64, fz_err_name(rc),
			  mapped);
		OPS_CHECK(c, c->arena.used == used0,
			  "failed with %s but table memory changed: %zu -> %zu bytes",
			  fz_err_name(rc), used0, c->arena.used);
		return;
	}
	last = o->iova + (o->size - 1);
	if (model_overlaps(&c->m, o->iova, last)) {
		OPS_CHECK(c, rc == -EEXIST,
			  "returned %d (%s) over a mapped leaf, expected -EEXIST",
			  rc, fz_err_name(rc));
		OPS_CHECK(c, mapped == 0, "-EEXIST but *mapped = 0x%" PRIx64,
			  mapped);
		OPS_CHECK(c, c->arena.used == used0,
			  "-EEXIST but table memory changed: %zu -> %zu bytes",
			  used0, c->arena.used);
		return;
	}
	if (rc == -ENOMEM) {
		if (o->flags & IOPT_MAP_ALL_OR_NOTHING) {
			OPS_CHECK(c, mapped == 0,
				  "-ENOMEM, all or nothing, but *mapped = 0x%" PRIx64,
				  mapped);
			OPS_CHECK(c, c->arena.used == used0,
				  "-ENOMEM, all or nothing, but table memory changed: %zu -> %zu bytes",
				  used0, c->arena.used);
			return;
		}
		OPS_CHECK(c, mapped < o->size &&
			  (o->pages ? mapped % o->pgsize == 0 :
			   model_range_boundary(c->bitmap, o->iova, o->paddr,
						o->size, mapped)),
			  "-ENOMEM with *mapped = 0x%" PRIx64 ", not a whole number of the leaves of 0x%" PRIx64 " bytes",
			  mapped, o->size);
		if (mapped) {
			mrc = o->pages ?
			      model_map_pages(&c->m, o->iova, o->paddr, o->pgsize,
					      mapped / o->pgsize, prot_eff) :
			      model_map_range(&c->m, o->iova, o->paddr, mapped,
					      prot_eff);
			OPS_CHECK(c, mrc == 0, "the model refused the prefix: %d",
				  mrc);
		}
		return;
	}
	OPS_CHECK(c, rc == 0, "returned %d (%s), expected success", rc,
		  fz_err_name(rc));
	OPS_CHECK(c, mapped == o->size,
		  "succeeded with *mapped = 0x%" PRIx64 ", expected 0x%" PRIx64,
		  mapped, o->size);
	mrc = o->pages ?
	      model_map_pages(&c->m, o->iova, o->paddr, o->pgsize, o->count,
			      prot_eff) :
	      model_map_range(&c->m, o->iova, o->paddr, o->size, prot_eff);
	OPS_CHECK(c, mrc == 0, "the model refused the map: %d", mrc);
}

/* One deliberate mistake in an otherwise sensible map. */
static void ops_spoil_map(struct ops_ctx *c, struct fz *f, struct ops_map *o)
{
	uint8_t b = fz_u8(f);
	uint64_t s = o->pages ? o->pgsize : c->min_pg;

	switch (b % 9) {
	case 0:
		o->iova += s > c->min_pg ? c->min_pg : s / 2;
		break;
	case 1:
		o->paddr += s > c->min_pg ? c->min_pg : s / 2;
		break;
	case 2:
		if (o->pages)
			o->pgsize = (b & 0x10) ? o->pgsize * 3 : o->pgsize << 1;
		else
			o->size += c->min_pg / 2;
		break;
	case 3:
		o->count = 0;
		o->size = 0;
		break;
	case 4:
		o->flags |= 2u << (b >> 5);
		break;
	case 5:
		o->nulls |= (b & 0x10) ? OPS_NULL_TABLE : OPS_NULL_OUT;
		break;
	case 6: /* runs off the end of the input space */
		o->iova = c->sext ? (1ULL << (c->ias - 1)) - s :
				    c->base + (1ULL << c->ias) - s;
		o->count = 2;
		o->size = 2 * s;
		break;
	case 7:
		o->count = UINT64_MAX / s + 1 + (b >> 4);
		o->size = (UINT64_MAX - (b >> 4) * c->min_pg) & ~(c->min_pg - 1);
		break;
	default: /* outside the output space */
		o->paddr = c->pa_last + 1 + (b >> 4) * s;
		break;
	}
}

static void ops_op_map(struct ops_ctx *c, struct fz *f, bool pages,
		       unsigned int opt)
{
	struct ops_map o = { .pages = pages };
	uint64_t s = ops_pick_size(c, f);

	o.prot = ops_pick_prot(f);
	o.flags = (opt & 1) ? IOPT_MAP_ALL_OR_NOTHING : 0;
	if (opt & 2)
		o.fail_in = 1 + fz_u8(f) % 6;
	if (pages) {
		o.pgsize = s;
		o.count = 1 + fz_u8(f) % 16;
		o.iova = ops_pick_iova(c, f, s);
		o.paddr = ops_pick_paddr(c, f, o.iova, s);
	} else {
		uint8_t b = fz_u8(f);
		uint64_t ia = (b & 0x80) ? c->min_pg : s;

		o.size = s * (1 + b % 4) + ((b >> 2) % 8) * c->min_pg;
		o.iova = ops_pick_iova(c, f, ia);
		o.paddr = ops_pick_paddr(c, f, o.iova, (b & 0x40) ? c->min_pg : s);
		if (model_range_count(c->bitmap, o.iova, o.paddr, o.size,
				      OPS_MAX_MAP_LEAVES) > OPS_MAX_MAP_LEAVES)
			o.size = c->min_pg * (1 + (b >> 5));
	}
	if (opt & 8)
		ops_spoil_map(c, f, &o);
	ops_do_map(c, &o);
}

/* ---- unmap ---- */

struct ops_unmap {
	bool pages;
	uint64_t iova, pgsize, count, size;
	unsigned int flags, nulls;
	bool sync;
};

static unsigned int ops_unmap_errs(const struct ops_ctx *c,
				   const struct ops_unmap *o)
{
	unsigned int e = 0;

	if (o->nulls & (OPS_NULL_TABLE | OPS_NULL_OUT | OPS_NULL_OUT2))
		e |= OPS_E_INVAL;
	if (o->flags & ~IOPT_UNMAP_NO_HOLES)
		e |= OPS_E_INVAL;
	if (o->pages) {
		if (!ops_pgsize_ok(c, o->pgsize) || !o->count)
			return e | OPS_E_INVAL;
		if (o->iova & (o->pgsize - 1))
			e |= OPS_E_INVAL;
		if (o->count > UINT64_MAX / o->pgsize)
			return e | OPS_E_OVERFLOW |
			       (ops_iova_ok(c, o->iova) ? 0 : OPS_E_RANGE);
	} else {
		if (!o->size)
			return e | OPS_E_INVAL;
		if ((o->iova | o->size) & (c->min_pg - 1))
			e |= OPS_E_INVAL;
	}
	return e | ops_range_errs(c, o->iova, o->size);
}

static void ops_do_unmap(struct ops_ctx *c, struct ops_unmap *o)
{
	struct iopt_table *t = (o->nulls & OPS_NULL_TABLE) ? NULL : &c->t;
	uint64_t unmapped = OPS_SENTINEL, munmapped = 0;
	uint64_t *up = (o->nulls & OPS_NULL_OUT) ? NULL : &unmapped;
	struct iopt_gather *g = (o->nulls & OPS_NULL_OUT2) ? NULL : &c->g;
	size_t used0 = c->arena.used;
	uint64_t attempts0 = c->arena.attempts;
	unsigned int e;
	bool both = false;
	int rc, mrc;

	if (o->pages && o->pgsize && o->count <= UINT64_MAX / o->pgsize)
		o->size = o->pgsize * o->count;
	e = ops_unmap_errs(c, o);
	if (!e)
		ops_note_span(c, o->iova, o->iova + (o->size - 1));
	snprintf(c->desc, sizeof(c->desc),
		 "%s iova=0x%" PRIx64 " pgsize=0x%" PRIx64 " count=0x%" PRIx64
		 " size=0x%" PRIx64 " flags=0x%x nulls=0x%x sync=%d",
		 o->pages ? "unmap_pages" : "unmap_range", o->iova, o->pgsize,
		 o->count, o->size, o->flags, o->nulls, o->sync);
	ops_call_begin(c);
	if (o->pages)
		rc = iopt_unmap_pages(t, o->iova, o->pgsize, o->count, o->flags,
				      g, up);
	else
		rc = iopt_unmap_range(t, o->iova, o->size, o->flags, g, up);
	ops_call_end(c, "unmap");
	OPS_CHECK(c, c->arena.attempts == attempts0,
		  "unmap tried to allocate table memory");
	if (e) {
		OPS_CHECK(c, ops_rc_in(rc, e),
			  "returned %d (%s), expected an argument error (mask 0x%x)",
			  rc, fz_err_name(rc), e);
		OPS_CHECK(c, !up || unmapped == 0,
			  "failed with %s but *unmapped = 0x%" PRIx64,
			  fz_err_name(rc), unmapped);
		OPS_CHECK(c, c->arena.used == used0,
			  "failed with %s but table memory changed", fz_err_name(rc));
		return;
	}
	mrc = model_unmap(&c->m, o->iova, o->iova + (o->size - 1),
			  (o->flags & IOPT_UNMAP_NO_HOLES) ? MODEL_NO_HOLES : 0,
			  &munmapped, &both, ops_removed, c);
	if (mrc) {
		OPS_CHECK(c, rc == mrc ||
			  (both && (rc == -EXDEV || rc == -ENOENT)),
			  "returned %d (%s), expected %s%s", rc, fz_err_name(rc),
			  fz_err_name(mrc), both ? " or -ENOENT" : "");
		OPS_CHECK(c, unmapped == 0,
			  "failed with %s but *unmapped = 0x%" PRIx64,
			  fz_err_name(rc), unmapped);
		OPS_CHECK(c, c->arena.used == used0,
			  "failed with %s but table memory changed: %zu -> %zu bytes",
			  fz_err_name(rc), used0, c->arena.used);
		return;
	}
	OPS_CHECK(c, rc == 0,
		  "returned %d (%s), expected success (the model unmaps 0x%" PRIx64 " bytes)",
		  rc, fz_err_name(rc), munmapped);
	OPS_CHECK(c, unmapped == munmapped,
		  "*unmapped = 0x%" PRIx64 ", the model unmapped 0x%" PRIx64,
		  unmapped, munmapped);
	if (o->sync || ++c->pending >= 4)
		ops_sync(c);
}

/* Largest usable page size dividing both @iova and @size. */
static uint64_t ops_best_pgsize(const struct ops_ctx *c, uint64_t iova,
				uint64_t size)
{
	for (unsigned int i = c->nsizes; i-- > 0;)
		if (!((iova | size) & (c->sizes[i] - 1)))
			return c->sizes[i];
	return c->min_pg;
}

static void ops_op_unmap(struct ops_ctx *c, struct fz *f, bool pages,
			 unsigned int opt)
{
	struct ops_unmap o = { .pages = pages };
	uint64_t s = ops_pick_size(c, f);
	uint8_t b = fz_u8(f);

	o.flags = (opt & 1) ? IOPT_UNMAP_NO_HOLES : 0;
	o.sync = opt & 2;
	o.count = 1 + b % 4;
	o.pgsize = s;
	o.size = s * o.count;
	o.iova = ops_pick_iova(c, f, s);
	if (opt & 8) {
		switch ((b >> 2) % 7) {
		case 0:
			o.iova += c->min_pg < s ? c->min_pg : c->min_pg / 2;
			break;
		case 1:
			o.count = 0;
			o.size = pages ? o.size : 0;
			break;
		case 2:
			if (pages)
				o.pgsize = s << 1;
			else
				o.size += c->min_pg / 2;
			break;
		case 3:
			o.flags |= 2u << (b >> 5);
			break;
		case 4:
			o.nulls = 1u << ((b >> 5) % 3);
			break;
		case 5:
			o.iova = fz_u64(f) & ~(s - 1);
			break;
		default:
			o.count = UINT64_MAX / s + 1;
			o.size = UINT64_MAX & ~(c->min_pg - 1);
			break;
		}
	}
	ops_do_unmap(c, &o);
}

/* From one model leaf to a later one, maybe a page off at either end. */
static void ops_op_unmap_leaves(struct ops_ctx *c, struct fz *f,
				unsigned int opt)
{
	struct ops_unmap o = { .flags = (opt & 1) ? IOPT_UNMAP_NO_HOLES : 0,
			       .sync = opt & 2 };
	size_t i, j;
	uint64_t last;
	uint8_t b;

	if (!c->m.nr)
		return;
	i = fz_u16(f) % c->m.nr;
	b = fz_u8(f);
	j = i + b % 8 < c->m.nr ? i + b % 8 : c->m.nr - 1;
	o.iova = c->m.leaf[i].iova;
	last = c->m.leaf[j].last;
	if ((b & 0x10) && model_leaf_size(&c->m.leaf[i]) > c->min_pg)
		o.iova += c->min_pg;
	if ((b & 0x20) && last != UINT64_MAX)
		last += c->min_pg;
	if (last < o.iova)
		return;
	o.size = last - o.iova + 1;
	if (!o.size)
		return;
	if (opt & 4) {
		o.pages = true;
		o.pgsize = ops_best_pgsize(c, o.iova, o.size);
		o.count = o.size / o.pgsize;
	}
	ops_do_unmap(c, &o);
}

/* Unmap one window entirely, and sync. */
static void ops_wipe(struct ops_ctx *c, unsigned int w)
{
	struct ops_unmap o = { .iova = c->win[w % c->nwin], .size = c->cap,
			       .sync = true };

	ops_do_unmap(c, &o);
}

/* ---- lookups ---- */

static void ops_op_lookup(struct ops_ctx *c, struct fz *f, unsigned int kind,
			  unsigned int opt)
{
	uint64_t iova = ops_pick_probe(c, f);
	/* Option bits 8|4: a NULL table, which nothing maps. */
	struct iopt_table *t = (opt & 12) == 12 ? NULL : &c->t;
	bool in = t && ops_iova_ok(c, iova);
	const struct model_leaf *l = in ? model_lookup(&c->m, iova) : NULL;
	uint64_t want = l ? l->paddr + (iova - l->iova) : IOPT_PHYS_NONE;

	snprintf(c->desc, sizeof(c->desc), "lookup %u iova=0x%" PRIx64
		 " opt=0x%x", kind, iova, opt);
	ops_hw_probe(c, iova, "lookup");
	if (kind == 0) {
		uint64_t p = iopt_iova_to_phys(t, iova);

		OPS_CHECK(c, p == want,
			  "iova_to_phys = 0x%" PRIx64 ", expected 0x%" PRIx64,
			  p, want);
	} else if (kind == 1) {
		uint64_t s = iopt_iova_to_pgsize(t, iova);
		uint64_t ws = l ? model_leaf_size(l) : 0;

		OPS_CHECK(c, s == ws,
			  "iova_to_pgsize = 0x%" PRIx64 ", expected 0x%" PRIx64,
			  s, ws);
	} else {
		uint64_t phys = OPS_SENTINEL, len = OPS_SENTINEL;
		unsigned int prot = OPS_PROT_SENTINEL;
		unsigned int nulls = (opt & 8) ? OPS_NULL_OUT << (opt % 3) : 0;
		int want_rc, rc;

		if (!t)
			nulls = OPS_NULL_TABLE;
		rc = iopt_iova_to_phys_length(t, iova,
					      (nulls & OPS_NULL_OUT) ? NULL : &phys,
					      (nulls & OPS_NULL_OUT2) ? NULL : &len,
					      (nulls & OPS_NULL_PROT) ? NULL : &prot);
		want_rc = (nulls & (OPS_NULL_TABLE | OPS_NULL_OUT |
				    OPS_NULL_OUT2)) ? -EINVAL :
			  !in ? -ERANGE : l ? 0 : -ENOENT;
		OPS_CHECK(c, rc == want_rc,
			  "iova_to_phys_length returned %d (%s), expected %s",
			  rc, fz_err_name(rc), fz_err_name(want_rc));
		if (rc) {
			OPS_CHECK(c, phys == OPS_SENTINEL && len == OPS_SENTINEL &&
				  prot == OPS_PROT_SENTINEL,
				  "iova_to_phys_length failed but wrote its outputs");
			return;
		}
		OPS_CHECK(c, phys == want && len == model_leaf_size(l) &&
			  prot == ((nulls & OPS_NULL_PROT) ?
				   OPS_PROT_SENTINEL : l->prot),
			  "iova_to_phys_length: phys=0x%" PRIx64 " length=0x%" PRIx64 " prot=0x%x; the model has [0x%" PRIx64 ", 0x%" PRIx64 "] -> 0x%" PRIx64 " prot 0x%x",
			  phys, len, prot, l->iova, l->last, l->paddr, l->prot);
	}
}

static void ops_op_extents(struct ops_ctx *c, struct fz *f, unsigned int opt)
{
	uint64_t iova, size, s = ops_pick_size(c, f);
	uint8_t b = fz_u8(f);
	unsigned int e = 0;
	int rc;

	if (c->m.nr && (b & 1)) {
		size_t i = fz_u16(f) % c->m.nr;
		size_t j = i + (b >> 1) % 16 < c->m.nr ? i + (b >> 1) % 16 :
			   c->m.nr - 1;
		uint64_t last = c->m.leaf[j].last;

		iova = c->m.leaf[i].iova;
		if (b & 0x40)
			iova += fz_u64(f) % model_leaf_size(&c->m.leaf[i]);
		if (b & 0x80)
			last -= fz_u64(f) % model_leaf_size(&c->m.leaf[j]);
		size = last < iova ? 1 : last - iova + 1;
	} else {
		iova = ops_pick_iova(c, f, s);
		size = s * (1 + (b >> 1) % 8);
		if (b & 0x40) {
			uint64_t cut = fz_u16(f) % c->min_pg;

			iova += cut;
			size -= cut;
		}
	}
	if (opt & 8) {
		switch (b >> 5) {
		case 0: size = 0; break;
		case 1: size = UINT64_MAX - fz_u8(f); break;
		case 2: iova = fz_u64(f); break;
		default: size = fz_u64(f); break;
		}
	}
	snprintf(c->desc, sizeof(c->desc), "for_each_extent iova=0x%" PRIx64
		 " size=0x%" PRIx64 " stop_after=%u", iova, size, opt & 3);
	if (!size)
		e = OPS_E_INVAL;
	else
		e = ops_range_errs(c, iova, size);
	if (!e) {
		ops_compare_extents(c, iova, size, opt & 3, "for_each_extent");
		return;
	}
	c->ea.nr = 0;
	c->ea.stop_after = 0;
	rc = iopt_for_each_extent(&c->t, iova, size, ops_ext_collect, &c->ea);
	OPS_CHECK(c, ops_rc_in(rc, e) && !c->ea.nr,
		  "returned %d (%s) with %zu extents, expected an argument error (mask 0x%x)",
		  rc, fz_err_name(rc), c->ea.nr, e);
	rc = iopt_for_each_extent(&c->t, 0, c->min_pg, NULL, NULL);
	OPS_CHECK(c, rc == -EINVAL, "a NULL callback gave %d", rc);
}

static void ops_op_walk(struct ops_ctx *c, struct fz *f)
{
	uint64_t iova = ops_pick_probe(c, f);
	const struct model_leaf *l;
	struct iopt_path path;
	/* index bits below the top: v7s's 1 KB tables have 8 */
	unsigned int bits = c->cfg.format == IOPT_FMT_ARM_V7S ? 8 :
			    c->granule_lg2 - 3;
	unsigned int d, lvl, top = c->levels - 1;
	int rc;

	snprintf(c->desc, sizeof(c->desc), "walk_path iova=0x%" PRIx64, iova);
	memset(&path, 0xa5, sizeof(path));
	rc = iopt_walk_path(&c->t, iova, &path);
	if (!ops_iova_ok(c, iova)) {
		OPS_CHECK(c, rc == -ERANGE, "walk_path outside gave %d", rc);
		return;
	}
	OPS_CHECK(c, rc == 0, "walk_path returned %d (%s)", rc, fz_err_name(rc));
	OPS_CHECK(c, path.depth >= 1 && path.depth <= c->levels,
		  "walk_path depth %u of %u levels", path.depth, c->levels);
	OPS_CHECK(c, path.table_phys[0] == iopt_root_phys(&c->t),
		  "walk_path starts at 0x%" PRIx64 ", the root is 0x%" PRIx64,
		  path.table_phys[0], iopt_root_phys(&c->t));
	for (d = 0; d < path.depth; d++) {
		OPS_CHECK(c, path.level[d] == top - d,
			  "walk_path step %u at level %u", d, path.level[d]);
		OPS_CHECK(c, path.table_phys[d] >= OPS_ARENA_PHYS &&
			  path.table_phys[d] - OPS_ARENA_PHYS < c->arena.size,
			  "walk_path step %u reads a table at 0x%" PRIx64 ", outside the arena",
			  d, path.table_phys[d]);
		OPS_CHECK(c, iopt_arena_is_free(&c->arena, path.table_phys[d], 8) == false,
			  "walk_path step %u reads freed memory at 0x%" PRIx64,
			  d, path.table_phys[d]);
	}
	l = model_lookup(&c->m, iova);
	lvl = path.level[path.depth - 1];
	if (l) {
		unsigned int item = c->granule_lg2 + lvl * bits;

		OPS_CHECK(c, path.pte[path.depth - 1] != 0 &&
			  item <= fz_lg2(model_leaf_size(l)),
			  "walk_path ends at level %u (pte 0x%" PRIx64 ") on a leaf of 0x%" PRIx64 " bytes",
			  lvl, path.pte[path.depth - 1], model_leaf_size(l));
	}
	rc = iopt_walk_path(&c->t, iova, NULL);
	OPS_CHECK(c, rc == -EINVAL, "walk_path with NULL path gave %d", rc);
}

/* ---- raw calls: any 64-bit arguments ---- */

static void ops_op_raw(struct ops_ctx *c, struct fz *f, unsigned int opt)
{
	uint8_t b = fz_u8(f);
	uint64_t iova = fz_u64(f), x = fz_u64(f);

	if (b & 1)
		iova &= ~(c->min_pg - 1);
	if (b & 2)
		x &= ~(c->min_pg - 1);
	switch (opt & 3) {
	case 0: {
		struct ops_map o = { .pages = !!(b & 4), .iova = iova,
				     .paddr = fz_u64(f), .prot = ops_pick_prot(f),
				     .flags = (b & 8) ? IOPT_MAP_ALL_OR_NOTHING : 0 };

		if (b & 1)
			o.paddr &= ~(c->min_pg - 1);
		if (o.pages) {
			o.pgsize = x;
			o.count = fz_u64(f);
		} else {
			o.size = x;
		}
		ops_do_map(c, &o);
		break;
	}
	case 1: {
		struct ops_unmap o = { .pages = !!(b & 4), .iova = iova,
				       .flags = (b >> 3) & 3 };

		if (o.pages) {
			o.pgsize = x;
			o.count = fz_u64(f);
		} else {
			o.size = x;
		}
		ops_do_unmap(c, &o);
		break;
	}
	default: {
		unsigned int e = x ? ops_range_errs(c, iova, x) : OPS_E_INVAL;

		snprintf(c->desc, sizeof(c->desc), "raw for_each_extent iova=0x%" PRIx64
			 " size=0x%" PRIx64, iova, x);
		if (!e) {
			/* Bounded, so that a huge empty range stays cheap. */
			if (x - 1 > c->cap * 4)
				x = c->cap * 4;
			if (!ops_range_errs(c, iova, x))
				ops_compare_extents(c, iova, x, b % 4, "raw for_each_extent");
			break;
		}
		c->ea.nr = 0;
		c->ea.stop_after = 0;
		OPS_CHECK(c, ops_rc_in(iopt_for_each_extent(&c->t, iova, x,
							    ops_ext_collect,
							    &c->ea), e) &&
			  !c->ea.nr, "expected an argument error (mask 0x%x)", e);
		break;
	}
	}
}

/* ---- setup, run, teardown ---- */

static bool ops_setup(struct ops_ctx *c, struct fz *f)
{
	static unsigned char *region;
	unsigned int sel = fz_u8(f), bits;
	uint8_t setup = fz_u8(f);
	uint64_t maxpg, half, w;
	int rc;

	memset(c, 0, offsetof(struct ops_ctx, ea));
	snprintf(c->name, sizeof(c->name), "%s", fz_config_name(sel));
	c->opno = 0;
	snprintf(c->desc, sizeof(c->desc), "setup");
	rc = iopt_config_from_name(c->name, &c->cfg);
	OPS_CHECK(c, rc == 0, "iopt_config_from_name(%s) = %d", c->name, rc);
	if (setup & 2)
		c->cfg.flags |= IOPT_CFG_STATS;

	if (!region) {
		region = aligned_alloc((size_t)1 << 16, OPS_ARENA_SIZE);
		if (!region)
			FZ_FAIL("no memory for the arena");
	}
	c->region = region;
	rc = iopt_arena_init(&c->arena, region, OPS_ARENA_SIZE, OPS_ARENA_PHYS);
	OPS_CHECK(c, rc == 0, "iopt_arena_init = %d", rc);
	iopt_arena_mem(&c->arena, &c->inner);
	/* Copy the arena's backend, bounds included, and put our callbacks in. */
	c->mem = c->inner;
	c->mem.ops = &ops_mem_ops;
	c->mem.ctx = c;
	c->fini_full = setup & 0x40;
	if (setup & 8) {
		/* Nothing synced yet: the shadow reads as junk entries. */
		if (!ops_shadow) {
			ops_shadow = malloc(OPS_ARENA_SIZE);
			if (!ops_shadow)
				FZ_FAIL("no memory for the shadow");
			ops_shadow_dirty = OPS_ARENA_SIZE;
		}
		memset(ops_shadow, OPS_SHADOW_JUNK, ops_shadow_dirty);
		ops_shadow_dirty = 0;
		c->shadow = ops_shadow;
		c->noncoherent = true;
		c->mem.ops = &ops_mem_ops_sync;
	}
	c->flush.flush_all = ops_flush_all;
	c->flush.flush_range = (setup & 1) ? NULL : ops_flush_range;

	if (setup & 4) {
		c->arena.fail_at = 1;
		rc = iopt_init(&c->t, &c->cfg, &c->mem, &c->flush, c);
		c->arena.fail_at = 0;
		OPS_CHECK(c, rc == -ENOMEM && c->arena.used == 0,
			  "iopt_init with the root allocation failing: %d, %zu bytes held",
			  rc, c->arena.used);
	}
	rc = iopt_init(&c->t, &c->cfg, &c->mem, &c->flush, c);
	OPS_CHECK(c, rc == 0, "iopt_init = %d", rc);
	c->live = true;
	c->root_used = c->arena.used;
	c->bitmap = iopt_pgsize_bitmap(&c->t);
	c->levels = iopt_levels(&c->t);
	OPS_CHECK(c, c->bitmap && c->levels, "empty bitmap or no levels");
	c->min_pg = c->bitmap & -c->bitmap;
	c->granule_lg2 = fz_lg2(c->min_pg);
	c->ias = c->cfg.ias;
	c->oas = c->cfg.oas;
	c->sext = h_sign_extended(&c->cfg);
	c->base = c->cfg.quirks & IOPT_QUIRK_ARM_TTBR1 ? 0 - (1ULL << c->ias)
						       : 0;
	c->pa_last = (1ULL << c->oas) - 1;
	model_init(&c->m, c->bitmap);
	iopt_gather_init(&c->g);

	rc = iopt_hwsim_geometry(&c->cfg, &c->geom);
	OPS_CHECK(c, rc == 0 && c->geom.levels == c->levels,
		  "iopt_hwsim_geometry = %d with %u levels; the table has %u",
		  rc, c->geom.levels, c->levels);
	if (c->noncoherent) {
		c->hw_mem.read = ops_hw_read;
		c->hw_mem.ctx = c;
	} else {
		iopt_hwsim_mem_arena(&c->hw_mem, &c->arena);
	}
	{
		struct iopt_hwsim_mem am;

		iopt_hwsim_mem_arena(&am, &c->arena);
		rc = iopt_hwsim_init(&c->sim, &c->cfg, &am,
				     &ops_sim_shapes[(setup >> 4) & 3]);
		OPS_CHECK(c, rc == 0, "iopt_hwsim_init = %d", rc);
		iopt_hwsim_set_event_fn(&c->sim, ops_hw_event, c);
		rc = iopt_hwsim_set_root(&c->sim, iopt_root_phys(&c->t));
		OPS_CHECK(c, rc == 0, "iopt_hwsim_set_root = %d", rc);
		c->sim_live = true;
	}

	/* Windows a few of the largest pages long; they must not overlap. */
	half = 1ULL << (c->ias - 1);
	maxpg = 1ULL << fz_lg2(c->bitmap);
	c->cap = fz_min(fz_min(maxpg * 4, half / 2), 1ULL << (c->oas - 2));
	for (bits = 0; bits < 64; bits++)
		if ((c->bitmap >> bits & 1) && (1ULL << bits) <= c->cap)
			c->sizes[c->nsizes++] = 1ULL << bits;
	if (c->sext) {
		c->win[0] = 0;
		c->win[1] = half - c->cap;
		c->win[2] = 0 - half;
		c->win[3] = 0 - c->cap;
	} else {
		c->win[0] = c->base;
		c->win[1] = c->base + half - c->cap;
		c->win[2] = c->base + half;
		c->win[3] = c->base + (1ULL << c->ias) - c->cap;
	}
	c->nwin = 4;
	w = fz_u16(f);
	c->delta[0] = (w * c->cap) & c->pa_last;
	w = fz_u16(f);
	c->delta[1] = (w * c->cap) & c->pa_last;
	return true;
}

static void ops_finish(struct ops_ctx *c)
{
	uint64_t fa;

	c->opno++;
	snprintf(c->desc, sizeof(c->desc), "final unmap of everything");
	if (c->pending || c->nrm)
		ops_sync(c);
	ops_check_all(c, "final check");
	if (c->fini_full)
		goto fini;
	if (c->sext) {
		uint64_t half = 1ULL << (c->ias - 1);
		struct ops_unmap lo = { .iova = 0, .size = half };
		struct ops_unmap hi = { .iova = 0 - half, .size = half };

		ops_do_unmap(c, &lo);
		ops_do_unmap(c, &hi);
	} else {
		struct ops_unmap all = { .iova = c->base,
					 .size = 1ULL << c->ias };

		ops_do_unmap(c, &all);
	}
	ops_sync(c);
	OPS_CHECK(c, c->m.nr == 0, "%zu leaves left in the model", c->m.nr);
	ops_check_all(c, "after unmapping everything");
	for (unsigned int w = 0; w < c->nwin; w++) {
		ops_hw_probe(c, c->win[w], "after unmapping everything");
		ops_hw_probe(c, c->win[w] + c->cap - 1, "after unmapping everything");
	}
	OPS_CHECK(c, c->arena.used == c->root_used,
		  "after unmapping everything %zu bytes of tables remain; the root alone took %" PRIu64,
		  c->arena.used, c->root_used);
fini:
	snprintf(c->desc, sizeof(c->desc), "iopt_fini");
	fa = c->flush_all_calls;
	ops_call_begin(c);
	iopt_fini(&c->t);
	c->live = false;
	ops_call_end(c, "iopt_fini");
	OPS_CHECK(c, c->flush_all_calls == fa + 1,
		  "iopt_fini called flush_all %" PRIu64 " times",
		  c->flush_all_calls - fa);
	OPS_CHECK(c, c->arena.used == 0, "iopt_fini left %zu bytes allocated",
		  c->arena.used);
	model_free(&c->m);
	iopt_hwsim_fini(&c->sim);
	c->sim_live = false;
	if (c->noncoherent)
		ops_shadow_dirty = c->arena.bump;
}

/* One operation; returns false when the input is used up. */
static bool ops_do_one(struct ops_ctx *c, struct fz *f)
{
	uint8_t code;
	unsigned int opt;
	bool changes = true;

	if (!fz_more(f))
		return false;
	code = fz_u8(f);
	opt = code >> 4;
	c->opno++;
	c->nspan = 0;
	snprintf(c->desc, sizeof(c->desc), "op 0x%02x", code);
	switch (code & 15) {
	case 0:
	case 1:
		ops_op_map(c, f, true, opt);
		break;
	case 2:
	case 3:
		ops_op_map(c, f, false, opt);
		break;
	case 4:
		ops_op_unmap(c, f, false, opt);
		break;
	case 5:
		ops_op_unmap(c, f, true, opt);
		break;
	case 6:
		ops_op_unmap_leaves(c, f, opt);
		break;
	case 7:
	case 8:
	case 9:
		ops_op_lookup(c, f, (code & 15) - 7, opt);
		changes = false;
		break;
	case 10:
		ops_op_extents(c, f, opt);
		changes = false;
		break;
	case 11:
		ops_op_walk(c, f);
		changes = false;
		break;
	case 12:
		snprintf(c->desc, sizeof(c->desc), "gather_sync");
		ops_sync(c);
		break;
	case 13:
		ops_op_raw(c, f, opt);
		break;
	case 14:
		snprintf(c->desc, sizeof(c->desc), "unmap window %u", opt % c->nwin);
		ops_wipe(c, opt);
		break;
	default: {
		/* A page mapped and unmapped again: empty tables stay behind. */
		struct ops_map o = { .pages = true, .pgsize = c->min_pg,
				     .count = 1, .prot = IOPT_READ };
		struct ops_unmap u = { .pages = true, .pgsize = c->min_pg,
				       .count = 1, .sync = opt & 1 };

		o.iova = u.iova = ops_pick_iova(c, f, c->min_pg);
		o.paddr = o.iova & c->pa_last;
		ops_do_map(c, &o);
		ops_do_unmap(c, &u);
		break;
	}
	}
	if (changes)
		ops_check_changed(c);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ops_ctx *c = &ops_the_ctx;
	struct fz f;

	if (size < 2)
		return 0;
	fz_init(&f, data, size);
	ops_setup(c, &f);
	for (unsigned int n = 0; n < OPS_MAX_OPS && ops_do_one(c, &f); n++)
		;
	ops_finish(c);
	return 0;
}
