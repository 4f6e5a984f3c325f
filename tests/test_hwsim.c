// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU (include/iopt/hwsim.h) on every configuration:
 *
 *  - its walker against the engine: random tables built with map_range /
 *    map_pages / unmaps, then random addresses translated both ways
 *    (physical address, size, fault kind, and the permission of every access
 *    kind against what iopt_prot_effective() promises), from the arena, from
 *    a copied image and through a read callback;
 *  - faults from hand-written entries: permission, translation, address
 *    size (input and output), access flag, reserved bits;
 *  - the IOTLB and walk cache: hit and miss counters, set-associative LRU
 *    eviction, invalidation by range with its granule and leaf-only flag,
 *    and the flush callbacks driving it from iopt_gather_sync(), after which
 *    iopt_hwsim_check_coherent() must find nothing;
 *  - that the oracles can fail: a dropped flush, a strict-mode negative entry
 *    after a map, a flush that claims too large a granule, a walk through a
 *    table freed under the walk cache;
 *  - hostile tables: random and crafted bytes, cycles, pointers outside the
 *    memory. Every walk returns, reads at most one entry per level, and the
 *    arena and image paths read exactly what a bounds-checking callback over
 *    the same bytes serves;
 *  - the formats the engine does not build yet (ARM v7s, Mali LPAE, Apple
 *    DART v1/v2): geometries and refusals, and tables written here field by
 *    field from formats.md in a byte image: every leaf size, permission and
 *    attribute bit, replicated runs (a damaged copy), the four DART v1
 *    TTBRs, the DART v2 address encoding and sub-page ranges, v7s NS,
 *    NO_PERMS and MTK_EXT addresses, IOTLB runs and DART stream
 *    invalidation, and hostile tables of 32- and 64-bit words.
 *  - AMD IOMMU v1 (no engine format on this branch): tables written field
 *    by field: natural leaves at AMD levels 1..5, NextLevel 7 runs of
 *    several sizes, skip-level pointers, every fault kind, IR/IW ANDed,
 *    runs as one IOTLB entry (a damaged copy is stale), the semantics of
 *    INVALIDATE_IOMMU_PAGES (S, sizes, whole domain, PDE) and the commands
 *    the flush ops issue, and hostile tables.
 *
 * IOPT_TEST_SEED replays a run (one seed for the program, mixed with the test
 * and configuration names).
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

#include <iopt/hwsim.h>
#include <iopt/domain.h>
#include <iopt/mem.h>

#include "model.h"

#define R IOPT_HWSIM_READ
#define W IOPT_HWSIM_WRITE
#define X IOPT_HWSIM_EXEC
#define P IOPT_HWSIM_PRIV

#define NR_MAPS 160
#define NR_UNMAPS 40
#define NR_LOOKUPS 1200
#define NR_WIRED_OPS 400
#define NR_HOSTILE_WALKS 3000

/* ------------------------------------------------------------- helpers */

static uint64_t g_seed;

