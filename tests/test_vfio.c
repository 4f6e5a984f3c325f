// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The VFIO / iommufd consumer model (include/iopt/vfio.h): host layouts,
 * DMA_MAP / DMA_UNMAP with the four traversal strategies agreeing on every
 * page they unpin, lookup counts in the expected order, PFN collection by
 * page, by length and by extent agreeing, and the unpin-before-flush
 * detector firing when the model is misused on purpose.
 *
 * Randomised layouts come from one base seed, printed; IOPT_TEST_SEED
 * replays it. IOPT_VFIO_BENCH_GIB sets the guest size of the figures test
 * (vfio_figures, "#" lines only; default 2).
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <errno.h>
#include <time.h>

#include <iopt/mem.h>
#include <iopt/vfio.h>

#define VA_BASE     0x7f0000000000ULL
#define IOVA_BASE   0x1000000000ULL     /* 64G */
#define SWEEP_SIZE  (1ULL << 47)        /* lower half on x86, half of ARM */
#define SZ_2M       (1ULL << 21)
#define SZ_1G       (1ULL << 30)
#define NR_STRAT    IOPT_VFIO_NR_STRATEGIES

/* A table configuration and the host page it runs on. */
struct vcfg {
	const char *table;
	unsigned int page_lg2;
};

static const struct vcfg vcfgs[] = {
	{ "arm-lpae-s1-4k", 12 },
	{ "arm-lpae-s1-16k", 14 },
	{ "arm-lpae-s1-64k", 16 },
	{ "x86-64-4lvl", 12 },
	{ "arm-lpae-s2-4k", 12 },
	{ "arm-lpae-s2-64k", 16 },
	{ "arm-lpae-s1-4k", 16 },      /* 4K IOMMU pages under a 64K kernel */
};
#define NR_VCFGS (sizeof(vcfgs) / sizeof(vcfgs[0]))

/* Folio mixes: percent 1G, percent 2M, fragmentation, holes. */
struct mix {
	const char *name;
	unsigned int pct_1g, pct_2m, pct_frag, pct_hole;
};

static const struct mix mixes[] = {
	{ "1G folios", 100, 0, 100, 0 },
	{ "2M folios", 0, 100, 100, 0 },
	{ "2M folios, some order", 0, 100, 30, 2 },
	{ "mixed", 30, 50, 100, 3 },
	{ "base pages, scattered", 0, 0, 100, 0 },
	{ "base pages, contiguous", 0, 0, 0, 0 },
	{ "half of everything", 50, 50, 50, 5 },
};
#define NR_MIXES (sizeof(mixes) / sizeof(mixes[0]))

static uint64_t base_seed;

static uint64_t test_seed(void)
{
	if (!base_seed) {
		base_seed = h_seed();
		printf("# seed=0x%" PRIx64 " (replay: IOPT_TEST_SEED=0x%" PRIx64
		       ")\n", base_seed, base_seed);
	}
	return base_seed;
}

