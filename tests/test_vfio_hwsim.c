// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The VFIO model with a simulated IOMMU behind it (iopt_vfio_set_iommu()):
 * a device translates through the IOMMU's IOTLB and walk cache while the
 * guest is mapped; after DMA_UNMAP with each strategy the IOMMU's caches
 * agree with table memory (iopt_hwsim_check_coherent()), no walk read freed
 * table memory, and every former guest address faults. With flushes lost
 * (IOPT_VFIO_TEST_DROP_FLUSH) the same oracle finds stale entries, so the
 * check is not vacuous.
 *
 * The host layout is drawn from a seed, printed; IOPT_TEST_SEED replays it.
 */
#define HARNESS_MAIN
#include "harness.h"

#include <errno.h>

#include <iopt/hwsim.h>
#include <iopt/mem.h>
#include <iopt/vfio.h>

#define VA_BASE    0x7f0000000000ULL
#define IOVA_BASE  0x40000000ULL        /* 1G */
#define GUEST      (2ULL << 30)
#define ARENA_PHYS 0x80000000ULL
#define ARENA_SIZE (8u << 20)

static uint64_t seed;

/* The base seed, drawn (and printed) once. */
static void pick_seed(void)
{
	if (seed)
		return;
	seed = h_seed();
	printf("# seed=0x%" PRIx64 " (replay: IOPT_TEST_SEED=0x%" PRIx64 ")\n",
	       seed, seed);
}

/* Not a tenv (env.h): the VFIO model builds its table itself
 * (iopt_vfio_init()) over the arena, which the simulated IOMMU reads. */
struct env {
	struct iopt_host h;
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_hwsim sim;
	struct iopt_vfio c;
	bool host_ok, arena_ok, sim_ok, vfio_ok;
};

static int env_open(struct env *e, unsigned int test_flags)
{
	const struct iopt_hwsim_params p = {
		.tlb_entries = 256, .tlb_ways = 4,
		.walk_entries = 32, .walk_ways = 4,
	};
	struct iopt_host_config hc = {
		.seed = seed, .size = GUEST, .va_base = VA_BASE,
		.phys_base = 0x100000000ULL, .page_lg2 = 12,
		.pct_1g = 30, .pct_2m = 50, .pct_frag = 60,
	};
	const struct iopt_flush_ops *ops;
	struct iopt_hwsim_mem hm;
	struct iopt_config cfg;
	void *cookie;

	memset(e, 0, sizeof(*e));
	if (iopt_config_from_name("arm-lpae-s1-4k", &cfg) ||
	    iopt_host_init(&e->h, &hc))
		return -1;
	e->host_ok = true;
	if (iopt_arena_create(&e->a, ARENA_SIZE, ARENA_PHYS))
		return -1;
	e->arena_ok = true;
	iopt_arena_mem(&e->a, &e->mem);
	iopt_hwsim_mem_arena(&hm, &e->a);
	if (iopt_hwsim_init(&e->sim, &cfg, &hm, &p))
		return -1;
	e->sim_ok = true;
	if (iopt_vfio_init(&e->c, &e->h, &cfg, &e->mem, IOPT_DOMAIN_BATCHED))
		return -1;
	e->vfio_ok = true;
	ops = iopt_hwsim_flush_ops(&e->sim, &cookie);
	if (iopt_vfio_set_iommu(&e->c, ops, cookie) ||
	    iopt_vfio_set_flags(&e->c, test_flags) ||
	    iopt_hwsim_set_root(&e->sim, iopt_root_phys(iopt_vfio_table(&e->c))))
		return -1;
	return iopt_vfio_dma_map(&e->c, VA_BASE, IOVA_BASE, GUEST,
				 IOPT_READ | IOPT_WRITE);
}

static void env_close(struct env *e)
{
	/* The caches may hold what a lost flush left: drop them before the
	 * table memory goes. */
	if (e->sim_ok)
		iopt_hwsim_inv_all(&e->sim);
	if (e->vfio_ok)
		iopt_vfio_fini(&e->c);
	if (e->sim_ok)
		iopt_hwsim_fini(&e->sim);
	if (e->arena_ok)
		iopt_arena_destroy(&e->a);
	if (e->host_ok)
		iopt_host_fini(&e->h);
}