/* One seed per program, printed once; mixed per test and configuration. */
static uint64_t test_rng(const char *test, const char *cfg)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!g_seed) {
		g_seed = h_seed();
		printf("# seed=0x%" PRIx64 "\n", g_seed);
	}
	for (const char *s = test; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	for (const char *s = cfg ? cfg : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return g_seed ^ h;
}

/* Table memory is little-endian whatever the host. */
static uint64_t le64_get(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static void le64_put(void *p, uint64_t v)
{
	unsigned char *b = p;

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static unsigned char *arena_ptr(struct tenv *e, uint64_t phys)
{
	return e->a.base + (phys - e->a.phys_base);
}

/* An entry of @e's format (8 bytes, or 4 for v7s), as a value. */
static uint64_t entry_get(struct tenv *e, uint64_t phys)
{
	uint64_t v = le64_get(arena_ptr(e, phys));

	return e->ent == 4 ? (uint32_t)v : v;
}

static void entry_put(struct tenv *e, uint64_t phys, uint64_t v)
{
	unsigned char *b = arena_ptr(e, phys);

	for (unsigned int i = 0; i < e->ent; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* Do leaves carry access permissions (all but v7s with NO_PERMS)? */
static bool has_perms(const struct tenv *e)
{
	return !(e->cfg.quirks & IOPT_QUIRK_V7S_NO_PERMS);
}

static bool is_arm(const struct iopt_config *c)
{
	return c->format != IOPT_FMT_X86_64;
}

/*
 * What a leaf mapped with the effective protection @prot allows, from the
 * formats (formats.md): ARM stage 1 and x86 always allow privileged reads,
 * PRIV takes the unprivileged accesses away, NOEXEC both fetches; ARM stage
 * 1 never lets privileged code execute what unprivileged code may write;
 * x86 user fetches need the user bit. Stage 2 (and Mali, whose permissions
 * are stage-2-like) has no privilege levels. v7s is x86-like here (no rule
 * against executing user-writable memory); with NO_PERMS its leaves allow
 * everything.
 */
static unsigned int want_perm(const struct iopt_config *c, unsigned int prot)
{
	bool rd = prot & IOPT_READ, wr = prot & IOPT_WRITE;
	bool x = !(prot & IOPT_NOEXEC), user = !(prot & IOPT_PRIV);
	unsigned int p = 0;

	if (c->format == IOPT_FMT_ARM_LPAE_S2 ||
	    c->format == IOPT_FMT_ARM_MALI_LPAE) {
		if (rd)
			p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR;
		if (wr)
			p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
		return p;
	}
	if (c->format == IOPT_FMT_ARM_V7S &&
	    (c->quirks & IOPT_QUIRK_V7S_NO_PERMS))
		return IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_UW |
		       IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PR |
		       IOPT_HWSIM_PERM_PW | IOPT_HWSIM_PERM_PX;
	if (c->format == IOPT_FMT_APPLE_DART ||
	    c->format == IOPT_FMT_APPLE_DART2 ||
	    c->format == IOPT_FMT_VTD_SS || c->format == IOPT_FMT_AMD_V1) {
		/* No privilege, no execute bit (VT-d: no ECAP.SLEE; AMD: a
		 * fetch needs IR): a fetch is a read. */
		if (rd)
			p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR |
			     IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
		if (wr)
			p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
		return p;
	}
	if (c->format == IOPT_FMT_RISCV) {
		/* U = 1: unprivileged requests only; U = 0: privileged only
		 * (SUM = 0). X = 0 with NOEXEC. */
		if (rd)
			p |= IOPT_HWSIM_PERM_UR;
		if (wr)
			p |= IOPT_HWSIM_PERM_UW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX;
		return user ? p : p << 3;
	}
	p = IOPT_HWSIM_PERM_PR | (wr ? IOPT_HWSIM_PERM_PW : 0);
	if (user)
		p |= IOPT_HWSIM_PERM_UR | (wr ? IOPT_HWSIM_PERM_UW : 0);
	if (c->format == IOPT_FMT_X86_64 || c->format == IOPT_FMT_ARM_V7S) {
		if (x)
			p |= IOPT_HWSIM_PERM_PX | (user ? IOPT_HWSIM_PERM_UX : 0);
	} else if (x) {
		p |= IOPT_HWSIM_PERM_UX;
		if (!(user && wr))
			p |= IOPT_HWSIM_PERM_PX;
	}
	return p;
}

/* The permission bits an access needs (hwsim.h: PRIV qualifies the rest). */
static unsigned int need_of(unsigned int access)
{
	bool priv = access & P;
	unsigned int n = 0;

	if (access & R)
		n |= priv ? IOPT_HWSIM_PERM_PR : IOPT_HWSIM_PERM_UR;
	if (access & W)
		n |= priv ? IOPT_HWSIM_PERM_PW : IOPT_HWSIM_PERM_UW;
	if (access & X)
		n |= priv ? IOPT_HWSIM_PERM_PX : IOPT_HWSIM_PERM_UX;
	return n;
}

static const unsigned int access_kinds[] = {
	R, W, X, R | P, W | P, X | P, R | W, R | W | P, R | X,
};

static const unsigned int prots[] = {
	IOPT_READ, IOPT_READ | IOPT_WRITE, IOPT_WRITE, IOPT_READ | IOPT_NOEXEC,
	IOPT_READ | IOPT_WRITE | IOPT_PRIV, IOPT_READ | IOPT_CACHE,
	IOPT_READ | IOPT_WRITE | IOPT_MMIO | IOPT_NOEXEC,
	IOPT_READ | IOPT_PRIV | IOPT_NOEXEC, IOPT_WRITE | IOPT_NOEXEC,
	IOPT_READ | IOPT_WRITE | IOPT_PRIV | IOPT_NOEXEC,
};

/* The fields two walks of the same bytes must agree on. */
static bool same_result(const struct iopt_hwsim_result *a,
			const struct iopt_hwsim_result *b)
{
	return a->fault == b->fault && a->input == b->input &&
	       a->contig == b->contig && a->level == b->level &&
	       a->phys == b->phys && a->size_lg2 == b->size_lg2 &&
	       a->leaf_lg2 == b->leaf_lg2 && a->perm == b->perm &&
	       a->pte == b->pte && a->pte_phys == b->pte_phys;
}

static void print_result(const char *what, int ret,
			 const struct iopt_hwsim_result *r)
{
	printf("#     %s: ret %d fault %s%s level %u phys 0x%" PRIx64
	       " size 2^%u leaf 2^%u perm 0x%x pte 0x%" PRIx64 " at 0x%" PRIx64
	       "\n", what, ret, iopt_hwsim_fault_name(r->fault),
	       r->input ? " (input)" : "", r->level, r->phys, r->size_lg2,
	       r->leaf_lg2, r->perm, r->pte, r->pte_phys);
}

/*
 * A read callback over a byte image that serves [phys, phys + size) and
 * refuses everything else, recording what the walker asks for.
 */
struct rec_mem {
	const unsigned char *buf;
	uint64_t phys;
	uint64_t size;
	unsigned int reads;      /* calls */
	unsigned int refused;    /* outside the memory */
	unsigned int bad_calls;  /* not @len aligned bytes */
	unsigned int len;        /* the entry size: 8, or 4 (v7s) */
	unsigned int after_refusal; /* reads in a walk after a refused one */
	bool refused_now;
};

static int rec_read(void *ctx, uint64_t phys, void *out, size_t len)
{
	struct rec_mem *m = ctx;
	uint64_t off = phys - m->phys;

	m->reads++;
	if (m->refused_now)
		m->after_refusal++;
	if (len != m->len || (phys & (m->len - 1)))
		m->bad_calls++;
	if (phys < m->phys || off >= m->size || m->size - off < len) {
		m->refused++;
		m->refused_now = true;
		return -EFAULT;
	}
	memcpy(out, m->buf + off, len);
	return 0;
}

static void rec_mem_init(struct rec_mem *rm, struct iopt_hwsim_mem *m,
			 const void *buf, uint64_t phys, uint64_t size)
{
	memset(rm, 0, sizeof(*rm));
	rm->buf = buf;
	rm->phys = phys;
	rm->size = size;
	rm->len = 8;
	memset(m, 0, sizeof(*m));
	m->read = rec_read;
	m->ctx = rm;
}

/* A simulated IOMMU over the tenv's arena, its root programmed. */
static int sim_open(struct iopt_hwsim *sim, struct tenv *e,
		    const struct iopt_hwsim_params *p)
{
	struct iopt_hwsim_mem m;
	int ret;

	iopt_hwsim_mem_arena(&m, &e->a);
	ret = iopt_hwsim_init(sim, &e->cfg, &m, p);
	if (ret) {
		H_FAIL("iopt_hwsim_init (format %d, granule 2^%u, ias %u, oas "
		       "%u) = %d", (int)e->cfg.format, e->cfg.granule_lg2,
		       e->cfg.ias, e->cfg.oas, ret);
		return ret;
	}
	ret = iopt_hwsim_set_root(sim, iopt_root_phys(&e->t));
	if (ret)
		H_FAIL("iopt_hwsim_set_root = %d", ret);
	return ret;
}

static struct iopt_hwsim_counters counters(const struct iopt_hwsim *sim)
{
	struct iopt_hwsim_counters c;

	iopt_hwsim_get_counters(sim, &c);
	return c;
}

/* ------------------------------------------------ random tables + model */

struct rt {
	struct tenv *e;
	struct model m;
	uint64_t rng;
	uint64_t win[5];
	unsigned int nwin;
	uint64_t wsize;
	uint64_t sizes[64];     /* AMD v1: every power of two */
	unsigned int nsizes;
	bool oom;
	unsigned int maps, unmaps;
	uint64_t last_iova, last_size;  /* the most recent successful map */
};

static uint64_t rnd(struct rt *rt)
{
	return h_rand(&rt->rng);
}

/* Windows at the bottom, middle and top of the input space (x86: both
 * halves), wide enough for a few of the largest leaves. */
static void rt_init(struct rt *rt, struct tenv *e, uint64_t rng)
{
	uint64_t maxps, top = e->top;

	memset(rt, 0, sizeof(*rt));
	rt->e = e;
	rt->rng = rng;
	model_init(&rt->m, e->bitmap);
	for (uint64_t b = e->bitmap; b; b &= b - 1)
		rt->sizes[rt->nsizes++] = b & -b;
	maxps = rt->sizes[rt->nsizes - 1];
	rt->wsize = 4 * e->blk > 2 * maxps ? 4 * e->blk : 2 * maxps;
	if (rt->wsize > top / 4)
		rt->wsize = top / 4;
	rt->win[rt->nwin++] = e->base;
	rt->win[rt->nwin++] = e->base + top / 2;
	rt->win[rt->nwin++] = e->base + top - rt->wsize;
	if (e->sext) {
		rt->win[rt->nwin++] = 0 - top;
		rt->win[rt->nwin++] = 0 - rt->wsize;
	}
}

/* A random map that overlaps nothing; both the table and the model. */
static void rt_map(struct rt *rt)
{
	struct tenv *e = rt->e;
	uint64_t ps = rt->sizes[rnd(rt) % rt->nsizes];
	uint64_t count = 1 + rnd(rt) % 4, span, iova, pa, size, mapped = 0;
	uint64_t oas_top = e->cfg.oas >= 64 ? ~0ULL : (1ULL << e->cfg.oas) - 1;
	unsigned int prot = prots[rnd(rt) % ARRAY_SIZE(prots)];
	unsigned int eff = iopt_prot_effective(&e->t, prot);
	bool pages = rnd(rt) % 2;
	int ret, mret;

	/* Small pages more often: the largest sizes fill the window fast. */
	if (rnd(rt) % 2)
		ps = rt->sizes[rnd(rt) % (rt->nsizes > 2 ? 2 : rt->nsizes)];
	if (ps * count > rt->wsize)
		count = 1;
	size = ps * count;
	if (size > rt->wsize || size > oas_top)
		return;
	/* Half of the maps crowd the window's start, so tables fill up. */
	span = rnd(rt) % 2 ? rt->wsize : 4 * e->blk;
	if (span > rt->wsize)
		span = rt->wsize;
	if (span < size)
		span = size;
	iova = rt->win[rnd(rt) % rt->nwin] +
	       (rnd(rt) % ((span - size) / ps + 1)) * ps;
	pa = (rnd(rt) & oas_top & ~(ps - 1));
	if (pa > oas_top - (size - 1))
		pa = 0;
	if (model_overlaps(&rt->m, iova, iova + (size - 1)))
		return;
	if (pages) {
		ret = iopt_map_pages(&e->t, iova, pa, ps, count, prot,
				     IOPT_MAP_ALL_OR_NOTHING, &mapped);
	} else {
		ret = iopt_map_range(&e->t, iova, pa, size, prot,
				     IOPT_MAP_ALL_OR_NOTHING, &mapped);
	}
	if (ret == -ENOMEM) {
		rt->oom = true;
		return;
	}
	if (ret || mapped != size) {
		H_FAIL("map_%s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
		       " x%" PRIu64 ") = %d, mapped 0x%" PRIx64,
		       pages ? "pages" : "range", iova, pa, ps, count, ret,
		       mapped);
		return;
	}
	mret = pages ? model_map_pages(&rt->m, iova, pa, ps, count, eff) :
		       model_map_range(&rt->m, iova, pa, size, eff);
	if (mret)
		H_FAIL("model map = %d", mret);
	rt->maps++;
	rt->last_iova = iova;
	rt->last_size = size;
}

/* Unmap a run of whole neighbouring leaves (never splits one). */
static void rt_unmap(struct rt *rt, struct iopt_gather *g)
{
	struct tenv *e = rt->e;
	size_t i, j;
	uint64_t first, last, unmapped = 0, munmapped = 0;
	int ret, mret;

	if (!rt->m.nr)
		return;
	i = rnd(rt) % rt->m.nr;
	j = i + rnd(rt) % 3;
	if (j >= rt->m.nr)
		j = rt->m.nr - 1;
	first = rt->m.leaf[i].iova;
	last = rt->m.leaf[j].last;
	if (last - first >= rt->wsize)
		last = rt->m.leaf[i].last;
	ret = iopt_unmap_range(&e->t, first, last - first + 1, 0, g, &unmapped);
	mret = model_unmap(&rt->m, first, last, 0, &munmapped, NULL, NULL, NULL);
	if (ret || mret || unmapped != munmapped)
		H_FAIL("unmap [0x%" PRIx64 ", 0x%" PRIx64 "] = %d, 0x%" PRIx64
		       "; model %d, 0x%" PRIx64, first, last, ret, unmapped,
		       mret, munmapped);
	rt->unmaps++;
}

/* Build a random table: maps, with unmaps among them. */
static void rt_build(struct rt *rt)
{
	for (unsigned int n = 0; n < NR_MAPS + NR_UNMAPS && !rt->oom; n++) {
		if (rnd(rt) % (NR_MAPS + NR_UNMAPS) < NR_UNMAPS) {
			rt_unmap(rt, &rt->e->g);
			iopt_gather_sync(&rt->e->g);
		} else {
			rt_map(rt);
		}
	}
}

/* An address to look up: in a leaf (often at its ends), in a window, at an
 * edge of the input space, or anything at all. */
static uint64_t rt_sample(struct rt *rt)
{
	uint64_t top = rt->e->top, b = rt->e->base; /* from the 1st IOVA */
	const uint64_t edges[] = {
		b, b + top - 1, b + top, b + 2 * top - 1, b - top, b - top - 1,
		b + ~0ULL, b + top / 2, b + top / 2 - 1,
	};
	unsigned int k = (unsigned int)(rnd(rt) % 10);

	if (k < 5 && rt->m.nr) {
		const struct model_leaf *l = &rt->m.leaf[rnd(rt) % rt->m.nr];

		if (k == 0)
			return l->iova;
		if (k == 1)
			return l->last;
		return l->iova + rnd(rt) % model_leaf_size(l);
	}
	if (k < 8)
		return rt->win[rnd(rt) % rt->nwin] + rnd(rt) % rt->wsize;
	if (k == 8)
		return edges[rnd(rt) % ARRAY_SIZE(edges)];
	return rnd(rt);
}

/* ---------------------------------------- the walker against the engine */

/* The walk of @iova against the engine's lookup and the model. */
static void compare_one(struct tenv *e, const struct rt *rt,
			const struct iopt_hwsim_geom *g,
			const struct iopt_hwsim_mem *m, uint64_t iova)
{
	const struct model_leaf *l = model_lookup(&rt->m, iova);
	struct iopt_hwsim_result r;
	uint64_t phys = 0, len = 0, root = iopt_root_phys(&e->t);
	unsigned int prot = 0, perm;
	int er = iopt_iova_to_phys_length(&e->t, iova, &phys, &len, &prot);
	int wr = iopt_hwsim_walk(g, m, root, iova, 0, &r);

	if (er == -ERANGE) {
		if (wr != -EFAULT || r.fault != IOPT_HWSIM_FAULT_ADDR_SIZE ||
		    !r.input) {
			H_FAIL("0x%" PRIx64 ": out of the input space, walk "
			       "differs", iova);
			print_result("walk", wr, &r);
		}
		return;
	}
	if (er == -ENOENT) {
		if (l)
			H_FAIL("0x%" PRIx64 ": engine finds nothing, the model "
			       "maps it", iova);
		if (wr != -EFAULT || r.fault != IOPT_HWSIM_FAULT_TRANSLATION ||
		    r.input || r.phys != IOPT_PHYS_NONE) {
			H_FAIL("0x%" PRIx64 ": not mapped, walk differs", iova);
			print_result("walk", wr, &r);
		}
		return;
	}
	if (er || !l) {
		H_FAIL("0x%" PRIx64 ": engine %d, model %s", iova, er,
		       l ? "maps it" : "does not");
		return;
	}
	perm = want_perm(&e->cfg, l->prot);
	if (wr || r.phys != phys || phys != l->paddr + (iova - l->iova) ||
	    len != model_leaf_size(l) || r.size_lg2 >= 64 ||
	    (1ULL << r.size_lg2) != len || prot != l->prot || r.perm != perm ||
	    r.contig != (r.size_lg2 != r.leaf_lg2) ||
	    r.leaf_lg2 < e->gr || r.leaf_lg2 > r.size_lg2) {
		H_FAIL("0x%" PRIx64 ": engine 0x%" PRIx64 " +0x%" PRIx64
		       " prot 0x%x; model 0x%" PRIx64 " +0x%" PRIx64
		       " prot 0x%x (perm 0x%x)", iova, phys, len, prot,
		       l->paddr + (iova - l->iova), model_leaf_size(l),
		       l->prot, perm);
		print_result("walk", wr, &r);
		return;
	}
	/* Every access kind: allowed exactly when the leaf grants it. */
	for (unsigned int i = 0; i < ARRAY_SIZE(access_kinds); i++) {
		unsigned int a = access_kinds[i];
		bool ok = (need_of(a) & perm) == need_of(a);
		struct iopt_hwsim_result ra;
		int ret = iopt_hwsim_walk(g, m, root, iova, a, &ra);

		if (ok ? ret != 0 : (ret != -EFAULT ||
				     ra.fault != IOPT_HWSIM_FAULT_PERMISSION ||
				     ra.phys != phys)) {
			H_FAIL("0x%" PRIx64 ": access 0x%x on perm 0x%x (prot "
			       "0x%x)", iova, a, perm, l->prot);
			print_result("walk", ret, &ra);
		}
	}
}

TEST_CFG(walk_matches_engine)
{
	struct tenv e;
	struct rt rt;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem am, im, cm;
	struct rec_mem rm;
	unsigned char *image = NULL;
	uint64_t root;

	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	rt_init(&rt, &e, test_rng("walk_matches_engine", cfg->name));
	ASSERT_EQ(iopt_hwsim_geometry(&e.cfg, &g), 0);
	CHECK_EQ(g.levels, iopt_levels(&e.t));
	CHECK_EQ(g.granule_lg2, e.gr);
	rt_build(&rt);
	CHECK(rt.maps > 20);

	/* The same bytes three ways: the arena, a copy, a callback. */
	root = iopt_root_phys(&e.t);
	iopt_hwsim_mem_arena(&am, &e.a);
	image = malloc(e.a.size);
	ASSERT(image);
	memcpy(image, e.a.base, e.a.size);
	iopt_hwsim_mem_image(&im, image, e.a.size, e.a.phys_base);
	rec_mem_init(&rm, &cm, image, e.a.phys_base, e.a.size);
	rm.len = e.ent;

	for (unsigned int n = 0; n < NR_LOOKUPS && !h_failed_now; n++) {
		uint64_t iova = rt_sample(&rt);
		struct iopt_hwsim_result ra, ri, rc;
		int a, i, c;
		unsigned int before = rm.reads;

		compare_one(&e, &rt, &g, &am, iova);
		a = iopt_hwsim_walk(&g, &am, root, iova, 0, &ra);
		i = iopt_hwsim_walk(&g, &im, root, iova, 0, &ri);
		rm.refused_now = false;
		c = iopt_hwsim_walk(&g, &cm, root, iova, 0, &rc);
		if (a != i || a != c || !same_result(&ra, &ri) ||
		    !same_result(&ra, &rc) || ra.freed_read) {
			H_FAIL("0x%" PRIx64 ": arena, image and callback walks "
			       "differ", iova);
			print_result("arena", a, &ra);
			print_result("image", i, &ri);
			print_result("callback", c, &rc);
		}
		if (rm.reads - before > g.levels)
			H_FAIL("0x%" PRIx64 ": %u reads, %u levels", iova,
			       rm.reads - before, g.levels);
	}
	CHECK_EQ(rm.refused, 0);
	CHECK_EQ(rm.bad_calls, 0);
	printf("# %s: %u maps, %u unmaps, %zu leaves%s\n", cfg->name, rt.maps,
	       rt.unmaps, rt.m.nr, rt.oom ? " (table memory ran out)" : "");
	free(image);
	model_free(&rt.m);
out:
	tenv_close(&e);
}

/* ------------------------------------------------------------ geometry */

/* Every ARM geometry iopt accepts, against the walker's own rules. */
TEST(geometry_sweep)
{
	static const unsigned int oases[] = { 32, 36, 40, 42, 44, 48, 52 };
	static const enum iopt_format fmts[] = { IOPT_FMT_ARM_LPAE_S1,
						 IOPT_FMT_ARM_LPAE_S2 };
	struct iopt_arena a;
	struct iopt_mem mem;
	unsigned int agree = 0, apart = 0, refused = 0;

	ASSERT_EQ(iopt_arena_create(&a, 4u << 20, ARENA_PHYS), 0);
	iopt_arena_mem(&a, &mem);
	for (unsigned int f = 0; f < 2; f++)
	for (unsigned int gl = 12; gl <= 16; gl += 2)
	for (unsigned int ias = 30; ias <= 50; ias++)
	for (unsigned int o = 0; o < ARRAY_SIZE(oases); o++) {
		struct iopt_config c = { fmts[f], gl, ias, oases[o], 0, 0 };
		struct iopt_hwsim_geom g;
		struct iopt_table t;
		int er = iopt_init(&t, &c, &mem, NULL, NULL);
		int hr = iopt_hwsim_geometry(&c, &g);
		bool s2_large_ipa = f == 1 && ias > oases[o];

		if (er) {
			/* Refused by the engine: the hardware cannot walk it
			 * either, unless the IPA is larger than the PA size. */
			if (hr != er && !(s2_large_ipa && !hr))
				H_FAIL("s%u %uK ias %u oas %u: engine %d, hwsim %d",
				       f + 1, 1u << (gl - 10), ias, oases[o],
				       er, hr);
			refused++;
			continue;
		}
		if (!hr && g.levels == iopt_levels(&t)) {
			agree++;
		} else if (s2_large_ipa) {
			/* The engine assumes a PA size above oas there. */
			apart++;
		} else {
			H_FAIL("s%u %uK ias %u oas %u: engine %u levels, hwsim "
			       "%d with %u", f + 1, 1u << (gl - 10), ias,
			       oases[o], iopt_levels(&t), hr, hr ? 0 : g.levels);
		}
		iopt_fini(&t);
	}
	CHECK_EQ(a.used, 0);
	iopt_arena_destroy(&a);
	CHECK(agree > 300);
	printf("# ARM geometries: %u agree, %u refused by both, %u apart "
	       "(stage 2 with ias > oas)\n", agree, refused, apart);
}

/* Hand-worked geometries from the Arm ARM and formats.md 1.8. */
TEST(geometry_values)
{
	static const struct {
		enum iopt_format f;
		unsigned int gl, ias, oas;
		int ret;
		unsigned int levels, top_bits, concat;
	} v[] = {
		{ IOPT_FMT_ARM_LPAE_S1, 12, 48, 48, 0, 4, 9, 1 },
		{ IOPT_FMT_ARM_LPAE_S1, 12, 32, 32, 0, 3, 2, 1 },
		{ IOPT_FMT_ARM_LPAE_S1, 16, 42, 52, 0, 2, 13, 1 },
		{ IOPT_FMT_ARM_LPAE_S1, 16, 44, 40, 0, 3, 2, 1 },
		{ IOPT_FMT_ARM_LPAE_S1, 14, 48, 48, 0, 4, 1, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 12, 40, 40, 0, 3, 10, 2 },
		{ IOPT_FMT_ARM_LPAE_S2, 12, 42, 42, 0, 3, 12, 8 },
		{ IOPT_FMT_ARM_LPAE_S2, 12, 44, 44, 0, 4, 5, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 12, 48, 40, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_ARM_LPAE_S2, 14, 48, 48, 0, 3, 12, 2 },
		{ IOPT_FMT_ARM_LPAE_S2, 14, 40, 40, 0, 2, 15, 16 },
		{ IOPT_FMT_ARM_LPAE_S2, 14, 40, 42, 0, 3, 4, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 14, 47, 48, 0, 3, 11, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 16, 44, 40, 0, 2, 15, 4 },
		{ IOPT_FMT_ARM_LPAE_S2, 16, 44, 44, 0, 3, 2, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 16, 48, 52, 0, 3, 6, 1 },
		{ IOPT_FMT_ARM_LPAE_S2, 16, 36, 36, 0, 2, 7, 1 },
		{ IOPT_FMT_ARM_LPAE_S1, 12, 48, 52, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_ARM_LPAE_S1, 12, 49, 48, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_ARM_LPAE_S1, 13, 48, 48, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_X86_64, 12, 48, 52, 0, 4, 9, 1 },
		{ IOPT_FMT_X86_64, 12, 57, 46, 0, 5, 9, 1 },
		{ IOPT_FMT_X86_64, 12, 39, 46, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_X86_64, 12, 48, 53, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_RISCV, 12, 39, 56, 0, 3, 9, 1 },	/* Sv39 */
		{ IOPT_FMT_RISCV, 0, 48, 44, 0, 4, 9, 1 },	/* Sv48 */
		{ IOPT_FMT_RISCV, 12, 57, 32, 0, 5, 9, 1 },	/* Sv57 */
		{ IOPT_FMT_RISCV, 12, 40, 56, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_RISCV, 12, 48, 57, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_RISCV, 12, 48, 31, -ENOTSUP, 0, 0, 0 },
		{ IOPT_FMT_RISCV, 14, 48, 48, -ENOTSUP, 0, 0, 0 },
		{ (enum iopt_format)99, 12, 48, 48, -EINVAL, 0, 0, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { v[i].f, v[i].gl, v[i].ias, v[i].oas,
					 0, 0 };
		struct iopt_hwsim_geom g;
		int ret;

		memset(&g, 0xa5, sizeof(g));
		ret = iopt_hwsim_geometry(&c, &g);
		if (ret != v[i].ret) {
			H_FAIL("case %u: %d, expected %d", i, ret, v[i].ret);
			continue;
		}
		if (ret) {
			CHECK_EQ(g.levels, 0xa5a5a5a5u); /* untouched */
			continue;
		}
		if (g.levels != v[i].levels || g.top_bits != v[i].top_bits ||
		    g.concat != v[i].concat || g.ias != v[i].ias ||
		    g.oas != v[i].oas || g.stage2 != (v[i].f == IOPT_FMT_ARM_LPAE_S2) ||
		    g.sign_extend != (v[i].f == IOPT_FMT_X86_64 ||
				      v[i].f == IOPT_FMT_RISCV))
			H_FAIL("case %u: levels %u top_bits %u concat %u, "
			       "expected %u %u %u", i, g.levels, g.top_bits,
			       g.concat, v[i].levels, v[i].top_bits,
			       v[i].concat);
	}
}

/* -------------------------------------------------- hand-written faults */

static int walk_at(struct tenv *e, const struct iopt_hwsim_geom *g,
		   uint64_t iova, unsigned int access,
		   struct iopt_hwsim_result *r)
{
	struct iopt_hwsim_mem m;

	iopt_hwsim_mem_arena(&m, &e->a);
	return iopt_hwsim_walk(g, &m, iopt_root_phys(&e->t), iova, access, r);
}

/* Expect a fault of @kind (ret -EFAULT) at @level (if not ~0u). */
#define EXPECT_FAULT(e, g, iova, access, kind, lvl)                          \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = walk_at(e, g, iova, access, &r_);                 \
		if (ret_ != -EFAULT || r_.fault != (kind) ||                 \
		    ((lvl) != ~0u && r_.level != (unsigned int)(lvl))) {     \
			H_FAIL("0x%" PRIx64 " access 0x%x: expected %s",     \
			       (uint64_t)(iova), (unsigned int)(access),     \
			       iopt_hwsim_fault_name(kind));                 \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/* Expect a translation to @phys. */
#define EXPECT_PHYS(e, g, iova, access, want)                                \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = walk_at(e, g, iova, access, &r_);                 \
		if (ret_ || r_.phys != (want)) {                             \
			H_FAIL("0x%" PRIx64 ": expected 0x%" PRIx64,         \
			       (uint64_t)(iova), (uint64_t)(want));          \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/* ARM: log2 of the entries of a contiguous run at @lvl (formats.md 1.7). */
static unsigned int contig_lg2(unsigned int gr, unsigned int lvl)
{
	if (gr == 12)	/* LPA2's level-0 blocks: the model ignores the hint */
		return lvl <= 2 ? 4 : 0;
	if (gr == 14)
		return lvl == 0 ? 7 : lvl == 1 ? 5 : 0;
	return lvl <= 1 ? 5 : 0;
}

/* Physical address of the entry at depth @d of the walk of @iova. */
static uint64_t entry_at(struct tenv *e, uint64_t iova, unsigned int d)
{
	struct iopt_path p;

	if (iopt_walk_path(&e->t, iova, &p) || p.depth <= d)
		return 0;
	return p.table_phys[d] + (uint64_t)e->ent * p.index[d];
}

/*
 * v7s: permissions of small pages, a cleared type and access flag, inputs
 * beyond 32 bits. (Its descriptors cannot hold an address beyond oas, and
 * the hand-written tables of the hwsim_v7s tests cover the rest.)
 */
static void v7s_fault_checks(struct tenv *e, const struct iopt_hwsim_geom *g,
			     uint64_t x, uint64_t pa)
{
	uint64_t ent, v;

	ASSERT_EQ(tenv_map(e, x, pa, e->gsz, 1, IOPT_READ), 0);
	ASSERT_EQ(tenv_map(e, x + e->gsz, pa, e->gsz, 1,
			   IOPT_READ | IOPT_NOEXEC), 0);
	ASSERT_EQ(tenv_map(e, x + 2 * e->gsz, pa, e->gsz, 1,
			   IOPT_READ | IOPT_WRITE | IOPT_PRIV), 0);
	EXPECT_PHYS(e, g, x + 5, R, pa + 5);
	EXPECT_PHYS(e, g, x + 5, X | P, pa + 5);
	if (has_perms(e)) {
		EXPECT_FAULT(e, g, x, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
		EXPECT_FAULT(e, g, x + e->gsz, X, IOPT_HWSIM_FAULT_PERMISSION, 0);
		EXPECT_FAULT(e, g, x + 2 * e->gsz, R,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);
		EXPECT_PHYS(e, g, x + 2 * e->gsz, W | P, pa);
	} else {
		EXPECT_PHYS(e, g, x, W, pa);
		EXPECT_PHYS(e, g, x + e->gsz, X, pa);
		EXPECT_PHYS(e, g, x + 2 * e->gsz, R, pa);
	}
	ent = entry_at(e, x, 1);
	ASSERT(ent);
	v = entry_get(e, ent);
	entry_put(e, ent, v & ~3ULL);		/* type 00: invalid */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v & ~(1ULL << 4));	/* AP[0], the access flag */
	if (has_perms(e))
		EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_ACCESS_FLAG, 0);
	else	/* bit 4 is MediaTek's PA[33] */
		EXPECT_PHYS(e, g, x, R, pa);
	entry_put(e, ent, v);
	EXPECT_PHYS(e, g, x, R, pa);
	EXPECT_FAULT(e, g, 1ULL << 32, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
	EXPECT_FAULT(e, g, ~0ULL, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
	EXPECT_FAULT(e, g, (1ULL << 32) - 1, R, IOPT_HWSIM_FAULT_TRANSLATION,
		     ~0u);
}

/* A RISC-V walk that translates, with the size it reports. */
#define EXPECT_RV_SIZE(e, g, iova, access, want, want_lg2)                   \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = walk_at(e, g, iova, access, &r_);                 \
		if (ret_ || r_.phys != (want) || r_.size_lg2 != (want_lg2) ||\
		    r_.contig != ((want_lg2) == 16)) {                       \
			H_FAIL("0x%" PRIx64 ": expected 0x%" PRIx64          \
			       " size 2^%u", (uint64_t)(iova),               \
			       (uint64_t)(want), (unsigned int)(want_lg2));  \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/*
 * RISC-V, on tables the engine built, each entry then patched by hand
 * (the privileged spec's Sv39/48/57 walk, Svnapot, Svpbmt): V, R, W, X,
 * U, A and D; W without R; reserved bits [60:54]; PBMT (no Svpbmt in the
 * model); N; a pointer at level 0 and reserved bits in a pointer; a
 * misaligned superpage; addresses above oas; non-canonical inputs.
 */
static void riscv_fault_checks(struct tenv *e, const struct iopt_hwsim_geom *g,
			       uint64_t x, uint64_t pa)
{
	const bool napot = e->cfg.quirks & IOPT_QUIRK_RISCV_NAPOT;
	const unsigned int top = g->levels - 1;
	uint64_t ent, ent3, tbl, v, v3, tv, y = 8 * e->blk;
	struct iopt_hwsim_geom g40 = *g;

	ASSERT_EQ(tenv_map(e, x, pa, e->gsz, 1, IOPT_READ), 0);
	ASSERT_EQ(tenv_map(e, x + e->gsz, pa, e->gsz, 1,
			   IOPT_READ | IOPT_NOEXEC), 0);
	ASSERT_EQ(tenv_map(e, x + 2 * e->gsz, pa, e->gsz, 1,
			   IOPT_READ | IOPT_WRITE | IOPT_PRIV), 0);
	ASSERT_EQ(tenv_map(e, x + 3 * e->gsz, pa, e->gsz, 1, IOPT_WRITE), 0);
	/* U = 1: unprivileged reads and fetches; nothing privileged
	 * (SUM = 0), no write (W = 0). */
	EXPECT_PHYS(e, g, x + 5, R, pa + 5);
	EXPECT_PHYS(e, g, x + 5, X, pa + 5);
	EXPECT_FAULT(e, g, x, R | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(e, g, x, X | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(e, g, x, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(e, g, x + e->gsz, X, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_PHYS(e, g, x + e->gsz, R, pa);
	/* U = 0: privileged only. */
	EXPECT_PHYS(e, g, x + 2 * e->gsz, R | W | P, pa);
	EXPECT_FAULT(e, g, x + 2 * e->gsz, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	/* IOPT_WRITE alone wrote R too (W without R is reserved). */
	EXPECT_PHYS(e, g, x + 3 * e->gsz, R | W, pa);

	ent = entry_at(e, x, top);
	ent3 = entry_at(e, x + 3 * e->gsz, top);
	tbl = entry_at(e, x, 0);
	ASSERT(ent && ent3 && tbl);
	v = entry_get(e, ent);
	v3 = entry_get(e, ent3);
	tv = entry_get(e, tbl);
	entry_put(e, ent, v & ~1ULL);			/* V = 0 */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 54));		/* reserved [60:54] */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 60));
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 61));		/* PBMT = NC */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (3ULL << 61));		/* PBMT = 3 */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v & ~(1ULL << 6));		/* A = 0 */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	entry_put(e, ent, v & ~0xeULL);			/* a pointer at level 0 */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 5));		/* G: one context */
	EXPECT_PHYS(e, g, x + 5, R, pa + 5);
	/* N with PPN[3:0] = 0000 is reserved; 1000 is 64K with Svnapot. */
	entry_put(e, ent, v | (1ULL << 63));
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 63) | (1ULL << 13));
	if (napot)	/* pa is 64K-aligned, x too: x + 5 is pa + 5 */
		EXPECT_RV_SIZE(e, g, x + 5, R, pa + 5, 16);
	else
		EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v | (1ULL << 63) | (1ULL << 12)); /* 0100: 32K */
	EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent, v);
	EXPECT_RV_SIZE(e, g, x + 5, R, pa + 5, 12);
	entry_put(e, ent3, v3 & ~2ULL);			/* W without R */
	EXPECT_FAULT(e, g, x + 3 * e->gsz, W, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	entry_put(e, ent3, v3 & ~(1ULL << 7));		/* D = 0: no write */
	EXPECT_FAULT(e, g, x + 3 * e->gsz, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_PHYS(e, g, x + 3 * e->gsz, R, pa);
	entry_put(e, ent3, v3);

	/* A, D, U, N and PBMT are reserved in a pointer. */
	for (unsigned int b = 0; b < 5; b++) {
		static const unsigned int bits[] = { 6, 7, 4, 63, 62 };

		entry_put(e, tbl, tv | (1ULL << bits[b]));
		EXPECT_FAULT(e, g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, top);
	}
	entry_put(e, tbl, tv);

	/* Addresses above a 40-bit oas: PPN bit 28 is address bit 40. */
	g40.oas = 40;
	EXPECT_PHYS(e, &g40, x + 5, R, pa + 5);
	entry_put(e, ent, v | (1ULL << 38));
	EXPECT_FAULT(e, &g40, x, R, IOPT_HWSIM_FAULT_ADDR_SIZE, 0);
	entry_put(e, ent, v);
	entry_put(e, tbl, tv | (1ULL << 38));
	EXPECT_FAULT(e, &g40, x, R, IOPT_HWSIM_FAULT_ADDR_SIZE, top);
	entry_put(e, tbl, tv);

	/* A 2M leaf; then misaligned: PPN[0] bits set. */
	ASSERT_EQ(tenv_map(e, y, 0x40000000, e->blk, 1, IOPT_READ), 0);
	EXPECT_RV_SIZE(e, g, y + 0x1234, R, 0x40001234, 21);
	ent = entry_at(e, y, top - 1);
	ASSERT(ent);
	v = entry_get(e, ent);
	entry_put(e, ent, v | (1ULL << 10));
	EXPECT_FAULT(e, g, y, R, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	entry_put(e, ent, v | (1ULL << 18));		/* PPN[0] bit 8 */
	EXPECT_FAULT(e, g, y, R, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	entry_put(e, ent, v | (1ULL << 19));		/* PPN[1] bit 0: 2M */
	EXPECT_PHYS(e, g, y + 0x1234, R, 0x40201234);
	entry_put(e, ent, v | (1ULL << 63) | (1ULL << 13)); /* N above 4K */
	EXPECT_FAULT(e, g, y, R, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	entry_put(e, ent, v);

	/* Inputs: sign-extended from bit ias - 1. */
	EXPECT_FAULT(e, g, e->top, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
	EXPECT_FAULT(e, g, ~e->top, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
	EXPECT_FAULT(e, g, 0 - e->top, R, IOPT_HWSIM_FAULT_TRANSLATION, ~0u);
	{
		struct iopt_hwsim_result r;
		struct iopt_hwsim_mem m;

		iopt_hwsim_mem_arena(&m, &e->a);
		/* iosatp.PPN: bits [11:0] of the root are not there. */
		CHECK_EQ(iopt_hwsim_walk(g, &m, iopt_root_phys(&e->t) | 0xff8,
					 x, R, &r), 0);
		CHECK_EQ(r.phys, pa);
		CHECK_EQ(walk_at(e, g, e->top, R, &r), -EFAULT);
		CHECK(r.input);
	}
}

static void fault_checks(const char *name)
{
	struct tenv e;
	struct iopt_hwsim_geom g;
	const struct iopt_config *c;
	uint64_t x, pa = 0x200000, ent, v, tbl, oas_bit;
	unsigned int top;
	bool s2, mali, ds;

	if (tenv_open(&e, name, NULL))
		goto out;
	c = &e.cfg;
	/* ARM and x86 descriptors; DART's, VT-d's and AMD's faults are checked
	 * field by field in dart_v1_walks, vtd_faults, amd_natural_leaves and
	 * the tests near them. */
	if (c->format == IOPT_FMT_APPLE_DART ||
	    c->format == IOPT_FMT_APPLE_DART2 || c->format == IOPT_FMT_VTD_SS ||
	    c->format == IOPT_FMT_AMD_V1)
		goto out;
	mali = c->format == IOPT_FMT_ARM_MALI_LPAE;
	/* Mali's permissions are stage-2-like: read and write bits, no
	 * privilege levels. */
	s2 = c->format == IOPT_FMT_ARM_LPAE_S2 || mali;
	ds = c->quirks & IOPT_QUIRK_ARM_LPA2;
	ASSERT_EQ(iopt_hwsim_geometry(c, &g), 0);
	top = g.levels - 1;
	x = e.base + 4 * e.blk;
	if (c->format == IOPT_FMT_ARM_V7S) {
		v7s_fault_checks(&e, &g, x, pa);
		goto out;
	}
	if (c->format == IOPT_FMT_RISCV) {
		riscv_fault_checks(&e, &g, x, pa);
		goto out;
	}

	/* Permissions of single pages. */
	ASSERT_EQ(tenv_map(&e, x, pa, e.gsz, 1, IOPT_READ), 0);
	ASSERT_EQ(tenv_map(&e, x + e.gsz, pa, e.gsz, 1, IOPT_READ | IOPT_NOEXEC), 0);
	ASSERT_EQ(tenv_map(&e, x + 2 * e.gsz, pa, e.gsz, 1,
			   IOPT_READ | IOPT_WRITE | IOPT_PRIV), 0);
	ASSERT_EQ(tenv_map(&e, x + 3 * e.gsz, pa, e.gsz, 1, IOPT_WRITE), 0);
	EXPECT_PHYS(&e, &g, x + 5, R, pa + 5);
	EXPECT_PHYS(&e, &g, x + 5, X | P, pa + 5);
	EXPECT_FAULT(&e, &g, x, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(&e, &g, x, W | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(&e, &g, x + e.gsz, X, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_FAULT(&e, &g, x + e.gsz, X | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	EXPECT_PHYS(&e, &g, x + 2 * e.gsz, W | P, pa);
	if (s2) /* stage 2 has no privilege levels */
		EXPECT_PHYS(&e, &g, x + 2 * e.gsz, R, pa);
	else
		EXPECT_FAULT(&e, &g, x + 2 * e.gsz, R,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);
	if (s2) /* write-only exists in stage 2 only */
		EXPECT_FAULT(&e, &g, x + 3 * e.gsz, R,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);
	else
		EXPECT_PHYS(&e, &g, x + 3 * e.gsz, R | W, pa);
	if (c->format == IOPT_FMT_ARM_LPAE_S1) /* writable by EL0: PXN */
		EXPECT_FAULT(&e, &g, x + 3 * e.gsz, X | P,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);

	/* Translation faults: nothing there; the reserved level-3 form. */
	EXPECT_FAULT(&e, &g, x + 8 * e.gsz, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	ent = entry_at(&e, x, top);	/* the level-0 entry */
	ASSERT(ent);
	v = entry_get(&e, ent);
	if (mali) {
		/* Mali's last-level leaf is 01; 11 there translates nothing,
		 * and there is no access flag. */
		entry_put(&e, ent, v | 2ULL);
		EXPECT_FAULT(&e, &g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
		entry_put(&e, ent, (v & ~3ULL) | 2ULL);
		EXPECT_FAULT(&e, &g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
		entry_put(&e, ent, v & ~(1ULL << 10));
		EXPECT_PHYS(&e, &g, x, R, pa);
	} else if (is_arm(c)) {
		entry_put(&e, ent, v & ~2ULL);  /* [1:0] = 01 at level 3 */
		EXPECT_FAULT(&e, &g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
		entry_put(&e, ent, v & ~(1ULL << 10)); /* AF = 0 */
		EXPECT_FAULT(&e, &g, x, R, IOPT_HWSIM_FAULT_ACCESS_FLAG, 0);
	} else {
		entry_put(&e, ent, v & ~(1ULL << 5)); /* A = 0: set by hardware */
		EXPECT_PHYS(&e, &g, x, R, pa);
		entry_put(&e, ent, v & ~1ULL);
		EXPECT_FAULT(&e, &g, x, R, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	}
	entry_put(&e, ent, v);
	EXPECT_PHYS(&e, &g, x, R, pa);

	/* Output addresses at or above 2^oas: in a leaf, then in a table. */
	oas_bit = c->oas < 52 ? 1ULL << c->oas : 0;
	if (oas_bit && (!is_arm(c) || c->oas < 48)) {
		entry_put(&e, ent, v | oas_bit);
		EXPECT_FAULT(&e, &g, x, R, is_arm(c) ? IOPT_HWSIM_FAULT_ADDR_SIZE :
			     IOPT_HWSIM_FAULT_RESERVED, 0);
		entry_put(&e, ent, v);
		tbl = entry_at(&e, x, 0);
		ASSERT(tbl);
		v = entry_get(&e, tbl);
		entry_put(&e, tbl, v | oas_bit);
		EXPECT_FAULT(&e, &g, x, R, is_arm(c) ? IOPT_HWSIM_FAULT_ADDR_SIZE :
			     IOPT_HWSIM_FAULT_RESERVED, top);
		entry_put(&e, tbl, v);
		v = entry_get(&e, ent);
	}
	/* 64K: bits [15:12] are PA[51:48] with a 52-bit PA, RES0 otherwise. */
	if (is_arm(c) && e.gr == 16) {
		entry_put(&e, ent, v | (0x3ULL << 12));
		EXPECT_PHYS(&e, &g, x, R, c->oas == 52 ? pa | (3ULL << 48) : pa);
		entry_put(&e, ent, v);
	}

	/* Inputs out of range; a root above oas. */
	if (e.sext) {
		EXPECT_FAULT(&e, &g, e.top, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
		EXPECT_FAULT(&e, &g, ~e.top, R, IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
		EXPECT_FAULT(&e, &g, 0 - e.top, R, IOPT_HWSIM_FAULT_TRANSLATION,
			     ~0u);
	} else {
		/* [base, base + top - 1]; TTBR1: base + top is 0 */
		EXPECT_FAULT(&e, &g, e.base + e.top, R,
			     IOPT_HWSIM_FAULT_ADDR_SIZE, ~0u);
		EXPECT_FAULT(&e, &g, e.base + e.top - 1, R,
			     IOPT_HWSIM_FAULT_TRANSLATION, ~0u);
	}
	if (!e.sext) /* ~0 (TTBR1: the last IOVA below the space) */
		EXPECT_FAULT(&e, &g, e.base - 1, R, IOPT_HWSIM_FAULT_ADDR_SIZE,
			     ~0u);
	{
		struct iopt_hwsim_result r;
		struct iopt_hwsim_mem m;
		uint64_t root = iopt_root_phys(&e.t);

		iopt_hwsim_mem_arena(&m, &e.a);
		CHECK_EQ(walk_at(&e, &g, e.base + e.top, R, &r), -EFAULT);
		CHECK(r.input);
		if (oas_bit) {
			CHECK_EQ(iopt_hwsim_walk(&g, &m, root | oas_bit, x, R, &r),
				 -EFAULT);
			CHECK_EQ(r.fault, is_arm(c) ? IOPT_HWSIM_FAULT_ADDR_SIZE :
				 IOPT_HWSIM_FAULT_RESERVED);
			CHECK(!r.input);
		}
		/* Bits below the start table's alignment are ignored. */
		CHECK_EQ(iopt_hwsim_walk(&g, &m, root | 0x38, x, R, &r), 0);
		CHECK_EQ(r.phys, pa);
		/* A root outside the arena: the walk aborts. */
		CHECK_EQ(iopt_hwsim_walk(&g, &m, e.a.phys_base + e.a.size + 0x100000,
					 x, R, &r), -EFAULT);
		CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	}

	/* Leaves where the format has none, and reserved large-page bits. */
	if (e.sext) {
		uint64_t y = 8 * e.blk;

		ASSERT_EQ(tenv_map(&e, y, 0x40000000, e.blk, 1, IOPT_READ), 0);
		EXPECT_PHYS(&e, &g, y + 0x1234, R, 0x40001234);
		ent = entry_at(&e, y, top - 1);
		ASSERT(ent);
		v = entry_get(&e, ent);
		entry_put(&e, ent, v | (1ULL << 13)); /* reserved in a 2M leaf */
		EXPECT_FAULT(&e, &g, y, R, IOPT_HWSIM_FAULT_RESERVED, 1);
		entry_put(&e, ent, v | (1ULL << 12)); /* PAT: allowed */
		EXPECT_PHYS(&e, &g, y + 0x1234, R, 0x40001234);
		entry_put(&e, ent, v);
		/* PS in a PML4 or PML5 entry is reserved (even with an address
		 * that a 512G leaf could have). */
		for (unsigned int d = 0; d + 3 < g.levels; d++) {
			ent = entry_at(&e, y, d);
			v = entry_get(&e, ent);
			entry_put(&e, ent, 0x87);
			EXPECT_FAULT(&e, &g, y, R, IOPT_HWSIM_FAULT_RESERVED,
				     top - d);
			entry_put(&e, ent, v);
		}
		ent = entry_at(&e, y, 0);
		v = entry_get(&e, ent);
		/* Read-only and supervisor-only upper levels restrict leaves. */
		ASSERT_EQ(tenv_map(&e, y + e.blk, 0x40000000, e.gsz, 1,
				   IOPT_READ | IOPT_WRITE), 0);
		EXPECT_PHYS(&e, &g, y + e.blk, W, 0x40000000);
		entry_put(&e, ent, v & ~2ULL);
		EXPECT_FAULT(&e, &g, y + e.blk, W | P,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);
		entry_put(&e, ent, v & ~4ULL);
		EXPECT_FAULT(&e, &g, y + e.blk, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
		EXPECT_PHYS(&e, &g, y + e.blk, W | P, 0x40000000);
		entry_put(&e, ent, v | (1ULL << 63));
		EXPECT_FAULT(&e, &g, y + e.blk, X | P,
			     IOPT_HWSIM_FAULT_PERMISSION, 0);
		entry_put(&e, ent, v);
	} else {
		/* A block descriptor ([1:0] = 01) with AF in every level above
		 * level 3, at an address nothing maps: valid where blocks are. */
		for (unsigned int lvl = 1; lvl <= top; lvl++) {
			unsigned int sh = e.gr + lvl * (e.gr - 3);
			uint64_t y = (uint64_t)(lvl + 1) << sh, blkpa;
			bool ok;

			if (sh >= c->ias || y >= e.top)
				continue;
			y += e.base;
			/* LPA2 (DS = 1): 512G and 64G blocks too. */
			if (e.gr == 12)
				ok = lvl <= 2 || (lvl == 3 && ds);
			else if (e.gr == 14)
				ok = lvl == 1 || (lvl == 2 && ds);
			else
				ok = lvl == 1 || (lvl == 2 && c->oas == 52);
			blkpa = sh < c->oas ? 1ULL << sh : 0;
			if (iopt_iova_to_phys(&e.t, y) != IOPT_PHYS_NONE)
				continue;
			/* make the path down to level lvl with a page map */
			ASSERT_EQ(tenv_map(&e, y, pa, e.gsz, 1, IOPT_READ), 0);
			ent = entry_at(&e, y, top - lvl);
			ASSERT(ent);
			v = entry_get(&e, ent);
			/* SH = inner; with DS bits [9:8] are OA[51:50]. */
			entry_put(&e, ent, blkpa | (1ULL << 10) | (1ULL << 6) |
				  (ds ? 0 : 3ULL << 8) | 1);
			if (ok) {
				struct iopt_hwsim_result r;
				/* Mali has no contiguous hint. */
				unsigned int cl = mali ? 0 : contig_lg2(e.gr, lvl);
				unsigned int bits = lvl == top ? g.top_bits :
							       e.gr - 3;

				EXPECT_PHYS(&e, &g, y + 0x10, R, blkpa + 0x10);
				/* The contiguous hint: a run, unless the table
				 * holding the entry is smaller than one. */
				entry_put(&e, ent, entry_get(&e, ent) |
					  (1ULL << 52));
				CHECK_EQ(walk_at(&e, &g, y, R, &r), 0);
				CHECK_EQ(r.size_lg2, sh + (cl <= bits ? cl : 0));
				CHECK_EQ(r.leaf_lg2, sh);
			} else
				EXPECT_FAULT(&e, &g, y, R,
					     IOPT_HWSIM_FAULT_TRANSLATION, lvl);
			entry_put(&e, ent, v);
			tenv_unmap(&e, y, e.gsz, e.gsz);
			iopt_gather_sync(&e.g);
		}
		if (c->format == IOPT_FMT_ARM_LPAE_S1) {
			/* APTable[1] makes the leaf read-only, APTable[0]
			 * privileged, UXNTable / PXNTable non-executable. */
			ent = entry_at(&e, x, g.levels - 2);
			ASSERT(ent);
			ASSERT_EQ(tenv_map(&e, x + 5 * e.gsz, pa, e.gsz, 1,
					   IOPT_READ | IOPT_WRITE), 0);
			v = entry_get(&e, ent);
			EXPECT_PHYS(&e, &g, x + 5 * e.gsz, W, pa);
			entry_put(&e, ent, v | (1ULL << 62));
			EXPECT_FAULT(&e, &g, x + 5 * e.gsz, W | P,
				     IOPT_HWSIM_FAULT_PERMISSION, 0);
			EXPECT_PHYS(&e, &g, x + 5 * e.gsz, R, pa);
			entry_put(&e, ent, v | (1ULL << 61));
			EXPECT_FAULT(&e, &g, x + 5 * e.gsz, R,
				     IOPT_HWSIM_FAULT_PERMISSION, 0);
			EXPECT_PHYS(&e, &g, x + 5 * e.gsz, W | P, pa);
			entry_put(&e, ent, v | (1ULL << 60));
			EXPECT_FAULT(&e, &g, x + 5 * e.gsz, X,
				     IOPT_HWSIM_FAULT_PERMISSION, 0);
			entry_put(&e, ent, v | (1ULL << 59));
			EXPECT_FAULT(&e, &g, x + 5 * e.gsz, X | P,
				     IOPT_HWSIM_FAULT_PERMISSION, 0);
			EXPECT_PHYS(&e, &g, x + 5 * e.gsz, X, pa);
			entry_put(&e, ent, v);
		} else {
			/* Stage 2 tables carry no restrictions. */
			ent = entry_at(&e, x, g.levels - 2);
			ASSERT(ent);
			v = entry_get(&e, ent);
			entry_put(&e, ent, v | (0xfULL << 59));
			EXPECT_PHYS(&e, &g, x + 5, R | X, pa + 5);
			entry_put(&e, ent, v);
		}
	}
out:
	tenv_close(&e);
}

TEST_CFG(faults)
{
	fault_checks(cfg->name);
}

/* Output sizes where an address above oas can be written. */
TEST(faults_small_oas)
{
	fault_checks("x86-64-4lvl:oas=39");
	fault_checks("x86-64-5lvl:oas=46");
	fault_checks("arm-lpae-s1-64k:ias=44,oas=42");
	fault_checks("arm-lpae-s2-4k:ias=36,oas=36");
}

/* --------------------------------------------------- IOTLB, walk cache */

/* Translate through @sim; report a mismatch of the result. */
#define XLATE(sim, iova, access, want_ret, want_cached)                      \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = iopt_hwsim_translate(sim, iova, access, &r_);     \
		if (ret_ != (want_ret) || r_.cached != (want_cached))        \
			H_FAIL("translate 0x%" PRIx64 ": ret %d cached %d, " \
			       "expected %d %d", (uint64_t)(iova), ret_,     \
			       r_.cached, want_ret, want_cached);            \
	} while (0)

TEST_CFG(iotlb_counters)
{
	static const struct iopt_hwsim_params p = {
		.tlb_entries = 64, .tlb_ways = 4,
		.walk_entries = 16, .walk_ways = 4,
	};
	struct tenv e;
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_counters c, c0;
	uint64_t a, g, pa = 0x1000000, cs = 0;
	unsigned int lv;

	memset(&sim, 0, sizeof(sim));
	if (tenv_open(&e, cfg->name, NULL) || sim_open(&sim, &e, &p))
		goto out;
	g = e.gsz;
	a = e.base + e.blk;  /* the start of a leaf table's span */
	lv = e.levels;
	if (tenv_map(&e, a, pa, g, 4, IOPT_READ | IOPT_WRITE) ||
	    tenv_map(&e, a + 4 * g, pa, g, 1, IOPT_READ))
		goto out;

	/* A miss walks from the root and fills both caches. */
	CHECK_EQ(iopt_hwsim_translate(&sim, a + 0x10, R, &r), 0);
	CHECK_EQ(r.phys, pa + 0x10);
	CHECK(!r.cached);
	c = counters(&sim);
	CHECK_EQ(c.translations, 1);
	CHECK_EQ(c.tlb_misses, 1);
	CHECK_EQ(c.tlb_hits, 0);
	CHECK_EQ(c.walks, 1);
	CHECK_EQ(c.walk_misses, 1);
	CHECK_EQ(c.entry_reads, lv);
	CHECK_EQ(c.tlb_fills, 1);
	CHECK_EQ(c.walk_fills, lv - 1);
	/* A hit reads no memory. */
	CHECK_EQ(iopt_hwsim_translate(&sim, a + 0x20, R | W, &r), 0);
	CHECK(r.cached);
	CHECK_EQ(r.phys, pa + 0x20);
	CHECK_EQ(r.size_lg2, e.gr);
	c = counters(&sim);
	CHECK_EQ(c.tlb_hits, 1);
	CHECK_EQ(c.entry_reads, lv);
	CHECK_EQ(c.walks, 1);
	/* The next page resumes below the cached level-1 descriptor. */
	XLATE(&sim, a + g, R, 0, false);
	c = counters(&sim);
	CHECK_EQ(c.walk_hits[1], 1);
	CHECK_EQ(c.walk_misses, 1);
	CHECK_EQ(c.entry_reads, lv + 1);
	/* A permission fault is a translation: the IOTLB keeps it. */
	if (has_perms(&e)) {
		XLATE(&sim, a + 4 * g, W, -EFAULT, false);
		XLATE(&sim, a + 4 * g, W, -EFAULT, true);
		XLATE(&sim, a + 4 * g, R, 0, true);
		c = counters(&sim);
		CHECK_EQ(c.faults, 2);
	} else {
		XLATE(&sim, a + 4 * g, R, 0, false); /* the same fill */
	}
	/* Nothing mapped: not cached outside strict mode. */
	XLATE(&sim, a + 8 * g, R, -EFAULT, false);
	XLATE(&sim, a + 8 * g, R, -EFAULT, false);
	CHECK_EQ(counters(&sim).tlb_neg_hits, 0);

	/* Leaf-only invalidation of a page keeps the walk cache. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, g, e.gr, true), 0);
	c = counters(&sim);
	CHECK_EQ(c.inv_range, c0.inv_range + 1);
	CHECK_EQ(c.inv_range_leaf, c0.inv_range_leaf + 1);
	CHECK_EQ(c.tlb_dropped, c0.tlb_dropped + 1);
	CHECK_EQ(c.walk_dropped, c0.walk_dropped);
	XLATE(&sim, a, R, 0, false);
	c = counters(&sim);
	CHECK_EQ(c.walk_hits[1], c0.walk_hits[1] + 1);
	CHECK_EQ(c.walk_misses, c0.walk_misses);
	/* A full one also drops every descriptor whose region covers it. */
	c0 = c;
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, g, e.gr, false), 0);
	c = counters(&sim);
	CHECK_EQ(c.tlb_dropped, c0.tlb_dropped + 1);
	CHECK_EQ(c.walk_dropped, c0.walk_dropped + (lv - 1));
	CHECK_EQ(c.inv_range_leaf, c0.inv_range_leaf);
	XLATE(&sim, a + g, R, 0, true);   /* outside the range: kept */
	XLATE(&sim, a + 2 * g, R, 0, false);
	CHECK_EQ(counters(&sim).walk_misses, c0.walk_misses + 1);

	/* The granule is the step: 2 pages apart, every other page stays. */
	for (unsigned int k = 0; k < 4; k++)
		XLATE(&sim, a + k * g, R, 0, k == 1 || k == 2);
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, 4 * g, e.gr + 1, true), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, c0.tlb_dropped + 2);
	XLATE(&sim, a + g, R, 0, true);
	XLATE(&sim, a + 3 * g, R, 0, true);
	XLATE(&sim, a, R, 0, false);
	XLATE(&sim, a + 2 * g, R, 0, false);
	/* A smaller step reaches every page. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, 4 * g, e.gr - 1, true), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, c0.tlb_dropped + 4);

	/* Invalidate-all: the page at a + 4g, and the walk cache. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_inv_all(&sim), 0);
	c = counters(&sim);
	CHECK_EQ(c.inv_all, c0.inv_all + 1);
	CHECK_EQ(c.tlb_dropped, c0.tlb_dropped + 1);
	CHECK_EQ(c.walk_dropped, c0.walk_dropped + (lv - 1));
	XLATE(&sim, a + 4 * g, R, 0, false);
	CHECK_EQ(counters(&sim).walk_misses, c.walk_misses + 1);

	/* Bad commands are refused and change nothing. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, 0, e.gr, false), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 2, ~0ULL, e.gr, false), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, a, g, 64, false), -EINVAL);
	c = counters(&sim);
	CHECK(!memcmp(&c, &c0, sizeof(c)));
	XLATE(&sim, a + 4 * g, R, 0, true);
	/* Nearly the whole 64-bit space is one command. */
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0, ~0ULL, e.gr, false), 0);
	XLATE(&sim, a + 4 * g, R, 0, false);

	/* A contiguous-hint run is one IOTLB entry of the run's size. */
	for (uint64_t b = e.bitmap; b && !cs; b &= b - 1)
		if ((lg2(b & -b) - e.gr) % (e.gr - 3))
			cs = b & -b;
	if (cs) {
		uint64_t y = e.base + 8 * e.blk, pa2 = 0x10000000;

		if (tenv_map(&e, y, pa2, cs, 1, IOPT_READ))
			goto out;
		c0 = counters(&sim);
		CHECK_EQ(iopt_hwsim_translate(&sim, y + cs / 2, R, &r), 0);
		CHECK(r.contig && !r.cached);
		CHECK_EQ(r.size_lg2, lg2(cs));
		CHECK_EQ(r.leaf_lg2, e.gr);
		CHECK_EQ(r.phys, pa2 + cs / 2);
		CHECK_EQ(iopt_hwsim_translate(&sim, y + cs - 1, R, &r), 0);
		CHECK(r.cached && r.contig);
		CHECK_EQ(r.phys, pa2 + cs - 1);
		XLATE(&sim, y, R, 0, true);
		CHECK_EQ(counters(&sim).tlb_fills, c0.tlb_fills + 1);
		/* One page of the run invalidated: the whole entry goes. */
		CHECK_EQ(iopt_hwsim_inv_range(&sim, y + cs - g, g, e.gr, true), 0);
		XLATE(&sim, y, R, 0, false);
	}
	iopt_hwsim_reset_counters(&sim);
	c = counters(&sim);
	CHECK_EQ(c.translations + c.tlb_fills + c.entry_reads, 0);
out:
	tenv_close(&e);
	iopt_hwsim_fini(&sim);
}

/* Is page @k still cached after translating page @j (both from @a)? */
static bool evicts(struct iopt_hwsim *sim, uint64_t a, uint64_t g,
		   unsigned int k, unsigned int j)
{
	struct iopt_hwsim_result r;

	iopt_hwsim_inv_all(sim);
	iopt_hwsim_translate(sim, a + k * g, R, &r);
	iopt_hwsim_translate(sim, a + j * g, R, &r);
	iopt_hwsim_translate(sim, a + k * g, R, &r);
	return !r.cached;
}

TEST_CFG(iotlb_eviction)
{
	const struct iopt_hwsim_params full = { .tlb_entries = 8 };
	const struct iopt_hwsim_params direct = { .tlb_entries = 8, .tlb_ways = 1 };
	const struct iopt_hwsim_params two = { .tlb_entries = 16, .tlb_ways = 2 };
	const struct iopt_hwsim_params wc1 = { .walk_entries = 1 };
	struct tenv e;
	struct iopt_hwsim s1, s2, s3, s4;
	struct iopt_hwsim_counters c;
	uint64_t a, g;
	unsigned int k1 = 0, k2 = 0;
	const unsigned int pages = 256;

	memset(&s1, 0, sizeof(s1));
	s2 = s3 = s4 = s1;
	if (tenv_open(&e, cfg->name, NULL) || sim_open(&s1, &e, &full) ||
	    sim_open(&s2, &e, &direct) || sim_open(&s3, &e, &two) ||
	    sim_open(&s4, &e, &wc1))
		goto out;
	g = e.gsz;
	a = e.base + e.blk;
	if (tenv_map(&e, a, 0x1000000, g, pages, IOPT_READ) ||
	    tenv_map(&e, e.base + 2 * e.blk, 0x1000000, g, 1, IOPT_READ))
		goto out;

	/* Fully associative LRU. */
	for (unsigned int k = 0; k < 8; k++)
		XLATE(&s1, a + k * g, R, 0, false);
	XLATE(&s1, a, R, 0, true);          /* page 0 is now the newest */
	CHECK_EQ(counters(&s1).tlb_evictions, 0);
	XLATE(&s1, a + 8 * g, R, 0, false); /* evicts page 1 */
	c = counters(&s1);
	CHECK_EQ(c.tlb_evictions, 1);
	CHECK_EQ(c.tlb_fills, 9);
	XLATE(&s1, a, R, 0, true);
	XLATE(&s1, a + 7 * g, R, 0, true);
	XLATE(&s1, a + g, R, 0, false);

	/* Direct mapped: find two pages sharing page 0's set. */
	for (unsigned int k = 1; k < pages && !k2; k++) {
		if (!evicts(&s2, a, g, 0, k))
			continue;
		if (k1)
			k2 = k;
		else
			k1 = k;
	}
	ASSERT(k1 && k2);
	CHECK(counters(&s2).tlb_evictions >= 2);
	/* Two ways over the same 8 sets: a conflicting pair fits... */
	CHECK(!evicts(&s3, a, g, 0, k1));
	XLATE(&s3, a + k1 * g, R, 0, true);
	CHECK_EQ(counters(&s3).tlb_evictions, 0);
	/* ...a third page of the set evicts the least recently used. */
	XLATE(&s3, a + k2 * g, R, 0, false);
	CHECK_EQ(counters(&s3).tlb_evictions, 1);
	XLATE(&s3, a + k1 * g, R, 0, true);
	XLATE(&s3, a, R, 0, false);

	/* A walk cache of one entry per level: another leaf table evicts. */
	XLATE(&s4, a, R, 0, false);
	XLATE(&s4, a + g, R, 0, false);
	CHECK_EQ(counters(&s4).walk_hits[1], 1);
	XLATE(&s4, e.base + 2 * e.blk, R, 0, false);
	c = counters(&s4);
	CHECK(c.walk_evictions >= 1);
	XLATE(&s4, a + 2 * g, R, 0, false);
	CHECK_EQ(counters(&s4).walk_hits[1], 1);
	if (e.levels > 2)   /* both share the level-2 descriptor */
		CHECK_EQ(counters(&s4).walk_hits[2], c.walk_hits[2] + 1);
	else
		CHECK_EQ(counters(&s4).walk_misses, c.walk_misses + 1);
	CHECK_EQ(counters(&s4).tlb_misses, 0); /* no IOTLB: nothing counted */
out:
	tenv_close(&e);
	iopt_hwsim_fini(&s1);
	iopt_hwsim_fini(&s2);
	iopt_hwsim_fini(&s3);
	iopt_hwsim_fini(&s4);
}

/*
 * The coherence check of a walk-cache entry reads memory down to that
 * descriptor and no further: what lies below belongs to other entries, and
 * may be changing under other threads (tests/test_concurrency.c).
 */
TEST_CFG(check_coherent_reads)
{
	const struct iopt_hwsim_params p = { .walk_entries = 8 };
	struct tenv e;
	struct iopt_hwsim sim;
	struct iopt_hwsim_mem m;
	struct rec_mem rm;
	unsigned int top;

	memset(&sim, 0, sizeof(sim));
	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	rec_mem_init(&rm, &m, e.a.base, e.a.phys_base, e.a.size);
	ASSERT_EQ(iopt_hwsim_init(&sim, &e.cfg, &m, &p), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, iopt_root_phys(&e.t)), 0);
	if (tenv_map(&e, e.base + e.blk, 0x1000000, e.gsz, 1, IOPT_READ))
		goto out;
	XLATE(&sim, e.base + e.blk, R, 0, false);
	CHECK_EQ(rm.reads, e.levels);
	CHECK_EQ(counters(&sim).walk_fills, e.levels - 1);
	/* One walk per cached descriptor, from the root down to its level. */
	rm.reads = 0;
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	top = e.levels - 1;
	CHECK_EQ(rm.reads, top * (top + 1) / 2);
out:
	tenv_close(&e);
	iopt_hwsim_fini(&sim);
}

/* ------------------------------------ wired to the table's flush hooks */

/* Random maps, unmaps and translations with the simulated IOMMU behind the
 * table's flush callbacks: after every change it is coherent, and what it
 * translates is what the model maps. */
static void wired_run(const char *name, unsigned int flags)
{
	const struct iopt_hwsim_params p = {
		.tlb_entries = 32, .tlb_ways = 4,
		.walk_entries = 8, .walk_ways = 2,
		.flags = flags | IOPT_HWSIM_VERIFY_HITS,
	};
	const bool strict = flags & IOPT_HWSIM_STRICT;
	struct iopt_hwsim sim;
	struct tenv_opts o = { 0 };
	struct tenv e;
	struct rt rt;
	struct iopt_hwsim_counters c;
	struct iopt_stats st;
	uint64_t walk_hits = 0, range_cmds;

	memset(&sim, 0, sizeof(sim));
	o.flush = iopt_hwsim_flush_ops(&sim, &o.cookie);
	if (tenv_open(&e, name, &o) || sim_open(&sim, &e, &p))
		goto out;
	rt_init(&rt, &e, test_rng(strict ? "wired_strict" : "wired", name));
	for (unsigned int n = 0; n < NR_WIRED_OPS && !h_failed_now; n++) {
		unsigned int k = (unsigned int)(rnd(&rt) % 10);
		int stale;

		if (k < 3) {
			unsigned int before = rt.maps;

			rt_map(&rt);
			/* What iotlb_sync_map does for caching-mode IOMMUs. */
			if (strict && rt.maps != before)
				iopt_hwsim_inv_range(&sim, rt.last_iova,
						     rt.last_size, e.gr, true);
		} else if (k < 5) {
			rt_unmap(&rt, &e.g);
			iopt_gather_sync(&e.g);
		} else {
			for (unsigned int i = 0; i < 6; i++) {
				uint64_t iova = rt_sample(&rt);
				const struct model_leaf *l =
					model_lookup(&rt.m, iova);
				struct iopt_hwsim_result r;
				int ret = iopt_hwsim_translate(&sim, iova, 0, &r);

				if (l ? ret || r.phys != l->paddr + (iova - l->iova) ||
					r.perm != want_perm(&e.cfg, l->prot) :
					ret != -EFAULT) {
					H_FAIL("0x%" PRIx64 ": model %s", iova,
					       l ? "maps it" : "does not");
					print_result("translate", ret, &r);
				}
			}
		}
		stale = iopt_hwsim_check_coherent(&sim, NULL, NULL);
		if (stale)
			H_FAIL("op %u: %d stale entries", n, stale);
	}
	c = counters(&sim);
	for (unsigned int l = 0; l < IOPT_HWSIM_MAX_LEVELS; l++)
		walk_hits += c.walk_hits[l];
	CHECK(c.tlb_hits > 0);
	CHECK(walk_hits > 0);
	/* VT-d: every flush is a PSI, or domain-selective when too wide;
	 * AMD: one INVALIDATE_IOMMU_PAGES per flush; RISC-V: IOTINVAL.VMA
	 * (checked below). */
	range_cmds = c.inv_range + c.vtd_psi + c.vtd_psi_wide + c.amd_inv_pages;
	if (e.cfg.format != IOPT_FMT_RISCV)
		CHECK(range_cmds > 0);
	CHECK(c.tlb_dropped > 0);
	CHECK_EQ(c.stale, 0);
	CHECK_EQ(c.use_after_free, 0);
	iopt_get_stats(&e.t, &st);
	if (e.cfg.format == IOPT_FMT_RISCV) {
		/* RISC-V's own commands: IOTINVAL.VMA, one IOFENCE.C per
		 * flush. */
		CHECK(c.riscv_iotinval_vma > 0);
		if (!strict) /* strict: the test's own range commands */
			CHECK_EQ(c.inv_range, 0);
		CHECK_EQ(c.riscv_iofence_c,
			 st.flush_range_calls + st.flush_all_calls);
		range_cmds = c.riscv_iotinval_vma;
	} else if (!strict) { /* every flush became one command */
		CHECK_EQ(range_cmds, st.flush_range_calls);
	}
	printf("# %s%s: %" PRIu64 " translations, %" PRIu64 " IOTLB hits, %"
	       PRIu64 " walk-cache hits, %" PRIu64 " range commands, %" PRIu64
	       " entries dropped\n", name, strict ? " (strict)" : "",
	       c.translations, c.tlb_hits, walk_hits, range_cmds,
	       c.tlb_dropped + c.walk_dropped);
	model_free(&rt.m);
out:
	tenv_close(&e);
	iopt_hwsim_fini(&sim);
}

TEST_CFG(wired_coherent)
{
	wired_run(cfg->name, 0);
}

TEST_CFG(wired_coherent_strict)
{
	wired_run(cfg->name, IOPT_HWSIM_STRICT);
}

/* ------------------------------------------------ the oracles can fail */

/* Flush callbacks in front of a simulated IOMMU that can lie. */
struct wrap {
	struct iopt_hwsim *sim;
	unsigned int calls;       /* flush_range calls seen */
	unsigned int drop_call;   /* drop this one (1-based); 0: none */
	int granule_add;          /* added to every granule */
	unsigned int dropped;
	unsigned int last_granule; /* what the engine said */
};

static void wrap_all(void *cookie)
{
	struct wrap *w = cookie;

	iopt_hwsim_inv_all(w->sim);
}

static void wrap_range(void *cookie, uint64_t iova, uint64_t size,
		       unsigned int granule_lg2, bool leaf_only)
{
	struct wrap *w = cookie;
	int gr = (int)granule_lg2 + w->granule_add;

	w->last_granule = granule_lg2;
	if (++w->calls == w->drop_call) {
		w->dropped++;
		return;
	}
	gr = gr < 0 ? 0 : gr > 63 ? 63 : gr;
	iopt_hwsim_inv_range(w->sim, iova, size, (unsigned int)gr, leaf_only);
}

static const struct iopt_flush_ops wrap_ops = {
	.flush_all = wrap_all,
	.flush_range = wrap_range,
};

struct evlog {
	unsigned int n;
	unsigned int kinds[4];
	struct iopt_hwsim_event ev[8];
};

static void ev_record(void *arg, const struct iopt_hwsim_event *ev)
{
	struct evlog *l = arg;

	if (l->n < ARRAY_SIZE(l->ev))
		l->ev[l->n] = *ev;
	l->n++;
	if ((unsigned int)ev->kind < 4)
		l->kinds[ev->kind]++;
}

static const struct iopt_hwsim_params oracle_params = {
	.tlb_entries = 64, .tlb_ways = 4, .walk_entries = 16, .walk_ways = 4,
};

/* Open a table whose flushes go through @w to a fresh simulated IOMMU. */
static int wrap_open(struct tenv *e, struct iopt_hwsim *sim, struct wrap *w,
		     const char *name, const struct iopt_hwsim_params *p)
{
	struct tenv_opts o = { .flush = &wrap_ops, .cookie = w };

	memset(sim, 0, sizeof(*sim));
	w->sim = sim;
	if (tenv_open(e, name, &o))
		return -1;
	return sim_open(sim, e, p);
}

TEST_CFG(oracle_dropped_flush)
{
	for (unsigned int drop = 0; drop < 2; drop++) {
		struct wrap w = { .drop_call = drop };
		struct iopt_hwsim sim;
		struct evlog log = { 0 };
		struct tenv e;
		uint64_t a, pa = 0x1000000;
		unsigned int wbit;
		int n;

		if (wrap_open(&e, &sim, &w, cfg->name, &oracle_params))
			goto next;
		a = e.base + e.blk;
		if (tenv_map(&e, a, pa, e.gsz, 2, IOPT_READ | IOPT_WRITE))
			goto next;
		XLATE(&sim, a, R, 0, false);
		XLATE(&sim, a + e.gsz, R, 0, false);
		tenv_unmap(&e, a, e.gsz, e.gsz);
		iopt_gather_sync(&e.g);
		CHECK_EQ(w.calls, 1);
		CHECK_EQ(w.dropped, drop);
		n = iopt_hwsim_check_coherent(&sim, ev_record, &log);
		CHECK_EQ(counters(&sim).stale, drop);
		XLATE(&sim, a + e.gsz, R, 0, true);
		if (drop) {
			/* The device would still reach the unmapped page. */
			CHECK_EQ(n, 1);
			CHECK_EQ(log.n, 1);
			CHECK_EQ(log.ev[0].kind, IOPT_HWSIM_EV_STALE_TLB);
			CHECK_EQ(log.ev[0].iova, a);
			CHECK_EQ(log.ev[0].cached, pa);
			CHECK_EQ(log.ev[0].fresh, IOPT_PHYS_NONE);
			CHECK_EQ(log.ev[0].fresh_fault,
				 IOPT_HWSIM_FAULT_TRANSLATION);
			XLATE(&sim, a, R, 0, true);
			/* A hit checked against memory is a stale event too. */
			sim.params.flags |= IOPT_HWSIM_VERIFY_HITS;
			XLATE(&sim, a, R, 0, true);
			CHECK_EQ(counters(&sim).stale, 2);
			CHECK_EQ(sim.last_event.kind, IOPT_HWSIM_EV_STALE_TLB);
			CHECK_EQ(sim.last_event.iova, a);
			sim.params.flags &= ~IOPT_HWSIM_VERIFY_HITS;
			/* Mapped again with other permissions: still stale. */
			if (!has_perms(&e) ||
			    tenv_map(&e, a, pa, e.gsz, 1, IOPT_READ))
				goto next;
			memset(&log, 0, sizeof(log));
			CHECK_EQ(iopt_hwsim_check_coherent(&sim, ev_record, &log), 1);
			CHECK_EQ(log.ev[0].cached, pa);
			CHECK_EQ(log.ev[0].fresh, pa);
			/* RISC-V U = 1 pages: the unprivileged write */
			wbit = e.cfg.format == IOPT_FMT_RISCV ?
			       IOPT_HWSIM_PERM_UW : IOPT_HWSIM_PERM_PW;
			CHECK(log.ev[0].cached_perm & wbit);
			CHECK(!(log.ev[0].fresh_perm & wbit));
			CHECK_EQ(iopt_hwsim_inv_all(&sim), 0);
			CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
			XLATE(&sim, a, W | P, -EFAULT, false);
		} else {
			CHECK_EQ(n, 0);
			CHECK_EQ(log.n, 0);
			XLATE(&sim, a, R, -EFAULT, false);
		}
next:
		tenv_close(&e);
		iopt_hwsim_fini(&sim);
	}
}

TEST_CFG(oracle_strict_negative)
{
	for (unsigned int strict = 0; strict < 2; strict++) {
		struct iopt_hwsim_params p = oracle_params;
		struct wrap w = { 0 };
		struct iopt_hwsim sim;
		struct evlog log = { 0 };
		struct tenv e;
		struct iopt_hwsim_result r;
		uint64_t a, pa = 0x1000000;
		int n;

		p.flags = strict ? IOPT_HWSIM_STRICT : 0;
		if (wrap_open(&e, &sim, &w, cfg->name, &p))
			goto next;
		a = e.base + e.blk;
		/* Something in the same leaf table, so the walk gets there. */
		if (tenv_map(&e, a + e.gsz, pa, e.gsz, 1, IOPT_READ))
			goto next;
		XLATE(&sim, a, R, -EFAULT, false);
		XLATE(&sim, a, R, -EFAULT, strict);
		CHECK_EQ(counters(&sim).tlb_neg_hits, strict);
		/* A map calls no flush; a caching-mode IOMMU needs one. */
		if (tenv_map(&e, a, pa, e.gsz, 1, IOPT_READ))
			goto next;
		CHECK_EQ(w.calls, 0);
		n = iopt_hwsim_check_coherent(&sim, ev_record, &log);
		CHECK_EQ(n, strict);
		if (strict) {
			CHECK_EQ(log.ev[0].kind, IOPT_HWSIM_EV_STALE_TLB);
			CHECK_EQ(log.ev[0].iova, a);
			CHECK_EQ(log.ev[0].cached, IOPT_PHYS_NONE);
			CHECK_EQ(log.ev[0].fresh, pa);
			XLATE(&sim, a, R, -EFAULT, true); /* the stale answer */
			CHECK_EQ(iopt_hwsim_inv_range(&sim, a, e.gsz, e.gr, true), 0);
			CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
		}
		CHECK_EQ(iopt_hwsim_translate(&sim, a, R, &r), 0);
		CHECK_EQ(r.phys, pa);
next:
		tenv_close(&e);
		iopt_hwsim_fini(&sim);
	}
}

/*
 * Table memory changed under the caches without an invalidation: a leaf's
 * permissions, then a table descriptor's restrictions (ARM stage 1 APTable,
 * x86 R/W; stage 2 and Mali tables have none).
 */
TEST_CFG(oracle_stale_permissions)
{
	struct wrap w = { 0 };
	struct iopt_hwsim sim;
	struct evlog log = { 0 };
	struct tenv e;
	uint64_t a, pa = 0x1000000, leaf, tbl, v;
	bool s2, v7s, vtd, amd;

	if (wrap_open(&e, &sim, &w, cfg->name, &oracle_params))
		goto out;
	vtd = e.cfg.format == IOPT_FMT_VTD_SS;
	amd = e.cfg.format == IOPT_FMT_AMD_V1;
	/* Mali: stage-2-like leaf permissions, no table restrictions. */
	s2 = e.cfg.format == IOPT_FMT_ARM_LPAE_S2 ||
	     e.cfg.format == IOPT_FMT_ARM_MALI_LPAE;
	v7s = e.cfg.format == IOPT_FMT_ARM_V7S;
	a = e.base + e.blk;
	if (tenv_map(&e, a, pa, e.gsz, 2, IOPT_READ | IOPT_WRITE))
		goto out;
	XLATE(&sim, a, R, 0, false);
	leaf = entry_at(&e, a, e.levels - 1);
	tbl = entry_at(&e, a, e.levels - 2);
	ASSERT(leaf && tbl);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* The leaf becomes read-only (v7s: AP[2], bit 9 of a small page;
	 * with NO_PERMS nothing can take the write away; DART: NO_WRITE,
	 * v1 bit 7, v2 bit 2; AMD: IW, bit 62; RISC-V: W, bit 2). */
	if (v7s && (e.cfg.quirks & IOPT_QUIRK_V7S_NO_PERMS))
		goto out;
	v = entry_get(&e, leaf);
	entry_put(&e, leaf, e.x86 || vtd ? v & ~2ULL : s2 ? v & ~(1ULL << 7) :
		  amd ? v & ~(1ULL << 62) :
		  e.cfg.format == IOPT_FMT_RISCV ? v & ~4ULL :
		  v7s ? v | (1ULL << 9) :
		  e.cfg.format == IOPT_FMT_APPLE_DART2 ? v | (1ULL << 2) :
		  v | (1ULL << 7));
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, ev_record, &log), 1);
	CHECK_EQ(log.ev[0].kind, IOPT_HWSIM_EV_STALE_TLB);
	CHECK_EQ(log.ev[0].cached, log.ev[0].fresh);
	CHECK_EQ(log.ev[0].cached_perm & ~log.ev[0].fresh_perm,
		 e.cfg.format == IOPT_FMT_RISCV ? IOPT_HWSIM_PERM_UW :
		 IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW);
	entry_put(&e, leaf, v);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* The table above it takes writes away from everything below
	 * (v7s and DART table entries carry no access permissions). */
	if (!s2 && !v7s && e.cfg.format != IOPT_FMT_APPLE_DART &&
	    e.cfg.format != IOPT_FMT_APPLE_DART2 &&
	    e.cfg.format != IOPT_FMT_RISCV) {
		memset(&log, 0, sizeof(log));
		v = entry_get(&e, tbl);
		/* x86 and VT-d: W (bit 1) clear; AMD: IW (bit 62) clear;
		 * ARM: APTable[1] */
		entry_put(&e, tbl, e.x86 || vtd ? v & ~2ULL :
			  amd ? v & ~(1ULL << 62) : v | (1ULL << 62));
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, ev_record, &log), 2);
		CHECK_EQ(log.kinds[IOPT_HWSIM_EV_STALE_WALK], 1);
		CHECK_EQ(log.kinds[IOPT_HWSIM_EV_STALE_TLB], 1);
		for (unsigned int i = 0; i < log.n && i < ARRAY_SIZE(log.ev); i++)
			if (log.ev[i].kind == IOPT_HWSIM_EV_STALE_WALK) {
				CHECK_EQ(log.ev[i].cached, log.ev[i].fresh);
				CHECK_EQ(log.ev[i].level, 1);
				CHECK(log.ev[i].cached_perm != log.ev[i].fresh_perm);
			}
		entry_put(&e, tbl, v);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	}
out:
	tenv_close(&e);
	iopt_hwsim_fini(&sim);
}

/*
 * A flush that claims a larger granule than the leaves it covers: range
 * commands act at granule steps (hwsim.h), so with a step of four pages
 * the three pages between steps keep their entries, and the oracle must
 * report exactly those. A smaller granule than the truth only costs more
 * commands and stays coherent.
 */
TEST_CFG(oracle_granule)
{
	static const int adds[] = { 0, 2, -1, 1 };

	for (unsigned int i = 0; i < ARRAY_SIZE(adds); i++) {
		struct wrap w = { .granule_add = adds[i] };
		struct iopt_hwsim sim;
		struct evlog log = { 0 };
		struct tenv e;
		uint64_t a, step;
		unsigned int expect = 0;
		int n;

		if (wrap_open(&e, &sim, &w, cfg->name, &oracle_params))
			goto next;
		a = e.base + e.blk;
		if (tenv_map(&e, a, 0x1000000, e.gsz, 4, IOPT_READ))
			goto next;
		for (unsigned int k = 0; k < 4; k++)
			XLATE(&sim, a + k * e.gsz, R, 0, false);
		tenv_unmap(&e, a, 4 * e.gsz, 4 * e.gsz);
		iopt_gather_sync(&e.g);
		CHECK_EQ(w.calls, 1);
		CHECK_EQ(w.last_granule, e.gr);
		/* The model: a page is reached when a step lands in it. */
		step = adds[i] > 0 ? e.gsz << adds[i] : e.gsz;
		for (unsigned int k = 0; k < 4; k++)
			expect += (k * e.gsz) % step != 0;
		n = iopt_hwsim_check_coherent(&sim, ev_record, &log);
		CHECK_EQ(n, expect);
		CHECK_EQ(log.kinds[IOPT_HWSIM_EV_STALE_TLB], expect);
		if (adds[i] == 2)
			CHECK_EQ(expect, 3);
next:
		tenv_close(&e);
		iopt_hwsim_fini(&sim);
	}
}

/*
 * Xen's XSA-346 shape: a table freed while the walk cache still points at
 * it. With the flush dropped, the next walk through the cached descriptor
 * reads the freed (poisoned) table and the simulated IOMMU says so.
 */
TEST_CFG(oracle_use_after_free)
{
	for (unsigned int drop = 0; drop < 2; drop++) {
		struct wrap w = { .drop_call = drop };
		struct iopt_hwsim sim;
		struct evlog log = { 0 }, clog = { 0 };
		struct tenv e;
		struct iopt_path path;
		struct iopt_hwsim_result r;
		uint64_t a, leaf_table, k;
		int n;

		if (wrap_open(&e, &sim, &w, cfg->name, &oracle_params))
			goto next;
		/* past the free-list links at the start of a freed block */
		k = IOPT_ARENA_LINK_BYTES / e.ent;
		iopt_hwsim_set_event_fn(&sim, ev_record, &log);
		a = e.base + e.blk;
		if (tenv_map(&e, a, 0x1000000, e.gsz, k + 1, IOPT_READ))
			goto next;
		ASSERT_EQ(iopt_walk_path(&e.t, a, &path), 0);
		leaf_table = path.table_phys[path.depth - 1];
		XLATE(&sim, a, R, 0, false);
		/* The whole span of the leaf table: it is freed. */
		tenv_unmap(&e, a, e.blk, (k + 1) * e.gsz);
		iopt_gather_sync(&e.g);
		CHECK(iopt_arena_is_free(&e.a, leaf_table, 64));
		CHECK_EQ(w.dropped, drop);
		/* The poison 0xfefefefe reads as a v7s small page ([1:0] = 10):
		 * the stale walk then translates, and is reported all the same. */
		n = iopt_hwsim_translate(&sim, a + k * e.gsz, R, &r);
		if (!drop || e.ent == 8) {
			CHECK_EQ(n, -EFAULT);
			/* VT-d: the poison has W (bit 1), so it is present,
			 * and TM (bit 62) is a reserved bit. */
			CHECK_EQ(r.fault, drop && e.cfg.format == IOPT_FMT_VTD_SS ?
				 IOPT_HWSIM_FAULT_RESERVED :
				 IOPT_HWSIM_FAULT_TRANSLATION);
		}
		if (drop) {
			CHECK(r.freed_read);
			CHECK_EQ(r.freed_phys, leaf_table + e.ent * k);
			CHECK_EQ(counters(&sim).use_after_free, 1);
			CHECK_EQ(log.kinds[IOPT_HWSIM_EV_USE_AFTER_FREE], 1);
			CHECK(log.n >= 1 && log.ev[0].via_cache);
			CHECK_EQ(log.ev[0].level, 0);
			CHECK_EQ(log.ev[0].iova, a + k * e.gsz);
			CHECK_EQ(log.ev[0].cached, leaf_table + e.ent * k);
			CHECK_EQ(log.ev[0].fresh, e.ent == 4 ?
				 (uint32_t)IOPT_ARENA_POISON : IOPT_ARENA_POISON);
			/* The oracle sees the stale descriptor and page too. */
			n = iopt_hwsim_check_coherent(&sim, ev_record, &clog);
			CHECK_EQ(clog.kinds[IOPT_HWSIM_EV_STALE_WALK], 1);
			if (e.ent == 8) {	/* v7s: the poison page too */
				CHECK_EQ(n, 2);
				CHECK_EQ(clog.kinds[IOPT_HWSIM_EV_STALE_TLB], 1);
			}
		} else {
			CHECK(!r.freed_read);
			CHECK_EQ(counters(&sim).use_after_free, 0);
			CHECK_EQ(log.n, 0);
			CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
		}
next:
		tenv_close(&e);
		iopt_hwsim_fini(&sim);
	}
}

/* ------------------------------------------------------ hostile tables */

/* Every walk returns one of the documented outcomes. */
static void check_outcome(const struct iopt_hwsim_geom *g, uint64_t iova,
			  int ret, const struct iopt_hwsim_result *r)
{
	bool ok = ret == 0 ? r->fault == IOPT_HWSIM_FAULT_NONE &&
			     r->phys != IOPT_PHYS_NONE :
		  ret == -EFAULT && r->fault != IOPT_HWSIM_FAULT_NONE &&
		  r->fault <= IOPT_HWSIM_FAULT_WALK_ABORT &&
		  (r->fault == IOPT_HWSIM_FAULT_PERMISSION) ==
		  (r->phys != IOPT_PHYS_NONE);

	if (!ok || r->level >= g->levels || (r->input &&
	    r->fault != IOPT_HWSIM_FAULT_ADDR_SIZE)) {
		H_FAIL("0x%" PRIx64 ": not a documented outcome", iova);
		print_result("walk", ret, r);
	}
}

/* AMD v1 entries (the field layout is described before amd_slot()). */
#define AMD_PR     1ULL
#define AMD_FC     (1ULL << 60)
#define AMD_IR     (1ULL << 61)
#define AMD_IW     (1ULL << 62)
#define AMD_RW     (AMD_IR | AMD_IW)
#define AMD_NL(n)  ((uint64_t)(n) << 9)
/* A table entry as Linux writes it: PR, IR, IW, NextLevel, the table. */
#define AMD_PDE(nl, t) (AMD_PR | AMD_RW | AMD_NL(nl) | (uint64_t)(t))
/* A leaf of the level's own size (NextLevel 0). */
#define AMD_PTE(pa)    (AMD_PR | AMD_RW | (uint64_t)(pa))
/* A NextLevel 7 leaf; @field is the address field, size code included. */
#define AMD_RUN(field) (AMD_PR | AMD_RW | AMD_NL(7) | (uint64_t)(field))

/* A hostile AMD word: random, or shaped like an entry (PR, a NextLevel
 * mostly of a table, random IR/IW/FC and reserved bits) pointing mostly
 * into [base, base + size); a table's NextLevel is one of a @levels-level
 * walk's (1 to @levels - 1). */
static uint64_t amd_hostile_word(uint64_t *rng, uint64_t base, uint64_t size,
				 unsigned int levels)
{
	uint64_t v = h_rand(rng), addr;
	unsigned int k = (unsigned int)(h_rand(rng) % 10), nl;

	if (k < 2)
		return v;
	if (k == 9)
		return 0;
	addr = base + (h_rand(rng) % (size / 4096)) * 4096;
	if (h_rand(rng) % 10 == 0)
		addr = h_rand(rng) % 2 ? base + size : v & 0x000ffffffffff000ULL;
	nl = k < 7 ? 1 + (unsigned int)(h_rand(rng) %
					 (levels > 1 ? levels - 1 : 1)) :
	     (unsigned int)(h_rand(rng) % 8);
	if (nl == 7)	/* a run: ones from bit 12 */
		addr |= ((1ULL << (h_rand(rng) % 40)) - 1) << 12;
	v &= (h_rand(rng) % 8 ? 0x70000000000001feULL : 0xfff00000000001feULL);
	return (addr & 0x000ffffffffff000ULL) | v | AMD_NL(nl) | AMD_PR |
	       (h_rand(rng) % 4 ? AMD_RW : 0);
}

/* A word of hostile table memory: random, or shaped like a table or leaf
 * descriptor, mostly pointing into [base, base + size). */
static uint64_t hostile_word(uint64_t *rng, const struct iopt_hwsim_geom *g,
			     uint64_t base, uint64_t size)
{
	uint64_t v = h_rand(rng), gsz = 1ULL << g->granule_lg2, addr;
	unsigned int k = (unsigned int)(h_rand(rng) % 10);

	if (g->format == IOPT_FMT_AMD_V1) /* NextLevel, not type bits */
		return amd_hostile_word(rng, base, size, g->levels);
	if (k < 3)
		return v;
	if (k == 9)
		return 0;
	addr = base + (h_rand(rng) % (size / gsz)) * gsz;
	if (h_rand(rng) % 10 == 0)	/* just outside, or anywhere */
		addr = h_rand(rng) % 2 ? base + size : v & 0x000ffffffffff000ULL;
	/* random attribute bits, the type bits of a table or a leaf; with
	 * DS = 1 bits [9:8] are OA[51:50]: mostly clear, to stay inside */
	v &= 0xfff0000000000ffcULL;
	if (g->ds && h_rand(rng) % 8)
		v &= ~0x300ULL;
	if (g->format == IOPT_FMT_APPLE_DART2) /* PA[41:14] in [37:10] */
		return ((addr >> 4) & 0x0000003ffffffc00ULL) |
		       (v & ~0xc00ULL) | 1;
	if (g->format == IOPT_FMT_X86_64)
		return addr | (v & ~0x80ULL) | 1 | (k >= 7 ? 0x80 : 0);
	/* VT-d: R, W or both; mostly without the reserved TM and SNP bits,
	 * PS on some */
	if (g->format == IOPT_FMT_VTD_SS)
		return addr | (v & ~(0x883ULL | (h_rand(rng) % 8 ? 1ULL << 62 : 0))) |
		       (k % 3 + 1) | (k >= 7 ? 0x80 : 0);
	if (g->format == IOPT_FMT_RISCV)	/* PPN in [53:10]; k < 7: a pointer */
		return ((addr >> 2) & 0x003ffffffffffc00ULL) |
		       (k < 7 ? 1 : (v & 0xffc00000000003feULL) | 0x43);
	return addr | v | (k < 7 ? 3 : 1) | (1ULL << 10);
}

/* AMD: a full-depth walk needs NextLevel levels - 1, ..., 1 in turn, too
 * rare in random words for the depth check to be sure of it (a few seeds in
 * a hundred had none in 3000 walks).  Plant one chain for IOVA 0 from the
 * table at @phys: entry 0 of table k points to table k + 1 with NextLevel
 * levels - 1 - k, and the last table's entry 0 is a 4K leaf. */
static void amd_plant_chain(unsigned char *bytes, uint64_t phys,
			    unsigned int levels)
{
	for (unsigned int k = 0; k + 1 < levels; k++)
		le64_put(bytes + (size_t)k * 4096,
			 AMD_PDE(levels - 1 - k, phys + (uint64_t)(k + 1) * 4096));
	le64_put(bytes + (size_t)(levels - 1) * 4096, AMD_PTE(phys));
}

/* Walk @n random addresses over @m and over a bounds-checking callback of
 * the same bytes; they must agree, read at most @g->levels entries, and
 * never touch memory after a refused read.  With @deep, some walk must read
 * @g->levels entries; for AMD the first walk is IOVA 0 from @phys, down the
 * chain amd_plant_chain() wrote there. The second starts past the end, so
 * a refused read is certain. */
static void hostile_walks(const struct iopt_hwsim_geom *g,
			  const struct iopt_hwsim_mem *m, const void *bytes,
			  uint64_t phys, uint64_t size, uint64_t *rng,
			  unsigned int n, bool deep)
{
	struct iopt_hwsim_mem cm;
	struct rec_mem rm;
	/* 0: the whole 64-bit input space (AMD v1 with 6 levels) */
	uint64_t top = g->sign_extend ? 1ULL << (g->ias - 1) :
		       g->ias >= 64 ? 0 : 1ULL << g->ias;
	unsigned int deepest = 0;

	rec_mem_init(&rm, &cm, bytes, phys, size);
	rm.len = 1u << g->pte_lg2;
	for (unsigned int i = 0; i < n && !h_failed_now; i++) {
		uint64_t root = phys + h_rand(rng) % (size + size / 8);
		uint64_t iova = h_rand(rng);
		unsigned int access = access_kinds[h_rand(rng) %
						   ARRAY_SIZE(access_kinds)];
		struct iopt_hwsim_result a, c;
		unsigned int before = rm.reads;
		int ra, rc;

		if (top && h_rand(rng) % 4) /* mostly inside the input space */
			iova = h_rand(rng) % 2 ? iova % top : 0 - iova % top;
		if (deep && i == 0 && g->format == IOPT_FMT_AMD_V1) {
			root = phys;
			iova = 0;
		}
		if (i == 1)	/* a root past the end: the edge is reached */
			root = phys + size;
		ra = iopt_hwsim_walk(g, m, root, iova, access, &a);
		rm.refused_now = false;
		rc = iopt_hwsim_walk(g, &cm, root, iova, access, &c);
		check_outcome(g, iova, ra, &a);
		if (ra != rc || !same_result(&a, &c)) {
			H_FAIL("root 0x%" PRIx64 " iova 0x%" PRIx64 ": the "
			       "walk differs from the callback's", root, iova);
			print_result("memory", ra, &a);
			print_result("callback", rc, &c);
		}
		if (rm.reads - before > g->levels)
			H_FAIL("0x%" PRIx64 ": %u reads", iova, rm.reads - before);
		if (rm.reads - before > deepest)
			deepest = rm.reads - before;
	}
	CHECK_EQ(rm.bad_calls, 0);
	CHECK_EQ(rm.after_refusal, 0);
	CHECK(rm.refused > 0);          /* the memory's edges were reached */
	if (deep)                       /* and some walks went all the way */
		CHECK_EQ(deepest, g->levels);
}

TEST_CFG(hostile_random)
{
	struct iopt_config c;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem m;
	struct iopt_arena a;
	struct iopt_hwsim sim;
	uint64_t rng = test_rng("hostile_random", cfg->name), phys, size;
	unsigned char *img = NULL, *copy = NULL;
	struct iopt_hwsim_params p = oracle_params;

	memset(&sim, 0, sizeof(sim));
	ASSERT_EQ(iopt_config_from_name(cfg->name, &c), 0);
	ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
	size = (uint64_t)64 << g.granule_lg2;   /* 64 tables */

	/* An image at a random granule-aligned address, then the same bytes
	 * at an unaligned one (table entries straddle its ends). */
	phys = 0x10000000ULL + (h_rand(&rng) % 256) * (1ULL << g.granule_lg2);
	img = malloc(size);
	copy = malloc(size);
	ASSERT(img && copy);
	for (uint64_t i = 0; i < size; i += 8)
		le64_put(img + i, hostile_word(&rng, &g, phys, size));
	if (g.format == IOPT_FMT_AMD_V1)
		amd_plant_chain(img, phys, g.levels);
	memcpy(copy, img, size);
	iopt_hwsim_mem_image(&m, img, size, phys);
	hostile_walks(&g, &m, img, phys, size, &rng, NR_HOSTILE_WALKS, true);
	iopt_hwsim_mem_image(&m, img, size, phys + 4);
	hostile_walks(&g, &m, img, phys + 4, size, &rng, NR_HOSTILE_WALKS / 4,
		      false);
	CHECK(!memcmp(img, copy, size)); /* walks write nothing */

	/* An arena with some blocks live, then overwritten. */
	ASSERT_EQ(iopt_arena_create(&a, size + size / 256, ARENA_PHYS), 0);
	{
		struct iopt_mem am;
		uint64_t pphys;

		iopt_arena_mem(&a, &am);
		for (unsigned int i = 0; i < 16; i++)
			am.ops->alloc(am.ctx, 1u << g.granule_lg2, &pphys, 0);
	}
	for (uint64_t i = 0; i + 8 <= a.size; i += 8)
		le64_put(a.base + i, hostile_word(&rng, &g, a.phys_base, a.size));
	if (g.format == IOPT_FMT_AMD_V1)	/* inside the 16 live blocks */
		amd_plant_chain(a.base, a.phys_base, g.levels);
	iopt_hwsim_mem_arena(&m, &a);
	hostile_walks(&g, &m, a.base, a.phys_base, a.size, &rng,
		      NR_HOSTILE_WALKS, true);

	/* The simulated IOMMU over it: caches filled from hostile tables. */
	if (iopt_hwsim_init(&sim, &c, &m, &p) == 0) {
		for (unsigned int i = 0; i < 200; i++) {
			struct iopt_hwsim_result r;
			uint64_t reads = counters(&sim).entry_reads;
			uint64_t iova = h_rand(&rng);
			int ret;

			if (i % 50 == 0)
				iopt_hwsim_set_root(&sim, a.phys_base +
						    h_rand(&rng) % a.size);
			if (h_rand(&rng) % 4)
				iova &= (1ULL << (g.ias - 1)) - 1;
			ret = iopt_hwsim_translate(&sim, iova, R, &r);
			check_outcome(&g, iova, ret, &r);
			if (counters(&sim).entry_reads - reads > g.levels)
				H_FAIL("translate read %" PRIu64 " entries",
				       counters(&sim).entry_reads - reads);
		}
		CHECK(iopt_hwsim_check_coherent(&sim, NULL, NULL) >= 0);
	} else {
		H_FAIL("iopt_hwsim_init failed");
	}
	iopt_hwsim_fini(&sim);
	iopt_arena_destroy(&a);
	free(img);
	free(copy);
}

static uint64_t table_size(const struct iopt_hwsim_geom *g);

/* A table of the walk's granule (at least the start table's size). */
static uint64_t new_table(struct tenv *e, const struct iopt_hwsim_geom *g)
{
	uint64_t phys = 0;

	if (!e->arena_mem.ops->alloc(e->arena_mem.ctx, table_size(g), &phys, 0))
		H_FAIL("out of arena memory");
	return phys;
}

static uint64_t table_size(const struct iopt_hwsim_geom *g)
{
	uint64_t size = 1ULL << g->granule_lg2;

	return (8ULL << g->top_bits) > size ? 8ULL << g->top_bits : size;
}

static void free_table(struct tenv *e, const struct iopt_hwsim_geom *g,
		       uint64_t phys)
{
	if (phys)
		e->arena_mem.ops->free(e->arena_mem.ctx, arena_ptr(e, phys),
				       phys, table_size(g));
}

/* Fill every entry of the table at @t with @v. */
static void fill_table(struct tenv *e, const struct iopt_hwsim_geom *g,
		       uint64_t t, uint64_t v)
{
	for (uint64_t i = 0; i < table_size(g); i += 8)
		entry_put(e, t + i, v);
}

/* A descriptor of the next table (or, at level 0, a page) at @addr. */
static uint64_t desc(const struct iopt_config *c, uint64_t addr)
{
	if (c->format == IOPT_FMT_X86_64)
		return addr | 0x7;	/* P | RW | US */
	if (c->format == IOPT_FMT_RISCV)	/* V: a pointer (no R, W, X) */
		return ((addr >> 2) & 0x003ffffffffffc00ULL) | 1;
	/* DART: valid, the whole page (v1 SP_DIS; v2 sub-page END 0xfff) */
	if (c->format == IOPT_FMT_APPLE_DART)
		return (addr & 0x0000000ffffff000ULL) | 3;
	if (c->format == IOPT_FMT_APPLE_DART2)
		return ((addr >> 4) & 0x0000003ffffffc00ULL) | (0xfffULL << 40) |
		       1;
	return addr | 3 | (1ULL << 10) | (1ULL << 6); /* AF, AP[1] / S2AP R */
}

/* Walk @iova from @root, through a fresh walk and through @sim; expect
 * @want_phys (IOPT_PHYS_NONE: a fault of @kind) after @reads entry reads. */
static void cycle_walk(struct tenv *e, const struct iopt_hwsim_geom *g,
		       struct iopt_hwsim *sim, uint64_t root, uint64_t iova,
		       uint64_t want_phys, enum iopt_hwsim_fault kind,
		       unsigned int reads)
{
	struct iopt_hwsim_mem m;
	struct rec_mem rm;
	struct iopt_hwsim_mem cm;
	struct iopt_hwsim_result r;
	uint64_t before;
	int ret;

	iopt_hwsim_mem_arena(&m, &e->a);
	ret = iopt_hwsim_walk(g, &m, root, iova, R, &r);
	check_outcome(g, iova, ret, &r);
	if (want_phys != IOPT_PHYS_NONE ? ret || r.phys != want_phys :
	    ret != -EFAULT || r.fault != kind) {
		H_FAIL("root 0x%" PRIx64 " iova 0x%" PRIx64 ": expected 0x%"
		       PRIx64 " / %s", root, iova, want_phys,
		       iopt_hwsim_fault_name(kind));
		print_result("walk", ret, &r);
	}
	rec_mem_init(&rm, &cm, e->a.base, e->a.phys_base, e->a.size);
	iopt_hwsim_walk(g, &cm, root, iova, R, &r);
	CHECK_EQ(rm.reads, reads);
	/* Through the caches, twice: the walk cache resumes the loop. */
	iopt_hwsim_set_root(sim, root);
	for (unsigned int i = 0; i < 2; i++) {
		before = counters(sim).entry_reads;
		ret = iopt_hwsim_translate(sim, iova + i * (1ULL << g->granule_lg2),
					   R, &r);
		check_outcome(g, iova, ret, &r);
		if (counters(sim).entry_reads - before > reads)
			H_FAIL("translate read %" PRIu64 " entries, the walk %u",
			       counters(sim).entry_reads - before, reads);
	}
	CHECK_EQ(iopt_hwsim_check_coherent(sim, NULL, NULL), 0);
}

TEST_CFG(hostile_cycles)
{
	struct tenv e;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim sim;
	struct iopt_hwsim_mem m;
	uint64_t ta = 0, tb = 0, off = 0x123 & ~7ULL, iova, outside, far;
	uint64_t self_a, self_b;
	unsigned int top;
	enum iopt_hwsim_fault self_kind = IOPT_HWSIM_FAULT_NONE;

	memset(&sim, 0, sizeof(sim));
	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	/* Built from 64-bit LPAE and x86 descriptors; v7s walks of hostile
	 * tables are the hwsim_v7s_* tests' (two levels, no cycle to make). */
	if (e.cfg.format == IOPT_FMT_ARM_V7S)
		goto out;
	ASSERT_EQ(iopt_hwsim_geometry(&e.cfg, &g), 0);
	iopt_hwsim_mem_arena(&m, &e.a);
	ASSERT_EQ(iopt_hwsim_init(&sim, &e.cfg, &m, &oracle_params), 0);
	top = g.levels - 1;
	ta = new_table(&e, &g);
	tb = new_table(&e, &g);
	ASSERT(ta && tb);
	iova = e.base + 5 * e.blk + 3 * e.gsz + off;

	/* AMD: NextLevel must fall at every step, so no walk can cycle. A
	 * pointer read again one level down names its own level there and
	 * faults at the second read. */
	if (e.cfg.format == IOPT_FMT_AMD_V1) {
		uint64_t pde = AMD_PR | AMD_RW | AMD_NL(g.levels - 1);

		fill_table(&e, &g, ta, pde | ta);
		cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
			   IOPT_HWSIM_FAULT_TRANSLATION, 2);
		fill_table(&e, &g, ta, pde | tb);
		fill_table(&e, &g, tb, pde | ta);
		cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
			   IOPT_HWSIM_FAULT_TRANSLATION, 2);
		/* Pointers just past the arena and far away: the second read
		 * aborts; at 2^oas the first entry is reserved. */
		outside = (e.a.phys_base + e.a.size + e.gsz - 1) & ~(e.gsz - 1);
		fill_table(&e, &g, ta, pde | outside);
		cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
			   IOPT_HWSIM_FAULT_WALK_ABORT, 2);
		fill_table(&e, &g, ta, pde | (1ULL << 47));
		cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
			   IOPT_HWSIM_FAULT_WALK_ABORT, 2);
		if (e.cfg.oas < 52) {
			fill_table(&e, &g, ta, pde | (1ULL << e.cfg.oas));
			cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
				   IOPT_HWSIM_FAULT_RESERVED, 1);
		}
		outside = (outside + table_size(&g) - 1) & ~(table_size(&g) - 1);
		cycle_walk(&e, &g, &sim, outside, iova, IOPT_PHYS_NONE,
			   IOPT_HWSIM_FAULT_WALK_ABORT, 1);
		goto free;
	}

	/* The last level reads a table descriptor as a page (ARM, x86), or
	 * as nothing (Mali, whose pages are 01 and 11 is no leaf there). */
	self_a = ta + (iova & (e.gsz - 1));
	self_b = (top % 2 ? ta : tb) + (iova & (e.gsz - 1));
	/* RISC-V: a pointer at level 0 is a page fault. */
	if (e.cfg.format == IOPT_FMT_ARM_MALI_LPAE ||
	    e.cfg.format == IOPT_FMT_RISCV) {
		self_a = self_b = IOPT_PHYS_NONE;
		self_kind = IOPT_HWSIM_FAULT_TRANSLATION;
	}
	/* A table whose every entry points at itself: at level 0 the entry
	 * is a page, of the table itself. */
	fill_table(&e, &g, ta, desc(&e.cfg, ta));
	cycle_walk(&e, &g, &sim, ta, iova, self_a, self_kind, g.levels);
	/* Two tables pointing at each other. */
	fill_table(&e, &g, ta, desc(&e.cfg, tb));
	fill_table(&e, &g, tb, desc(&e.cfg, ta));
	cycle_walk(&e, &g, &sim, ta, iova, self_b, self_kind, g.levels);
	/* Pointers just past the arena, far away, above oas. */
	outside = (e.a.phys_base + e.a.size + e.gsz - 1) & ~(e.gsz - 1);
	far = (e.cfg.oas >= 48 ? 1ULL << 47 : 1ULL << (e.cfg.oas - 1)) &
	      ~(e.gsz - 1);
	fill_table(&e, &g, ta, desc(&e.cfg, outside));
	cycle_walk(&e, &g, &sim, ta, iova,
		   top ? IOPT_PHYS_NONE : outside + (iova & (e.gsz - 1)),
		   IOPT_HWSIM_FAULT_WALK_ABORT, top ? 2 : 1);
	fill_table(&e, &g, ta, desc(&e.cfg, far));
	cycle_walk(&e, &g, &sim, ta, iova,
		   top ? IOPT_PHYS_NONE : far + (iova & (e.gsz - 1)),
		   IOPT_HWSIM_FAULT_WALK_ABORT, top ? 2 : 1);
	/* (A DART entry cannot hold an address at or above 2^oas.) */
	if (e.cfg.oas < 52 && e.cfg.format != IOPT_FMT_APPLE_DART &&
	    e.cfg.format != IOPT_FMT_APPLE_DART2) {
		/* ARM: bit oas is an address bit below the field's top (48,
		 * or 50 with LPA2's DS = 1), else ignored. */
		unsigned int field_top = g.ds ? 50 : 48;

		fill_table(&e, &g, ta, desc(&e.cfg, 1ULL << e.cfg.oas));
		cycle_walk(&e, &g, &sim, ta, iova, IOPT_PHYS_NONE,
			   e.x86 ? IOPT_HWSIM_FAULT_RESERVED :
			   e.cfg.oas < field_top ? IOPT_HWSIM_FAULT_ADDR_SIZE :
			   IOPT_HWSIM_FAULT_WALK_ABORT,
			   e.x86 || e.cfg.oas < field_top ? 1 : 2);
	}
	/* The root itself outside the memory (aligned as a start table). */
	outside = (outside + table_size(&g) - 1) & ~(table_size(&g) - 1);
	cycle_walk(&e, &g, &sim, outside, iova, IOPT_PHYS_NONE,
		   IOPT_HWSIM_FAULT_WALK_ABORT, 1);
free:
	free_table(&e, &g, ta);
	free_table(&e, &g, tb);
out:
	tenv_close(&e);
	iopt_hwsim_fini(&sim);
}

/* Reads at the very ends of an image and of an arena. */
TEST(memory_bounds)
{
	struct iopt_config c;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem m;
	struct iopt_hwsim_result r;
	struct iopt_arena a;
	unsigned char *img = malloc(0x1000);
	const uint64_t last = ~0ULL << 39; /* PML4 index 511 (canonical) */
	uint64_t end;

	ASSERT(img);
	ASSERT_EQ(iopt_config_from_name("x86-64-4lvl", &c), 0);
	ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
	memset(img, 0, 0x1000);
	/* [0x1004, 0x2004): entry 511 of the table at 0x1000 is inside,
	 * entry 0 of the table at 0x2000 straddles the end, entry 0 of the
	 * table at 0x1000 starts before the image. */
	le64_put(img + 0xff4, 0x1234);
	iopt_hwsim_mem_image(&m, img, 0x1000, 0x1004);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x1000, last, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	CHECK_EQ(r.pte_phys, 0x1ff8);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x2000, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x1000, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	iopt_hwsim_mem_image(&m, img, 7, 0x1000); /* smaller than an entry */
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x1000, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	free(img);

	/* The arena: up to its last entry readable; the metadata after it,
	 * and anything before it, not. Its usable part ends inside a page. */
	img = calloc(1, 0x10000);
	ASSERT(img);
	ASSERT_EQ(iopt_arena_init(&a, img, 0x10000, ARENA_PHYS), 0);
	ASSERT(a.size > 0x2000 && a.size < 0x10000 && (a.size & 0xfff) >= 8);
	end = a.size & ~(uint64_t)0xfff;
	iopt_hwsim_mem_arena(&m, &a);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, ARENA_PHYS + end - 0x1000, last, R,
				 &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	CHECK(r.freed_read); /* nothing is allocated there */
	CHECK_EQ(iopt_hwsim_walk(&g, &m, ARENA_PHYS + end, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, ARENA_PHYS + end, last, R, &r),
		 -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, ARENA_PHYS - 0x1000, last, R, &r),
		 -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	free(img);
}

/* ----------------------------------------------------------- bad input */

static void null_flush_calls(const struct iopt_flush_ops *ops)
{
	ops->flush_all(NULL);
	ops->flush_range(NULL, 0, 4096, 12, false);
}

TEST(bad_input)
{
	struct iopt_config c;
	struct iopt_hwsim_geom g, bad;
	struct iopt_hwsim_mem m, none;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_counters cnt;
	struct iopt_hwsim sim;
	struct iopt_hwsim_params p = { 0 };
	const struct iopt_flush_ops *ops;
	void *cookie = &c;
	static unsigned char img[4096];
	static const struct { enum iopt_hwsim_fault f; const char *name; } names[] = {
		{ IOPT_HWSIM_FAULT_NONE, "none" },
		{ IOPT_HWSIM_FAULT_TRANSLATION, "translation" },
		{ IOPT_HWSIM_FAULT_PERMISSION, "permission" },
		{ IOPT_HWSIM_FAULT_ADDR_SIZE, "address size" },
		{ IOPT_HWSIM_FAULT_ACCESS_FLAG, "access flag" },
		{ IOPT_HWSIM_FAULT_RESERVED, "reserved bit" },
		{ IOPT_HWSIM_FAULT_WALK_ABORT, "walk abort" },
		{ (enum iopt_hwsim_fault)99, "?" },
	};

	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(NULL, &g), -EINVAL);
	CHECK_EQ(iopt_hwsim_geometry(&c, NULL), -EINVAL);
	ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
	iopt_hwsim_mem_image(&m, img, sizeof(img), 0x1000);

	/* Walks: NULL pointers, geometries that do not add up. */
	memset(&r, 0x5a, sizeof(r));
	CHECK_EQ(iopt_hwsim_walk(NULL, &m, 0x1000, 0, R, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_walk(&g, NULL, 0x1000, 0, R, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x1000, 0, R, NULL), -EINVAL);
	bad = g;
	bad.levels = 0;
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	bad = g;
	bad.levels = 9;
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	bad = g;
	bad.granule_lg2 = 13;
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	bad = g;
	bad.top_bits = 8;  /* 12 + 3 * 9 + 8 != 48 */
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	bad = g;
	bad.format = (enum iopt_format)0;
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	bad = g;
	bad.oas = 60;
	CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0x1000, 0, R, &r), -EINVAL);
	CHECK_EQ(r.fault, 0x5a5a5a5au); /* untouched */
	/* An empty image translates nothing; a memory with nothing aborts. */
	CHECK_EQ(iopt_hwsim_walk(&g, &m, 0x1000, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	CHECK_EQ(r.pte_phys, 0x1000);
	iopt_hwsim_mem_arena(&none, NULL);
	CHECK_EQ(iopt_hwsim_walk(&g, &none, 0x1000, 0, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	iopt_hwsim_mem_arena(NULL, NULL);
	iopt_hwsim_mem_image(NULL, img, 1, 0);

	/* Init: every refusal leaves a zeroed, harmless simulated IOMMU. */
	CHECK_EQ(iopt_hwsim_init(NULL, &c, &m, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(&sim, NULL, &m, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_init(&sim, &c, NULL, NULL), -EINVAL);
	p.flags = 1u << 7;
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, &p), -EINVAL);
	p = (struct iopt_hwsim_params){ .tlb_entries = 8, .tlb_ways = 3 };
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, &p), -EINVAL);
	p = (struct iopt_hwsim_params){ .tlb_entries = 8, .tlb_ways = 16 };
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, &p), -EINVAL);
	p = (struct iopt_hwsim_params){ .walk_entries = 6, .walk_ways = 4 };
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, &p), -EINVAL);
	p = (struct iopt_hwsim_params){ .tlb_entries = (1u << 20) + 1,
					.tlb_ways = 1 };
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, &p), -EINVAL);
	CHECK(!sim.tlb && !sim.wc && !sim.has_root);
	iopt_hwsim_fini(&sim);
	c.granule_lg2 = 13;
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, NULL), -ENOTSUP);
	c.granule_lg2 = 12;
	c.format = (enum iopt_format)99;
	CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, NULL), -EINVAL);
	c.format = IOPT_FMT_ARM_LPAE_S1;
	iopt_hwsim_fini(&sim);
	iopt_hwsim_fini(NULL);

	/* No root yet: nothing to translate or check. */
	p = (struct iopt_hwsim_params){ .tlb_entries = 8, .walk_entries = 4 };
	ASSERT_EQ(iopt_hwsim_init(&sim, &c, &m, &p), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0, R, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), -EINVAL);
	CHECK_EQ(counters(&sim).translations, 0);
	CHECK_EQ(iopt_hwsim_set_root(NULL, 0x1000), -EINVAL);
	CHECK_EQ(iopt_hwsim_set_root(&sim, 0x1000), 0);
	CHECK_EQ(iopt_hwsim_translate(NULL, 0, R, &r), -EINVAL);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0, R, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0, R, &r), -EFAULT);
	CHECK_EQ(iopt_hwsim_check_coherent(NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	CHECK_EQ(iopt_hwsim_inv_all(NULL), -EINVAL);
	CHECK_EQ(iopt_hwsim_inv_range(NULL, 0, 4096, 12, false), -EINVAL);
	CHECK_EQ(counters(&sim).translations, 1);
	iopt_hwsim_set_event_fn(NULL, NULL, NULL);
	iopt_hwsim_reset_counters(NULL);
	iopt_hwsim_get_counters(&sim, NULL);
	memset(&cnt, 0xff, sizeof(cnt));
	iopt_hwsim_get_counters(NULL, &cnt);
	CHECK_EQ(cnt.translations + cnt.stale + cnt.inv_all, 0);

	/* Flush ops: static, and harmless with a NULL cookie. */
	ops = iopt_hwsim_flush_ops(&sim, &cookie);
	CHECK(cookie == &sim);
	CHECK(ops && ops->flush_all && ops->flush_range);
	CHECK(iopt_hwsim_flush_ops(NULL, NULL) == ops);
	iopt_hwsim_flush_ops(NULL, &cookie);
	CHECK(cookie == NULL);
	null_flush_calls(ops);
	/* A command the simulated IOMMU refuses is widened, not lost. */
	ops->flush_range(&sim, 0, 0, 12, true);
	CHECK_EQ(counters(&sim).inv_all, 1);
	iopt_hwsim_fini(&sim);

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
		CHECK(!strcmp(iopt_hwsim_fault_name(names[i].f), names[i].name));
}

/* ------------------------------------------- v7s, Mali LPAE, Apple DART */

/*
 * The formats the engine does not build yet, from tables written here field
 * by field from the descriptor layouts (formats.md sections 2, 3 and 4),
 * in a byte image.
 */
struct himg {
	unsigned char *b;
	uint64_t phys, size;
	struct iopt_config c;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem m;
};

static int himg_open(struct himg *h, enum iopt_format f, unsigned int gl,
		     unsigned int ias, unsigned int oas, uint32_t quirks,
		     uint64_t phys, uint64_t size)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->c = (struct iopt_config){ f, gl, ias, oas, quirks, 0 };
	ret = iopt_hwsim_geometry(&h->c, &h->g);
	if (ret) {
		H_FAIL("geometry of format %d ias %u oas %u = %d", (int)f, ias,
		       oas, ret);
		return ret;
	}
	h->b = calloc(1, size);
	if (!h->b) {
		H_FAIL("out of memory");
		return -ENOMEM;
	}
	h->phys = phys;
	h->size = size;
	iopt_hwsim_mem_image(&h->m, h->b, size, phys);
	return 0;
}