/* A sub-seed per (test, index), fixed by the base seed. */
static uint64_t sub_seed(unsigned int test, unsigned int i)
{
	uint64_t s = test_seed() ^ ((uint64_t)test << 40) ^ ((uint64_t)i << 20);

	h_rand(&s);
	return h_rand(&s) | 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hmix(uint64_t *h, uint64_t v)
{
	*h = (*h ^ v) * 0x100000001b3ULL;
	*h ^= *h >> 31;
}

/* ------------------------------------------------------------ an env */

/* Not a tenv (env.h): the VFIO model builds its table itself
 * (iopt_vfio_init()) over the arena, beside a host model. */
struct env {
	struct iopt_host h;
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_vfio c;
	size_t arena_root;      /* arena bytes held by the empty table */
	bool host_ok, arena_ok, vfio_ok;
};

static int env_init(struct env *e, const char *table,
		    const struct iopt_host_config *hc, size_t arena_bytes)
{
	struct iopt_config cfg;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = iopt_config_from_name(table, &cfg);
	if (ret)
		return ret;
	ret = iopt_host_init(&e->h, hc);
	if (ret)
		return ret;
	e->host_ok = true;
	ret = iopt_arena_create(&e->a, arena_bytes, ARENA_PHYS);
	if (ret)
		return ret;
	e->arena_ok = true;
	iopt_arena_mem(&e->a, &e->mem);
	ret = iopt_vfio_init(&e->c, &e->h, &cfg, &e->mem, IOPT_DOMAIN_BATCHED);
	if (ret)
		return ret;
	e->vfio_ok = true;
	e->arena_root = e->a.used;
	return 0;
}

static void env_fini(struct env *e)
{
	if (e->vfio_ok)
		iopt_vfio_fini(&e->c);
	if (e->arena_ok)
		iopt_arena_destroy(&e->a);
	if (e->host_ok)
		iopt_host_fini(&e->h);
}

/* Nothing mapped below SWEEP_SIZE. */
static bool table_empty(struct iopt_table *t)
{
	uint64_t n = 0;

	return !iopt_for_each_extent(t, 0, SWEEP_SIZE, tenv_count_extent, &n) &&
	       !n;
}

/* Reclaim the empty tables partial unmaps left, then see only the root
 * remains in the arena. */
static bool arena_back_to_root(struct env *e)
{
	struct iopt_gather g;
	uint64_t u = 0;

	iopt_gather_init(&g);
	if (iopt_unmap_range(iopt_vfio_table(&e->c), 0, SWEEP_SIZE, 0, &g, &u))
		return false;
	iopt_gather_sync(&g);
	return !u && e->a.used == e->arena_root;
}

static void host_cfg(struct iopt_host_config *hc, uint64_t seed,
		     uint64_t size, unsigned int page_lg2, const struct mix *m)
{
	memset(hc, 0, sizeof(*hc));
	hc->seed = seed;
	hc->size = size;
	hc->va_base = VA_BASE;
	hc->phys_base = 0x100000000ULL;
	hc->page_lg2 = page_lg2;
	hc->pct_1g = m->pct_1g;
	hc->pct_2m = m->pct_2m;
	hc->pct_frag = m->pct_frag;
	hc->pct_hole = m->pct_hole;
}

/* -------------------------------------------------- random scenarios */

struct live {
	uint64_t iova, size;
};

#define MAX_LIVE 96
#define MAP_BUDGET (3ULL << 30)  /* bytes a scenario maps, re-maps included */

/*
 * Everything a strategy must reproduce exactly: every call's result and
 * byte count and the pin digest after every unmap (trace), the counters
 * that do not depend on how runs are found, and the host's accounting.
 */
struct outcome {
	uint64_t trace;
	struct iopt_vfio_counters ctr;
	struct iopt_host_stats hs;
	uint64_t digest;
	uint64_t maps_ok, unmaps_ok, faults, einval;
	bool empty, root_only;
	int setup;
};

/* A random page-multiple size: small, medium, large or about 1G. */
static uint64_t pick_size(uint64_t *rs, uint64_t pg, uint64_t region)
{
	uint64_t s;

	switch (h_rand(rs) % 4) {
	case 0:
		s = (1 + h_rand(rs) % 16) * pg;
		break;
	case 1:
		s = (1 + h_rand(rs) % (4 * SZ_2M / pg)) * pg;
		break;
	case 2:
		s = (1 + h_rand(rs) % (region / 4 / SZ_2M + 1)) * SZ_2M;
		break;
	default:
		s = SZ_1G + (h_rand(rs) % 64) * SZ_2M;
		break;
	}
	return s < region ? s : region;
}

/*
 * Map a random range of the process at or after @iova (iova stays below
 * @limit). Sometimes the IOVA matches the vaddr modulo 1G (large leaves
 * possible), sometimes not; sometimes the vaddr range repeats an earlier
 * one (pages pinned twice).
 */
static int map_random(struct env *e, uint64_t *rs, uint64_t iova,
		      uint64_t limit, struct live *out, struct outcome *o)
{
	uint64_t pg = iopt_host_page_size(&e->h), region = e->h.cfg.size;
	uint64_t size, off, v;
	unsigned int prot = (h_rand(rs) % 3 == 0) ? IOPT_READ :
			    IOPT_READ | IOPT_WRITE;
	int ret;

	if (limit <= iova || limit - iova < pg)
		return -ENOSPC;
	size = pick_size(rs, pg, region);
	if (size > limit - iova)
		size = (limit - iova) / pg * pg;
	off = (region - size) / pg;
	off = off ? (h_rand(rs) % (off + 1)) * pg : 0;
	if (h_rand(rs) % 2)
		off &= ~(SZ_2M - 1);
	v = VA_BASE + off;
	if (h_rand(rs) % 2) {
		/* Same offset in the gigabyte as the vaddr, when it fits. */
		uint64_t a = ((iova + SZ_1G - 1) & ~(SZ_1G - 1)) +
			     (v & (SZ_1G - 1));

		if (a >= iova && a < limit && limit - a >= size)
			iova = a;
	}
	ret = iopt_vfio_dma_map(&e->c, v, iova, size, prot);
	hmix(&o->trace, (uint64_t)(int64_t)ret);
	hmix(&o->trace, iopt_host_pin_digest(&e->h));
	if (ret == -EFAULT)
		o->faults++;
	else if (!ret)
		o->maps_ok++;
	out->iova = iova;
	out->size = size;
	return ret;
}

/* Map, unmap random groups with gaps, map into freed space, unmap all. */
static void run_scenario(const struct vcfg *vc, const struct mix *m,
			 uint64_t seed, enum iopt_vfio_strategy s,
			 struct outcome *o)
{
	struct iopt_host_config hc;
	struct live lv[MAX_LIVE];
	struct env e;
	uint64_t rs = seed, cursor = IOVA_BASE, pg, u, hseed, hsize, used = 0;
	unsigned int n = 0, nmaps;
	static const uint64_t sizes[] = { 256ULL << 20, 1280ULL << 20,
					  2ULL << 30 };
	int ret;

	memset(o, 0, sizeof(*o));
	/* One draw per statement: argument order is unspecified in C. */
	hseed = h_rand(&rs);
	hsize = sizes[h_rand(&rs) % 3];
	host_cfg(&hc, hseed, hsize, vc->page_lg2, m);
	o->setup = env_init(&e, vc->table, &hc, 64u << 20);
	if (o->setup || iopt_vfio_set_strategy(&e.c, s)) {
		env_fini(&e);
		return;
	}
	pg = iopt_host_page_size(&e.h);

	nmaps = 8 + (unsigned int)(h_rand(&rs) % 24);
	for (unsigned int k = 0; k < nmaps && n < MAX_LIVE &&
			      used < MAP_BUDGET; k++) {
		struct live l;
		uint64_t gap = 0;

		switch (h_rand(&rs) % 3) {
		case 1:
			gap = (1 + h_rand(&rs) % 64) * pg;
			break;
		case 2:
			gap = (1 + h_rand(&rs) % 8) * SZ_2M;
			break;
		}
		ret = map_random(&e, &rs, cursor + gap, cursor + (64ULL << 30),
				 &l, o);
		if (!ret) {
			lv[n++] = l;
			cursor = l.iova + l.size;
			used += l.size;
		}
		/* An overlapping map is refused and changes nothing. */
		if (!ret && h_rand(&rs) % 4 == 0) {
			ret = iopt_vfio_dma_map(&e.c, VA_BASE,
						l.iova + l.size - pg, pg,
						IOPT_READ);
			CHECK_EQ(ret, -EEXIST);
			hmix(&o->trace, (uint64_t)(int64_t)ret);
		}
	}

	while (n) {
		unsigned int i = (unsigned int)(h_rand(&rs) % n), j;
		uint64_t lo, hi, start, end, want = 0;

		j = i + (unsigned int)(h_rand(&rs) % (n - i < 3 ? n - i : 3));
		lo = i ? lv[i - 1].iova + lv[i - 1].size : IOVA_BASE;
		hi = j + 1 < n ? lv[j + 1].iova : lv[j].iova + lv[j].size + SZ_2M;
		start = lv[i].iova - (h_rand(&rs) % ((lv[i].iova - lo) / pg + 1)) * pg;
		end = lv[j].iova + lv[j].size;
		end += (h_rand(&rs) % ((hi - end) / pg + 1)) * pg;
		if (lv[i].size > pg && h_rand(&rs) % 6 == 0) {
			/* Cutting a mapping is refused and changes nothing. */
			ret = iopt_vfio_dma_unmap(&e.c, lv[i].iova + pg,
						  end - lv[i].iova - pg, &u);
			CHECK_EQ(ret, -EINVAL);
			CHECK_EQ(u, 0);
			o->einval++;
			hmix(&o->trace, iopt_host_pin_digest(&e.h));
		}
		for (unsigned int k = i; k <= j; k++)
			want += lv[k].size;
		ret = iopt_vfio_dma_unmap(&e.c, start, end - start, &u);
		CHECK_EQ(ret, 0);
		CHECK_EQ(u, want);
		o->unmaps_ok += !ret;
		hmix(&o->trace, (uint64_t)(int64_t)ret);
		hmix(&o->trace, u);
		hmix(&o->trace, iopt_host_pin_digest(&e.h));
		memmove(&lv[i], &lv[j + 1], (n - j - 1) * sizeof(lv[0]));
		n -= j - i + 1;

		/* Map again into the space just freed (reusing its tables). */
		if (h_rand(&rs) % 3 == 0 && used < MAP_BUDGET) {
			struct live l;

			lo = i ? lv[i - 1].iova + lv[i - 1].size : IOVA_BASE;
			hi = i < n ? lv[i].iova : cursor;
			if (!map_random(&e, &rs, lo, hi, &l, o)) {
				memmove(&lv[i + 1], &lv[i],
					(n - i) * sizeof(lv[0]));
				lv[i] = l;
				n++;
				used += l.size;
			}
		}
	}
	ret = iopt_vfio_dma_unmap_all(&e.c, &u);
	CHECK_EQ(ret, 0);
	CHECK_EQ(u, 0);
	CHECK_EQ(iopt_vfio_nr_dmas(&e.c), 0);

	iopt_vfio_get_counters(&e.c, &o->ctr, false);
	iopt_host_get_stats(&e.h, &o->hs);
	o->digest = iopt_host_pin_digest(&e.h);
	o->empty = table_empty(iopt_vfio_table(&e.c));
	o->root_only = arena_back_to_root(&e);
	env_fini(&e);
}

/*
 * The unmap calls and flushes of strategy @s against strategy 1's @ref:
 * strategies 1-3 make one unmap call per run, so theirs are equal; the
 * extent strategy makes one per descent that found runs (at least one per
 * sync's worth of runs), so at most as many. Its flushes are the gather's
 * of one span instead of many runs (merged, or split where tables are
 * freed): some, when anything was unmapped; every unpin still waits for
 * its flush (unpin_refused and pages_leaked are checked by the callers).
 */
static void check_unmap_counts(const struct iopt_vfio_counters *x,
			       const struct iopt_vfio_counters *ref,
			       unsigned int s)
{
	if (s != IOPT_VFIO_SCAN_EXTENT) {
		CHECK_EQ(x->unmap_calls, ref->unmap_calls);
		CHECK_EQ(x->flush_calls, ref->flush_calls);
		return;
	}
	CHECK(x->unmap_calls <= x->descents);
	CHECK(x->unmap_calls <= ref->unmap_calls);
	CHECK(x->unmap_calls * IOPT_VFIO_SYNC_MAX >= x->runs);
	CHECK(!x->runs || (x->unmap_calls > 0 && x->flush_calls > 0));
}

/* Everything but the lookups must match strategy 1. */
static void compare_outcomes(const struct outcome *a, const struct outcome *b,
			     unsigned int s, const char *what)
{
	if (a->trace != b->trace)
		H_FAIL("%s: call results or pins differ along the way", what);
	CHECK_EQ(a->digest, b->digest);
	CHECK_EQ(a->ctr.runs, b->ctr.runs);
	check_unmap_counts(&b->ctr, &a->ctr, s);
	CHECK_EQ(a->ctr.syncs, b->ctr.syncs);
	CHECK_EQ(a->ctr.map_calls, b->ctr.map_calls);
	CHECK_EQ(a->ctr.pages_pinned, b->ctr.pages_pinned);
	CHECK_EQ(a->ctr.pages_unpinned, b->ctr.pages_unpinned);
	CHECK_EQ(a->ctr.holes, b->ctr.holes);
	CHECK_EQ(a->hs.pins, b->hs.pins);
	CHECK_EQ(a->hs.pinned_pages, b->hs.pinned_pages);
	CHECK_EQ(a->hs.locked_vm, b->hs.locked_vm);
	CHECK_EQ(a->hs.locked_peak, b->hs.locked_peak);
	CHECK_EQ(a->hs.pin_calls, b->hs.pin_calls);
	CHECK_EQ(a->hs.unpin_calls, b->hs.unpin_calls);
}

#define AGREE_SEEDS 3

static void agree_on(unsigned int ci)
{
	const struct vcfg *vc = &vcfgs[ci];

	for (unsigned int k = 0; k < AGREE_SEEDS; k++) {
		uint64_t seed = sub_seed(1 + ci, k);
		const struct mix *m = &mixes[(k + ci) % NR_MIXES];
		struct outcome o[NR_STRAT];
		char what[160];

		for (unsigned int s = 0; s < NR_STRAT; s++) {
			struct outcome *x = &o[s];

			run_scenario(vc, m, seed, (enum iopt_vfio_strategy)s, x);
			snprintf(what, sizeof(what),
				 "%s/%uK host, %s, seed 0x%" PRIx64 ", %s",
				 vc->table, 1u << (vc->page_lg2 - 10), m->name,
				 seed, iopt_vfio_strategy_name(
					 (enum iopt_vfio_strategy)s));
			if (x->setup) {
				H_FAIL("%s: setup %d", what, x->setup);
				return;
			}
			/* Everything unpinned, nothing refused or leaked. */
			if (x->hs.pins || x->hs.pinned_pages ||
			    x->hs.locked_vm || x->ctr.unpin_refused ||
			    x->ctr.pages_leaked || x->ctr.errors ||
			    x->ctr.holes || x->hs.bad_unpins ||
			    x->ctr.pages_pinned != x->ctr.pages_unpinned)
				H_FAIL("%s: pins %" PRIu64 " locked %" PRIu64
				       " refused %" PRIu64 " leaked %" PRIu64
				       " errors %" PRIu64 " holes %" PRIu64,
				       what, x->hs.pins, x->hs.locked_vm,
				       x->ctr.unpin_refused,
				       x->ctr.pages_leaked, x->ctr.errors,
				       x->ctr.holes);
			if (!x->empty)
				H_FAIL("%s: table not empty", what);
			if (!x->root_only)
				H_FAIL("%s: arena holds more than the root", what);
			if (s)
				compare_outcomes(&o[0], x, s, what);
		}
		printf("# %s/%uK %s seed 0x%" PRIx64 ": %" PRIu64 " maps (%"
		       PRIu64 " -EFAULT), %" PRIu64 " unmaps, %" PRIu64
		       " pages, %" PRIu64 " runs; lookups %" PRIu64 "/%" PRIu64
		       "/%" PRIu64 "/%" PRIu64 "\n", vc->table,
		       1u << (vc->page_lg2 - 10), m->name, seed, o[0].maps_ok,
		       o[0].faults, o[0].unmaps_ok, o[0].ctr.pages_unpinned,
		       o[0].ctr.runs, o[0].ctr.lookups, o[1].ctr.lookups,
		       o[2].ctr.lookups, o[3].ctr.lookups);
		if (!o[0].maps_ok || !o[0].ctr.pages_unpinned)
			H_FAIL("%s: the scenario mapped nothing", what);
	}
}

TEST(agree_arm_s1_4k) { agree_on(0); }
TEST(agree_arm_s1_16k) { agree_on(1); }
TEST(agree_arm_s1_64k) { agree_on(2); }
TEST(agree_x86_64) { agree_on(3); }
TEST(agree_arm_s2_4k) { agree_on(4); }
TEST(agree_arm_s2_64k) { agree_on(5); }
TEST(agree_arm_s1_4k_on_64k_host) { agree_on(6); }

/* ------------------------------------------------------ lookup order */

/* Map one whole region, unmap it with strategy @s; counters out. */
static int whole_region(const char *table, const struct iopt_host_config *hc,
			enum iopt_vfio_strategy s, size_t arena,
			struct iopt_vfio_counters *ctr, uint64_t *ns,
			uint64_t *digest)
{
	struct env e;
	uint64_t u, t0;
	int ret;

	ret = env_init(&e, table, hc, arena);
	if (!ret)
		ret = iopt_vfio_set_strategy(&e.c, s);
	if (!ret)
		ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE, hc->size,
					IOPT_READ | IOPT_WRITE);
	if (ret) {
		env_fini(&e);
		return ret;
	}
	iopt_vfio_get_counters(&e.c, NULL, true);
	t0 = now_ns();
	ret = iopt_vfio_dma_unmap(&e.c, IOVA_BASE, hc->size, &u);
	if (ns)
		*ns = now_ns() - t0;
	iopt_vfio_get_counters(&e.c, ctr, false);
	if (digest)
		*digest = iopt_host_pin_digest(&e.h) ^ e.h.stats.locked_vm;
	if (!ret && (u != hc->size || e.h.stats.pins || e.h.stats.locked_vm))
		ret = -EIO;
	if (!ret && (!table_empty(iopt_vfio_table(&e.c)) ||
		     !arena_back_to_root(&e)))
		ret = -EIO;
	env_fini(&e);
	return ret;
}