/* A device reads one address in each 64K of the guest, then random ones;
 * returns how many translations were wrong or faulted. */
static uint64_t device_reads(struct env *e, uint64_t *s)
{
	uint64_t bad = 0;

	for (uint64_t k = 0; k < GUEST / 65536 + 4096; k++) {
		uint64_t off = k < GUEST / 65536 ? k * 65536 + (h_rand(s) & 0xfff8)
						  : h_rand(s) % GUEST;
		struct iopt_hwsim_result r;
		uint64_t phys;

		if (iopt_hwsim_translate(&e->sim, IOVA_BASE + off, IOPT_HWSIM_READ, &r) ||
		    iopt_host_translate(&e->h, VA_BASE + off, &phys, NULL, NULL) ||
		    r.phys != phys)
			bad++;
	}
	return bad;
}

/* After the teardown: every sampled former guest address faults. */
static uint64_t still_translated(struct env *e, uint64_t *s)
{
	uint64_t n = 0;

	for (int k = 0; k < 20000; k++) {
		struct iopt_hwsim_result r;

		if (iopt_hwsim_translate(&e->sim, IOVA_BASE + h_rand(s) % GUEST,
					 IOPT_HWSIM_READ, &r) != -EFAULT ||
		    r.fault != IOPT_HWSIM_FAULT_TRANSLATION)
			n++;
	}
	return n;
}

TEST(teardown_leaves_the_iommu_coherent)
{
	pick_seed();
	for (unsigned int st = 0; st < IOPT_VFIO_NR_STRATEGIES; st++) {
		struct iopt_hwsim_counters hc;
		struct iopt_vfio_counters vc;
		struct env e;
		uint64_t s = seed ^ st, u = 0;

		if (env_open(&e, 0)) {
			H_FAIL("setup failed");
			env_close(&e);
			return;
		}
		CHECK_EQ(device_reads(&e, &s), 0);
		iopt_hwsim_get_counters(&e.sim, &hc);
		CHECK(hc.tlb_hits > 0);          /* the caches were in use */
		CHECK(hc.walk_fills > 0);
		CHECK_EQ(iopt_vfio_set_strategy(&e.c, (enum iopt_vfio_strategy)st), 0);
		iopt_vfio_get_counters(&e.c, NULL, true);
		CHECK_EQ(iopt_vfio_dma_unmap_all(&e.c, &u), 0);
		CHECK_EQ(u, GUEST);
		iopt_vfio_get_counters(&e.c, &vc, false);
		iopt_hwsim_get_counters(&e.sim, &hc);
		/* Every flush reached the IOMMU as a command. */
		CHECK(vc.flush_calls > 0);
		CHECK_EQ(hc.inv_range + hc.inv_all, vc.flush_calls);
		CHECK_EQ(iopt_hwsim_check_coherent(&e.sim, NULL, NULL), 0);
		CHECK_EQ(still_translated(&e, &s), 0);
		iopt_hwsim_get_counters(&e.sim, &hc);
		CHECK_EQ(hc.use_after_free, 0);
		CHECK_EQ(hc.stale, 0);
		CHECK_EQ(e.h.stats.pins, 0);
		env_close(&e);
	}
}

TEST(lost_flushes_are_caught)
{
	struct iopt_hwsim_counters hc;
	struct env e;
	uint64_t s, u = 0;
	int stale;

	pick_seed();
	s = seed ^ 0x51;
	if (env_open(&e, IOPT_VFIO_TEST_DROP_FLUSH)) {
		H_FAIL("setup failed");
		env_close(&e);
		return;
	}
	CHECK_EQ(device_reads(&e, &s), 0);
	CHECK_EQ(iopt_vfio_dma_unmap_all(&e.c, &u), -EBUSY); /* nothing unpinned */
	iopt_hwsim_get_counters(&e.sim, &hc);
	CHECK_EQ(hc.inv_range + hc.inv_all, 0);
	stale = iopt_hwsim_check_coherent(&e.sim, NULL, NULL);
	printf("# %d stale entries after a teardown whose flushes were lost\n", stale);
	CHECK(stale > 0);
	env_close(&e);
}

TEST(set_iommu_arguments)
{
	CHECK_EQ(iopt_vfio_set_iommu(NULL, NULL, NULL), -EINVAL);
}