static void himg_close(struct himg *h)
{
	free(h->b);
	h->b = NULL;
}

static void put32(struct himg *h, uint64_t pa, uint32_t v)
{
	unsigned char *p = h->b + (pa - h->phys);

	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(struct himg *h, uint64_t pa, uint64_t v)
{
	le64_put(h->b + (pa - h->phys), v);
}

static int hwalk(const struct himg *h, uint64_t root, uint64_t iova,
		 unsigned int access, struct iopt_hwsim_result *r)
{
	return iopt_hwsim_walk(&h->g, &h->m, root, iova, access, r);
}

/* Translates to @want with a translation of 2^@size (leaf 2^@leaf). */
#define HW_PHYS(h, root, iova, want, size, leaf)                             \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = hwalk(h, root, iova, 0, &r_);                     \
		if (ret_ || r_.phys != (uint64_t)(want) ||                   \
		    r_.size_lg2 != (size) || r_.leaf_lg2 != (leaf) ||        \
		    r_.contig != ((size) != (leaf))) {                       \
			H_FAIL("0x%" PRIx64 ": expected 0x%" PRIx64          \
			       " size 2^%u leaf 2^%u", (uint64_t)(iova),     \
			       (uint64_t)(want), (unsigned int)(size),       \
			       (unsigned int)(leaf));                        \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/* Translates with exactly the permissions @want. */
#define HW_PERM(h, root, iova, want)                                         \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = hwalk(h, root, iova, 0, &r_);                     \
		if (ret_ || r_.perm != (unsigned int)(want)) {               \
			H_FAIL("0x%" PRIx64 ": expected perm 0x%x",          \
			       (uint64_t)(iova), (unsigned int)(want));      \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/* Faults with @kind at @lvl for @access. */
#define HW_FAULT(h, root, iova, access, kind, lvl)                           \
	do {                                                                 \
		struct iopt_hwsim_result r_;                                 \
		int ret_ = hwalk(h, root, iova, access, &r_);                \
		if (ret_ != -EFAULT || r_.fault != (kind) ||                 \
		    r_.level != (unsigned int)(lvl)) {                       \
			H_FAIL("0x%" PRIx64 ": expected %s at level %u",     \
			       (uint64_t)(iova), iopt_hwsim_fault_name(kind),\
			       (unsigned int)(lvl));                         \
			print_result("walk", ret_, &r_);                     \
		}                                                            \
	} while (0)

/* Entry reads of one walk, through a callback over the image. */
static unsigned int hwalk_reads(const struct himg *h, uint64_t root,
				uint64_t iova, uint64_t *first)
{
	struct iopt_hwsim_mem cm;
	struct iopt_hwsim_result r;
	struct rec_mem rm;

	rec_mem_init(&rm, &cm, h->b, h->phys, h->size);
	rm.len = 1u << h->g.pte_lg2;
	iopt_hwsim_walk(&h->g, &cm, root, iova, 0, &r);
	CHECK_EQ(rm.bad_calls, 0);
	if (first)
		*first = r.pte_phys;
	return rm.reads;
}

#define PUR IOPT_HWSIM_PERM_UR
#define PUW IOPT_HWSIM_PERM_UW
#define PUX IOPT_HWSIM_PERM_UX
#define PPR IOPT_HWSIM_PERM_PR
#define PPW IOPT_HWSIM_PERM_PW
#define PPX IOPT_HWSIM_PERM_PX
#define PALL (PUR | PUW | PUX | PPR | PPW | PPX)

TEST(new_geometry_values)
{
	static const struct {
		enum iopt_format f;
		unsigned int gl, ias, oas;
		uint32_t q;
		int ret;
		unsigned int levels, top_bits, concat, level_bits, pte_lg2;
	} v[] = {
		{ IOPT_FMT_ARM_V7S, 12, 32, 32, 0, 0, 2, 12, 1, 8, 2 },
		{ IOPT_FMT_ARM_V7S, 0, 32, 32, IOPT_QUIRK_V7S_NO_PERMS, 0, 2, 12, 1, 8, 2 },
		{ IOPT_FMT_ARM_V7S, 12, 32, 35, IOPT_QUIRK_V7S_NO_PERMS |
		  IOPT_QUIRK_V7S_MTK_EXT, 0, 2, 12, 1, 8, 2 },
		{ IOPT_FMT_ARM_V7S, 12, 32, 36, IOPT_QUIRK_V7S_NO_PERMS |
		  IOPT_QUIRK_V7S_MTK_EXT, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_V7S, 12, 32, 33, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_V7S, 12, 32, 33, IOPT_QUIRK_V7S_MTK_EXT, -EINVAL,
		  0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_V7S, 12, 34, 32, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_V7S, 16, 32, 32, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 48, 40, 0, 0, 4, 9, 1, 9, 3 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 32, 32, 0, 0, 4, 9, 1, 9, 3 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 39, 35, 0, 0, 4, 9, 1, 9, 3 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 49, 40, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 48, 41, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_MALI_LPAE, 12, 48, 31, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_ARM_MALI_LPAE, 14, 48, 40, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART, 12, 32, 36, 0, 0, 2, 11, 4, 9, 3 },
		{ IOPT_FMT_APPLE_DART, 0, 31, 36, 0, 0, 2, 10, 2, 9, 3 },
		{ IOPT_FMT_APPLE_DART, 12, 30, 36, 0, 0, 2, 9, 1, 9, 3 },
		{ IOPT_FMT_APPLE_DART, 12, 33, 36, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART, 12, 32, 42, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART, 14, 32, 36, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART2, 14, 36, 42, 0, 0, 2, 11, 1, 11, 3 },
		{ IOPT_FMT_APPLE_DART2, 0, 42, 42, 0, 0, 3, 6, 1, 11, 3 },
		{ IOPT_FMT_APPLE_DART2, 14, 32, 42, 0, 0, 2, 7, 1, 11, 3 },
		{ IOPT_FMT_APPLE_DART2, 14, 43, 42, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART2, 14, 36, 36, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ IOPT_FMT_APPLE_DART2, 12, 36, 42, 0, -ENOTSUP, 0, 0, 0, 0, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { v[i].f, v[i].gl, v[i].ias, v[i].oas,
					 v[i].q, 0 };
		struct iopt_hwsim_geom g;
		int ret;

		memset(&g, 0xa5, sizeof(g));
		ret = iopt_hwsim_geometry(&c, &g);
		if (ret != v[i].ret) {
			H_FAIL("case %u: %d, expected %d", i, ret, v[i].ret);
			continue;
		}
		if (ret) {
			CHECK_EQ(g.levels, 0xa5a5a5a5u);
			continue;
		}
		if (g.levels != v[i].levels || g.top_bits != v[i].top_bits ||
		    g.concat != v[i].concat || g.level_bits != v[i].level_bits ||
		    g.pte_lg2 != v[i].pte_lg2 || g.ias != v[i].ias ||
		    g.oas != v[i].oas || g.stage2 || g.sign_extend ||
		    g.quirks != (v[i].f == IOPT_FMT_ARM_V7S ? v[i].q : 0))
			H_FAIL("case %u: levels %u top_bits %u concat %u "
			       "level_bits %u pte_lg2 %u quirks 0x%x", i,
			       g.levels, g.top_bits, g.concat, g.level_bits,
			       g.pte_lg2, g.quirks);
	}
}

/* Geometries that do not add up are refused by the walker. */
TEST(new_geometry_invalid)
{
	static const enum iopt_format fmts[] = {
		IOPT_FMT_ARM_V7S, IOPT_FMT_ARM_MALI_LPAE, IOPT_FMT_APPLE_DART,
		IOPT_FMT_APPLE_DART2,
	};
	static const unsigned int ias[] = { 32, 48, 32, 42 };
	static const unsigned int oas[] = { 32, 40, 36, 42 };
	static unsigned char img[64];
	struct iopt_hwsim_mem m;
	struct iopt_hwsim_result r;

	iopt_hwsim_mem_image(&m, img, sizeof(img), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct iopt_config c = { fmts[i], 0, ias[i], oas[i], 0, 0 };
		struct iopt_hwsim_geom g, bad;

		ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
		CHECK(iopt_hwsim_walk(&g, &m, 0, 0, 0, &r) != -EINVAL);
		bad = g;
		bad.top_bits++;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.level_bits++;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.pte_lg2 = 5 - g.pte_lg2;	/* 3 <-> 2 */
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.levels = g.levels + 3;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.granule_lg2 = 16;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
	}
}

/* The sizes the IOTLB probes: every leaf and run the format has. */
TEST(new_geometry_sizes)
{
	static const struct {
		enum iopt_format f;
		unsigned int ias, oas, n, sizes[4];
	} v[] = {
		{ IOPT_FMT_ARM_V7S, 32, 32, 4, { 12, 16, 20, 24 } },
		{ IOPT_FMT_ARM_MALI_LPAE, 48, 40, 3, { 12, 21, 30 } },
		{ IOPT_FMT_APPLE_DART, 32, 36, 1, { 12 } },
		{ IOPT_FMT_APPLE_DART2, 42, 42, 1, { 14 } },
	};
	static unsigned char img[64];
	struct iopt_hwsim_mem m;

	iopt_hwsim_mem_image(&m, img, sizeof(img), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { v[i].f, 0, v[i].ias, v[i].oas, 0, 0 };
		struct iopt_hwsim sim;

		ASSERT_EQ(iopt_hwsim_init(&sim, &c, &m, NULL), 0);
		CHECK_EQ(sim.nr_sizes, v[i].n);
		for (unsigned int k = 0; k < v[i].n && k < sim.nr_sizes; k++)
			CHECK_EQ(sim.sizes_lg2[k], v[i].sizes[k]);
		iopt_hwsim_fini(&sim);
	}
}

/* ------------------------------------------------------------- v7s */

#define V7S_PHYS   0x40000000ULL	/* image: L1 at +0, L2 tables after */
#define V7S_L1     V7S_PHYS
#define V7S_L2(n)  (V7S_PHYS + 0x4000 + 0x400ULL * (n))
#define V7S_SIZE   0x10000ULL

/* L1 descriptors (ARM L1; formats.md 3.1) */
#define V7S_PT(t)       ((uint32_t)(t) | 0x1)		/* page table */
#define V7S_SECT        0x2u				/* section */
#define V7S_SECT_PXN    0x1u
#define V7S_SECT_XN     (1u << 4)
#define V7S_SECT_AF     (1u << 10)
#define V7S_SECT_AP1    (1u << 11)
#define V7S_SECT_AP2    (1u << 15)
#define V7S_SECT_SUPER  (1u << 18)
#define V7S_SECT_NS     (1u << 19)
/* L2 descriptors (formats.md 3.2) */
#define V7S_SMALL       0x2u
#define V7S_SMALL_XN    0x1u
#define V7S_LARGE       0x1u
#define V7S_LARGE_XN    (1u << 15)
#define V7S_L2_AF       (1u << 4)
#define V7S_L2_AP1      (1u << 5)
#define V7S_L2_AP2      (1u << 9)

static uint64_t v7s_l1e(uint64_t iova)
{
	return V7S_L1 + 4 * ((iova >> 20) & 0xfff);
}

static uint64_t v7s_l2e(unsigned int n, uint64_t iova)
{
	return V7S_L2(n) + 4 * ((iova >> 12) & 0xff);
}

TEST(v7s_leaves_and_permissions)
{
	/* AP[2], AP[1], XN -> what the simplified access model allows */
	static const struct { bool ap2, ap1, xn; unsigned int perm; } ap[] = {
		{ 0, 0, 0, PPR | PPW | PPX },
		{ 0, 1, 0, PPR | PPW | PPX | PUR | PUW | PUX },
		{ 1, 0, 0, PPR | PPX },
		{ 1, 1, 0, PPR | PPX | PUR | PUX },
		{ 0, 0, 1, PPR | PPW },
		{ 0, 1, 1, PPR | PPW | PUR | PUW },
		{ 1, 0, 1, PPR },
		{ 1, 1, 1, PPR | PUR },
	};
	struct himg h, np;
	uint64_t iova;

	if (himg_open(&h, IOPT_FMT_ARM_V7S, 12, 32, 32, 0, V7S_PHYS, V7S_SIZE))
		goto out;
	put32(&h, v7s_l1e(0), V7S_PT(V7S_L2(0)));

	/* Small pages: PA [31:12], every AP/XN combination. */
	for (unsigned int i = 0; i < ARRAY_SIZE(ap); i++) {
		iova = (uint64_t)(i + 1) << 12;
		put32(&h, v7s_l2e(0, iova), (0x12345000u + (i << 12)) | V7S_SMALL |
		      V7S_L2_AF | (ap[i].ap1 ? V7S_L2_AP1 : 0) |
		      (ap[i].ap2 ? V7S_L2_AP2 : 0) |
		      (ap[i].xn ? V7S_SMALL_XN : 0));
		HW_PHYS(&h, V7S_L1, iova + 0xabc, 0x12345abcu + (i << 12), 12, 12);
		HW_PERM(&h, V7S_L1, iova, ap[i].perm);
	}
	/* The access checks follow: user write to a read-only page. */
	HW_FAULT(&h, V7S_L1, 4ULL << 12, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, V7S_L1, 1ULL << 12, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	CHECK_EQ(hwalk(&h, V7S_L1, 1ULL << 12, R | P, &(struct iopt_hwsim_result){ 0 }), 0);
	/* TEX, C, B, S, nG change no translation. */
	iova = 0x20000;
	put32(&h, v7s_l2e(0, iova), 0x7777f000u | V7S_SMALL | V7S_L2_AF |
	      V7S_L2_AP1 | (7u << 6) | 0xc | (3u << 10));
	HW_PHYS(&h, V7S_L1, iova + 0x10, 0x7777f010u, 12, 12);
	HW_PERM(&h, V7S_L1, iova, PALL);
	/* AF = 0 is an access flag fault; a zero entry a translation fault. */
	iova = 0x21000;
	put32(&h, v7s_l2e(0, iova), 0x1000u | V7S_SMALL | V7S_L2_AP1);
	HW_FAULT(&h, V7S_L1, iova, 0, IOPT_HWSIM_FAULT_ACCESS_FLAG, 0);
	HW_FAULT(&h, V7S_L1, 0x22000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	HW_FAULT(&h, V7S_L1, 0x500000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);

	/* Large page: 16 identical copies, PA [31:16], XN in bit 15 (bit 0 is
	 * the type), TEX in [14:12]. */
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l2e(0, 0x30000 + (k << 12)), 0x56780000u |
		      V7S_LARGE | V7S_L2_AF | V7S_L2_AP1 | (5u << 12));
	for (unsigned int k = 0; k < 16; k++)
		HW_PHYS(&h, V7S_L1, 0x30000 + (k << 12) + 0x123,
			0x56780123u + (k << 12), 16, 12);
	HW_PERM(&h, V7S_L1, 0x3f000, PALL);
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l2e(0, 0x40000 + (k << 12)), 0x56790000u |
		      V7S_LARGE | V7S_L2_AF | V7S_L2_AP1 | V7S_LARGE_XN);
	HW_PERM(&h, V7S_L1, 0x45000, PPR | PPW | PUR | PUW);
	HW_PHYS(&h, V7S_L1, 0x4fffc, 0x5679fffcu, 16, 12);

	/* Sections: PA [31:20]; NS (bit 19) changes nothing; [1:0] = 11 is
	 * PXN. */
	put32(&h, v7s_l1e(0x12300000), 0xabc00000u | V7S_SECT | V7S_SECT_AF |
	      V7S_SECT_AP1 | V7S_SECT_NS);
	HW_PHYS(&h, V7S_L1, 0x12345678, 0xabc45678u, 20, 20);
	HW_PERM(&h, V7S_L1, 0x12300000, PALL);
	put32(&h, v7s_l1e(0x12400000), 0xabd00000u | V7S_SECT | V7S_SECT_PXN |
	      V7S_SECT_AF | V7S_SECT_AP1 | V7S_SECT_AP2);
	HW_PERM(&h, V7S_L1, 0x12400000, PPR | PUR | PUX);
	put32(&h, v7s_l1e(0x12500000), 0xabe00000u | V7S_SECT | V7S_SECT_XN |
	      V7S_SECT_AF);
	HW_PERM(&h, V7S_L1, 0x12500000, PPR | PPW);
	put32(&h, v7s_l1e(0x12600000), 0xabf00000u | V7S_SECT | V7S_SECT_AP1);
	HW_FAULT(&h, V7S_L1, 0x12600000, 0, IOPT_HWSIM_FAULT_ACCESS_FLAG, 1);

	/* Supersection: 16 copies, PA [31:24]. */
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l1e(0x20000000 + ((uint64_t)k << 20)),
		      0x9f000000u | V7S_SECT | V7S_SECT_SUPER | V7S_SECT_AF |
		      V7S_SECT_AP1);
	HW_PHYS(&h, V7S_L1, 0x20abcdef, 0x9fabcdefu, 24, 20);
	HW_PHYS(&h, V7S_L1, 0x20000000, 0x9f000000u, 24, 20);
	/* The extended base address (PA[35:32] in [23:20]) is at or above
	 * 2^oas with oas 32. */
	put32(&h, v7s_l1e(0x31000000), 0x9f000000u | (1u << 20) | V7S_SECT |
	      V7S_SECT_SUPER | V7S_SECT_AF);
	HW_FAULT(&h, V7S_L1, 0x31000000, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 1);

	/* Page-table PXN (bit 2) takes privileged execution below; NS
	 * (bit 3) nothing. */
	put32(&h, v7s_l1e(0x100000), V7S_PT(V7S_L2(1)) | 0x4);
	put32(&h, v7s_l1e(0x200000), V7S_PT(V7S_L2(2)) | 0x8);
	put32(&h, v7s_l2e(1, 0x100000), 0x1000u | V7S_SMALL | V7S_L2_AF |
	      V7S_L2_AP1);
	put32(&h, v7s_l2e(2, 0x200000), 0x2000u | V7S_SMALL | V7S_L2_AF |
	      V7S_L2_AP1);
	HW_PERM(&h, V7S_L1, 0x100000, PALL & ~PPX);
	HW_PERM(&h, V7S_L1, 0x200000, PALL);
	HW_PHYS(&h, V7S_L1, 0x200004, 0x2004, 12, 12);

	/* The root: bits [13:0] ignored; 32 bits only; inputs of 32 bits. */
	HW_PHYS(&h, V7S_L1 + 0x3ffc, 0x200004, 0x2004, 12, 12);
	HW_FAULT(&h, V7S_L1 + (1ULL << 32), 0x200000, 0,
		 IOPT_HWSIM_FAULT_ADDR_SIZE, 1);
	HW_FAULT(&h, V7S_L1, 1ULL << 32, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 1);
	/* One 4-byte read per level, at the right places. */
	{
		uint64_t last;

		CHECK_EQ(hwalk_reads(&h, V7S_L1, 0x200004, &last), 2);
		CHECK_EQ(last, v7s_l2e(2, 0x200000));
		CHECK_EQ(hwalk_reads(&h, V7S_L1, 0x12345678, &last), 1);
		CHECK_EQ(last, V7S_L1 + 4 * 0x123);
	}

	/* NO_PERMS: the same bytes, no AP, AF or XN. */
	if (himg_open(&np, IOPT_FMT_ARM_V7S, 12, 32, 32,
		      IOPT_QUIRK_V7S_NO_PERMS, V7S_PHYS, V7S_SIZE) == 0) {
		memcpy(np.b, h.b, V7S_SIZE);
		HW_PHYS(&np, V7S_L1, 0x21000, 0x1000, 12, 12);   /* AF = 0 */
		HW_PERM(&np, V7S_L1, 0x21000, PALL);
		HW_PERM(&np, V7S_L1, 7ULL << 12, PALL);         /* RO, XN */
		HW_PERM(&np, V7S_L1, 0x12500000, PALL);
		HW_PHYS(&np, V7S_L1, 0x12600000, 0xabf00000u, 20, 20);
		himg_close(&np);
	}
out:
	himg_close(&h);
}

/* MediaTek's PA[34:32] in bits 9, 4 and 5 of every leaf (formats.md 3). */
TEST(v7s_mtk_ext)
{
	struct himg h, plain;

	if (himg_open(&h, IOPT_FMT_ARM_V7S, 12, 32, 35,
		      IOPT_QUIRK_V7S_NO_PERMS | IOPT_QUIRK_V7S_MTK_EXT,
		      V7S_PHYS, V7S_SIZE))
		goto out;
	put32(&h, v7s_l1e(0), V7S_PT(V7S_L2(0)));
	put32(&h, v7s_l2e(0, 0x1000), 0x12345000u | V7S_SMALL | (1u << 9));
	put32(&h, v7s_l2e(0, 0x2000), 0x12345000u | V7S_SMALL | (1u << 4));
	put32(&h, v7s_l2e(0, 0x3000), 0x12345000u | V7S_SMALL | (1u << 5) |
	      (1u << 9));
	HW_PHYS(&h, V7S_L1, 0x1008, 0x112345008ULL, 12, 12);
	HW_PHYS(&h, V7S_L1, 0x2008, 0x212345008ULL, 12, 12);
	HW_PHYS(&h, V7S_L1, 0x3008, 0x512345008ULL, 12, 12);
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l2e(0, 0x10000 + (k << 12)), 0xfedc0000u |
		      V7S_LARGE | (1u << 4) | (1u << 5) | (1u << 9));
	HW_PHYS(&h, V7S_L1, 0x1abcd, 0x7fedcabcdULL, 16, 12);
	put32(&h, v7s_l1e(0x12300000), 0xabc00000u | V7S_SECT | (1u << 5));
	HW_PHYS(&h, V7S_L1, 0x12345678, 0x4abc45678ULL, 20, 20);
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l1e(0x20000000 + ((uint64_t)k << 20)),
		      0x9f000000u | V7S_SECT | V7S_SECT_SUPER | (1u << 9));
	HW_PHYS(&h, V7S_L1, 0x20abcdef, 0x19fabcdefULL, 24, 20);
	/* A supersection's architectural extended-address bits are reserved
	 * with MTK_EXT. */
	put32(&h, v7s_l1e(0x31000000), 0x9f000000u | (1u << 21) | V7S_SECT |
	      V7S_SECT_SUPER);
	HW_FAULT(&h, V7S_L1, 0x31000000, 0, IOPT_HWSIM_FAULT_RESERVED, 1);
	put32(&h, v7s_l1e(0x32000000), 0x9f000000u | (1u << 7) | V7S_SECT |
	      V7S_SECT_SUPER);
	HW_FAULT(&h, V7S_L1, 0x32000000, 0, IOPT_HWSIM_FAULT_RESERVED, 1);
	/* Without the quirk the same bits are attributes, not address. */
	if (himg_open(&plain, IOPT_FMT_ARM_V7S, 12, 32, 32, 0, V7S_PHYS,
		      V7S_SIZE) == 0) {
		memcpy(plain.b, h.b, V7S_SIZE);
		put32(&plain, v7s_l2e(0, 0x3000), 0x12345000u | V7S_SMALL |
		      V7S_L2_AF | V7S_L2_AP1 | V7S_L2_AP2);
		HW_PHYS(&plain, V7S_L1, 0x3008, 0x12345008ULL, 12, 12);
		HW_PERM(&plain, V7S_L1, 0x3008, PPR | PPX | PUR | PUX);
		himg_close(&plain);
	}
out:
	himg_close(&h);
}

static void count_event(void *arg, const struct iopt_hwsim_event *ev)
{
	(void)ev;
	(*(unsigned int *)arg)++;
}

/* Replicated runs in the IOTLB: one entry per run; every copy checked. */
TEST(v7s_iotlb)
{
	static const struct iopt_hwsim_params p = {
		.tlb_entries = 16, .tlb_ways = 4, .walk_entries = 8,
	};
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_counters c0;
	struct himg h;
	unsigned int events = 0;
	uint32_t large = 0x56780000u | V7S_LARGE | V7S_L2_AF | V7S_L2_AP1;
	uint32_t super = 0x9f000000u | V7S_SECT | V7S_SECT_SUPER | V7S_SECT_AF |
			 V7S_SECT_AP1;

	memset(&sim, 0, sizeof(sim));
	if (himg_open(&h, IOPT_FMT_ARM_V7S, 12, 32, 32, 0, V7S_PHYS, V7S_SIZE))
		goto out;
	put32(&h, v7s_l1e(0), V7S_PT(V7S_L2(0)));
	for (unsigned int k = 0; k < 16; k++) {
		put32(&h, v7s_l2e(0, 0x10000 + (k << 12)), large);
		put32(&h, v7s_l1e(0x20000000 + ((uint64_t)k << 20)), super);
	}
	put32(&h, v7s_l2e(0, 0x1000), 0x1000u | V7S_SMALL | V7S_L2_AF);
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, V7S_L1), 0);

	/* A 64K run is one entry: any of its 16 pages hits it. */
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x10004, R, &r), 0);
	CHECK(!r.cached && r.contig && r.size_lg2 == 16);
	for (unsigned int k = 0; k < 16; k++) {
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x10000 + (k << 12) + 8, R,
					      &r), 0);
		CHECK(r.cached);
		CHECK_EQ(r.phys, 0x56780008u + (k << 12));
		CHECK(r.contig && r.size_lg2 == 16 && r.leaf_lg2 == 12);
	}
	CHECK_EQ(counters(&sim).tlb_fills, 1);
	CHECK_EQ(counters(&sim).tlb_hits, 16);
	/* The walk cache holds the 32-bit L1 descriptor: the next page under
	 * it is one read. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x1000, R | P, &r), 0);
	CHECK_EQ(counters(&sim).walk_hits[1] - c0.walk_hits[1], 1);
	CHECK_EQ(counters(&sim).entry_reads - c0.entry_reads, 1);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x20345678, R, &r), 0);
	CHECK(r.contig && r.size_lg2 == 24 && r.leaf_lg2 == 20);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* A damaged copy: another address, or only another attribute bit;
	 * the walk takes the copy it reads, the oracle flags the run. */
	put32(&h, v7s_l2e(0, 0x15000), large ^ 0x10000u);
	HW_PHYS(&h, V7S_L1, 0x15000, 0x56790000u + 0x5000, 16, 12);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, count_event, &events), 1);
	CHECK_EQ(events, 1);
	CHECK_EQ(sim.last_event.kind, IOPT_HWSIM_EV_STALE_TLB);
	CHECK_EQ(sim.last_event.iova, 0x15000);
	put32(&h, v7s_l2e(0, 0x15000), large);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	put32(&h, v7s_l1e(0x20f00000), super | (1u << 16));	/* S */
	HW_PHYS(&h, V7S_L1, 0x20f00000, 0x9ff00000u, 24, 20);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
	put32(&h, v7s_l1e(0x20f00000), super);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* Unmapped without invalidation: stale. A per-page command on any
	 * one page of the run drops the whole entry. */
	for (unsigned int k = 0; k < 16; k++)
		put32(&h, v7s_l2e(0, 0x10000 + (k << 12)), 0);
	CHECK(iopt_hwsim_check_coherent(&sim, NULL, NULL) >= 1);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0x17000, 0x1000, 12, true), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x10000, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	/* Dropping the L2 table needs the walk cache invalidated too. */
	put32(&h, v7s_l1e(0), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 2);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0, 1u << 20, 12, false), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/* ------------------------------------------------------------ Mali */