/* With large folios: phys >= pgsize, pgsize ~ length, length >= extent. */
TEST(lookup_order)
{
	static const unsigned int cfgs[] = { 0, 1, 2, 3 }; /* page = granule */

	for (unsigned int k = 0; k < 4; k++) {
		const struct vcfg *vc = &vcfgs[cfgs[k]];

		for (unsigned int mi = 0; mi < 2; mi++) {
			struct iopt_host_config hc;
			struct iopt_vfio_counters c[NR_STRAT];
			uint64_t l[NR_STRAT];
			int ret;

			host_cfg(&hc, sub_seed(20, k * 2 + mi), 2ULL << 30,
				 vc->page_lg2, &mixes[mi]);
			for (unsigned int s = 0; s < NR_STRAT; s++) {
				ret = whole_region(vc->table, &hc,
						   (enum iopt_vfio_strategy)s,
						   32u << 20, &c[s], NULL, NULL);
				if (ret) {
					H_FAIL("%s %s %s: %d", vc->table,
					       mixes[mi].name,
					       iopt_vfio_strategy_name(
						(enum iopt_vfio_strategy)s), ret);
					return;
				}
				l[s] = c[s].lookups;
				check_unmap_counts(&c[s], &c[0], s);
				CHECK_EQ(c[s].pages_unpinned, hc.size >> vc->page_lg2);
			}
			printf("# %s, 2G of %s: lookups phys %" PRIu64
			       " pgsize %" PRIu64 " length %" PRIu64
			       " extent %" PRIu64 " (%" PRIu64 " descents), %"
			       PRIu64 " runs\n", vc->table, mixes[mi].name,
			       l[0], l[1], l[2], l[3], c[3].descents, c[0].runs);
			CHECK(l[0] >= l[1]);
			CHECK(l[1] >= l[2]);
			CHECK(l[1] <= 3 * l[2]);
			CHECK(l[2] >= l[3]);
			CHECK_EQ(l[3], c[0].runs);
			/* A page-by-page scan pays one lookup per page. */
			CHECK(l[0] >= hc.size >> vc->page_lg2);
		}
	}
}