#define MALI_PHYS 0x80000000ULL
#define MALI_T(n) (MALI_PHYS + 0x1000ULL * (n))	/* T(0) is the root */
#define MALI_TABLE(t) ((uint64_t)(t) | 3)
#define MALI_ATE  1ULL
#define MALI_RD   (1ULL << 6)
#define MALI_WR   (1ULL << 7)
#define MALI_XN   (1ULL << 54)

TEST(mali_walks)
{
	static const struct { bool rd, wr, xn; unsigned int perm; } pv[] = {
		{ 0, 0, 0, PUX | PPX }, { 1, 0, 0, PUR | PPR | PUX | PPX },
		{ 0, 1, 0, PUW | PPW | PUX | PPX }, { 1, 1, 0, PALL },
		{ 0, 0, 1, 0 }, { 1, 0, 1, PUR | PPR }, { 0, 1, 1, PUW | PPW },
		{ 1, 1, 1, PUR | PPR | PUW | PPW },
	};
	struct himg h, s32;
	uint64_t leaf;

	if (himg_open(&h, IOPT_FMT_ARM_MALI_LPAE, 12, 48, 40, 0, MALI_PHYS,
		      0x10000))
		goto out;
	/* VA 0: T0[0] -> T1, T1[0] -> T2, T2[0] -> T3 (levels 3, 2, 1). */
	put64(&h, MALI_T(0), MALI_TABLE(MALI_T(1)));
	put64(&h, MALI_T(1), MALI_TABLE(MALI_T(2)));
	put64(&h, MALI_T(2), MALI_TABLE(MALI_T(3)));
	/* Level-0 leaves are type 01; no AF needed; bit 6 read, bit 7
	 * write, bit 54 XN for every privilege. */
	for (unsigned int i = 0; i < ARRAY_SIZE(pv); i++) {
		uint64_t iova = (uint64_t)(i + 1) << 12;

		put64(&h, MALI_T(3) + 8 * (i + 1), (0x1234567000ULL +
		      ((uint64_t)i << 12)) | MALI_ATE |
		      (pv[i].rd ? MALI_RD : 0) | (pv[i].wr ? MALI_WR : 0) |
		      (pv[i].xn ? MALI_XN : 0));
		HW_PHYS(&h, MALI_T(0), iova + 0xabc,
			0x1234567abcULL + ((uint64_t)i << 12), 12, 12);
		HW_PERM(&h, MALI_T(0), iova, pv[i].perm);
	}
	HW_FAULT(&h, MALI_T(0), 0x2000, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, MALI_T(0), 0x3000, R | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	/* Bit 53 (PXN), the contiguous hint (52), AF, SH, AttrIndx: no effect. */
	leaf = (0x4000000000ULL - 0x1000) | MALI_ATE | MALI_RD | MALI_WR |
	       (1ULL << 53) | (1ULL << 52) | (1ULL << 10) | (2ULL << 8) |
	       (1ULL << 2);
	put64(&h, MALI_T(3) + 8 * 20, leaf);
	HW_PHYS(&h, MALI_T(0), 0x14008, 0x3ffffff008ULL, 12, 12);
	HW_PERM(&h, MALI_T(0), 0x14000, PALL);
	/* Level 0 with type 11 (the standard LPAE page) or 10: no. */
	put64(&h, MALI_T(3) + 8 * 21, 0x5000 | 3 | MALI_RD);
	HW_FAULT(&h, MALI_T(0), 0x15000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	put64(&h, MALI_T(3) + 8 * 22, 0x5000 | 2 | MALI_RD);
	HW_FAULT(&h, MALI_T(0), 0x16000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	/* Blocks: 2M at level 1, 1G at level 2; none at the top. */
	put64(&h, MALI_T(2) + 8, 0x40200000ULL | MALI_ATE | MALI_RD);
	HW_PHYS(&h, MALI_T(0), 0x201234, 0x40201234ULL, 21, 21);
	HW_PERM(&h, MALI_T(0), 0x200000, PUR | PPR | PUX | PPX);
	put64(&h, MALI_T(1) + 8, 0xc0000000ULL | MALI_ATE | MALI_WR);
	HW_PHYS(&h, MALI_T(0), 0x7fffffff, 0xffffffffULL, 30, 30);
	put64(&h, MALI_T(0) + 8, 0x8000000000ULL | MALI_ATE | MALI_RD);
	HW_FAULT(&h, MALI_T(0), 1ULL << 39, 0, IOPT_HWSIM_FAULT_TRANSLATION, 3);
	/* Hierarchical table attributes are not Mali's: ignored. */
	put64(&h, MALI_T(0) + 16, MALI_TABLE(MALI_T(4)) | (0xfULL << 59));
	put64(&h, MALI_T(4), MALI_TABLE(MALI_T(5)));
	put64(&h, MALI_T(5), MALI_TABLE(MALI_T(6)));
	put64(&h, MALI_T(6), 0x9000 | MALI_ATE | MALI_RD | MALI_WR);
	HW_PERM(&h, MALI_T(0), 2ULL << 39, PALL);
	CHECK_EQ(hwalk_reads(&h, MALI_T(0), 2ULL << 39, NULL), 4);
	/* Output and table addresses at or above 2^oas. */
	put64(&h, MALI_T(3) + 8 * 23, (1ULL << 40) | MALI_ATE | MALI_RD);
	HW_FAULT(&h, MALI_T(0), 0x17000, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 0);
	put64(&h, MALI_T(0) + 24, MALI_TABLE(1ULL << 40));
	HW_FAULT(&h, MALI_T(0), 3ULL << 39, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 3);
	/* The TRANSTAB's mode bits are not address bits. */
	HW_PHYS(&h, MALI_T(0) | 0x17, 0x1008, 0x1234567008ULL, 12, 12);

	/* ias 32, oas 32: still four levels from a full table. */
	if (himg_open(&s32, IOPT_FMT_ARM_MALI_LPAE, 12, 32, 32, 0, MALI_PHYS,
		      0x10000) == 0) {
		memcpy(s32.b, h.b, 0x10000);
		put64(&s32, MALI_T(3) + 8 * 30, 0xfffff000ULL | MALI_ATE |
		      MALI_RD);
		HW_PHYS(&s32, MALI_T(0), 0x1e010, 0xfffff010ULL, 12, 12);
		CHECK_EQ(hwalk_reads(&s32, MALI_T(0), 0x1e010, NULL), 4);
		HW_FAULT(&s32, MALI_T(0), 0x1000, 0,
			 IOPT_HWSIM_FAULT_ADDR_SIZE, 0);
		HW_FAULT(&s32, MALI_T(0), 1ULL << 32, 0,
			 IOPT_HWSIM_FAULT_ADDR_SIZE, 3);
		{
			struct iopt_hwsim_result r;

			hwalk(&s32, MALI_T(0), 1ULL << 32, 0, &r);
			CHECK(r.input);
		}
		himg_close(&s32);
	}
out:
	himg_close(&h);
}

/* ------------------------------------------------------------ DART */

#define DART_PHYS 0x100000000ULL
#define DART1_V    1ULL
#define DART1_SPDIS (1ULL << 1)
#define DART1_NOW  (1ULL << 7)
#define DART1_NOR  (1ULL << 8)
#define DART2_NOC  (1ULL << 1)
#define DART2_NOW  (1ULL << 2)
#define DART2_NOR  (1ULL << 3)
#define DART_SP(start, end) (((uint64_t)(start) << 52) | ((uint64_t)(end) << 40))
#define DART_WHOLE DART_SP(0, 0xfff)

/* DART v2 address field: PTE bits [37:10] = PA[41:14] (formats.md 4.2). */
static uint64_t dart2_oa(uint64_t pa)
{
	return (pa >> 4) & (((1ULL << 38) - 1) & ~((1ULL << 10) - 1));
}

TEST(dart_v1_walks)
{
	struct himg h;
	uint64_t root = DART_PHYS, iova;

	if (himg_open(&h, IOPT_FMT_APPLE_DART, 12, 32, 36, 0, DART_PHYS,
		      0x20000))
		goto out;
	/* Four TTBR tables at root + n * 4096, one L2 table each. */
	for (unsigned int n = 0; n < 4; n++) {
		uint64_t l2 = DART_PHYS + 0x8000 + 0x1000ULL * n;

		iova = ((uint64_t)n << 30) | (5ULL << 21) | (7ULL << 12);
		put64(&h, root + 0x1000ULL * n + 8 * 5, l2 | DART1_V);
		put64(&h, l2 + 8 * 7, (0x900000000ULL + (0x1000ULL << n)) |
		      DART1_V | DART1_SPDIS | DART_WHOLE);
		HW_PHYS(&h, root, iova + 0x123,
			0x900000123ULL + (0x1000ULL << n), 12, 12);
		HW_PERM(&h, root, iova, PALL);
		CHECK_EQ(hwalk_reads(&h, root, iova, NULL), 2);
	}
	/* Negative permissions: NO_READ (8), NO_WRITE (7); bits 2 and 3
	 * (v2's) are nothing here. */
	iova = (5ULL << 21) | (8ULL << 12);
	put64(&h, DART_PHYS + 0x8000 + 8 * 8, 0xfffff000ULL | DART1_V |
	      DART1_SPDIS | DART1_NOW | DART_WHOLE | 0xc);
	HW_PERM(&h, root, iova, PUR | PPR | PUX | PPX);
	HW_FAULT(&h, root, iova, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	iova += 0x1000;
	put64(&h, DART_PHYS + 0x8000 + 8 * 9, 0xfffff000ULL | DART1_V |
	      DART1_SPDIS | DART1_NOR | DART_WHOLE);
	HW_PERM(&h, root, iova, PUW | PPW);
	iova += 0x1000;
	put64(&h, DART_PHYS + 0x8000 + 8 * 10, 0xfffff000ULL | DART1_V |
	      DART1_SPDIS | DART1_NOR | DART1_NOW | DART_WHOLE);
	HW_PERM(&h, root, iova, 0);
	/* PA[35:12] in place: bit 35 is the top. */
	iova += 0x1000;
	put64(&h, DART_PHYS + 0x8000 + 8 * 11, 0xfffffffff000ULL | DART1_V |
	      DART1_SPDIS | DART_WHOLE);
	HW_PHYS(&h, root, iova + 5, 0xffffff005ULL, 12, 12);
	/* Sub-page protection without SP_DIS: bytes [1, 2] of the page. */
	iova += 0x1000;
	put64(&h, DART_PHYS + 0x8000 + 8 * 12, 0x5000 | DART1_V | DART_SP(1, 2));
	HW_FAULT(&h, root, iova, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	CHECK_EQ(hwalk(&h, root, iova + 1, R, &(struct iopt_hwsim_result){ 0 }), 0);
	CHECK_EQ(hwalk(&h, root, iova + 2, W, &(struct iopt_hwsim_result){ 0 }), 0);
	HW_FAULT(&h, root, iova + 3, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_PHYS(&h, root, iova + 3, 0x5003, 12, 12);	/* no access asked */
	put64(&h, DART_PHYS + 0x8000 + 8 * 12, 0x5000 | DART1_V | DART1_SPDIS |
	      DART_SP(1, 2));
	CHECK_EQ(hwalk(&h, root, iova, R, &(struct iopt_hwsim_result){ 0 }), 0);
	put64(&h, DART_PHYS + 0x8000 + 8 * 12, 0x5000 | DART1_V | DART_WHOLE);
	CHECK_EQ(hwalk(&h, root, iova + 0xfff, R | W,
		       &(struct iopt_hwsim_result){ 0 }), 0);
	/* Not valid: a translation fault at either level. */
	HW_FAULT(&h, root, (5ULL << 21) | (100ULL << 12), 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 0);
	HW_FAULT(&h, root, 6ULL << 21, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	HW_FAULT(&h, root, 1ULL << 32, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 1);
out:
	himg_close(&h);
}

TEST(dart_v2_walks)
{
	struct himg h, h3;
	uint64_t root = DART_PHYS, t1 = DART_PHYS + 0x4000, iova;
	const uint64_t pa = 0x3abcdef4000ULL;

	if (himg_open(&h, IOPT_FMT_APPLE_DART2, 14, 36, 42, 0, DART_PHYS,
		      0x20000))
		goto out;
	/* ias 36: VA[35:25] in the TTBR table, VA[24:14] below. */
	iova = (0x7ffULL << 25) | (9ULL << 14);
	put64(&h, root + 8 * 0x7ff, dart2_oa(t1) | DART1_V);
	put64(&h, t1 + 8 * 9, dart2_oa(pa) | DART1_V | DART_WHOLE);
	CHECK_EQ(dart2_oa(pa), 0x3abcdef400ULL);	/* by hand: PA >> 4 */
	HW_PHYS(&h, root, iova + 0x3fff, pa + 0x3fff, 14, 14);
	HW_PERM(&h, root, iova, PALL);
	CHECK_EQ(hwalk_reads(&h, root, iova, NULL), 2);
	/* NO_READ 3, NO_WRITE 2, NO_CACHE 1 (no permission); v1's 7, 8
	 * nothing. */
	put64(&h, t1 + 8 * 10, dart2_oa(pa) | DART1_V | DART_WHOLE | DART2_NOW |
	      DART2_NOC | DART1_NOR);
	HW_PERM(&h, root, iova + 0x4000, PUR | PPR | PUX | PPX);
	put64(&h, t1 + 8 * 11, dart2_oa(pa) | DART1_V | DART_WHOLE | DART2_NOR |
	      DART1_NOW);
	HW_PERM(&h, root, iova + 0x8000, PUW | PPW);
	/* Sub-page units of 4 bytes with 16K pages; bit 1 is not SP_DIS. */
	put64(&h, t1 + 8 * 12, dart2_oa(pa) | DART1_V | DART2_NOC | DART_SP(1, 1));
	iova += 0xc000;
	HW_FAULT(&h, root, iova + 3, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	CHECK_EQ(hwalk(&h, root, iova + 4, R, &(struct iopt_hwsim_result){ 0 }), 0);
	CHECK_EQ(hwalk(&h, root, iova + 7, W, &(struct iopt_hwsim_result){ 0 }), 0);
	HW_FAULT(&h, root, iova + 8, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	put64(&h, t1 + 8 * 12, dart2_oa(pa) | DART1_V | DART_SP(3, 2));
	HW_FAULT(&h, root, iova + 8, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, root, 1ULL << 36, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 1);

	/* ias 42: three levels, the top indexed by VA[41:36] (64 entries). */
	if (himg_open(&h3, IOPT_FMT_APPLE_DART2, 14, 42, 42, 0, DART_PHYS,
		      0x20000) == 0) {
		uint64_t t2 = DART_PHYS + 0x8000;

		iova = (63ULL << 36) | (5ULL << 25) | (9ULL << 14) | 0x10;
		put64(&h3, root + 8 * 63, dart2_oa(t1) | DART1_V);
		put64(&h3, t1 + 8 * 5, dart2_oa(t2) | DART1_V);
		put64(&h3, t2 + 8 * 9, dart2_oa(pa) | DART1_V | DART_WHOLE);
		HW_PHYS(&h3, root, iova, pa + 0x10, 14, 14);
		CHECK_EQ(hwalk_reads(&h3, root, iova, NULL), 3);
		HW_FAULT(&h3, root, 62ULL << 36, 0,
			 IOPT_HWSIM_FAULT_TRANSLATION, 2);
		HW_FAULT(&h3, root, 1ULL << 42, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 2);
		himg_close(&h3);
	}
out:
	himg_close(&h);
}

/* DART invalidates whole streams: IOPT_HWSIM_STREAM_INV models that;
 * without it the range semantics keep the oracle strict. */
TEST(dart_iotlb)
{
	struct iopt_hwsim_params p = { .tlb_entries = 16, .walk_entries = 4 };
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct himg h;
	uint64_t a = (5ULL << 21) | (7ULL << 12), b = (3ULL << 30) | a;

	memset(&sim, 0, sizeof(sim));
	if (himg_open(&h, IOPT_FMT_APPLE_DART, 12, 32, 36, 0, DART_PHYS,
		      0x20000))
		goto out;
	put64(&h, DART_PHYS + 8 * 5, (DART_PHYS + 0x8000) | DART1_V);
	put64(&h, DART_PHYS + 0x3000 + 8 * 5, (DART_PHYS + 0x9000) | DART1_V);
	put64(&h, DART_PHYS + 0x8000 + 8 * 7, 0x1000 | DART1_V | DART1_SPDIS);
	put64(&h, DART_PHYS + 0x8000 + 8 * 8, 0x2000 | DART1_V | DART1_SPDIS);
	put64(&h, DART_PHYS + 0x9000 + 8 * 7, 0x3000 | DART1_V | DART1_SPDIS);
	put64(&h, DART_PHYS + 0x9000 + 8 * 9, 0x4000 | DART1_V | DART_SP(0, 0xf));
	for (unsigned int mode = 0; mode < 2; mode++) {
		p.flags = mode ? IOPT_HWSIM_STREAM_INV : 0;
		ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
		ASSERT_EQ(iopt_hwsim_set_root(&sim, DART_PHYS), 0);
		CHECK_EQ(iopt_hwsim_translate(&sim, a, R, &r), 0);
		CHECK_EQ(iopt_hwsim_translate(&sim, b, R, &r), 0);
		CHECK_EQ(r.phys, 0x3000);
		CHECK_EQ(iopt_hwsim_translate(&sim, a + 0x1000, R, &r), 0);
		CHECK_EQ(counters(&sim).walk_hits[1], 1);
		CHECK_EQ(iopt_hwsim_translate(&sim, b, W, &r), 0);
		CHECK(r.cached);
		/* A cached sub-page range still applies per offset. */
		CHECK_EQ(iopt_hwsim_translate(&sim, b + 0x2000 + 0xf, R, &r), 0);
		CHECK_EQ(iopt_hwsim_translate(&sim, b + 0x2000 + 0x10, R, &r),
			 -EFAULT);
		CHECK(r.cached && r.fault == IOPT_HWSIM_FAULT_PERMISSION);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
		/* Unmap a, invalidate only b's page. */
		put64(&h, DART_PHYS + 0x8000 + 8 * 7, 0);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
		CHECK_EQ(iopt_hwsim_inv_range(&sim, b, 0x1000, 12, true), 0);
		CHECK_EQ(counters(&sim).inv_range, 1);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL),
			 mode ? 0 : 1);
		CHECK_EQ(counters(&sim).tlb_dropped, mode ? 4 : 1);
		CHECK_EQ(counters(&sim).walk_dropped, mode ? 2 : 0);
		put64(&h, DART_PHYS + 0x8000 + 8 * 7, 0x1000 | DART1_V |
		      DART1_SPDIS);
		iopt_hwsim_fini(&sim);
	}
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/* ------------------------------------------- hostile new-format tables */

/* A hostile word for the new formats: random, or shaped like a table or
 * leaf of the format pointing mostly into [base, base + size). */
static uint64_t hostile_word_new(uint64_t *rng, const struct iopt_hwsim_geom *g,
				 uint64_t base, uint64_t size)
{
	uint64_t v = h_rand(rng), unit, addr;
	unsigned int k = (unsigned int)(h_rand(rng) % 10);

	unit = g->format == IOPT_FMT_ARM_V7S ? 0x400 : 1ULL << g->granule_lg2;
	addr = base + (h_rand(rng) % (size / unit)) * unit;
	if (h_rand(rng) % 10 == 0)
		addr = h_rand(rng) % 2 ? base + size : v & 0xfffffffff000ULL;
	switch (g->format) {
	case IOPT_FMT_ARM_V7S:
		if (k < 3)
			return v & 0xffffffffULL;
		if (k == 9)
			return 0;
		/* pointer bits, random attributes, type 01 / 10 / 11 */
		return ((addr & 0xfffffc00ULL) | (v & 0x3fc)) |
		       (1 + h_rand(rng) % 3);
	case IOPT_FMT_ARM_MALI_LPAE:
		if (k < 3)
			return v;
		if (k == 9)
			return 0;
		return addr | (v & 0xfff0000000000ffcULL) | (k < 7 ? 3 : 1);
	default:
		if (k < 3)
			return v;
		if (k == 9)
			return 0;
		if (g->format == IOPT_FMT_APPLE_DART2)
			addr = dart2_oa(addr);
		return addr | (v & 0xffffff00000001feULL) | 1;
	}
}

TEST(hostile_new_formats)
{
	static const struct {
		enum iopt_format f;
		unsigned int ias, oas;
		uint32_t q;
		uint64_t phys;
	} v[] = {
		{ IOPT_FMT_ARM_V7S, 32, 32, 0, 0x40000000ULL },
		{ IOPT_FMT_ARM_V7S, 32, 32, IOPT_QUIRK_V7S_NO_PERMS, 0x7fff0000ULL },
		{ IOPT_FMT_ARM_V7S, 32, 35, IOPT_QUIRK_V7S_NO_PERMS |
		  IOPT_QUIRK_V7S_MTK_EXT, 0x80000000ULL },
		{ IOPT_FMT_ARM_MALI_LPAE, 48, 40, 0, 0x80000000ULL },
		{ IOPT_FMT_ARM_MALI_LPAE, 36, 32, 0, 0x40000000ULL },
		{ IOPT_FMT_APPLE_DART, 32, 36, 0, 0x800000000ULL },
		{ IOPT_FMT_APPLE_DART2, 36, 42, 0, 0x10000000000ULL },
		{ IOPT_FMT_APPLE_DART2, 42, 42, 0, 0x10000000000ULL },
	};
	uint64_t rng = test_rng("hostile_new_formats", NULL);

	for (unsigned int i = 0; i < ARRAY_SIZE(v) && !h_failed_now; i++) {
		struct iopt_config c = { v[i].f, 0, v[i].ias, v[i].oas, v[i].q, 0 };
		struct iopt_hwsim_geom g;
		struct iopt_hwsim_mem m;
		struct iopt_hwsim sim;
		struct iopt_arena a;
		unsigned char *img, *copy;
		uint64_t size, ent;

		ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
		ent = 1ULL << g.pte_lg2;
		size = (uint64_t)32 << (g.granule_lg2 + 2);
		img = malloc(size);
		copy = malloc(size);
		ASSERT(img && copy);
		for (uint64_t o = 0; o < size; o += ent) {
			uint64_t w = hostile_word_new(&rng, &g, v[i].phys, size);

			if (ent == 4)
				for (int b = 0; b < 4; b++)
					img[o + b] = (unsigned char)(w >> (8 * b));
			else
				le64_put(img + o, w);
		}
		memcpy(copy, img, size);
		iopt_hwsim_mem_image(&m, img, size, v[i].phys);
		hostile_walks(&g, &m, img, v[i].phys, size, &rng,
			      NR_HOSTILE_WALKS, true);
		/* Entries straddling the image's ends. */
		iopt_hwsim_mem_image(&m, img, size, v[i].phys + ent / 2 + ent);
		hostile_walks(&g, &m, img, v[i].phys + ent / 2 + ent, size,
			      &rng, NR_HOSTILE_WALKS / 4, false);
		CHECK(!memcmp(img, copy, size));

		/* The arena's atomic word loads, and the caches. */
		if (v[i].phys <= 0xffffffffULL &&
		    iopt_arena_create(&a, size + size / 64, v[i].phys) == 0) {
			memcpy(a.base, img, size < a.size ? size : a.size);
			iopt_hwsim_mem_arena(&m, &a);
			hostile_walks(&g, &m, a.base, a.phys_base, a.size, &rng,
				      NR_HOSTILE_WALKS / 2, false);
			if (iopt_hwsim_init(&sim, &c, &m, &oracle_params) == 0) {
				for (unsigned int k = 0; k < 300; k++) {
					struct iopt_hwsim_result r;
					uint64_t reads = counters(&sim).entry_reads;
					uint64_t iova = h_rand(&rng) &
							((1ULL << g.ias) - 1);
					int ret;

					if (k % 50 == 0)
						iopt_hwsim_set_root(&sim,
							a.phys_base +
							h_rand(&rng) % a.size);
					ret = iopt_hwsim_translate(&sim, iova, R,
								   &r);
					check_outcome(&g, iova, ret, &r);
					if (counters(&sim).entry_reads - reads >
					    g.levels)
						H_FAIL("translate read too much");
				}
				CHECK(iopt_hwsim_check_coherent(&sim, NULL,
								NULL) >= 0);
				iopt_hwsim_fini(&sim);
			} else {
				H_FAIL("iopt_hwsim_init failed");
			}
			iopt_arena_destroy(&a);
		}
		free(img);
		free(copy);
	}
}

/* ------------------------------------------------------------ ARM TTBR1 */

static int ttbr1_extent(void *arg, uint64_t iova, uint64_t phys, uint64_t len,
			unsigned int prot)
{
	uint64_t *sum = arg;

	(void)iova;
	(void)phys;
	(void)prot;
	sum[0] += len;
	sum[1]++;
	return 0;
}

/*
 * TTBR1 tables (upper-half IOVAs) against the simulated IOMMU: random
 * pages and blocks in slots spread over the whole upper half, the last
 * slot ending at 2^64 - 1, mapped through the domain layer and the page
 * API, translated by the engine and by the walker (through its caches,
 * flushed by the engine's callbacks), iterated and unmapped, partly and
 * in one call covering [2^64 - 2^ias, 2^64 - 1].
 */
TEST(ttbr1_oracle)
{
	static const char *const names[] = {
		"arm-lpae-s1-4k:ttbr1",
		"arm-lpae-s1-4k:ttbr1,ias=39,oas=40",
		"arm-lpae-s1-16k:ttbr1,lpa2,ias=52,oas=52",
		"arm-lpae-s1-64k:ttbr1,ias=52,oas=52",
		"arm-lpae-s1-4k:ttbr1,lpa2,ias=52,oas=52,ns",
	};
	struct iopt_config c;
	struct iopt_hwsim_geom g;

	/* Geometry: the region flag, and what the walker refuses. */
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s2-4k:ttbr1", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(&c, &g), -EINVAL);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-4k:ias=52", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(&c, &g), -ENOTSUP);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-16k:oas=52", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(&c, &g), -ENOTSUP);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-64k:lpa2", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(&c, &g), -ENOTSUP);
	ASSERT_EQ(iopt_config_from_name("arm-lpae-s1-64k:ias=53", &c), 0);
	CHECK_EQ(iopt_hwsim_geometry(&c, &g), -ENOTSUP);

	for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
		struct tenv e;
		struct iopt_hwsim sim;
		struct wrap w = { 0 };
		struct iopt_domain d;
		struct iopt_hwsim_result r;
		uint64_t rng = test_rng("ttbr1_oracle", names[n]);
		uint64_t base, slot, nslots, used[24], iova[24], pa[24], sz[24];
		uint64_t sum[2] = { 0, 0 }, total = 0, unmapped;
		unsigned int cnt = 0;

		if (wrap_open(&e, &sim, &w, names[n], &oracle_params))
			goto next;
		ASSERT_EQ(iopt_hwsim_geometry(&e.cfg, &g), 0);
		CHECK(g.ttbr1);
		CHECK_EQ(g.levels, iopt_levels(&e.t));
		CHECK_EQ(g.ds, (e.cfg.quirks & IOPT_QUIRK_ARM_LPA2) != 0);
		ASSERT_EQ(iopt_domain_init(&d, &e.t, IOPT_DOMAIN_BATCHED), 0);
		base = 0 - (1ULL << e.cfg.ias);
		slot = 4 * e.blk;
		nslots = (1ULL << e.cfg.ias) / slot;
		/* Outside the T1SZ region: an input address-size fault. */
		CHECK_EQ(iopt_hwsim_translate(&sim, base - e.gsz, 0, &r),
			 -EFAULT);
		CHECK(r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE && r.input);
		CHECK_EQ(iopt_hwsim_translate(&sim, 0, 0, &r), -EFAULT);
		CHECK(r.input);
		CHECK_EQ(iopt_hwsim_translate(&sim, base, 0, &r), -EFAULT);
		CHECK(r.fault == IOPT_HWSIM_FAULT_TRANSLATION && !r.input);
		CHECK_EQ(iopt_domain_map(&d, e.blk, 0, e.gsz, IOPT_READ),
			 -ERANGE);

		for (unsigned int i = 0; i < ARRAY_SIZE(used); i++) {
			uint64_t s = i == 0 ? nslots - 1 : i == 1 ? 0 :
				     h_rand(&rng) % nslots;
			bool dup = false;
			int ret;

			for (unsigned int j = 0; j < cnt; j++)
				dup |= used[j] == s;
			if (dup)
				continue;
			used[cnt] = s;
			/* pages or a block ending where the slot ends */
			if (h_rand(&rng) % 2) {
				sz[cnt] = e.gsz * (1 + h_rand(&rng) % 3);
				iova[cnt] = base + s * slot + slot - sz[cnt];
			} else {
				sz[cnt] = e.blk;
				iova[cnt] = base + s * slot + slot - e.blk;
			}
			pa[cnt] = (h_rand(&rng) % (1ULL << (e.cfg.oas - 1))) &
				  ~(e.blk - 1);
			if (h_rand(&rng) % 2)
				ret = iopt_domain_map(&d, iova[cnt], pa[cnt],
						      sz[cnt], IOPT_READ |
						      IOPT_WRITE);
			else
				ret = tenv_map(&e, iova[cnt], pa[cnt], sz[cnt] ==
					       e.blk ? e.blk : e.gsz, sz[cnt] ==
					       e.blk ? 1 : sz[cnt] / e.gsz,
					       IOPT_READ | IOPT_WRITE);
			ASSERT_EQ(ret, 0);
			total += sz[cnt];
			cnt++;
		}
		/* the last slot ends at 2^64 - 1 */
		CHECK_EQ(iova[0] + sz[0], 0);
		for (unsigned int j = 0; j < cnt; j++) {
			uint64_t off = (h_rand(&rng) % sz[j]) & ~7ULL;

			CHECK_EQ(iopt_iova_to_phys(&e.t, iova[j] + off),
				 pa[j] + off);
			CHECK_EQ(iopt_hwsim_translate(&sim, iova[j] + off,
						      IOPT_HWSIM_WRITE, &r), 0);
			CHECK_EQ(r.phys, pa[j] + off);
			CHECK_EQ(iopt_iova_to_phys(&e.t, (iova[j] + off) &
						   ((1ULL << e.cfg.ias) - 1)),
				 IOPT_PHYS_NONE);
		}
		CHECK_EQ(iopt_for_each_extent(&e.t, base, 0 - base,
					      ttbr1_extent, sum), 0);
		CHECK_EQ(sum[0], total);
		/* Unmap the odd ones through the domain, then the rest in one
		 * call up to 2^64 - 1; the walker must see each go. */
		for (unsigned int j = 1; j < cnt; j += 2) {
			CHECK_EQ(iopt_domain_unmap(&d, iova[j], sz[j], &e.g,
						   &unmapped), 0);
			CHECK_EQ(unmapped, sz[j]);
		}
		iopt_gather_sync(&e.g);
		for (unsigned int j = 0; j < cnt; j++) {
			int ret = iopt_hwsim_translate(&sim, iova[j], 0, &r);

			CHECK_EQ(ret, j % 2 ? -EFAULT : 0);
		}
		CHECK_EQ(iopt_unmap_range(&e.t, base, 0 - base, 0, &e.g,
					  &unmapped), 0);
		iopt_gather_sync(&e.g);
		for (unsigned int j = 0; j < cnt; j += 2) {
			CHECK_EQ(iopt_hwsim_translate(&sim, iova[j], 0, &r),
				 -EFAULT);
			CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
		}
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
next:
		iopt_hwsim_fini(&sim);
		tenv_close(&e);
	}
}

/* ------------------------------------------- Intel VT-d second stage */

/*
 * VT-d second-stage tables written here entry by entry from the VT-d
 * spec's layout (9.8; formats.md section 7): R bit 0, W bit 1, X bit 2
 * (ignored without ECAP.SLEE), PS bit 7, SNP bit 11, TM bit 62, the
 * address in [51:12]. Four tables from VTD_PHYS: PML4 +0, PDPT +0x1000,
 * PD +0x2000, PT +0x3000, on the path of VTD_A (indices 1, 2, 3, 4).
 */
#define VTD_PHYS 0x10000000ULL
#define VTD_RW   3ULL
#define VTD_PS   (1ULL << 7)
#define VTD_SNP  (1ULL << 11)
#define VTD_TM   (1ULL << 62)
#define VTD_IDX(l4, l3, l2, l1) (((uint64_t)(l4) << 39) | ((uint64_t)(l3) << 30) | \
				 ((uint64_t)(l2) << 21) | ((uint64_t)(l1) << 12))
#define VTD_A    VTD_IDX(1, 2, 3, 4)
#define VTD_PML4 (VTD_PHYS)
#define VTD_PDPT (VTD_PHYS + 0x1000)
#define VTD_PD   (VTD_PHYS + 0x2000)
#define VTD_PT   (VTD_PHYS + 0x3000)
/* Permissions: R gives reads and (no SLEE) fetches; W writes. */
#define VTD_PERM_R (IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR | \
		    IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX)
#define VTD_PERM_W (IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW)

static int vtd_image(struct himg *h, unsigned int ias, unsigned int oas,
		     uint32_t quirks)
{
	if (himg_open(h, IOPT_FMT_VTD_SS, 12, ias, oas, quirks, VTD_PHYS,
		      0x8000))
		return -1;
	put64(h, VTD_PML4 + 8 * 1, VTD_PDPT | VTD_RW);
	put64(h, VTD_PDPT + 8 * 2, VTD_PD | VTD_RW);
	put64(h, VTD_PD + 8 * 3, VTD_PT | VTD_RW);
	put64(h, VTD_PT + 8 * 4, 0x123456000ULL | VTD_RW);
	put64(h, VTD_PT + 8 * 5, 0x1000 | 1);		/* R only */
	put64(h, VTD_PT + 8 * 6, 0x2000 | 2);		/* W only */
	put64(h, VTD_PT + 8 * 7, 0x3000 | 4);		/* X alone: not present */
	put64(h, VTD_PT + 8 * 8, 0x4000 | VTD_SNP | VTD_RW);
	put64(h, VTD_PT + 8 * 9, 0x5000 | VTD_TM | VTD_RW);
	/* ignored: [10:3] (PS is not looked at in a PTE), [61:52], 63 */
	put64(h, VTD_PT + 8 * 10, 0x6000 | 0x7f8 | (0x3ffULL << 52) |
	      (1ULL << 63) | VTD_RW);
	put64(h, VTD_PT + 8 * 11, (1ULL << 51) | 0x7000 | VTD_RW);
	put64(h, VTD_PD + 8 * 5, 0x40000000 | VTD_PS | VTD_RW);	/* 2M */
	put64(h, VTD_PD + 8 * 6, 0x40000000 | (1ULL << 12) | VTD_PS | VTD_RW);
	put64(h, VTD_PD + 8 * 7, 0x40100000 | VTD_PS | VTD_RW);	/* bit 20 */
	put64(h, VTD_PDPT + 8 * 3, 0x80000000 | VTD_PS | VTD_RW);	/* 1G */
	put64(h, VTD_PDPT + 8 * 4, 0x80200000 | VTD_PS | VTD_RW);	/* bit 21 */
	put64(h, VTD_PML4 + 8 * 2, 0x8000000000ULL | VTD_PS | VTD_RW);
	put64(h, VTD_PML4 + 8 * 3, (VTD_PHYS + 0x100000) | VTD_RW); /* outside */
	put64(h, VTD_PML4 + 8 * 4, VTD_PDPT | 4);	/* X only: not present */
	return 0;
}

TEST(vtd_walks)
{
	struct iopt_hwsim_result r;
	struct iopt_hwsim_geom g48, g52;
	struct himg h, h5;
	uint64_t a = VTD_A;

	memset(&h5, 0, sizeof(h5));
	if (vtd_image(&h, 48, 52, 0))
		goto out;
	HW_PHYS(&h, VTD_PML4, a + 0x10, 0x123456010ULL, 12, 12);
	HW_PERM(&h, VTD_PML4, a, VTD_PERM_R | VTD_PERM_W);
	HW_PERM(&h, VTD_PML4, a + 0x1000, VTD_PERM_R);
	HW_PERM(&h, VTD_PML4, a + 0x2000, VTD_PERM_W);
	/* Write-only: a read (or a fetch) is a permission fault. */
	HW_FAULT(&h, VTD_PML4, a + 0x2000, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, VTD_PML4, a + 0x2000, X, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, VTD_PML4, a + 0x1000, W | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, VTD_PML4, a + 0x3000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	HW_PHYS(&h, VTD_PML4, a + 0x4000, 0x4000, 12, 12);	/* SNP */
	HW_FAULT(&h, VTD_PML4, a + 0x5000, 0, IOPT_HWSIM_FAULT_RESERVED, 0);
	HW_PHYS(&h, VTD_PML4, a + 0x6abc, 0x6abc, 12, 12);
	HW_PHYS(&h, VTD_PML4, a + 0x7000, (1ULL << 51) | 0x7000, 12, 12);
	HW_FAULT(&h, VTD_PML4, a + 0xc000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	/* Superpages: 2M in the PD, 1G in the PDPT; their unused address
	 * bits are reserved. */
	HW_PHYS(&h, VTD_PML4, VTD_IDX(1, 2, 5, 0) + 0x12345, 0x40012345, 21, 21);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(1, 2, 6, 0), 0,
		 IOPT_HWSIM_FAULT_RESERVED, 1);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(1, 2, 7, 0), 0,
		 IOPT_HWSIM_FAULT_RESERVED, 1);
	HW_PHYS(&h, VTD_PML4, VTD_IDX(1, 3, 0, 0) + 0x1234567, 0x81234567, 30, 30);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(1, 4, 0, 0), 0,
		 IOPT_HWSIM_FAULT_RESERVED, 2);
	/* PS in a PML4E is reserved; X alone is not present; a table
	 * outside memory aborts the walk. */
	HW_FAULT(&h, VTD_PML4, VTD_IDX(2, 0, 0, 0), 0,
		 IOPT_HWSIM_FAULT_RESERVED, 3);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(4, 0, 0, 0), 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 3);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(3, 0, 0, 0), 0,
		 IOPT_HWSIM_FAULT_WALK_ABORT, 2);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(0, 0, 0, 0), 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 3);

	/* R and W are AND-ed down the levels. */
	put64(&h, VTD_PD + 8 * 3, VTD_PT | 1);
	HW_PERM(&h, VTD_PML4, a, VTD_PERM_R);
	HW_FAULT(&h, VTD_PML4, a, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	put64(&h, VTD_PDPT + 8 * 2, VTD_PD | 2);
	HW_PERM(&h, VTD_PML4, a, 0);		/* R from the PD, W from the PDPT */
	put64(&h, VTD_PD + 8 * 3, VTD_PT | VTD_RW);
	HW_PERM(&h, VTD_PML4, a, VTD_PERM_W);
	HW_PERM(&h, VTD_PML4, VTD_IDX(1, 2, 5, 0), VTD_PERM_W); /* 2M too */
	put64(&h, VTD_PDPT + 8 * 2, VTD_PD | VTD_RW);
	/* SNP and TM in table entries are reserved. */
	put64(&h, VTD_PD + 8 * 3, VTD_PT | VTD_SNP | VTD_RW);
	HW_FAULT(&h, VTD_PML4, a, 0, IOPT_HWSIM_FAULT_RESERVED, 1);
	put64(&h, VTD_PD + 8 * 3, VTD_PT | VTD_RW);
	put64(&h, VTD_PML4 + 8 * 1, VTD_PDPT | VTD_TM | VTD_RW);
	HW_FAULT(&h, VTD_PML4, a, 0, IOPT_HWSIM_FAULT_RESERVED, 3);
	put64(&h, VTD_PML4 + 8 * 1, VTD_PDPT | VTD_RW);
	HW_PHYS(&h, VTD_PML4, a, 0x123456000ULL, 12, 12);

	/* Inputs at or above 2^48 (not sign-extended): address-size faults. */
	CHECK_EQ(hwalk(&h, VTD_PML4, 1ULL << 48, 0, &r), -EFAULT);
	CHECK(r.input && r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE);
	CHECK_EQ(hwalk(&h, VTD_PML4, 0xffff800000000000ULL | a, 0, &r), -EFAULT);
	CHECK(r.input && r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE);

	/* oas 48: address bits [51:48] of a leaf, a table or the root are
	 * reserved. */
	g52 = h.g;
	ASSERT_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_VTD_SS,
				12, 48, 48, 0, 0 }, &g48), 0);
	h.g = g48;
	HW_PHYS(&h, VTD_PML4, a, 0x123456000ULL, 12, 12);
	HW_FAULT(&h, VTD_PML4, a + 0x7000, 0, IOPT_HWSIM_FAULT_RESERVED, 0);
	put64(&h, VTD_PD + 8 * 3, (1ULL << 48) | VTD_PT | VTD_RW);
	HW_FAULT(&h, VTD_PML4, a, 0, IOPT_HWSIM_FAULT_RESERVED, 1);
	put64(&h, VTD_PD + 8 * 3, VTD_PT | VTD_RW);
	CHECK_EQ(hwalk(&h, VTD_PML4 | (1ULL << 48), a, 0, &r), -EFAULT);
	CHECK(!r.input && r.fault == IOPT_HWSIM_FAULT_RESERVED);
	/* The root's low 12 bits are ignored. */
	HW_PHYS(&h, VTD_PML4 | 0xfff, a, 0x123456000ULL, 12, 12);

	/* No 1G superpages (CAP.SLLPS bit 1 clear): PS in a PDPE is
	 * reserved, 2M stays. */
	ASSERT_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_VTD_SS,
				12, 48, 52, IOPT_QUIRK_VTD_NO_1G, 0 }, &h.g), 0);
	HW_FAULT(&h, VTD_PML4, VTD_IDX(1, 3, 0, 0), 0,
		 IOPT_HWSIM_FAULT_RESERVED, 2);
	HW_PHYS(&h, VTD_PML4, VTD_IDX(1, 2, 5, 0), 0x40000000, 21, 21);

	/* 3 levels: the PDPT is the root, ias 39. */
	ASSERT_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_VTD_SS,
				12, 39, 52, 0, 0 }, &h.g), 0);
	CHECK_EQ(h.g.levels, 3);
	HW_PHYS(&h, VTD_PDPT, VTD_IDX(0, 2, 3, 4), 0x123456000ULL, 12, 12);
	CHECK_EQ(hwalk(&h, VTD_PDPT, 1ULL << 39, 0, &r), -EFAULT);
	CHECK(r.input && r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE);
	h.g = g52;

	/* 5 levels: a PML5 whose entry 1 points at the PML4 above, entry 0
	 * a PS (reserved in a PML5E). */
	if (vtd_image(&h5, 57, 52, 0))
		goto out;
	CHECK_EQ(h5.g.levels, 5);
	put64(&h5, VTD_PHYS + 0x4000 + 8, VTD_PML4 | VTD_RW);
	put64(&h5, VTD_PHYS + 0x4000, VTD_PS | VTD_RW);
	HW_PHYS(&h5, VTD_PHYS + 0x4000, (1ULL << 48) | a, 0x123456000ULL, 12, 12);
	HW_FAULT(&h5, VTD_PHYS + 0x4000, a, 0, IOPT_HWSIM_FAULT_RESERVED, 4);
	CHECK_EQ(hwalk(&h5, VTD_PHYS + 0x4000, 1ULL << 57, 0, &r), -EFAULT);
	CHECK(r.input && r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE);
out:
	himg_close(&h);
	himg_close(&h5);
}

TEST(vtd_geometry)
{
	struct iopt_hwsim_geom g;
	static const struct {
		unsigned int gl, ias, oas;
		uint32_t q;
		int ret;
		unsigned int levels;
	} v[] = {
		{ 12, 39, 52, 0, 0, 3 }, { 0, 48, 52, 0, 0, 4 },
		{ 12, 57, 32, 0, 0, 5 }, { 12, 48, 48, IOPT_QUIRK_VTD_NO_1G, 0, 4 },
		{ 12, 40, 52, 0, -ENOTSUP, 0 }, { 12, 47, 52, 0, -ENOTSUP, 0 },
		{ 12, 48, 53, 0, -ENOTSUP, 0 }, { 12, 48, 31, 0, -ENOTSUP, 0 },
		{ 14, 48, 52, 0, -ENOTSUP, 0 },
		{ 12, 48, 52, IOPT_QUIRK_ARM_TTBR1, -EINVAL, 0 },
		{ 12, 48, 52, IOPT_QUIRK_NO_CONTIG, -EINVAL, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { IOPT_FMT_VTD_SS, v[i].gl, v[i].ias,
					 v[i].oas, v[i].q, 0 };
		int ret;

		memset(&g, 0xa5, sizeof(g));
		ret = iopt_hwsim_geometry(&c, &g);
		if (ret != v[i].ret) {
			H_FAIL("case %u: %d, expected %d", i, ret, v[i].ret);
			continue;
		}
		if (ret) {
			CHECK_EQ(g.levels, 0xa5a5a5a5u);
			continue;
		}
		CHECK_EQ(g.levels, v[i].levels);
		CHECK_EQ(g.top_bits, 9);
		CHECK_EQ(g.level_bits, 9);
		CHECK_EQ(g.granule_lg2, 12);
		CHECK(!g.sign_extend && !g.stage2);
		CHECK_EQ(g.quirks, v[i].q);
	}
	/* A geometry that does not add up is refused by the walker. */
	ASSERT_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_VTD_SS,
				12, 48, 52, 0, 0 }, &g), 0);
	{
		struct iopt_hwsim_result r;
		struct iopt_hwsim_mem m;
		struct iopt_hwsim_geom bad = g;

		iopt_hwsim_mem_image(&m, "", 0, 0);
		bad.levels = 5;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.sign_extend = true;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.quirks = IOPT_QUIRK_ARM_LPA2;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		CHECK_EQ(iopt_hwsim_walk(&g, &m, 0, 0, 0, &r), -EFAULT);
		CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	}
}