/* ------------------------------------------------------ PFN collection */

static int pfns_truth(struct env *e, const struct live *lv, unsigned int n,
		      uint64_t iova, uint64_t npages, const uint64_t *pfns,
		      const uint64_t *vaddr_of)
{
	unsigned int lg2 = e->h.cfg.page_lg2;

	for (uint64_t i = 0; i < npages; i++) {
		uint64_t q = iova + (i << lg2), want = IOPT_PFN_NONE, p;

		for (unsigned int k = 0; k < n; k++) {
			if (q < lv[k].iova || q - lv[k].iova >= lv[k].size)
				continue;
			if (iopt_host_translate(&e->h, vaddr_of[k] + (q - lv[k].iova),
						&p, NULL, NULL))
				return -1;
			want = p >> lg2;
		}
		if (pfns[i] != want)
			return (int)i + 1;
	}
	return 0;
}

static void pfns_on(const struct vcfg *vc, const struct mix *m, uint64_t seed)
{
	struct iopt_host_config hc;
	struct live lv[16];
	uint64_t va[16], pg, rs = seed, cursor = IOVA_BASE, *p[3], npages_max;
	unsigned int n = 0, lg2 = vc->page_lg2;
	struct env e;
	int ret;

	host_cfg(&hc, h_rand(&rs), 1280ULL << 20, lg2, m);
	ret = env_init(&e, vc->table, &hc, 64u << 20);
	if (ret) {
		H_FAIL("setup %d", ret);
		env_fini(&e);
		return;
	}
	pg = 1ULL << lg2;
	for (unsigned int k = 0; k < 16; k++) {
		struct outcome o;
		struct live l;

		memset(&o, 0, sizeof(o));
		if (map_random(&e, &rs, cursor + (h_rand(&rs) % 4) * SZ_2M,
			       cursor + (8ULL << 30), &l, &o))
			continue;
		va[n] = e.c.dmas[e.c.nr_dmas - 1].vaddr;
		lv[n++] = l;
		cursor = l.iova + l.size;
	}
	npages_max = 1u << 16;
	for (unsigned int k = 0; k < 3; k++)
		p[k] = malloc(npages_max * sizeof(uint64_t));
	if (!p[0] || !p[1] || !p[2] || !n) {
		H_FAIL("no memory or nothing mapped (%u)", n);
		goto out;
	}
	for (unsigned int w = 0; w < 24; w++) {
		struct iopt_vfio_counters c[3];
		uint64_t start, npages, mapped[3];
		unsigned int k = (unsigned int)(h_rand(&rs) % n);

		/* A window around a mapping, often cutting into leaves. */
		start = lv[k].iova - (h_rand(&rs) % 64) * pg;
		if (h_rand(&rs) % 2)
			start = lv[k].iova + (h_rand(&rs) % (lv[k].size / pg)) * pg;
		npages = 1 + h_rand(&rs) % (npages_max - 1);
		if (start < IOVA_BASE - (1ULL << 30))
			start = IOVA_BASE;
		memset(c, 0, sizeof(c));
		for (unsigned int mth = 0; mth < 3; mth++) {
			ret = iopt_pfns_from_domain(iopt_vfio_domain(&e.c), start,
						    npages << lg2, lg2,
						    (enum iopt_pfn_method)mth,
						    p[mth], &mapped[mth], &c[mth]);
			CHECK_EQ(ret, 0);
		}
		CHECK(!memcmp(p[0], p[1], npages * sizeof(uint64_t)));
		CHECK(!memcmp(p[0], p[2], npages * sizeof(uint64_t)));
		CHECK_EQ(mapped[0], mapped[1]);
		CHECK_EQ(mapped[0], mapped[2]);
		CHECK_EQ(c[0].lookups, npages);
		CHECK_EQ(c[0].holes, npages - mapped[0]);
		CHECK_EQ(c[1].holes, c[0].holes);
		CHECK_EQ(c[2].holes, c[0].holes);
		CHECK_EQ(c[2].descents, 1);
		ret = pfns_truth(&e, lv, n, start, npages, p[0], va);
		if (ret)
			H_FAIL("%s %s: window 0x%" PRIx64 "+%" PRIu64
			       " pages: page %d differs from the host", vc->table,
			       m->name, start, npages, ret - 1);
	}
	/* Argument errors. */
	CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c), IOVA_BASE + 1,
				       pg, lg2, IOPT_PFNS_BY_PAGE, p[0], NULL,
				       NULL), -EINVAL);
	CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c), IOVA_BASE, 0,
				       lg2, IOPT_PFNS_BY_PAGE, p[0], NULL, NULL),
		 -EINVAL);
	CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c), IOVA_BASE, pg,
				       lg2, (enum iopt_pfn_method)7, p[0], NULL,
				       NULL), -EINVAL);
	CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c), 1ULL << 48, pg,
				       lg2, IOPT_PFNS_BY_LENGTH, p[0], NULL,
				       NULL), -ERANGE);
	CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c), 0ULL - pg,
				       2 * pg, lg2, IOPT_PFNS_BY_EXTENT, p[0],
				       NULL, NULL), -EOVERFLOW);
out:
	for (unsigned int k = 0; k < 3; k++)
		free(p[k]);
	env_fini(&e);
}

TEST(pfns_agree)
{
	for (unsigned int ci = 0; ci < NR_VCFGS; ci++)
		pfns_on(&vcfgs[ci], &mixes[(ci * 3) % NR_MIXES],
			sub_seed(30, ci));
}

/* Whole-mapping collection: one lookup per leaf beats one per page. */
TEST(pfns_lookup_counts)
{
	struct iopt_host_config hc;
	struct iopt_vfio_counters c[3];
	uint64_t *p[3], n = (1ULL << 30) >> 12, mapped;
	struct env e;
	int ret;

	host_cfg(&hc, sub_seed(31, 0), 1ULL << 30, 12, &mixes[1]);
	ret = env_init(&e, "x86-64-4lvl", &hc, 16u << 20);
	if (!ret)
		ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE, hc.size,
					IOPT_READ);
	ASSERT_EQ(ret, 0);
	memset(c, 0, sizeof(c));
	for (unsigned int m = 0; m < 3; m++) {
		p[m] = malloc(n * sizeof(uint64_t));
		ASSERT(p[m]);
		ret = iopt_pfns_from_domain(iopt_vfio_domain(&e.c), IOVA_BASE,
					    hc.size, 12, (enum iopt_pfn_method)m,
					    p[m], &mapped, &c[m]);
		CHECK_EQ(ret, 0);
		CHECK_EQ(mapped, n);
	}
	CHECK(!memcmp(p[0], p[1], n * sizeof(uint64_t)));
	CHECK(!memcmp(p[0], p[2], n * sizeof(uint64_t)));
	CHECK_EQ(c[0].lookups, n);
	CHECK_EQ(c[1].lookups, 512);           /* one per 2M leaf */
	CHECK(c[2].lookups <= 512);            /* one per run */
	printf("# PFNs of 1G in 2M folios: by page %" PRIu64 ", by length %"
	       PRIu64 ", by extent %" PRIu64 " lookups\n", c[0].lookups,
	       c[1].lookups, c[2].lookups);
	for (unsigned int m = 0; m < 3; m++)
		free(p[m]);
	env_fini(&e);
}

/*
 * 4K leaves (scattered base pages): by length costs one lookup and one
 * extent descent per 2M of them, never one lookup per page, and fills the
 * same array (holes included: a hole inside a window is a hole).
 */
TEST(pfns_by_length_small_leaves)
{
	struct iopt_host_config hc;
	struct iopt_vfio_counters c[3];
	uint64_t *p[3], n = (8ULL << 20) >> 12, mapped[3];
	struct env e;
	int ret;

	host_cfg(&hc, sub_seed(32, 0), 8ULL << 20, 12, &mixes[4]);
	ret = env_init(&e, "x86-64-4lvl", &hc, 16u << 20);
	if (!ret) /* all but the second 2M: a window of holes */
		ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE, 2ULL << 20,
					IOPT_READ) ||
		      iopt_vfio_dma_map(&e.c, VA_BASE + (4ULL << 20),
					IOVA_BASE + (4ULL << 20), 4ULL << 20,
					IOPT_READ);
	ASSERT_EQ(ret, 0);
	memset(c, 0, sizeof(c));
	for (unsigned int m = 0; m < 3; m++) {
		p[m] = malloc(n * sizeof(uint64_t));
		ASSERT(p[m]);
		/* From 4K in: the first window ends at the first 2M boundary. */
		CHECK_EQ(iopt_pfns_from_domain(iopt_vfio_domain(&e.c),
					       IOVA_BASE + 4096, hc.size - 4096,
					       12, (enum iopt_pfn_method)m,
					       p[m], &mapped[m], &c[m]), 0);
	}
	CHECK(!memcmp(p[0], p[1], (n - 1) * sizeof(uint64_t)));
	CHECK(!memcmp(p[0], p[2], (n - 1) * sizeof(uint64_t)));
	CHECK_EQ(mapped[0], n - 1 - 512);
	CHECK_EQ(mapped[1], mapped[0]);
	CHECK_EQ(c[0].lookups, n - 1);
	CHECK_EQ(c[1].holes, c[0].holes);
	CHECK_EQ(c[1].holes, 512);
	/* Windows: [4K, 2M), 512 holes looked up one by one (nothing mapped:
	 * no leaf to start a window), then [4M, 6M) and [6M, 8M). */
	CHECK_EQ(c[1].descents, 3);
	CHECK_EQ(c[1].lookups, 3 + 512);
	for (unsigned int m = 0; m < 3; m++)
		free(p[m]);
	env_fini(&e);
}

/* ------------------------------------------- the unpin-before-flush check */

/*
 * Two mappings of 2M folios and one of scattered base pages, then the test
 * flag @flag set. A failed setup is reported and cleaned up: non-zero.
 */
static int misuse_setup(struct env *e, enum iopt_vfio_strategy s,
			unsigned int flag, uint64_t *pages)
{
	struct iopt_host_config hc;
	static const struct mix m = { "mixed", 0, 60, 100, 0 };
	int ret;

	host_cfg(&hc, 0x5eed, 256ULL << 20, 12, &m);
	ret = env_init(e, "arm-lpae-s1-4k", &hc, 16u << 20);
	if (!ret)
		ret = iopt_vfio_set_strategy(&e->c, s);
	if (!ret)
		ret = iopt_vfio_dma_map(&e->c, VA_BASE, IOVA_BASE, 64ULL << 20,
					IOPT_READ | IOPT_WRITE);
	if (!ret)
		ret = iopt_vfio_dma_map(&e->c, VA_BASE + (64ULL << 20),
					IOVA_BASE + (1ULL << 30) + 4096,
					32ULL << 20, IOPT_READ);
	*pages = (96ULL << 20) >> 12;
	if (ret) {
		H_FAIL("setup %d", ret);
		env_fini(e);
		return ret;
	}
	CHECK_EQ(iopt_vfio_set_flags(&e->c, flag), 0);
	return 0;
}

TEST(detector_unpin_early)
{
	for (unsigned int s = 0; s < NR_STRAT; s++) {
		struct iopt_vfio_counters c;
		struct env e;
		uint64_t u, pages;
		int ret;

		if (misuse_setup(&e, (enum iopt_vfio_strategy)s,
				 IOPT_VFIO_TEST_UNPIN_EARLY, &pages))
			return;
		ret = iopt_vfio_dma_unmap_all(&e.c, &u);
		iopt_vfio_get_counters(&e.c, &c, false);
		/* Caught: every early unpin refused, reported as -EBUSY ... */
		CHECK_EQ(ret, -EBUSY);
		CHECK_EQ(c.unpin_refused, c.runs);
		CHECK(c.runs > 0);
		/* ... and done properly after the sync: nothing leaked. */
		CHECK_EQ(c.pages_leaked, 0);
		CHECK_EQ(c.pages_unpinned, pages);
		CHECK_EQ(e.h.stats.pins, 0);
		CHECK_EQ(e.h.stats.locked_vm, 0);
		CHECK_EQ(u, 96ULL << 20);
		env_fini(&e);
	}
}

TEST(detector_lost_flush)
{
	for (unsigned int s = 0; s < NR_STRAT; s++) {
		struct iopt_vfio_counters c;
		struct env e;
		uint64_t u, pages;
		int ret;

		if (misuse_setup(&e, (enum iopt_vfio_strategy)s,
				 IOPT_VFIO_TEST_DROP_FLUSH, &pages))
			return;
		ret = iopt_vfio_dma_unmap_all(&e.c, &u);
		iopt_vfio_get_counters(&e.c, &c, false);
		/* The sync ran, the flushes were lost: nothing may be unpinned. */
		CHECK_EQ(ret, -EBUSY);
		CHECK(c.flush_calls > 0);
		CHECK_EQ(c.unpin_refused, c.runs);
		CHECK_EQ(c.pages_unpinned, 0);
		CHECK_EQ(c.pages_leaked, pages);
		CHECK_EQ(e.h.stats.pins, pages);
		CHECK_EQ(e.h.stats.locked_vm, pages);
		CHECK(table_empty(iopt_vfio_table(&e.c)));
		env_fini(&e);
	}
	CHECK_EQ(iopt_vfio_set_flags(NULL, 0), -EINVAL);
}

/*
 * Long runs of 4K leaves detach more tables than a gather holds, so the
 * gather flushes early, in the middle of an unmap: runs covered by two
 * flushes must still count as flushed (no false alarm).
 */