/* Translate @iova and say whether the IOTLB answered. */
static bool vtd_cached(struct iopt_hwsim *sim, uint64_t iova)
{
	struct iopt_hwsim_result r;

	if (iopt_hwsim_translate(sim, iova, 0, &r)) {
		H_FAIL("0x%" PRIx64 ": no translation", iova);
		return false;
	}
	return r.cached;
}

/* Fill the caches: the 4K pages at A and A + 4K, the 2M page at
 * (1, 2, 5), the 1G page at (1, 3): four IOTLB entries; walk-cache
 * entries for the PML4E, the PDPTE and the PDE on A's path. */
static void vtd_fill(struct iopt_hwsim *sim)
{
	static const uint64_t at[] = {
		VTD_A, VTD_A + 0x1000, VTD_IDX(1, 2, 5, 0), VTD_IDX(1, 3, 0, 0),
	};
	struct iopt_hwsim_result r;

	ASSERT_EQ(iopt_hwsim_set_root(sim, VTD_PML4), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(at); i++)
		CHECK_EQ(iopt_hwsim_translate(sim, at[i], 0, &r), 0);
	iopt_hwsim_reset_counters(sim);
}

/*
 * Page-selective invalidation: exactly the IOTLB entries overlapping the
 * 2^AM-page region (ADDR's low bits ignored), and without IH the
 * walk-cache entries overlapping it; AM above MAMV refused.
 */
TEST(vtd_psi)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16 };
	struct iopt_hwsim sim, other;
	struct iopt_hwsim_counters c;
	struct himg h;
	const uint64_t a = VTD_A, b = VTD_A + 0x1000;
	const uint64_t big = VTD_IDX(1, 2, 5, 0), huge = VTD_IDX(1, 3, 0, 0);

	memset(&sim, 0, sizeof(sim));
	memset(&other, 0, sizeof(other));
	if (vtd_image(&h, 48, 52, 0))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	CHECK_EQ(sim.vtd_mamv, IOPT_HWSIM_VTD_MAMV_DEFAULT);

	/* AM 0, IH: A's page only; the walk cache stays. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a, 0, true), 0);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi, 1);
	CHECK_EQ(c.vtd_psi_ih, 1);
	CHECK_EQ(c.inv_range + c.inv_all, 0);
	CHECK_EQ(c.tlb_dropped, 1);
	CHECK_EQ(c.walk_dropped, 0);
	CHECK(!vtd_cached(&sim, a));
	CHECK_EQ(counters(&sim).walk_hits[1], 1);	/* resumed below the PDE */
	CHECK(vtd_cached(&sim, b));
	CHECK(vtd_cached(&sim, big));
	CHECK(vtd_cached(&sim, huge));

	/* AM 0 without IH: also the PML4E, PDPTE and PDE that cover A. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a + 0xabc, 0, false), 0);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi_ih, 0);
	CHECK_EQ(c.tlb_dropped, 1);
	CHECK_EQ(c.walk_dropped, 3);
	CHECK(!vtd_cached(&sim, a));
	CHECK_EQ(counters(&sim).walk_misses, 1);

	/* AM 1 from B's address: ADDR[12] is ignored, so pages A and B. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, b, 1, true), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 2);
	CHECK(!vtd_cached(&sim, a));
	CHECK(!vtd_cached(&sim, b));
	CHECK(vtd_cached(&sim, big));

	/* AM 9: the 2M region of A's PD entry (index 3), not index 5's. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a, 9, false), 0);
	c = counters(&sim);
	CHECK_EQ(c.tlb_dropped, 2);
	CHECK_EQ(c.walk_dropped, 3);
	CHECK(vtd_cached(&sim, big));
	CHECK(vtd_cached(&sim, huge));

	/* One 4K page inside a superpage drops the superpage. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, big + 0x5000, 0, true), 0);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, huge + 0x3ffff000, 0, true), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 2);
	CHECK(!vtd_cached(&sim, big));
	CHECK(!vtd_cached(&sim, huge));
	CHECK(vtd_cached(&sim, a));

	/* AM 18 (the MAMV): 1G, A's PDPTE region: A, B, the 2M page, and
	 * the PML4E, PDPTE, PDE; not the 1G page next to it. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a, 18, false), 0);
	c = counters(&sim);
	CHECK_EQ(c.tlb_dropped, 3);
	CHECK_EQ(c.walk_dropped, 3);
	CHECK(vtd_cached(&sim, huge));

	/* Refused: AM above MAMV, another format, NULL; nothing counted. */
	vtd_fill(&sim);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a, 19, false), -EINVAL);
	CHECK_EQ(iopt_hwsim_vtd_set_mamv(&sim, 52), -EINVAL);
	CHECK_EQ(iopt_hwsim_vtd_set_mamv(NULL, 9), -EINVAL);
	CHECK_EQ(iopt_hwsim_vtd_set_mamv(&sim, 9), 0);
	CHECK_EQ(iopt_hwsim_vtd_psi(&sim, a, 10, false), -EINVAL);
	CHECK_EQ(iopt_hwsim_vtd_psi(NULL, a, 0, false), -EINVAL);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi + c.tlb_dropped + c.walk_dropped, 0);
	CHECK(vtd_cached(&sim, a));
	{
		struct iopt_config x86 = { IOPT_FMT_X86_64, 12, 48, 52, 0, 0 };

		ASSERT_EQ(iopt_hwsim_init(&other, &x86, &h.m, &p), 0);
		CHECK_EQ(iopt_hwsim_vtd_psi(&other, a, 0, false), -EINVAL);
		CHECK_EQ(iopt_hwsim_vtd_set_mamv(&other, 9), -EINVAL);
	}
out:
	iopt_hwsim_fini(&sim);
	iopt_hwsim_fini(&other);
	himg_close(&h);
}

/*
 * The flush callbacks on a VT-d table send what Linux's intel driver
 * sends: the range's pages rounded up to a power of two (AM), widened
 * until one aligned region holds the first and last page, IH from
 * leaf_only, domain-selective above MAMV.
 */
TEST(vtd_flush_ops)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16 };
	struct iopt_hwsim sim;
	struct iopt_hwsim_counters c;
	const struct iopt_flush_ops *ops;
	struct himg h;
	void *cookie = NULL;
	const uint64_t a = VTD_A, b = VTD_A + 0x1000;
	const uint64_t big = VTD_IDX(1, 2, 5, 0);

	memset(&sim, 0, sizeof(sim));
	if (vtd_image(&h, 48, 52, 0))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ops = iopt_hwsim_flush_ops(&sim, &cookie);
	ASSERT(cookie == &sim);

	/* Pages 4 and 5 (aligned pair): AM 1 at page 4, IH. */
	vtd_fill(&sim);
	ops->flush_range(cookie, a, 0x2000, 12, true);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi, 1);
	CHECK_EQ(c.vtd_psi_ih, 1);
	CHECK_EQ(c.tlb_dropped, 2);
	CHECK_EQ(c.walk_dropped, 0);

	/* Page 5 alone: AM 0; B only, and without IH the walk cache. */
	vtd_fill(&sim);
	ops->flush_range(cookie, b, 0x1000, 12, false);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi_ih, 0);
	CHECK_EQ(c.tlb_dropped, 1);
	CHECK_EQ(c.walk_dropped, 3);
	CHECK(vtd_cached(&sim, a));	/* A's page was not in the region */
	CHECK(!vtd_cached(&sim, b));
	CHECK_EQ(counters(&sim).walk_misses, 1); /* from the root */

	/* Pages 5 and 6: two pages, but 5 is odd: 5 ^ 6 = 0b011, so AM 2,
	 * the region of pages 4..7, which drops A (page 4) too. */
	vtd_fill(&sim);
	ops->flush_range(cookie, b, 0x2000, 12, true);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi, 1);
	CHECK_EQ(c.tlb_dropped, 2);
	CHECK(!vtd_cached(&sim, a));
	CHECK(vtd_cached(&sim, big));

	/* MAMV 2: five pages round up to AM 3, above it: domain-selective. */
	ASSERT_EQ(iopt_hwsim_vtd_set_mamv(&sim, 2), 0);
	vtd_fill(&sim);
	ops->flush_range(cookie, a, 0x5000, 12, true);
	c = counters(&sim);
	CHECK_EQ(c.vtd_psi, 0);
	CHECK_EQ(c.vtd_psi_wide, 1);
	CHECK_EQ(c.inv_all, 1);
	CHECK_EQ(c.tlb_dropped, 4);
	CHECK_EQ(c.walk_dropped, 3);
	/* Four pages fit AM 2. */
	vtd_fill(&sim);
	ops->flush_range(cookie, a, 0x4000, 12, true);
	CHECK_EQ(counters(&sim).vtd_psi, 1);
	CHECK_EQ(counters(&sim).inv_all, 0);
	/* A range the command cannot express becomes domain-selective. */
	vtd_fill(&sim);
	ops->flush_range(cookie, ~0xfffULL, 0x2000, 12, true);
	ops->flush_range(cookie, a, 0, 12, true);
	CHECK_EQ(counters(&sim).inv_all, 2);
	CHECK_EQ(counters(&sim).vtd_psi, 0);
	ops->flush_all(cookie);
	CHECK_EQ(counters(&sim).inv_all, 3);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/* ------------------------------------------------------------ AMD v1 */