TEST(early_gather_sync_no_false_alarm)
{
	static const struct mix m = { "contiguous base pages", 0, 0, 0, 0 };
	struct iopt_host_config hc;
	uint64_t d0 = 0;

	host_cfg(&hc, 1, 1280ULL << 20, 12, &m);
	for (unsigned int s = 0; s < NR_STRAT; s++) {
		struct iopt_vfio_counters c;
		struct env e;
		uint64_t u, d;
		int ret;

		ret = env_init(&e, "x86-64-4lvl", &hc, 32u << 20);
		if (!ret)
			ret = iopt_vfio_set_strategy(&e.c,
						     (enum iopt_vfio_strategy)s);
		/* IOVA one page off the physical alignment: 4K leaves only. */
		if (!ret)
			ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE + 4096,
						hc.size, IOPT_READ);
		ASSERT_EQ(ret, 0);
		ret = iopt_vfio_dma_unmap(&e.c, IOVA_BASE, 2 * hc.size, &u);
		iopt_vfio_get_counters(&e.c, &c, false);
		CHECK_EQ(ret, 0);
		CHECK_EQ(c.runs, 1);
		CHECK_EQ(c.syncs, 1);
		CHECK(c.flush_calls >= 2);     /* early flush, then the sync */
		CHECK_EQ(c.unpin_refused, 0);
		CHECK_EQ(e.h.stats.pins, 0);
		d = iopt_host_pin_digest(&e.h);
		if (!s)
			d0 = d;
		CHECK_EQ(d, d0);
		env_fini(&e);
	}
}

/* --------------------------------------------------- holes in a mapping */

/*
 * Translations removed behind VFIO's back: every strategy skips the same
 * pages (VFIO WARNs) and leaves them pinned.
 */
TEST(holes_inside_mapping)
{
	static const struct mix m = { "2M and base pages", 0, 50, 100, 0 };
	struct iopt_host_config hc;
	struct iopt_vfio_counters c0;
	uint64_t d0 = 0, pins0 = 0;

	host_cfg(&hc, sub_seed(40, 0), 256ULL << 20, 12, &m);
	memset(&c0, 0, sizeof(c0));
	for (unsigned int s = 0; s < NR_STRAT; s++) {
		struct iopt_vfio_counters c;
		struct iopt_gather g;
		struct env e;
		uint64_t u, u2, d;
		int ret;

		ret = env_init(&e, "arm-lpae-s1-4k", &hc, 16u << 20);
		if (!ret)
			ret = iopt_vfio_set_strategy(&e.c,
						     (enum iopt_vfio_strategy)s);
		if (!ret)
			ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE,
						hc.size, IOPT_READ);
		ASSERT_EQ(ret, 0);
		/* Punch two 2M-aligned holes of 4M through the table. */
		iopt_gather_init(&g);
		CHECK_EQ(iopt_unmap_range(iopt_vfio_table(&e.c),
					  IOVA_BASE + (10ULL << 20), 4ULL << 20,
					  0, &g, &u), 0);
		CHECK_EQ(iopt_unmap_range(iopt_vfio_table(&e.c),
					  IOVA_BASE + (100ULL << 20), 4ULL << 20,
					  0, &g, &u2), 0);
		iopt_gather_sync(&g);
		CHECK_EQ(u + u2, 8ULL << 20);
		iopt_vfio_get_counters(&e.c, NULL, true);
		ret = iopt_vfio_dma_unmap(&e.c, IOVA_BASE, hc.size, &u);
		iopt_vfio_get_counters(&e.c, &c, false);
		CHECK_EQ(ret, 0);
		CHECK_EQ(c.holes, (8ULL << 20) >> 12);
		CHECK_EQ(e.h.stats.pins, (8ULL << 20) >> 12);
		CHECK_EQ(e.h.stats.locked_vm, (8ULL << 20) >> 12);
		d = iopt_host_pin_digest(&e.h);
		if (!s) {
			d0 = d;
			c0 = c;
			pins0 = e.h.stats.pins;
		}
		CHECK_EQ(d, d0);
		CHECK_EQ(e.h.stats.pins, pins0);
		CHECK_EQ(c.runs, c0.runs);
		check_unmap_counts(&c, &c0, s);
		CHECK_EQ(c.pages_unpinned, c0.pages_unpinned);
		env_fini(&e);
	}
}

/* ------------------------------------------------------- DMA_MAP errors */

TEST(dma_map_errors_change_nothing)
{
	static const struct mix m = { "holes", 0, 50, 100, 20 };
	struct iopt_host_config hc;
	struct env e;
	uint64_t hole = 0, backed = 0, phys, d0, u;
	int ret;

	host_cfg(&hc, 7, 512ULL << 20, 12, &m);
	hc.lock_limit = 2 * SZ_2M;
	ret = env_init(&e, "x86-64-4lvl", &hc, 16u << 20);
	ASSERT_EQ(ret, 0);
	/* Find a hole with a backed 2M block before it. */
	for (uint64_t off = SZ_2M; off < hc.size; off += SZ_2M) {
		if (iopt_host_translate(&e.h, VA_BASE + off, &phys, NULL, NULL) ==
		    -EFAULT &&
		    !iopt_host_translate(&e.h, VA_BASE + off - SZ_2M, &phys,
					 NULL, NULL)) {
			hole = VA_BASE + off;
			break;
		}
	}
	for (uint64_t off = 0; off < hc.size; off += SZ_2M) {
		if (!iopt_host_translate(&e.h, VA_BASE + off, &phys, NULL,
					 NULL)) {
			backed = VA_BASE + off;
			break;
		}
	}
	ASSERT(hole && backed);
	CHECK_EQ(iopt_vfio_set_strategy(&e.c, (enum iopt_vfio_strategy)4),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_set_flags(&e.c, 1u << 7), -EINVAL);
	CHECK(!strcmp(iopt_vfio_strategy_name(IOPT_VFIO_SCAN_EXTENT), "extent"));
	CHECK(!strcmp(iopt_vfio_strategy_name((enum iopt_vfio_strategy)9), "?"));
	ASSERT_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE, SZ_2M, IOPT_READ), 0);
	d0 = iopt_host_pin_digest(&e.h);

	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + SZ_2M, 4096 + 1,
				   IOPT_READ), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed + 1, IOVA_BASE + SZ_2M, 4096,
				   IOPT_READ), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + SZ_2M, 0,
				   IOPT_READ), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + SZ_2M, 4096, 0),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + SZ_2M, 4096,
				   IOPT_READ | IOPT_MMIO), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, 0ULL - 4096, 8192, IOPT_READ),
		 -EINVAL);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + 4096, 4096,
				   IOPT_READ), -EEXIST);
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE - 4096, 8192,
				   IOPT_READ), -EEXIST);
	/* x86-64 4-level: 2^47 is not canonical. */
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, 1ULL << 47, 4096, IOPT_READ),
		 -ERANGE);
	/* Runs into the hole: pinned and mapped up to it, then all undone. */
	CHECK_EQ(iopt_vfio_dma_map(&e.c, hole - SZ_2M, IOVA_BASE + SZ_1G,
				   2 * SZ_2M, IOPT_READ), -EFAULT);
	/* Up to the locked-memory limit (the same pages again: VFIO charges
	 * them again), not past it. */
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + 2 * SZ_1G, SZ_2M,
				   IOPT_READ), 0);
	CHECK_EQ(e.h.stats.locked_vm, 2 * (SZ_2M >> 12));
	CHECK_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + 3 * SZ_1G, 4096,
				   IOPT_READ), -ENOMEM);
	CHECK_EQ(e.h.stats.lock_failures, 1);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, IOVA_BASE + 2 * SZ_1G, SZ_1G, &u), 0);
	CHECK_EQ(u, SZ_2M);
	CHECK_EQ(iopt_host_pin_digest(&e.h), d0);
	CHECK_EQ(e.h.stats.locked_vm, SZ_2M >> 12);
	CHECK_EQ(iopt_vfio_nr_dmas(&e.c), 1);
	/* Unmap: cutting is refused; a range around it with gaps is fine. */
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, IOVA_BASE, 4096, &u), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, IOVA_BASE + 4096, SZ_2M, &u), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, IOVA_BASE, 0, &u), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, IOVA_BASE + 1, SZ_2M, &u), -EINVAL);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, 0, IOVA_BASE, &u), 0);
	CHECK_EQ(u, 0);
	CHECK_EQ(iopt_vfio_dma_unmap(&e.c, 0, 1ULL << 40, &u), 0);
	CHECK_EQ(u, SZ_2M);
	CHECK_EQ(e.h.stats.pins, 0);
	CHECK_EQ(e.h.stats.locked_vm, 0);
	CHECK(table_empty(iopt_vfio_table(&e.c)));
	CHECK(arena_back_to_root(&e));
	/* Pages mapped twice are pinned and charged twice. */
	ASSERT_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE, SZ_2M, IOPT_READ), 0);
	ASSERT_EQ(iopt_vfio_dma_map(&e.c, backed, IOVA_BASE + SZ_1G, SZ_2M,
				    IOPT_WRITE), 0);
	CHECK_EQ(iopt_host_translate(&e.h, backed, &phys, NULL, NULL), 0);
	CHECK_EQ(iopt_host_pincount(&e.h, phys), 2);
	CHECK_EQ(e.h.stats.locked_vm, 2 * (SZ_2M >> 12));
	CHECK_EQ(e.h.stats.pinned_pages, SZ_2M >> 12);
	env_fini(&e);
}

/* ------------------------------------------------------- host layouts */

TEST(host_layouts)
{
	struct iopt_host_config hc;
	struct iopt_host h, h2;
	uint64_t phys, contig, folio;

	/* Argument checks. */
	host_cfg(&hc, 1, 3ULL << 20, 12, &mixes[0]);
	CHECK_EQ(iopt_host_init(&h, &hc), -EINVAL);
	host_cfg(&hc, 1, 4ULL << 20, 13, &mixes[0]);
	CHECK_EQ(iopt_host_init(&h, &hc), -EINVAL);
	host_cfg(&hc, 1, 4ULL << 20, 12, &mixes[0]);
	hc.va_base += SZ_2M;
	CHECK_EQ(iopt_host_init(&h, &hc), -EINVAL);
	hc.va_base = VA_BASE;
	hc.pct_frag = 101;
	CHECK_EQ(iopt_host_init(&h, &hc), -EINVAL);

	/* Every mix, 4K and 64K pages: folios aligned, memory used once. */
	for (unsigned int mi = 0; mi < NR_MIXES; mi++) {
		for (unsigned int lg2 = 12; lg2 <= 16; lg2 += 4) {
			uint64_t seed = sub_seed(50, mi * 2 + lg2 / 16), pg;
			uint64_t backed = 0, dig;

			host_cfg(&hc, seed, 2ULL << 30 | 64ULL << 20, lg2,
				 &mixes[mi]);
			ASSERT_EQ(iopt_host_init(&h, &hc), 0);
			ASSERT_EQ(iopt_host_init(&h2, &hc), 0);
			pg = iopt_host_page_size(&h);
			CHECK_EQ(pg, 1ULL << lg2);
			for (uint64_t off = 0; off < hc.size; off += pg) {
				int r = iopt_host_translate(&h, VA_BASE + off,
							    &phys, &contig,
							    &folio);
				uint64_t p2;

				if (r) {
					CHECK_EQ(r, -EFAULT);
					continue;
				}
				/* Same seed, same layout. */
				CHECK_EQ(iopt_host_translate(&h2, VA_BASE + off,
							     &p2, NULL, NULL), 0);
				if (p2 != phys) {
					H_FAIL("layout differs at 0x%" PRIx64, off);
					break;
				}
				/* Aligned the same way in both spaces. */
				if ((phys ^ (VA_BASE + off)) & (folio - 1) ||
				    contig != folio - (off & (folio - 1))) {
					H_FAIL("folio 0x%" PRIx64 " at 0x%" PRIx64
					       " misaligned", folio, off);
					break;
				}
				if (!mixes[mi].pct_frag)
					CHECK_EQ(phys, hc.phys_base + off);
				if (iopt_host_pin(&h, phys & ~(pg - 1), 1)) {
					H_FAIL("pin failed");
					break;
				}
				backed++;
			}
			/* No page pinned twice: a permutation. */
			CHECK_EQ(h.stats.pins, backed);
			CHECK_EQ(h.stats.pinned_pages, backed);
			CHECK_EQ(backed * pg + h.stats.hole_bytes, hc.size);
			if (mixes[mi].pct_1g == 100)
				CHECK_EQ(h.stats.folios_1g, 2);
			if (!mixes[mi].pct_1g && mixes[mi].pct_2m == 100 &&
			    !mixes[mi].pct_hole)
				CHECK_EQ(h.stats.folios_2m, hc.size / SZ_2M);
			dig = iopt_host_pin_digest(&h);
			CHECK(dig != iopt_host_pin_digest(&h2));
			iopt_host_fini(&h);
			iopt_host_fini(&h2);
		}
	}

	/* Pins: count, refuse unpinning what is not pinned, stay unchanged. */
	host_cfg(&hc, 3, 4ULL << 20, 12, &mixes[5]);
	ASSERT_EQ(iopt_host_init(&h, &hc), 0);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base, 2), 0);
	CHECK_EQ(iopt_host_unpin(&h, hc.phys_base, 3), -ENOENT);
	CHECK_EQ(h.stats.bad_unpins, 1);
	CHECK_EQ(iopt_host_pincount(&h, hc.phys_base + 4096), 1);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base + 1, 1), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base + hc.size - 4096, 2), -EINVAL);
	CHECK_EQ(iopt_host_pin(&h, hc.phys_base, 0), -EINVAL);
	CHECK_EQ(iopt_host_unpin(&h, hc.phys_base, 2), 0);
	CHECK_EQ(h.stats.pins, 0);
	CHECK_EQ(iopt_host_translate(&h, VA_BASE - 4096, &phys, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(iopt_host_translate(&h, VA_BASE + hc.size, &phys, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(iopt_host_lock_acct(&h, -1), -EINVAL);
	iopt_host_fini(&h);
}

/*
 * Whole-folio pins and unpins (one count per 1G or 2M block, changed in
 * place) against the same pins made page by page on a second host: equal
 * counts, statistics and digests after every step, and refusals that
 * change nothing.
 */
TEST(host_block_pins)
{
	static const struct {
		uint64_t off, npages;
		bool pin;
		int want;
	} steps[] = {
		{ 0, SZ_1G >> 12, false, -ENOENT },       /* nothing pinned */
		{ 0, SZ_1G >> 12, true, 0 },
		{ 0, SZ_1G >> 12, true, 0 },              /* 2 on every page */
		{ 6 * SZ_2M, SZ_2M >> 12, false, 0 },     /* splits the 1G */
		{ 6 * SZ_2M, SZ_2M >> 12, false, 0 },     /* that block to 0 */
		{ 6 * SZ_2M, SZ_2M >> 12, false, -ENOENT },
		{ 0, SZ_1G >> 12, false, -ENOENT },       /* one block at 0 */
		{ 6 * SZ_2M, SZ_2M >> 12, true, 0 },
		{ 6 * SZ_2M, SZ_2M >> 12, true, 0 },      /* 2 again everywhere */
		{ 0, SZ_1G >> 12, false, 0 },
		{ 0, SZ_1G >> 12, false, 0 },             /* all 0 */
		{ SZ_1G, SZ_2M >> 12, true, 0 },          /* the second 1G */
		{ SZ_1G + 8192, SZ_2M >> 12, true, 0 },   /* unaligned: per page */
		{ SZ_1G + 8192, SZ_2M >> 12, false, 0 },
		{ SZ_1G, SZ_2M >> 12, false, 0 },
		{ SZ_1G, SZ_2M >> 12, false, -ENOENT },
	};
	struct iopt_host_config hc;
	struct iopt_host h, ref;

	host_cfg(&hc, 5, 2 * SZ_1G + 4 * SZ_2M, 12, &mixes[5]);
	ASSERT_EQ(iopt_host_init(&h, &hc), 0);
	ASSERT_EQ(iopt_host_init(&ref, &hc), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t phys = hc.phys_base + steps[i].off;
		int got, want = 0;

		got = steps[i].pin ? iopt_host_pin(&h, phys, steps[i].npages) :
				     iopt_host_unpin(&h, phys, steps[i].npages);
		CHECK_EQ(got, steps[i].want);
		/* The reference: page by page, undone if any page refuses. */
		for (uint64_t k = 0; k < steps[i].npages && !want; k++)
			if (!steps[i].pin && !iopt_host_pincount(&ref, phys + k * 4096))
				want = -ENOENT;
		for (uint64_t k = 0; k < steps[i].npages && !want; k++)
			CHECK_EQ(steps[i].pin ? iopt_host_pin(&ref, phys + k * 4096, 1) :
				 iopt_host_unpin(&ref, phys + k * 4096, 1), 0);
		CHECK_EQ(want, steps[i].want);
		CHECK_EQ(h.stats.pins, ref.stats.pins);
		CHECK_EQ(h.stats.pinned_pages, ref.stats.pinned_pages);
		CHECK_EQ(iopt_host_pin_digest(&h), iopt_host_pin_digest(&ref));
		for (uint64_t o = 0; o < hc.size; o += SZ_2M + 4096)
			CHECK_EQ(iopt_host_pincount(&h, hc.phys_base + o),
				 iopt_host_pincount(&ref, hc.phys_base + o));
	}
	CHECK_EQ(h.stats.bad_unpins, 4);
	CHECK_EQ(h.stats.pins, 0);
	iopt_host_fini(&h);
	iopt_host_fini(&ref);
}

/* ------------------------------------------------------ the figures */

/*
 * One guest, one DMA_MAP of all of it, then DMA_UNMAP with each strategy
 * (a fresh map each time), on x86-64 with 4K pages. Prints the counters and
 * times relative to strategy 1, and the iommufd PFN collection.
 */
static void figures(uint64_t gib, const struct mix *m, uint64_t seed)
{
	struct iopt_host_config hc;
	struct iopt_vfio_counters c[NR_STRAT];
	uint64_t ns[NR_STRAT], dig[NR_STRAT];
	size_t arena = (size_t)(gib << 23) + (64u << 20); /* 8M per G + slack */

	host_cfg(&hc, seed, gib << 30, 12, m);
	for (unsigned int s = 0; s < NR_STRAT; s++) {
		int ret = whole_region("x86-64-4lvl", &hc,
				       (enum iopt_vfio_strategy)s, arena, &c[s],
				       &ns[s], &dig[s]);

		if (ret) {
			H_FAIL("%s: %s: %d", m->name,
			       iopt_vfio_strategy_name((enum iopt_vfio_strategy)s),
			       ret);
			return;
		}
		CHECK_EQ(dig[s], dig[0]);
		check_unmap_counts(&c[s], &c[0], s);
		CHECK_EQ(c[s].pages_unpinned, c[0].pages_unpinned);
	}
	printf("# DMA_UNMAP of a %" PRIu64 " GiB guest, %s (x86-64, 4K pages; "
	       "%" PRIu64 " runs, %" PRIu64 " syncs):\n", gib, m->name,
	       c[0].runs, c[0].syncs);
	for (unsigned int s = 0; s < NR_STRAT; s++)
		printf("#   %-6s lookups %10" PRIu64 " (%.2e)  unmaps %6" PRIu64
		       " (%.2f)  flushes %6" PRIu64 " (%.2f)  %9.3f ms (%.3f)\n",
		       iopt_vfio_strategy_name((enum iopt_vfio_strategy)s),
		       c[s].lookups, (double)c[s].lookups / (double)c[0].lookups,
		       c[s].unmap_calls,
		       (double)c[s].unmap_calls / (double)c[0].unmap_calls,
		       c[s].flush_calls,
		       (double)c[s].flush_calls / (double)c[0].flush_calls,
		       (double)ns[s] / 1e6, (double)ns[s] / (double)ns[0]);
}

/* iommufd: PFNs of the whole guest by page, by length, by extent. */
static void pfn_figures(uint64_t gib, const struct mix *m, uint64_t seed)
{
	struct iopt_host_config hc;
	struct iopt_vfio_counters c[3];
	uint64_t ns[3], n = (gib << 30) >> 12, *pf;
	struct env e;
	int ret;

	host_cfg(&hc, seed, gib << 30, 12, m);
	pf = malloc(n * sizeof(*pf));
	ret = pf ? env_init(&e, "x86-64-4lvl", &hc,
			    (size_t)(gib << 23) + (64u << 20)) : -ENOMEM;
	if (!ret)
		ret = iopt_vfio_dma_map(&e.c, VA_BASE, IOVA_BASE, hc.size,
					IOPT_READ);
	if (ret) {
		H_FAIL("pfn figures: %d", ret);
		free(pf);
		if (pf)
			env_fini(&e);
		return;
	}
	memset(c, 0, sizeof(c));
	for (unsigned int k = 0; k < 3; k++) {
		uint64_t t0 = now_ns(), mapped;

		ret = iopt_pfns_from_domain(iopt_vfio_domain(&e.c), IOVA_BASE,
					    hc.size, 12, (enum iopt_pfn_method)k,
					    pf, &mapped, &c[k]);
		ns[k] = now_ns() - t0;
		CHECK_EQ(ret, 0);
		CHECK_EQ(mapped, n);
	}
	printf("#   iommufd PFNs: by page %" PRIu64 " lookups %.3f ms; by length %"
	       PRIu64 " (%.2e) %.3f ms (%.3f); by extent %" PRIu64
	       " (%.2e) %.3f ms (%.3f)\n", c[0].lookups, (double)ns[0] / 1e6,
	       c[1].lookups, (double)c[1].lookups / (double)c[0].lookups,
	       (double)ns[1] / 1e6, (double)ns[1] / (double)ns[0],
	       c[2].lookups, (double)c[2].lookups / (double)c[0].lookups,
	       (double)ns[2] / 1e6, (double)ns[2] / (double)ns[0]);
	env_fini(&e);
	free(pf);
}

TEST(vfio_figures)
{
	static const struct mix fig[] = {
		{ "1G folios", 100, 0, 100, 0 },
		{ "2M folios", 0, 100, 100, 0 },
		{ "fragmented mix (25% 1G, 2M 50% of the rest, 4K scattered)",
		  25, 50, 100, 0 },
	};
	uint64_t gib = h_env_u64("IOPT_VFIO_BENCH_GIB", 2);

	if (gib < 1 || gib > 1024)
		gib = 2;
	for (unsigned int k = 0; k < 3; k++) {
		figures(gib, &fig[k], 0xf16 + k);
		pfn_figures(gib, &fig[k], 0xf16 + k);
	}
}