/*
 * AMD IOMMU v1 host page tables (pub. 48882 section 2.2.3; formats.md
 * section 6), written here field by field: PR bit 0, NextLevel [11:9],
 * address [51:12], FC bit 60, IR bit 61, IW bit 62. AMD level L is
 * indexed by VA bits [12 + 9L - 1 : 12 + 9(L - 1)] (level 6: [63:57]);
 * HW_FAULT and the results name generic levels (AMD level - 1).
 */
#define AMD_PHYS   0x200000000ULL
#define AMD_T(n)   (AMD_PHYS + 0x1000ULL * (n))	/* T(0) is the root */
#define AMD_SIZE   0x40000ULL			/* 64 tables */

/* The entry of AMD level @l that table @t holds for @iova. */
static uint64_t amd_slot(uint64_t t, uint64_t iova, unsigned int l)
{
	unsigned int lo = 12 + 9 * (l - 1);

	return t + 8 * ((iova >> lo) & (l == 6 ? 127 : 511));
}

/* The same word in @n consecutive entries from @pa (a replicated run). */
static void put64_run(struct himg *h, uint64_t pa, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		put64(h, pa + 8ULL * i, v);
}

/*
 * A 4-level (Mode 4, ias 48) table over VA 0: T0 (L4) [0] -> T1 (L3),
 * T1[0] -> T2 (L2), T2[0] -> T3 (L1).
 */
static int amd_open4(struct himg *h, unsigned int oas)
{
	int ret = himg_open(h, IOPT_FMT_AMD_V1, 12, 48, oas, 0, AMD_PHYS,
			    AMD_SIZE);

	if (ret)
		return ret;
	put64(h, AMD_T(0), AMD_PDE(3, AMD_T(1)));
	put64(h, AMD_T(1), AMD_PDE(2, AMD_T(2)));
	put64(h, AMD_T(2), AMD_PDE(1, AMD_T(3)));
	return 0;
}

TEST(amd_geometry)
{
	static const struct {
		unsigned int gl, ias, oas;
		int ret;
		unsigned int levels, top_bits, nr_sizes, smallest, largest;
	} v[] = {
		/* Mode N covers 12 + 9N bits; sizes: 9 per level holding
		 * leaves (its own and the 8 runs above it), AMD levels 1..5,
		 * none above 2^52. */
		{ 12, 21, 52, 0, 1, 9, 9, 12, 20 },
		{ 12, 30, 40, 0, 2, 9, 18, 12, 29 },
		{ 0, 39, 48, 0, 3, 9, 27, 12, 38 },
		{ 12, 48, 52, 0, 4, 9, 36, 12, 47 },
		{ 12, 57, 52, 0, 5, 9, 41, 12, 52 },
		{ 12, 64, 32, 0, 6, 7, 41, 12, 52 },
		{ 12, 40, 52, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ 12, 12, 52, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ 12, 66, 52, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ 12, 48, 53, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ 12, 48, 31, -ENOTSUP, 0, 0, 0, 0, 0 },
		{ 16, 48, 48, -ENOTSUP, 0, 0, 0, 0, 0 },
	};
	static unsigned char img[64];
	struct iopt_hwsim_mem m;
	struct iopt_hwsim_result r;

	iopt_hwsim_mem_image(&m, img, sizeof(img), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { IOPT_FMT_AMD_V1, v[i].gl, v[i].ias,
					 v[i].oas, 0, 0 };
		struct iopt_hwsim_geom g, bad;
		struct iopt_hwsim sim;
		int ret;

		memset(&g, 0xa5, sizeof(g));
		ret = iopt_hwsim_geometry(&c, &g);
		if (ret != v[i].ret) {
			H_FAIL("case %u: %d, expected %d", i, ret, v[i].ret);
			continue;
		}
		if (ret) {
			CHECK_EQ(g.levels, 0xa5a5a5a5u);
			CHECK_EQ(iopt_hwsim_init(&sim, &c, &m, NULL), -ENOTSUP);
			continue;
		}
		if (g.levels != v[i].levels || g.top_bits != v[i].top_bits ||
		    g.concat != 1 || g.level_bits != 9 || g.pte_lg2 != 3 ||
		    g.granule_lg2 != 12 || g.ias != v[i].ias ||
		    g.oas != v[i].oas || g.sign_extend || g.stage2)
			H_FAIL("case %u: levels %u top_bits %u", i, g.levels,
			       g.top_bits);
		ASSERT_EQ(iopt_hwsim_init(&sim, &c, &m, NULL), 0);
		CHECK_EQ(sim.nr_sizes, v[i].nr_sizes);
		if (sim.nr_sizes == v[i].nr_sizes) {
			CHECK_EQ(sim.sizes_lg2[0], v[i].smallest);
			CHECK_EQ(sim.sizes_lg2[sim.nr_sizes - 1], v[i].largest);
			/* Every power of two in between, once. */
			for (unsigned int k = 1; k < sim.nr_sizes; k++)
				CHECK_EQ(sim.sizes_lg2[k], sim.sizes_lg2[k - 1] + 1);
		}
		iopt_hwsim_fini(&sim);
		/* Fields that do not add up are refused by the walker. */
		CHECK(iopt_hwsim_walk(&g, &m, 0, 0, 0, &r) != -EINVAL);
		bad = g;
		bad.top_bits = g.top_bits == 9 ? 7 : 9;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.levels = g.levels + 1;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.oas = 53;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.sign_extend = true;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
	}
}

/* NextLevel 0 leaves at AMD levels 1..5, at the top of a walk too. */
TEST(amd_natural_leaves)
{
	struct himg h, h3;
	uint64_t last;

	if (amd_open4(&h, 52))
		goto out;
	/* 4K: PA [51:12]. */
	put64(&h, amd_slot(AMD_T(3), 0x1000, 1), AMD_PTE(0x123456000ULL));
	HW_PHYS(&h, AMD_T(0), 0x1abc, 0x123456abcULL, 12, 12);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), 0x1abc, &last), 4);
	CHECK_EQ(last, AMD_T(3) + 8);
	/* 2M at L2; address bits [20:12] of it are ignored. */
	put64(&h, amd_slot(AMD_T(2), 0x200000, 2), AMD_PTE(0x40200000ULL));
	HW_PHYS(&h, AMD_T(0), 0x201234, 0x40201234ULL, 21, 21);
	put64(&h, amd_slot(AMD_T(2), 0x400000, 2), AMD_PTE(0x40400000ULL |
	      0x1f000));
	HW_PHYS(&h, AMD_T(0), 0x400010, 0x40400010ULL, 21, 21);
	/* 1G at L3, 512G at L4 (the top of this walk). */
	put64(&h, amd_slot(AMD_T(1), 0x40000000, 3), AMD_PTE(0x80000000ULL));
	HW_PHYS(&h, AMD_T(0), 0x40000123, 0x80000123ULL, 30, 30);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), 0x40000123, NULL), 2);
	put64(&h, amd_slot(AMD_T(0), 1ULL << 39, 4), AMD_PTE(3ULL << 39));
	HW_PHYS(&h, AMD_T(0), (1ULL << 39) + 5, (3ULL << 39) + 5, 39, 39);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), 1ULL << 39, NULL), 1);
	/* The root's bits [11:0] are not address. */
	HW_PHYS(&h, AMD_T(0) | 0xabc, 0x1abc, 0x123456abcULL, 12, 12);

	/* Mode 3 (ias 39) over the same bytes from T1: L3 is the top. */
	if (himg_open(&h3, IOPT_FMT_AMD_V1, 12, 39, 52, 0, AMD_PHYS,
		      AMD_SIZE) == 0) {
		memcpy(h3.b, h.b, AMD_SIZE);
		HW_PHYS(&h3, AMD_T(1), 0x40000123, 0x80000123ULL, 30, 30);
		HW_PHYS(&h3, AMD_T(1), 0x1abc, 0x123456abcULL, 12, 12);
		HW_FAULT(&h3, AMD_T(1), 1ULL << 39, 0,
			 IOPT_HWSIM_FAULT_ADDR_SIZE, 2);
		himg_close(&h3);
	}
	/* Mode 5: a 256T leaf at L5 (VA [56:48]), from T10. */
	if (himg_open(&h3, IOPT_FMT_AMD_V1, 12, 57, 52, 0, AMD_PHYS,
		      AMD_SIZE) == 0) {
		put64(&h3, amd_slot(AMD_T(10), 1ULL << 48, 5),
		      AMD_PTE(1ULL << 48));
		HW_PHYS(&h3, AMD_T(10), (1ULL << 48) + 0x10, (1ULL << 48) + 0x10,
			48, 48);
		HW_FAULT(&h3, AMD_T(10), 1ULL << 57, 0,
			 IOPT_HWSIM_FAULT_ADDR_SIZE, 4);
		himg_close(&h3);
	}
	/* Mode 6: a top table of 128 entries (VA [63:57]); no leaves
	 * there; every input is in range. */
	if (himg_open(&h3, IOPT_FMT_AMD_V1, 12, 64, 52, 0, AMD_PHYS,
		      AMD_SIZE) == 0) {
		struct iopt_hwsim_result r;

		put64(&h3, AMD_T(10) + 8 * 127, AMD_PDE(5, AMD_T(11)));
		put64(&h3, AMD_T(11) + 8 * 1, AMD_PTE(1ULL << 48));
		/* VA 0xfe01_0000_0000_0000: [63:57] = 127, [56:48] = 1 */
		HW_PHYS(&h3, AMD_T(10), 0xfe01000000000010ULL,
			(1ULL << 48) + 0x10, 48, 48);
		/* The index is [63:57] alone: entry 127 + 1 is not read. */
		CHECK_EQ(hwalk_reads(&h3, AMD_T(10), 0xfe01000000000010ULL,
				     &last), 2);
		CHECK_EQ(last, AMD_T(11) + 8);
		put64(&h3, AMD_T(10) + 8 * 1, AMD_PTE(0));
		HW_FAULT(&h3, AMD_T(10), 1ULL << 57, 0,
			 IOPT_HWSIM_FAULT_TRANSLATION, 5);
		put64(&h3, AMD_T(10) + 8 * 2, AMD_RUN(0x1ffffff000ULL));
		HW_FAULT(&h3, AMD_T(10), 2ULL << 57, 0,
			 IOPT_HWSIM_FAULT_TRANSLATION, 5);
		CHECK_EQ(hwalk(&h3, AMD_T(10), ~0ULL, 0, &r), -EFAULT);
		CHECK(!r.input && r.fault == IOPT_HWSIM_FAULT_TRANSLATION);
		himg_close(&h3);
	}
out:
	himg_close(&h);
}

/*
 * NextLevel 7: n ones from address bit 12, then a zero, give 2^(12 + n +
 * 1) bytes; the entry is copied into every slot the run covers.
 */
TEST(amd_runs)
{
	struct himg h;
	uint64_t last;

	if (amd_open4(&h, 52))
		goto out;
	/* 8K at L1: n = 0, bit 12 clear; PA 0x10000000; 2 entries from
	 * VA 0x10000 (L1 index 16). */
	put64_run(&h, amd_slot(AMD_T(3), 0x10000, 1), 2,
		  AMD_RUN(0x10000000ULL));
	HW_PHYS(&h, AMD_T(0), 0x11abc, 0x10001abcULL, 13, 12);
	HW_PHYS(&h, AMD_T(0), 0x10000, 0x10000000ULL, 13, 12);
	/* 64K at L1: n = 3, bits [14:12] = 0x7000; 16 entries at VA
	 * 0x20000; the walk reads the copy of its own address. */
	put64_run(&h, amd_slot(AMD_T(3), 0x20000, 1), 16,
		  AMD_RUN(0x20000000ULL | 0x7000));
	HW_PHYS(&h, AMD_T(0), 0x2f123, 0x2000f123ULL, 16, 12);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), 0x2f123, &last), 4);
	CHECK_EQ(last, AMD_T(3) + 8 * 47);
	/* 1M at L1: n = 7, bits [18:12] = 0x7f000; 256 entries at VA
	 * 0x100000. */
	put64_run(&h, amd_slot(AMD_T(3), 0x100000, 1), 256,
		  AMD_RUN(0x30000000ULL | 0x7f000));
	HW_PHYS(&h, AMD_T(0), 0x1a5a5a, 0x300a5a5aULL, 20, 12);
	/* 4M at L2: n = 9, bits [20:12] = 0x1ff000; 2 entries at VA
	 * 0x800000 (L2 index 4). */
	put64_run(&h, amd_slot(AMD_T(2), 0x800000, 2), 2,
		  AMD_RUN(0x80000000ULL | 0x1ff000));
	HW_PHYS(&h, AMD_T(0), 0xa12345, 0x80212345ULL, 22, 21);
	/* 32M at L2: n = 12, bits [23:12] = 0xfff000; 16 entries at VA
	 * 0x2000000. */
	put64_run(&h, amd_slot(AMD_T(2), 0x2000000, 2), 16,
		  AMD_RUN(0x100000000ULL | 0xfff000));
	HW_PHYS(&h, AMD_T(0), 0x3456789, 0x101456789ULL, 25, 21);
	/* 2G at L3: n = 18, bits [29:12] = 0x3ffff000; 2 entries at VA
	 * 0x80000000. */
	put64_run(&h, amd_slot(AMD_T(1), 0x80000000ULL, 3), 2,
		  AMD_RUN(0x200000000ULL | 0x3ffff000));
	HW_PHYS(&h, AMD_T(0), 0xdeadbeefULL, 0x25eadbeefULL, 31, 30);
	/* 1T at L4: n = 27, bits [38:12] = 0x7ffffff000; 2 entries at VA
	 * 2^40. */
	put64_run(&h, amd_slot(AMD_T(0), 1ULL << 40, 4), 2,
		  AMD_RUN(0x10000000000ULL | 0x7ffffff000ULL));
	HW_PHYS(&h, AMD_T(0), (1ULL << 40) + 0x123456789ULL,
		0x10123456789ULL, 40, 39);

	/* Sizes that do not fit their level: 8K and 2M (n = 8, 0xff000)
	 * at L2, 2M at L1, [51:12] all ones, 2^48 at L4 (n = 35). */
	put64(&h, amd_slot(AMD_T(2), 0x4000000, 2), AMD_RUN(0x0));
	HW_FAULT(&h, AMD_T(0), 0x4000000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	put64(&h, amd_slot(AMD_T(2), 0x4200000, 2), AMD_RUN(0xff000));
	HW_FAULT(&h, AMD_T(0), 0x4200000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	put64(&h, amd_slot(AMD_T(3), 0x3000, 1), AMD_RUN(0xff000));
	HW_FAULT(&h, AMD_T(0), 0x3000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	put64(&h, amd_slot(AMD_T(3), 0x4000, 1), AMD_RUN(0xffffffffff000ULL));
	HW_FAULT(&h, AMD_T(0), 0x4000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	put64(&h, amd_slot(AMD_T(0), 8ULL << 39, 4),
	      AMD_RUN(0x7ffffffff000ULL));
	HW_FAULT(&h, AMD_T(0), 8ULL << 39, 0, IOPT_HWSIM_FAULT_TRANSLATION, 3);
out:
	himg_close(&h);
}

/* Pointers that skip levels: the skipped index bits must be zero. */
TEST(amd_skip_levels)
{
	struct himg h;
	uint64_t va;

	if (amd_open4(&h, 52))
		goto out;
	/* L4 entry 4 -> an L1 table (NextLevel 1): VA bits [38:21] must
	 * be 0. */
	put64(&h, amd_slot(AMD_T(0), 4ULL << 39, 4), AMD_PDE(1, AMD_T(5)));
	put64(&h, AMD_T(5) + 8 * 3, AMD_PTE(0xabc000));
	va = 4ULL << 39;
	HW_PHYS(&h, AMD_T(0), va | 0x3123, 0xabc123, 12, 12);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), va | 0x3123, NULL), 2);
	HW_FAULT(&h, AMD_T(0), va | (1ULL << 21) | 0x3000, 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 3);
	HW_FAULT(&h, AMD_T(0), va | (1ULL << 38) | 0x3000, 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 3);
	CHECK_EQ(hwalk_reads(&h, AMD_T(0), va | (1ULL << 30), NULL), 1);
	HW_FAULT(&h, AMD_T(0), va | 0x4000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	/* L4 entry 5 -> an L2 table: VA [38:30] must be 0; a 2M leaf
	 * and a 4M run there. */
	put64(&h, amd_slot(AMD_T(0), 5ULL << 39, 4), AMD_PDE(2, AMD_T(6)));
	put64(&h, AMD_T(6) + 8, AMD_PTE(0x40000000ULL));
	put64_run(&h, AMD_T(6) + 8 * 2, 2, AMD_RUN(0x80000000ULL | 0x1ff000));
	va = 5ULL << 39;
	HW_PHYS(&h, AMD_T(0), va | 0x212345, 0x40012345ULL, 21, 21);
	HW_PHYS(&h, AMD_T(0), va | 0x612345, 0x80212345ULL, 22, 21);
	HW_FAULT(&h, AMD_T(0), va | (1ULL << 30) | 0x200000, 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 3);
	/* L3 entry 3 -> an L1 table: VA [29:21] must be 0. */
	put64(&h, amd_slot(AMD_T(1), 3ULL << 30, 3), AMD_PDE(1, AMD_T(7)));
	put64(&h, AMD_T(7) + 8 * 9, AMD_PTE(0x9000));
	HW_PHYS(&h, AMD_T(0), (3ULL << 30) | 0x9008, 0x9008, 12, 12);
	HW_FAULT(&h, AMD_T(0), (3ULL << 30) | 0x209008, 0,
		 IOPT_HWSIM_FAULT_TRANSLATION, 2);
	/* NextLevel at or above the entry's own level: a fault. */
	put64(&h, amd_slot(AMD_T(0), 6ULL << 39, 4), AMD_PDE(4, AMD_T(1)));
	HW_FAULT(&h, AMD_T(0), 6ULL << 39, 0, IOPT_HWSIM_FAULT_TRANSLATION, 3);
	put64(&h, amd_slot(AMD_T(0), 7ULL << 39, 4), AMD_PDE(6, AMD_T(1)));
	HW_FAULT(&h, AMD_T(0), 7ULL << 39, 0, IOPT_HWSIM_FAULT_TRANSLATION, 3);
	put64(&h, amd_slot(AMD_T(2), 0x600000, 2), AMD_PDE(2, AMD_T(3)));
	HW_FAULT(&h, AMD_T(0), 0x600000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	put64(&h, amd_slot(AMD_T(3), 0x5000, 1), AMD_PDE(1, AMD_T(3)));
	HW_FAULT(&h, AMD_T(0), 0x5000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
out:
	himg_close(&h);
}

/* Every fault kind, and IR / IW ANDed down the walk. */
TEST(amd_faults_and_permissions)
{
	static const struct { uint64_t l3, l1; unsigned int perm; } pv[] = {
		{ AMD_RW, AMD_RW, PALL },
		{ AMD_RW, AMD_IR, PUR | PPR | PUX | PPX },
		{ AMD_RW, AMD_IW, PUW | PPW },
		{ AMD_RW, 0, 0 },
		{ AMD_IR, AMD_RW, PUR | PPR | PUX | PPX },
		{ AMD_IW, AMD_RW, PUW | PPW },
		{ AMD_IW, AMD_IR, 0 },
		{ 0, AMD_RW, 0 },
	};
	struct himg h, h40;

	if (amd_open4(&h, 52))
		goto out;
	/* Permissions: L4 and L2 grant both; L3 entry i and the leaf as
	 * the table says. L3 entry i+1 covers VA (i + 1) << 30. */
	for (unsigned int i = 0; i < ARRAY_SIZE(pv); i++) {
		uint64_t va = (uint64_t)(i + 1) << 30;
		uint64_t t2 = AMD_T(20 + 2 * i), t1 = AMD_T(21 + 2 * i);

		put64(&h, amd_slot(AMD_T(1), va, 3), AMD_PR | pv[i].l3 |
		      AMD_NL(2) | t2);
		put64(&h, t2, AMD_PDE(1, t1));
		put64(&h, t1, AMD_PR | pv[i].l1 | ((uint64_t)(i + 1) << 20));
		HW_PERM(&h, AMD_T(0), va, pv[i].perm);
		HW_PHYS(&h, AMD_T(0), va + 0x10, ((uint64_t)(i + 1) << 20) +
			0x10, 12, 12);
	}
	/* No execute permission or privilege: a fetch is a read. */
	CHECK_EQ(hwalk(&h, AMD_T(0), 2ULL << 30, X, &(struct iopt_hwsim_result){ 0 }), 0);
	CHECK_EQ(hwalk(&h, AMD_T(0), 2ULL << 30, X | P | R, &(struct iopt_hwsim_result){ 0 }), 0);
	HW_FAULT(&h, AMD_T(0), 2ULL << 30, W, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, AMD_T(0), 2ULL << 30, W | P, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, AMD_T(0), 3ULL << 30, X, IOPT_HWSIM_FAULT_PERMISSION, 0);
	HW_FAULT(&h, AMD_T(0), 8ULL << 30, R, IOPT_HWSIM_FAULT_PERMISSION, 0);
	{
		struct iopt_hwsim_result r;

		/* A permission fault still says where it went. */
		CHECK_EQ(hwalk(&h, AMD_T(0), (4ULL << 30) + 8, R, &r), -EFAULT);
		CHECK_EQ(r.phys, (4ULL << 20) + 8);
	}
	/* FC, U (59), A (5), D (6) and the ignored bits [8:7], [4:1], 63
	 * change no translation. */
	put64(&h, amd_slot(AMD_T(3), 0x6000, 1), AMD_PTE(0x66000) | AMD_FC |
	      (1ULL << 59) | (1ULL << 63) | 0x1fe);
	HW_PHYS(&h, AMD_T(0), 0x6008, 0x66008, 12, 12);
	HW_PERM(&h, AMD_T(0), 0x6000, PALL);

	/* Not present at each level. */
	HW_FAULT(&h, AMD_T(0), 0x7000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	HW_FAULT(&h, AMD_T(0), 0xe00000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 1);
	HW_FAULT(&h, AMD_T(0), 20ULL << 30, 0, IOPT_HWSIM_FAULT_TRANSLATION, 2);
	HW_FAULT(&h, AMD_T(0), 20ULL << 39, 0, IOPT_HWSIM_FAULT_TRANSLATION, 3);
	/* PR = 0 with everything else set. */
	put64(&h, amd_slot(AMD_T(3), 0x8000, 1), AMD_PTE(0x8000) & ~AMD_PR);
	HW_FAULT(&h, AMD_T(0), 0x8000, 0, IOPT_HWSIM_FAULT_TRANSLATION, 0);
	/* Reserved bits [58:52], in a leaf and in a table entry. */
	put64(&h, amd_slot(AMD_T(3), 0x9000, 1), AMD_PTE(0x9000) | (1ULL << 52));
	HW_FAULT(&h, AMD_T(0), 0x9000, 0, IOPT_HWSIM_FAULT_RESERVED, 0);
	put64(&h, amd_slot(AMD_T(0), 30ULL << 39, 4), AMD_PDE(3, AMD_T(1)) |
	      (1ULL << 58));
	HW_FAULT(&h, AMD_T(0), 30ULL << 39, 0, IOPT_HWSIM_FAULT_RESERVED, 3);
	/* Input at or above 2^48. */
	HW_FAULT(&h, AMD_T(0), 1ULL << 48, 0, IOPT_HWSIM_FAULT_ADDR_SIZE, 3);
	{
		struct iopt_hwsim_result r;

		hwalk(&h, AMD_T(0), 1ULL << 63, 0, &r);
		CHECK(r.input);
	}
	/* A table outside the memory: the walk aborts at its level. */
	put64(&h, amd_slot(AMD_T(2), 0x1000000, 2), AMD_PDE(1, AMD_PHYS +
	      AMD_SIZE));
	HW_FAULT(&h, AMD_T(0), 0x1000000, 0, IOPT_HWSIM_FAULT_WALK_ABORT, 0);
	HW_FAULT(&h, AMD_PHYS + AMD_SIZE, 0, 0, IOPT_HWSIM_FAULT_WALK_ABORT, 3);

	/* oas 40: address bits 40 and up are reserved, in the root, a
	 * table pointer and any byte a leaf maps. */
	put64(&h, amd_slot(AMD_T(3), 0xa000, 1), AMD_PTE(1ULL << 40));
	put64(&h, amd_slot(AMD_T(2), 0x1200000, 2), AMD_PDE(1, 1ULL << 40));
	put64(&h, amd_slot(AMD_T(3), 0xb000, 1), AMD_PTE((1ULL << 40) - 0x1000));
	/* a 2^41 run at L4 (n = 28, [39:12] ones) from PA 0, at VA 2^42 */
	put64_run(&h, amd_slot(AMD_T(0), 1ULL << 42, 4), 4,
		  AMD_RUN(0xfffffff000ULL));
	HW_PHYS(&h, AMD_T(0), (1ULL << 42) + 5, 5, 41, 39);
	if (himg_open(&h40, IOPT_FMT_AMD_V1, 12, 48, 40, 0, AMD_PHYS,
		      AMD_SIZE) == 0) {
		memcpy(h40.b, h.b, AMD_SIZE);
		HW_FAULT(&h40, AMD_T(0), 0xa000, 0, IOPT_HWSIM_FAULT_RESERVED, 0);
		HW_FAULT(&h40, AMD_T(0), 0x1200000, 0,
			 IOPT_HWSIM_FAULT_RESERVED, 1);
		HW_PHYS(&h40, AMD_T(0), 0xbfff, (1ULL << 40) - 1, 12, 12);
		HW_FAULT(&h40, AMD_T(0), (1ULL << 42) + 5, 0,
			 IOPT_HWSIM_FAULT_RESERVED, 3);
		HW_FAULT(&h40, AMD_T(0) + (1ULL << 40), 0x1000, 0,
			 IOPT_HWSIM_FAULT_RESERVED, 3);
		himg_close(&h40);
	}
out:
	himg_close(&h);
}

static const struct iopt_hwsim_params amd_params = {
	.tlb_entries = 64, .tlb_ways = 0, .walk_entries = 16,
};

/* A NextLevel 7 run is one IOTLB entry; every copy must stay equal. */
TEST(amd_iotlb_runs)
{
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_counters c0;
	struct himg h;
	uint64_t run64k = AMD_RUN(0x20000000ULL | 0x7000);	/* n = 3 */
	uint64_t run1m = AMD_RUN(0x30000000ULL | 0x7f000);	/* n = 7 */

	memset(&sim, 0, sizeof(sim));
	if (amd_open4(&h, 52))
		goto out;
	put64_run(&h, amd_slot(AMD_T(3), 0x20000, 1), 16, run64k);
	put64_run(&h, amd_slot(AMD_T(3), 0x100000, 1), 256, run1m);
	put64(&h, amd_slot(AMD_T(3), 0x1000, 1), AMD_PTE(0x1000));
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &amd_params), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, AMD_T(0)), 0);

	CHECK_EQ(iopt_hwsim_translate(&sim, 0x20004, R, &r), 0);
	CHECK(!r.cached && r.contig && r.size_lg2 == 16 && r.leaf_lg2 == 12);
	for (unsigned int k = 0; k < 16; k++) {
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x20000 + (k << 12) + 8, R,
					      &r), 0);
		CHECK(r.cached);
		CHECK_EQ(r.phys, 0x20000008ULL + (k << 12));
		CHECK(r.contig && r.size_lg2 == 16 && r.leaf_lg2 == 12);
	}
	CHECK_EQ(counters(&sim).tlb_fills, 1);
	CHECK_EQ(counters(&sim).tlb_hits, 16);
	/* 256 pages of a 1M run: one fill. */
	c0 = counters(&sim);
	for (unsigned int k = 0; k < 256; k += 15)
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x100000 + (k << 12), W, &r),
			 0);
	CHECK_EQ(counters(&sim).tlb_fills - c0.tlb_fills, 1);
	CHECK_EQ(r.phys, 0x30000000ULL + (255ULL << 12));	/* k = 255 */
	/* The walk cache resumes below the L2 descriptor: one read. */
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x1000, R, &r), 0);
	CHECK_EQ(counters(&sim).walk_hits[1] - c0.walk_hits[1], 1);
	CHECK_EQ(counters(&sim).entry_reads - c0.entry_reads, 1);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* A damaged copy: only an attribute (FC), or the address; the walk
	 * takes the copy it reads, the oracle flags the run. */
	put64(&h, amd_slot(AMD_T(3), 0x28000, 1), run64k | AMD_FC);
	HW_PHYS(&h, AMD_T(0), 0x28000, 0x20008000ULL, 16, 12);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
	CHECK_EQ(sim.last_event.kind, IOPT_HWSIM_EV_STALE_TLB);
	CHECK_EQ(sim.last_event.iova, 0x28000);
	put64(&h, amd_slot(AMD_T(3), 0x28000, 1), run64k);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	put64(&h, amd_slot(AMD_T(3), 0x1ff000, 1), run1m ^ (1ULL << 28));
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
	CHECK_EQ(sim.last_event.iova, 0x1ff000);
	put64(&h, amd_slot(AMD_T(3), 0x1ff000, 1), run1m);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* Unmapped without invalidation: stale; one 4K command anywhere
	 * in the run drops the whole entry. */
	put64_run(&h, amd_slot(AMD_T(3), 0x20000, 1), 16, 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x2d000, false, false), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, 0x20000, R, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/*
 * INVALIDATE_IOMMU_PAGES over a cache holding A (4K at 0x1000), B (4K at
 * 0x5000), C (a 64K run at 0x20000), D (2M at 0x200000), E (1G at
 * 0x40000000) and three walk-cache entries: the L4 descriptor (region
 * [0, 512G)), L3 ([0, 1G)) and L2 ([0, 2M)).
 */
static const uint64_t amd_probe[] = {
	0x1000, 0x5000, 0x20000, 0x200000, 0x40000000,
};
#define AMD_A 1u
#define AMD_B 2u
#define AMD_C 4u
#define AMD_D 8u
#define AMD_E 16u
#define AMD_ALL (AMD_A | AMD_B | AMD_C | AMD_D | AMD_E)

static void amd_fill(struct iopt_hwsim *sim)
{
	struct iopt_hwsim_result r;

	iopt_hwsim_inv_all(sim);
	for (unsigned int i = 0; i < ARRAY_SIZE(amd_probe); i++)
		CHECK_EQ(iopt_hwsim_translate(sim, amd_probe[i], R, &r), 0);
}

/* Which of A..E are still in the IOTLB (the probe refills the rest). */
static unsigned int amd_cached(struct iopt_hwsim *sim)
{
	struct iopt_hwsim_result r;
	unsigned int m = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(amd_probe); i++)
		if (iopt_hwsim_translate(sim, amd_probe[i], R, &r) == 0 &&
		    r.cached)
			m |= 1u << i;
	return m;
}

static int amd_cache_open(struct himg *h, struct iopt_hwsim *sim)
{
	int ret = amd_open4(h, 52);

	if (ret)
		return ret;
	put64(h, amd_slot(AMD_T(3), 0x1000, 1), AMD_PTE(0x11000));
	put64(h, amd_slot(AMD_T(3), 0x5000, 1), AMD_PTE(0x15000));
	put64(h, amd_slot(AMD_T(3), 0x7000, 1), AMD_PTE(0x17000));
	put64_run(h, amd_slot(AMD_T(3), 0x20000, 1), 16,
		  AMD_RUN(0x20000000ULL | 0x7000));
	put64(h, amd_slot(AMD_T(2), 0x200000, 2), AMD_PTE(0x40200000ULL));
	put64(h, amd_slot(AMD_T(1), 0x40000000, 3), AMD_PTE(0x80000000ULL));
	ret = iopt_hwsim_init(sim, &h->c, &h->m, &amd_params);
	if (!ret)
		ret = iopt_hwsim_set_root(sim, AMD_T(0));
	if (ret)
		H_FAIL("simulated IOMMU: %d", ret);
	return ret;
}

TEST(amd_inv_pages)
{
	/* Address fields worked out by hand: the first zero bit z at or
	 * above bit 12 gives an aligned 2^(z + 1) block. */
	static const struct {
		uint64_t addr;
		bool s, pde;
		unsigned int gone, wc_gone;
	} v[] = {
		/* S = 0: the 4K page, whatever the entry's size */
		{ 0x1000, false, false, AMD_A, 0 },
		{ 0x2d000, false, false, AMD_C, 0 },
		{ 0x3ff000, false, false, AMD_D, 0 },
		{ 0x7ffff000, false, false, AMD_E, 0 },
		{ 0x2000, false, false, 0, 0 },
		/* PDE: every descriptor whose region holds the page */
		{ 0x1000, false, true, AMD_A, 3 },
		{ 0x40000000, false, true, AMD_E, 1 },
		{ 0x200000, false, true, AMD_D, 2 },
		/* S = 1: 0x0 is bit 12 = 0: 8K [0, 0x1fff] */
		{ 0x0, true, false, AMD_A, 0 },
		/* 0x1000: bit 12 set, bit 13 clear: 16K [0, 0x3fff] */
		{ 0x1000, true, false, AMD_A, 0 },
		/* 0x5000 = 101b << 12: 16K [0x4000, 0x7fff] */
		{ 0x5000, true, false, AMD_B, 0 },
		/* 0x3000: bits 12, 13 set, 14 clear: 32K [0, 0x7fff] */
		{ 0x3000, true, false, AMD_A | AMD_B, 0 },
		/* 0x2f000: bits 15:12 set, 16 clear: 128K [0x20000, 0x3ffff] */
		{ 0x2f000, true, false, AMD_C, 0 },
		/* 0x1ff000: bits 20:12 set, 21 clear: 4M [0, 0x3fffff] */
		{ 0x1ff000, true, false, AMD_A | AMD_B | AMD_C | AMD_D, 0 },
		{ 0x1ff000, true, true, AMD_A | AMD_B | AMD_C | AMD_D, 3 },
		/* 0x5ffff000: bits 28:12 set, 29 clear: 1G at 0x40000000 */
		{ 0x5ffff000, true, true, AMD_E, 1 },
		/* 0x3ffff000: bits 29:12 set, 30 clear: 2G [0, 0x7fffffff] */
		{ 0x3ffff000, true, false, AMD_ALL, 0 },
		/* 2^39 | bits 38:12: 1T [0, 2^40), nothing cached above */
		{ 0x7ffffff000ULL, true, true, AMD_ALL, 3 },
		/* bits 39:12 set and bit 40 clear, at 2^41: [2^41, 2^42) */
		{ (1ULL << 41) | 0xfffffff000ULL, true, true, 0, 0 },
		/* the whole domain, and a first zero at bit 51 */
		{ 0x7ffffffffffff000ULL, true, false, AMD_ALL, 0 },
		{ 0x7ffffffffffff000ULL, true, true, AMD_ALL, 3 },
		{ 0x7fffffffff000ULL, true, true, AMD_ALL, 3 },
	};
	struct iopt_hwsim sim, x86;
	struct iopt_hwsim_counters c0, c1;
	struct iopt_hwsim_result r;
	struct himg h;

	memset(&sim, 0, sizeof(sim));
	if (amd_cache_open(&h, &sim))
		goto out;
	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		unsigned int left;

		amd_fill(&sim);
		c0 = counters(&sim);
		CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, v[i].addr, v[i].s,
						  v[i].pde), 0);
		c1 = counters(&sim);
		if (c1.tlb_dropped - c0.tlb_dropped !=
		    (uint64_t)__builtin_popcount(v[i].gone) ||
		    c1.walk_dropped - c0.walk_dropped != v[i].wc_gone ||
		    c1.amd_inv_pages - c0.amd_inv_pages != 1 ||
		    c1.amd_inv_pages_pde - c0.amd_inv_pages_pde != v[i].pde ||
		    c1.inv_range != c0.inv_range || c1.inv_all != c0.inv_all)
			H_FAIL("case %u: dropped %" PRIu64 " tlb, %" PRIu64
			       " walk", i, c1.tlb_dropped - c0.tlb_dropped,
			       c1.walk_dropped - c0.walk_dropped);
		/* The walk cache: a fresh page under the L2 descriptor is
		 * one read while that survives (it goes only with the other
		 * two), a walk from the root when all three went. */
		c0 = counters(&sim);
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x7000, R, &r), 0);
		CHECK_EQ(counters(&sim).entry_reads - c0.entry_reads,
			 (v[i].wc_gone == 3 ? 4u : 1u));
		left = amd_cached(&sim);
		if (left != (AMD_ALL & ~v[i].gone))
			H_FAIL("case %u: cached 0x%x, expected 0x%x", i, left,
			       AMD_ALL & ~v[i].gone);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	}

	/* Bad input changes nothing. */
	amd_fill(&sim);
	c0 = counters(&sim);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(NULL, 0x1000, false, true), -EINVAL);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x1001, false, true), -EINVAL);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x1800, true, true), -EINVAL);
	c1 = counters(&sim);
	CHECK_EQ(c1.amd_inv_pages, c0.amd_inv_pages);
	CHECK_EQ(c1.tlb_dropped, c0.tlb_dropped);
	CHECK_EQ(amd_cached(&sim), AMD_ALL);
	/* Not an AMD table: the command does not exist. */
	{
		struct iopt_config xc = { IOPT_FMT_X86_64, 12, 48, 48, 0, 0 };

		ASSERT_EQ(iopt_hwsim_init(&x86, &xc, &h.m, &amd_params), 0);
		CHECK_EQ(iopt_hwsim_amd_inv_pages(&x86, 0x1000, false, true),
			 -EINVAL);
		CHECK_EQ(counters(&x86).amd_inv_pages, 0);
		iopt_hwsim_fini(&x86);
	}
	/* The generic commands still work on an AMD table. */
	amd_fill(&sim);
	CHECK_EQ(iopt_hwsim_inv_range(&sim, 0x5000, 0x1000, 12, true), 0);
	CHECK_EQ(amd_cached(&sim), AMD_ALL & ~AMD_B);
	/* Strict mode: a negative entry is a leaf translation, dropped
	 * by a command without PDE. */
	iopt_hwsim_fini(&sim);
	{
		struct iopt_hwsim_params sp = amd_params;

		sp.flags = IOPT_HWSIM_STRICT;
		ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &sp), 0);
		ASSERT_EQ(iopt_hwsim_set_root(&sim, AMD_T(0)), 0);
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x9000, R, &r), -EFAULT);
		put64(&h, amd_slot(AMD_T(3), 0x9000, 1), AMD_PTE(0x19000));
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
		CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x9000, false, false), 0);
		CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
		CHECK_EQ(iopt_hwsim_translate(&sim, 0x9008, R, &r), 0);
		CHECK_EQ(r.phys, 0x19008);
	}
	/* A removed table needs PDE: without it the walk cache is stale. */
	amd_fill(&sim);
	put64(&h, AMD_T(2), 0);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x1ff000, true, false), 0);
	CHECK(iopt_hwsim_check_coherent(&sim, NULL, NULL) >= 1);
	CHECK_EQ(sim.last_event.kind, IOPT_HWSIM_EV_STALE_WALK);
	CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, 0x1ff000, true, true), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);

	/* 6 levels, a 256T page at VA 2^60 (L6 index 8 -> L5 index 0):
	 * a block named above bit 51 keeps its upper bits; a first zero at
	 * bit 51 is the whole domain, above 2^52 too. */
	iopt_hwsim_fini(&sim);
	himg_close(&h);
	if (himg_open(&h, IOPT_FMT_AMD_V1, 12, 64, 52, 0, AMD_PHYS, AMD_SIZE))
		goto out;
	put64(&h, AMD_T(40) + 8 * 8, AMD_PDE(5, AMD_T(41)));
	put64(&h, AMD_T(41), AMD_PTE(1ULL << 48));
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &amd_params), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, AMD_T(40)), 0);
	{
		static const struct { uint64_t addr; bool gone; } w[] = {
			{ 0x0, false },				/* 8K at 0 */
			{ 0x3fffffffff000ULL, false },		/* 2^51 at 0 */
			{ (1ULL << 60) | 0x3fffffffff000ULL, true }, /* at 2^60 */
			{ 0x7fffffffff000ULL, true },		/* z = 51 */
			{ 0x7ffffffffffff000ULL, true },
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(w); i++) {
			CHECK_EQ(iopt_hwsim_translate(&sim, 1ULL << 60, R, &r), 0);
			CHECK_EQ(r.phys, 1ULL << 48);
			CHECK_EQ(iopt_hwsim_amd_inv_pages(&sim, w[i].addr, true,
							  false), 0);
			CHECK_EQ(iopt_hwsim_translate(&sim, 1ULL << 60, R, &r), 0);
			if (r.cached == w[i].gone)
				H_FAIL("6 levels, case %u: cached %d", i, r.cached);
		}
	}
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/* The commands Linux's driver builds for a range (hand-derived). */
TEST(amd_flush_ops_encoding)
{
	static const struct {
		uint64_t iova, size, addr;
		bool s;
	} v[] = {
		/* within one page: that page, S = 0 */
		{ 0x1000, 0x1000, 0x1000, false },
		{ 0x1800, 0x100, 0x1000, false },
		{ 0xfff, 1, 0x0, false },
		/* [0x1000, 0x2fff]: ends differ from bit 13; bits 12..0 set
		 * then cleared below 12: 0x1000 (16K at 0) */
		{ 0x1000, 0x2000, 0x1000, true },
		/* [0, 0x1fff]: bit 12 differs: 0x0 (8K) */
		{ 0x0, 0x2000, 0x0, true },
		/* [0xfff, 0x1000]: two pages, bit 12 differs: 8K at 0 */
		{ 0xfff, 2, 0x0, true },
		/* [0x1ff000, 0x200fff]: 8K straddling 2M differs from bit 21:
		 * 0x1ff000 | 0x1fffff -> 0x1ff000 (4M at 0) */
		{ 0x1ff000, 0x2000, 0x1ff000, true },
		/* [1G, 2G - 1]: bit 29: 0x5ffff000 (1G at 1G) */
		{ 0x40000000, 0x40000000, 0x5ffff000, true },
		/* [0, 2^52 - 1]: bit 51: ones below it, the whole space */
		{ 0x0, 1ULL << 52, 0x7fffffffff000ULL, true },
		/* bit 52 differs: the whole-domain address */
		{ 0x0, 1ULL << 53, 0x7ffffffffffff000ULL, true },
		{ 1ULL << 60, 0x2000, (1ULL << 60) | 0x0, true },
		/* size 0 and ranges past 2^64: everything */
		{ 0x5000, 0, 0x7ffffffffffff000ULL, true },
		{ ~0ULL - 0xfff, 0x2000, 0x7ffffffffffff000ULL, true },
	};
	const struct iopt_flush_ops *ops;
	struct iopt_hwsim sim;
	struct iopt_hwsim_counters c0, c1;
	struct himg h;
	void *cookie;

	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		bool s = !v[i].s;
		uint64_t a = iopt_hwsim_amd_inv_address(v[i].iova, v[i].size, &s);

		if (a != v[i].addr || s != v[i].s)
			H_FAIL("case %u: 0x%" PRIx64 " S=%d, expected 0x%"
			       PRIx64 " S=%d", i, a, s, v[i].addr, v[i].s);
	}
	CHECK_EQ(iopt_hwsim_amd_inv_address(0x1000, 0x2000, NULL), 0x1000);

	memset(&sim, 0, sizeof(sim));
	if (amd_cache_open(&h, &sim))
		goto out;
	ops = iopt_hwsim_flush_ops(&sim, &cookie);
	/* One page, leaf-only: Linux still sets PDE. */
	amd_fill(&sim);
	c0 = counters(&sim);
	ops->flush_range(cookie, 0x1000, 0x1000, 12, true);
	c1 = counters(&sim);
	CHECK_EQ(c1.amd_inv_pages - c0.amd_inv_pages, 1);
	CHECK_EQ(c1.amd_inv_pages_pde - c0.amd_inv_pages_pde, 1);
	CHECK_EQ(c1.inv_range - c0.inv_range, 0);
	CHECK_EQ(c1.walk_dropped - c0.walk_dropped, 3);
	CHECK_EQ(amd_cached(&sim), AMD_ALL & ~AMD_A);
	/* 8K straddling 2M: the 4M block goes, A and B with it. */
	amd_fill(&sim);
	ops->flush_range(cookie, 0x1ff000, 0x2000, 12, true);
	CHECK_EQ(amd_cached(&sim), AMD_E);
	/* Two pages of B's 16K block: B only. */
	amd_fill(&sim);
	ops->flush_range(cookie, 0x5000, 0x2000, 12, false);
	CHECK_EQ(amd_cached(&sim), AMD_ALL & ~AMD_B);
	/* flush_all and size 0: the whole domain, PDE. */
	amd_fill(&sim);
	c0 = counters(&sim);
	ops->flush_all(cookie);
	ops->flush_range(cookie, 0, 0, 12, true);
	c1 = counters(&sim);
	CHECK_EQ(c1.amd_inv_pages - c0.amd_inv_pages, 2);
	CHECK_EQ(c1.amd_inv_pages_pde - c0.amd_inv_pages_pde, 2);
	CHECK_EQ(c1.inv_all, c0.inv_all);
	CHECK_EQ(c1.tlb_dropped - c0.tlb_dropped, 5);
	CHECK_EQ(c1.walk_dropped - c0.walk_dropped, 3);
	CHECK_EQ(amd_cached(&sim), 0);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

TEST(amd_hostile)
{
	static const unsigned int ias[] = { 48, 64, 39, 21 };
	uint64_t rng = test_rng("amd_hostile", NULL);

	for (unsigned int i = 0; i < ARRAY_SIZE(ias) && !h_failed_now; i++) {
		struct iopt_config c = { IOPT_FMT_AMD_V1, 12, ias[i], 48, 0, 0 };
		struct iopt_hwsim_geom g;
		struct iopt_hwsim_mem m;
		struct iopt_hwsim sim;
		struct iopt_arena a;
		uint64_t size = 32 * 4096, phys = 0x10000000ULL;
		unsigned char *img = malloc(size), *copy = malloc(size);

		ASSERT(img && copy);
		ASSERT_EQ(iopt_hwsim_geometry(&c, &g), 0);
		for (uint64_t o = 0; o < size; o += 8)
			le64_put(img + o, amd_hostile_word(&rng, phys, size, g.levels));
		amd_plant_chain(img, phys, g.levels);
		memcpy(copy, img, size);
		iopt_hwsim_mem_image(&m, img, size, phys);
		hostile_walks(&g, &m, img, phys, size, &rng, NR_HOSTILE_WALKS,
			      true);
		iopt_hwsim_mem_image(&m, img, size, phys + 12);
		hostile_walks(&g, &m, img, phys + 12, size, &rng,
			      NR_HOSTILE_WALKS / 4, false);
		CHECK(!memcmp(img, copy, size));
		/* The arena's word loads and the caches over it. */
		ASSERT_EQ(iopt_arena_create(&a, size, phys), 0);
		memcpy(a.base, img, size < a.size ? size : a.size);
		iopt_hwsim_mem_arena(&m, &a);
		if (iopt_hwsim_init(&sim, &c, &m, &oracle_params) == 0) {
			for (unsigned int k = 0; k < 400; k++) {
				struct iopt_hwsim_result r;
				uint64_t reads = counters(&sim).entry_reads;
				uint64_t iova = h_rand(&rng);
				int ret;

				if (k % 50 == 0)
					iopt_hwsim_set_root(&sim, a.phys_base +
							    h_rand(&rng) % a.size);
				if (g.ias < 64 && h_rand(&rng) % 4)
					iova &= (1ULL << g.ias) - 1;
				ret = iopt_hwsim_translate(&sim, iova, R, &r);
				check_outcome(&g, iova, ret, &r);
				if (counters(&sim).entry_reads - reads > g.levels)
					H_FAIL("translate read too much");
				if (k % 37 == 0)
					iopt_hwsim_amd_inv_pages(&sim,
						h_rand(&rng) & ~0xfffULL,
						h_rand(&rng) % 2, h_rand(&rng) % 2);
			}
			CHECK(iopt_hwsim_check_coherent(&sim, NULL, NULL) >= 0);
			iopt_hwsim_fini(&sim);
		} else {
			H_FAIL("iopt_hwsim_init failed");
		}
		iopt_arena_destroy(&a);
		free(img);
		free(copy);
	}
}

/* ---------------------------------------------- RISC-V IOTINVAL.VMA */

/*
 * An Sv39 image written here from the privileged spec's PTE layout (V 0,
 * R 1, W 2, X 3, U 4, A 6, D 7, PPN [53:10] = PA[55:12], N 63), not by the
 * engine: root at RV_PHYS, level-1 table at +0x1000, level-0 table at
 * +0x2000, on the path of RV_A (VPN[2] 1, VPN[1] 2, VPN[0] 3).
 *
 *   RV_A, RV_B     4K pages (level-0 entries 3 and 4)
 *   RV_N1, RV_N2   two neighbouring Svnapot 64K runs (entries 16..31 and
 *                  32..47), each 16 identical words with N and PPN[3:0] =
 *                  0b1000
 *   RV_BIG         a 2M page (level-1 entry 5)
 *   RV_HUGE        a 1G page (root entry 3)
 *   RV_C           not mapped (level-0 entry 5)
 */
#define RV_PHYS  0x10000000ULL
#define RV_L1    (RV_PHYS + 0x1000)
#define RV_L0    (RV_PHYS + 0x2000)
#define RV_IDX(v2, v1, v0) (((uint64_t)(v2) << 30) | ((uint64_t)(v1) << 21) | \
			    ((uint64_t)(v0) << 12))
#define RV_A     RV_IDX(1, 2, 3)
#define RV_B     RV_IDX(1, 2, 4)
#define RV_C     RV_IDX(1, 2, 5)
#define RV_N1    RV_IDX(1, 2, 16)
#define RV_N2    RV_IDX(1, 2, 32)
#define RV_BIG   RV_IDX(1, 5, 0)
#define RV_HUGE  RV_IDX(3, 0, 0)
#define RV_LEAF  0xdfULL		/* D|A|U|X|W|R|V */
#define RV_N     (1ULL << 63)
/* PA -> PPN field: PA[55:12] in [53:10]. */
#define RV_PPN(pa) (((uint64_t)(pa) >> 12) << 10)

static int rv_image(struct himg *h, uint32_t quirks)
{
	if (himg_open(h, IOPT_FMT_RISCV, 12, 39, 56, quirks, RV_PHYS, 0x3000))
		return -1;
	put64(h, RV_PHYS + 8 * 1, RV_PPN(RV_L1) | 1);	/* pointers: V alone */
	put64(h, RV_L1 + 8 * 2, RV_PPN(RV_L0) | 1);
	put64(h, RV_L0 + 8 * 3, RV_PPN(0x123456000ULL) | RV_LEAF);
	put64(h, RV_L0 + 8 * 4, RV_PPN(0x123457000ULL) | RV_LEAF);
	/* 64K at PA 0x30010000: PPN 0x30010, low nibble 1000 -> 0x30018;
	 * at 0x30020000: 0x30028. */
	for (unsigned int i = 0; i < 16; i++) {
		put64(h, RV_L0 + 8 * (16 + i),
		      RV_N | (0x30018ULL << 10) | RV_LEAF);
		put64(h, RV_L0 + 8 * (32 + i),
		      RV_N | (0x30028ULL << 10) | RV_LEAF);
	}
	put64(h, RV_L1 + 8 * 5, RV_PPN(0x40000000ULL) | RV_LEAF);
	put64(h, RV_PHYS + 8 * 3, RV_PPN(0x80000000ULL) | RV_LEAF);
	return 0;
}

/* Translate @iova: must succeed at @want; returns whether the IOTLB
 * answered. */
static bool rv_cached(struct iopt_hwsim *sim, uint64_t iova, uint64_t want)
{
	struct iopt_hwsim_result r;

	if (iopt_hwsim_translate(sim, iova, 0, &r) || r.phys != want) {
		H_FAIL("0x%" PRIx64 ": expected 0x%" PRIx64, iova, want);
		print_result("translate", -1, &r);
		return false;
	}
	return r.cached;
}

static const struct {
	uint64_t iova, phys;
} rv_probe[] = {
	{ RV_A, 0x123456000ULL },
	{ RV_B, 0x123457000ULL },
	{ RV_N1, 0x30010000ULL },
	{ RV_N2, 0x30020000ULL },
	{ RV_BIG, 0x40000000ULL },
	{ RV_HUGE, 0x80000000ULL },
};

/* Six IOTLB entries (one per probe: a 64K run is one entry) and two
 * walk-cache entries (root entry 1 at level 2, level-1 entry 2 at level
 * 1); counters cleared. */
static void rv_fill(struct iopt_hwsim *sim)
{
	struct iopt_hwsim_result r;

	ASSERT_EQ(iopt_hwsim_set_root(sim, RV_PHYS), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(rv_probe); i++)
		CHECK_EQ(iopt_hwsim_translate(sim, rv_probe[i].iova, 0, &r), 0);
	iopt_hwsim_reset_counters(sim);
}

/* Which probes the IOTLB still answers, bit i for rv_probe[i]. */
static unsigned int rv_cached_set(struct iopt_hwsim *sim)
{
	unsigned int set = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(rv_probe); i++)
		if (rv_cached(sim, rv_probe[i].iova, rv_probe[i].phys))
			set |= 1u << i;
	return set;
}

#define RVP_A    (1u << 0)
#define RVP_B    (1u << 1)
#define RVP_N1   (1u << 2)
#define RVP_N2   (1u << 3)
#define RVP_BIG  (1u << 4)
#define RVP_HUGE (1u << 5)
#define RVP_ALL  0x3fu

/*
 * IOTINVAL.VMA as the model implements it (first stage, GV = 0, one
 * process context, so PSCV selects nothing more): AV = 0 drops every
 * IOTLB and walk-cache entry; AV = 1 drops the IOTLB entries whose
 * translation contains ADDR's page (ADDR[11:0] ignored) and keeps every
 * other IOTLB entry and the whole walk cache.
 */
TEST(riscv_iotinval_vma)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16 };
	struct iopt_hwsim sim, other;
	struct iopt_hwsim_counters c;
	struct himg h;
	uint64_t hits;

	memset(&sim, 0, sizeof(sim));
	memset(&other, 0, sizeof(other));
	if (rv_image(&h, IOPT_QUIRK_RISCV_NAPOT))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);

	/* The fill is what rv_fill() says: all six answered by the IOTLB. */
	rv_fill(&sim);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL);
	CHECK_EQ(counters(&sim).walks, 0);

	/* AV = 0: the whole address space, leaves and non-leaves. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, false, RV_A), 0);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 0);
	CHECK_EQ(c.inv_all + c.inv_range, 0);
	CHECK_EQ(c.tlb_dropped, 6);
	CHECK_EQ(c.walk_dropped, 2);
	CHECK_EQ(rv_cached_set(&sim), 0);
	c = counters(&sim);
	/* Every walk started from the root: nothing left in the walk
	 * cache (the first one refills it for the rest). */
	CHECK_EQ(c.walks, 6);
	CHECK(c.walk_misses >= 1);
	CHECK_EQ(c.walk_hits[1] + c.walk_hits[2], 6 - c.walk_misses);
	iopt_hwsim_reset_counters(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, false, 0), 0);
	CHECK(!rv_cached(&sim, RV_A, 0x123456000ULL));
	CHECK_EQ(counters(&sim).walk_misses, 1);

	/* AV = 1 at A: A's page only; the walk cache stays, so A's walk
	 * resumes below level-1 entry 2. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_A), 0);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 1);
	CHECK_EQ(c.tlb_dropped, 1);
	CHECK_EQ(c.walk_dropped, 0);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL & ~RVP_A);
	c = counters(&sim);
	CHECK_EQ(c.walks, 1);
	CHECK_EQ(c.walk_misses, 0);
	CHECK_EQ(c.walk_hits[1], 1);

	/* ADDR[11:0] are not part of the command: B + 0xabc is B's page. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_B + 0xabc), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 1);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL & ~RVP_B);

	/* One 4K address inside a superpage drops the superpage, nothing
	 * else: 2M + 0x1f5000, 1G + 0x3ffff000. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_BIG + 0x1f5000),
		 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 1);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL & ~RVP_BIG);
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true,
					       RV_HUGE + 0x3ffff000), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 1);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL & ~RVP_HUGE);

	/* An address nothing cached translates: nothing dropped. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_C), 0);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma_av, 1);
	CHECK_EQ(c.tlb_dropped + c.walk_dropped, 0);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL);

	/* AV = 1 never reaches the walk cache: a pointer changed under it
	 * stays stale (v1.0: only AV = 0 invalidates non-leaf entries).
	 * Level-1 entry 2 now names the root as A's level-0 table. */
	rv_fill(&sim);
	put64(&h, RV_L1 + 8 * 2, RV_PPN(RV_PHYS) | 1);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_A), 0);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_B), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL) > 0, 1);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, false, 0), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	put64(&h, RV_L1 + 8 * 2, RV_PPN(RV_L0) | 1);

	/* Refused: NULL and another format; nothing dropped or counted. */
	rv_fill(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(NULL, false, 0), -EINVAL);
	CHECK_EQ(iopt_hwsim_riscv_iofence_c(NULL), -EINVAL);
	{
		struct iopt_config x86 = { IOPT_FMT_X86_64, 12, 48, 52, 0, 0 };

		ASSERT_EQ(iopt_hwsim_init(&other, &x86, &h.m, &p), 0);
		CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&other, false, 0),
			 -EINVAL);
		CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&other, true, RV_A),
			 -EINVAL);
		CHECK_EQ(iopt_hwsim_riscv_iofence_c(&other), -EINVAL);
		c = counters(&other);
		CHECK_EQ(c.riscv_iotinval_vma + c.riscv_iofence_c, 0);
	}
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma + c.tlb_dropped + c.walk_dropped, 0);
	/* IOFENCE.C completes nothing the model has pending: it counts. */
	CHECK_EQ(iopt_hwsim_riscv_iofence_c(&sim), 0);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iofence_c, 1);
	CHECK_EQ(c.tlb_dropped + c.walk_dropped, 0);
	hits = c.tlb_hits;
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL);
	CHECK_EQ(counters(&sim).tlb_hits, hits + 6);
out:
	iopt_hwsim_fini(&sim);
	iopt_hwsim_fini(&other);
	himg_close(&h);
}

/*
 * A Svnapot 64K translation is one IOTLB entry: any page of the run hits
 * it, and an IOTINVAL.VMA (AV = 1) of any one 4K address inside it drops
 * the whole 64K, while the neighbouring run stays cached.
 */
TEST(riscv_napot_iotlb)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16 };
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct iopt_hwsim_counters c;
	struct himg h;

	memset(&sim, 0, sizeof(sim));
	if (rv_image(&h, IOPT_QUIRK_RISCV_NAPOT))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, RV_PHYS), 0);

	/* One walk fills it: 64K, contiguous, then every page hits. */
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_N1 + 0x3456, 0, &r), 0);
	CHECK_EQ(r.phys, 0x30013456ULL);
	CHECK_EQ(r.size_lg2, 16);
	CHECK(r.contig);
	CHECK(!r.cached);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_N2, 0, &r), 0);
	CHECK_EQ(r.size_lg2, 16);
	iopt_hwsim_reset_counters(&sim);
	for (unsigned int i = 0; i < 16; i++) {
		CHECK(rv_cached(&sim, RV_N1 + i * 0x1000 + 8,
				0x30010008ULL + i * 0x1000));
		CHECK(rv_cached(&sim, RV_N2 + i * 0x1000,
				0x30020000ULL + i * 0x1000));
	}
	c = counters(&sim);
	CHECK_EQ(c.tlb_hits, 32);
	CHECK_EQ(c.walks, 0);

	/* Invalidate one 4K address (the run's 12th page): the whole 64K
	 * translation goes, one entry. */
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_N1 + 0xb000), 0);
	c = counters(&sim);
	CHECK_EQ(c.tlb_dropped, 1);
	CHECK_EQ(c.walk_dropped, 0);
	/* Pages far from the one named miss too: the first and the last. */
	CHECK(!rv_cached(&sim, RV_N1 + 0xf000, 0x3001f000ULL));
	iopt_hwsim_reset_counters(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_N1 + 0xb000), 0);
	CHECK(!rv_cached(&sim, RV_N1, 0x30010000ULL));
	/* The neighbouring 64K stays cached, all of it. */
	for (unsigned int i = 0; i < 16; i++)
		CHECK(rv_cached(&sim, RV_N2 + i * 0x1000 + 0x10,
				0x30020010ULL + i * 0x1000));
	/* The last page of the neighbour is not "inside" N1: invalidating
	 * it drops N2, not the refilled N1. */
	iopt_hwsim_reset_counters(&sim);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_N2 + 0xf000), 0);
	CHECK_EQ(counters(&sim).tlb_dropped, 1);
	CHECK(rv_cached(&sim, RV_N1 + 0x7000, 0x30017000ULL));
	CHECK(!rv_cached(&sim, RV_N2 + 0x1000, 0x30021000ULL));

	/* Without the Svnapot quirk the same words are reserved: a fault,
	 * and nothing cached. */
	iopt_hwsim_fini(&sim);
	himg_close(&h);
	memset(&sim, 0, sizeof(sim));
	if (rv_image(&h, 0))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, RV_PHYS), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_N1, 0, &r), -EFAULT);
	CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_TRANSLATION);
	CHECK_EQ(r.level, 0);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/*
 * Caching mode (IOPT_HWSIM_STRICT) remembers "no translation" too: AV = 1
 * of the page drops that entry, so a page mapped after the fault becomes
 * visible; before it, the model reports the stale negative entry.
 */
TEST(riscv_iotinval_negative)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16,
					     .flags = IOPT_HWSIM_STRICT };
	struct iopt_hwsim sim;
	struct iopt_hwsim_result r;
	struct himg h;

	memset(&sim, 0, sizeof(sim));
	if (rv_image(&h, 0))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ASSERT_EQ(iopt_hwsim_set_root(&sim, RV_PHYS), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_C, 0, &r), -EFAULT);
	put64(&h, RV_L0 + 8 * 5, RV_PPN(0x55555000ULL) | RV_LEAF);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_C, 0, &r), -EFAULT);
	CHECK(r.cached);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 1);
	/* Another page's command leaves it. */
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_B), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_C, 0, &r), -EFAULT);
	CHECK_EQ(iopt_hwsim_riscv_iotinval_vma(&sim, true, RV_C + 0x10), 0);
	CHECK_EQ(iopt_hwsim_check_coherent(&sim, NULL, NULL), 0);
	CHECK_EQ(iopt_hwsim_translate(&sim, RV_C, 0, &r), 0);
	CHECK_EQ(r.phys, 0x55555000ULL);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/*
 * The flush callbacks on a RISC-V simulated IOMMU send what Linux's driver
 * sends: a leaf-only range below 2M as one AV = 1 command per 4K page, a
 * larger one or one that freed tables as AV = 0; flush_all as AV = 0;
 * each followed by one IOFENCE.C.
 */
TEST(riscv_flush_ops)
{
	const struct iopt_hwsim_params p = { .tlb_entries = 64,
					     .walk_entries = 16 };
	const struct iopt_flush_ops *ops;
	struct iopt_hwsim sim;
	struct iopt_hwsim_counters c;
	struct himg h;
	void *cookie = NULL;

	memset(&sim, 0, sizeof(sim));
	if (rv_image(&h, IOPT_QUIRK_RISCV_NAPOT))
		goto out;
	ASSERT_EQ(iopt_hwsim_init(&sim, &h.c, &h.m, &p), 0);
	ops = iopt_hwsim_flush_ops(&sim, &cookie);
	ASSERT(ops && cookie == &sim);

	/* A and B, leaf only: two AV = 1 commands, both pages dropped. */
	rv_fill(&sim);
	ops->flush_range(cookie, RV_A, 0x2000, 12, true);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 2);
	CHECK_EQ(c.riscv_iotinval_vma_av, 2);
	CHECK_EQ(c.riscv_iofence_c, 1);
	CHECK_EQ(c.inv_range + c.inv_all, 0);
	CHECK_EQ(c.tlb_dropped, 2);
	CHECK_EQ(c.walk_dropped, 0);
	CHECK_EQ(rv_cached_set(&sim), RVP_ALL & ~(RVP_A | RVP_B));

	/* A page-unaligned start still names each page once: 3 pages. */
	rv_fill(&sim);
	ops->flush_range(cookie, RV_A + 0x800, 0x2000, 12, true);
	CHECK_EQ(counters(&sim).riscv_iotinval_vma_av, 3);

	/* 2M or more: one AV = 0. */
	rv_fill(&sim);
	ops->flush_range(cookie, RV_BIG, 0x200000, 21, true);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 0);
	CHECK_EQ(c.riscv_iofence_c, 1);
	CHECK_EQ(c.tlb_dropped, 6);
	CHECK_EQ(c.walk_dropped, 2);

	/* Tables freed (not leaf only), however small: AV = 0. */
	rv_fill(&sim);
	ops->flush_range(cookie, RV_A, 0x1000, 12, false);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 0);
	CHECK_EQ(c.walk_dropped, 2);

	/* A range the command cannot express (size 0) is not lost: AV = 0. */
	rv_fill(&sim);
	ops->flush_range(cookie, RV_A, 0, 12, true);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 0);
	CHECK_EQ(c.tlb_dropped, 6);

	/* flush_all: AV = 0 and a fence. */
	rv_fill(&sim);
	ops->flush_all(cookie);
	c = counters(&sim);
	CHECK_EQ(c.riscv_iotinval_vma, 1);
	CHECK_EQ(c.riscv_iotinval_vma_av, 0);
	CHECK_EQ(c.riscv_iofence_c, 1);
	CHECK_EQ(c.tlb_dropped, 6);
	CHECK_EQ(rv_cached_set(&sim), 0);
out:
	iopt_hwsim_fini(&sim);
	himg_close(&h);
}

/*
 * RISC-V geometry: iosatp.MODE's Sv39, Sv48, Sv57 (3, 4, 5 levels of 9
 * index bits over 4K pages, sign-extended inputs), 44-bit PPNs (oas up to
 * 56), Svnapot the only quirk; a geometry that does not add up is refused
 * by the walker.
 */
TEST(riscv_geometry)
{
	struct iopt_hwsim_geom g;
	static const struct {
		unsigned int gl, ias, oas;
		uint32_t q;
		int ret;
		unsigned int levels;
	} v[] = {
		{ 12, 39, 56, 0, 0, 3 }, { 0, 48, 40, 0, 0, 4 },
		{ 12, 57, 32, IOPT_QUIRK_RISCV_NAPOT, 0, 5 },
		{ 12, 32, 34, 0, -ENOTSUP, 0 }, { 12, 47, 56, 0, -ENOTSUP, 0 },
		{ 12, 48, 57, 0, -ENOTSUP, 0 }, { 12, 48, 31, 0, -ENOTSUP, 0 },
		{ 16, 48, 48, 0, -ENOTSUP, 0 },
		{ 12, 48, 48, IOPT_QUIRK_NO_CONTIG, -EINVAL, 0 },
		{ 12, 39, 48, IOPT_QUIRK_VTD_NO_1G, -EINVAL, 0 },
		{ 12, 39, 48, IOPT_QUIRK_RISCV_NAPOT | IOPT_QUIRK_ARM_TTBR1,
		  -EINVAL, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(v); i++) {
		struct iopt_config c = { IOPT_FMT_RISCV, v[i].gl, v[i].ias,
					 v[i].oas, v[i].q, 0 };
		int ret;

		memset(&g, 0xa5, sizeof(g));
		ret = iopt_hwsim_geometry(&c, &g);
		if (ret != v[i].ret) {
			H_FAIL("case %u: %d, expected %d", i, ret, v[i].ret);
			continue;
		}
		if (ret) {
			CHECK_EQ(g.levels, 0xa5a5a5a5u);
			continue;
		}
		CHECK_EQ(g.levels, v[i].levels);
		CHECK_EQ(g.top_bits, 9);
		CHECK_EQ(g.level_bits, 9);
		CHECK_EQ(g.granule_lg2, 12);
		CHECK(g.sign_extend && !g.stage2 && !g.ttbr1);
		CHECK_EQ(g.quirks, v[i].q);
	}
	/* NAPOT on other formats' geometries is refused too. */
	CHECK_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_VTD_SS,
				12, 48, 52, IOPT_QUIRK_RISCV_NAPOT, 0 }, &g),
		 -EINVAL);
	ASSERT_EQ(iopt_hwsim_geometry(&(struct iopt_config){ IOPT_FMT_RISCV,
				12, 48, 56, 0, 0 }, &g), 0);
	{
		struct iopt_hwsim_result r;
		struct iopt_hwsim_mem m;
		struct iopt_hwsim_geom bad = g;

		iopt_hwsim_mem_image(&m, "", 0, 0);
		bad.levels = 5;			/* ias 48 is 4 levels */
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.sign_extend = false;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.oas = 57;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		bad = g;
		bad.quirks = IOPT_QUIRK_NO_CONTIG;
		CHECK_EQ(iopt_hwsim_walk(&bad, &m, 0, 0, 0, &r), -EINVAL);
		CHECK_EQ(iopt_hwsim_walk(&g, &m, 0, 0, 0, &r), -EFAULT);
		CHECK_EQ(r.fault, IOPT_HWSIM_FAULT_WALK_ABORT);
	}
}
