// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt demo: the story of issue 3 in one screen.
 *
 * A 16 GiB guest is given to a device the way a VMM does it: VFIO type1
 * DMA_MAPs over simulated host memory (1G, 2M and fragmented 4K folios; no
 * guest memory is allocated), into an ARM LPAE stage-1 4K table that a
 * simulated IOMMU walks, with an IOTLB and a walk cache, for a "device"
 * making DMA reads. The guest is then torn down (VFIO_DMA_UNMAP) with each
 * of the four ways of finding the runs to unmap and unpin, on identical
 * guests: today's iova_to_phys per 4K page and the three that step a leaf
 * or a run at a time. The simulated IOMMU is the judge: after every
 * teardown no cached entry may disagree with table memory, no walk may have
 * read a freed table, and every former guest address must fault. A control
 * run with the flushes lost shows that the judge does catch stale entries.
 *
 * Every number printed is counted, and the demo checks its results: it
 * exits 1 if any check fails (CI runs `make demo`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iopt/hwsim.h>
#include <iopt/iopt.h>
#include <iopt/mem.h>
#include <iopt/vfio.h>
#include "cmds.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)
#define KiB ((uint64_t)1 << 10)

#define GUEST      (16 * GiB)
#define LOW_RAM    (3 * GiB)          /* guest RAM below the MMIO hole */
#define HIGH_IOVA  (4 * GiB)          /* the rest, above it */
#define VA_BASE    0x7f0000000000ULL  /* the VMM's mapping of guest RAM */
#define HOST_PHYS  0x100000000ULL
#define ARENA_PHYS 0x80000000ULL
#define ARENA_SIZE (64 * MiB)
#define DMA_READS  200000u
#define LATE_READS 20000u
#define DEMO_ROUNDS 5

struct demo {
	struct iopt_host host;
	struct iopt_arena arena;
	struct iopt_mem mem;
	struct iopt_hwsim sim;
	struct iopt_config cfg;
	struct iopt_vfio *vfio;
	uint64_t rng;
	unsigned int failures;
};

/* One teardown's figures. */
struct teardown {
	struct iopt_vfio_counters ctr;
	double ms;
	int stale;
	uint64_t uaf, late_ok, commands;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check(struct demo *d, bool ok, const char *what)
{
	if (!ok) {
		d->failures++;
		printf("CHECK FAILED: %s\n", what);
	}
}

/* Guest physical (= IOVA) address of byte @off of guest RAM. */
static uint64_t guest_iova(uint64_t off)
{
	return off < LOW_RAM ? off : off - LOW_RAM + HIGH_IOVA;
}

/* "1.2M", "4915", "613k": short counts for the one-screen summary. */
static const char *human(uint64_t v, char *buf, size_t len)
{
	if (v >= 10000000)
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* A fresh container over the arena, wired to the simulated IOMMU, holding
 * the guest. */
static int guest_up(struct demo *d, unsigned int test_flags)
{
	const struct iopt_flush_ops *ops;
	void *cookie;
	int ret;

	ret = iopt_vfio_init(d->vfio, &d->host, &d->cfg, &d->mem, IOPT_DOMAIN_BATCHED);
	if (ret)
		return ret;
	ops = iopt_hwsim_flush_ops(&d->sim, &cookie);
	iopt_vfio_set_iommu(d->vfio, ops, cookie);
	iopt_vfio_set_flags(d->vfio, test_flags);
	iopt_hwsim_set_root(&d->sim, iopt_root_phys(iopt_vfio_table(d->vfio)));
	iopt_hwsim_reset_counters(&d->sim);
	ret = iopt_vfio_dma_map(d->vfio, VA_BASE, 0, LOW_RAM, IOPT_READ | IOPT_WRITE);
	if (!ret)
		ret = iopt_vfio_dma_map(d->vfio, VA_BASE + LOW_RAM, HIGH_IOVA,
					GUEST - LOW_RAM, IOPT_READ | IOPT_WRITE);
	return ret;
}

/* The device: DMA reads at random guest addresses, each checked against
 * where the VMM's memory really is. Returns the wrong ones. */
static uint64_t device_reads(struct demo *d, unsigned int n)
{
	uint64_t bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = rnd(&d->rng) % GUEST, phys;
		struct iopt_hwsim_result r;

		if (iopt_hwsim_translate(&d->sim, guest_iova(off), IOPT_HWSIM_READ, &r) ||
		    iopt_host_translate(&d->host, VA_BASE + off, &phys, NULL, NULL) ||
		    r.phys != phys)
			bad++;
	}
	return bad;
}

/* Leaves by size, one size-aware lookup per leaf. */
static void census(struct iopt_table *t, char *buf, size_t len)
{
	static const char *const names[64] = {
		[12] = "4K", [16] = "64K", [21] = "2M", [25] = "32M", [30] = "1G",
	};
	uint64_t by[64] = { 0 };
	size_t at = 0;
	char h[16];

	for (uint64_t iova = 0; iova < HIGH_IOVA + GUEST - LOW_RAM;) {
		uint64_t phys, sz;

		if (iopt_iova_to_phys_length(t, iova, &phys, &sz, NULL)) {
			iova += 4 * KiB;
			continue;
		}
		by[__builtin_ctzll(sz)]++;
		iova = (iova & ~(sz - 1)) + sz;
	}
	buf[0] = 0;
	for (int b = 63; b >= 0 && at < len; b--)
		if (by[b])
			at += (size_t)snprintf(buf + at, len - at, "%s%s x %s",
					       at ? ", " : "", human(by[b], h, sizeof(h)),
					       names[b] ? names[b] : "?");
}

/* After a teardown: former guest addresses must all fault. */
static uint64_t late_faults(struct demo *d)
{
	uint64_t ok = 0;

	for (unsigned int i = 0; i < LATE_READS; i++) {
		struct iopt_hwsim_result r;

		if (iopt_hwsim_translate(&d->sim, guest_iova(rnd(&d->rng) % GUEST),
					 IOPT_HWSIM_READ, &r) == -EFAULT &&
		    r.fault == IOPT_HWSIM_FAULT_TRANSLATION)
			ok++;
	}
	return ok;
}

static int teardown(struct demo *d, enum iopt_vfio_strategy s, struct teardown *td)
{
	struct iopt_hwsim_counters hc;
	uint64_t unmapped = 0;
	double t0;
	int ret;

	iopt_vfio_set_strategy(d->vfio, s);
	iopt_vfio_get_counters(d->vfio, NULL, true);
	t0 = now_ms();
	ret = iopt_vfio_dma_unmap_all(d->vfio, &unmapped);
	td->ms = now_ms() - t0;
	iopt_vfio_get_counters(d->vfio, &td->ctr, false);
	td->stale = iopt_hwsim_check_coherent(&d->sim, NULL, NULL);
	td->late_ok = late_faults(d);
	iopt_hwsim_get_counters(&d->sim, &hc);
	td->uaf = hc.use_after_free;
	td->commands = hc.inv_range + hc.inv_all;
	if (!ret && unmapped != GUEST)
		ret = -EINVAL;
	return ret;
}

static int demo_setup(struct demo *d)
{
	const struct iopt_host_config hc = {
		.seed = 0x5eed1234abcdULL, .size = GUEST, .va_base = VA_BASE,
		.phys_base = HOST_PHYS, .page_lg2 = 12,
		.pct_1g = 40, .pct_2m = 90, .pct_frag = 40,
	};
	const struct iopt_hwsim_params p = {
		.tlb_entries = 2048, .tlb_ways = 8,
		.walk_entries = 64, .walk_ways = 4,
	};
	struct iopt_hwsim_mem hm;

	memset(d, 0, sizeof(*d));
	d->rng = 0x9e3779b97f4a7c15ULL;
	d->vfio = malloc(sizeof(*d->vfio));
	if (!d->vfio || iopt_config_from_name("arm-lpae-s1-4k", &d->cfg) ||
	    iopt_host_init(&d->host, &hc))
		return -1;
	if (iopt_arena_create(&d->arena, ARENA_SIZE, ARENA_PHYS)) {
		iopt_host_fini(&d->host);
		return -1;
	}
	iopt_arena_mem(&d->arena, &d->mem);
	iopt_hwsim_mem_arena(&hm, &d->arena);
	if (iopt_hwsim_init(&d->sim, &d->cfg, &hm, &p)) {
		iopt_arena_destroy(&d->arena);
		iopt_host_fini(&d->host);
		return -1;
	}
	return 0;
}

static void demo_cleanup(struct demo *d)
{
	iopt_hwsim_fini(&d->sim);
	iopt_arena_destroy(&d->arena);
	iopt_host_fini(&d->host);
	free(d->vfio);
}

/*
 * One guest: DMA_MAP it, let the device read, tear it down with @s and
 * judge the result. @first prints what the guest looks like; *@digest is
 * the pin fingerprint every guest must match.
 */
static int one_guest(struct demo *d, enum iopt_vfio_strategy s, bool first,
		     uint64_t *digest, struct teardown *td)
{
	struct iopt_vfio_counters mc;
	struct iopt_hwsim_counters hc;
	struct iopt_host_stats hs;
	struct iopt_stats st;
	char leaves[160], h1[16], h2[16];
	uint64_t bad;
	int ret;

	ret = guest_up(d, 0);
	check(d, !ret, "DMA_MAP of the guest");
	if (ret) {
		printf("          DMA_MAP: %s\n", iopt_strerror(ret));
		iopt_vfio_fini(d->vfio);
		return -1;
	}
	iopt_vfio_get_counters(d->vfio, &mc, true);
	check(d, first || iopt_host_pin_digest(&d->host) == *digest,
	      "every guest pins the same pages");
	*digest = iopt_host_pin_digest(&d->host);
	bad = device_reads(d, DMA_READS);
	check(d, bad == 0, "device reads translate to the guest's memory");
	if (first) {
		iopt_get_stats(iopt_vfio_table(d->vfio), &st);
		iopt_hwsim_get_counters(&d->sim, &hc);
		census(iopt_vfio_table(d->vfio), leaves, sizeof(leaves));
		printf("DMA_MAP   guest RAM [0, 3G) and [4G, 17G): %s pages pinned, %s runs mapped\n",
		       human(mc.pages_pinned, h1, sizeof(h1)),
		       human(mc.map_calls, h2, sizeof(h2)));
		printf("          table: %" PRIu64 " tables, %.1f MiB; leaves %s\n",
		       st.tables_allocated, (double)st.table_bytes / (double)MiB,
		       leaves);
		printf("device    %u DMA reads at random guest addresses: %" PRIu64
		       " wrong;\n          IOTLB hits %.0f%%, walks resumed from the walk cache %.0f%%\n",
		       DMA_READS, bad,
		       100.0 * (double)hc.tlb_hits / (double)hc.translations,
		       100.0 * (double)(hc.walks - hc.walk_misses) /
		       (double)(hc.walks ? hc.walks : 1));
	}
	ret = teardown(d, s, td);
	iopt_host_get_stats(&d->host, &hs);
	check(d, !ret, "VFIO_DMA_UNMAP of the guest");
	check(d, td->ctr.pages_unpinned == mc.pages_pinned && !hs.pins &&
	      !td->ctr.pages_leaked && !td->ctr.unpin_refused && !td->ctr.errors,
	      "every pinned page unpinned, none early");
	check(d, td->stale == 0, "no stale IOTLB or walk-cache entry");
	check(d, td->uaf == 0, "no walk of freed table memory");
	check(d, td->late_ok == LATE_READS, "former guest addresses fault");
	check(d, td->commands == td->ctr.flush_calls, "every flush reached the IOMMU");
	iopt_vfio_fini(d->vfio);
	return d->failures ? -1 : 0;
}

int iopt_cmd_demo(int argc, char **argv)
{
	static const char *const why[IOPT_VFIO_NR_STRATEGIES] = {
		"today", "2026 RFC", "2026 series", "one descent",
	};
	struct teardown td[IOPT_VFIO_NR_STRATEGIES], ctl = { 0 };
	struct iopt_host_stats hs;
	uint64_t digest = 0;
	double t_start = now_ms();
	char h1[16], h2[16], h3[16];
	struct demo d;
	int ret;

	if (argc > 1) {
		bool help = argc == 2 && (!strcmp(argv[1], "-h") ||
					  !strcmp(argv[1], "--help"));

		fprintf(help ? stdout : stderr,
			"%susage: iopt demo\n"
			"  a 16 GiB guest given to a device through VFIO type1, torn down\n"
			"  with each strategy and judged by a simulated IOMMU; exits 1 if\n"
			"  any check fails\n", help ? "" : "iopt demo: takes no arguments\n");
		return help ? 0 : 2;
	}
	if (demo_setup(&d)) {
		fprintf(stderr, "iopt demo: out of memory\n");
		return 1;
	}
	iopt_host_get_stats(&d.host, &hs);
	printf("iopt demo: a 16 GiB guest given to a device through VFIO type1, on an ARM LPAE\n"
	       "  stage-1 4K table walked by a simulated IOMMU (2048-entry IOTLB, walk cache)\n\n");
	printf("host      16 GiB of simulated RAM in %" PRIu64 " x 1G, %" PRIu64 " x 2M and %s x 4K folios,\n"
	       "          the 4K ones 40%% shuffled; no guest memory is allocated\n",
	       hs.folios_1g, hs.folios_2m, human(hs.folios_page, h1, sizeof(h1)));

	/* Identical guests, DEMO_ROUNDS per strategy, interleaved; the time
	 * of a strategy is its best round (the machine may be busy). */
	for (unsigned int r = 0; r < DEMO_ROUNDS && !d.failures; r++) {
		for (unsigned int s = 0; s < IOPT_VFIO_NR_STRATEGIES && !d.failures; s++) {
			struct teardown one;

			if (one_guest(&d, (enum iopt_vfio_strategy)s, r == 0 && s == 0,
				      &digest, &one))
				break;
			if (r == 0)
				td[s] = one;
			check(&d, one.ctr.runs == td[0].ctr.runs &&
				  one.ctr.pages_unpinned == td[0].ctr.pages_unpinned,
			      "every strategy finds and unpins the same runs");
			/* strategies 1-3: one unmap call per run; 4: one per
			 * descent (up to IOPT_VFIO_SYNC_MAX runs) */
			check(&d, s == IOPT_VFIO_SCAN_EXTENT ?
				  one.ctr.unmap_calls <= one.ctr.descents :
				  one.ctr.unmap_calls == td[0].ctr.unmap_calls,
			      "unmap calls: one per run, or one per descent");
			check(&d, one.ctr.lookups == td[s].ctr.lookups,
			      "a strategy counts the same every round");
			if (one.ms < td[s].ms)
				td[s].ms = one.ms;
		}
	}

	if (!d.failures) {
		printf("\nteardown  VFIO_DMA_UNMAP of the whole guest, each way on identical guests\n"
		       "          (time: best of %u; x: over strategy 1):\n", DEMO_ROUNDS);
		printf("          %-24s %8s %5s %8s %5s %8s %5s\n", "strategy", "lookups",
		       "x", "unmaps", "x", "time ms", "x");
		for (unsigned int s = 0; s < IOPT_VFIO_NR_STRATEGIES; s++) {
			char name[40];

			snprintf(name, sizeof(name), "%u %s (%s)", s + 1,
				 iopt_vfio_strategy_name((enum iopt_vfio_strategy)s), why[s]);
			printf("          %-24s %8s %5.2f %8s %5.2f %8.1f %5.2f\n", name,
			       human(td[s].ctr.lookups, h1, sizeof(h1)),
			       (double)td[s].ctr.lookups / (double)td[0].ctr.lookups,
			       human(td[s].ctr.unmap_calls, h2, sizeof(h2)),
			       (double)td[s].ctr.unmap_calls / (double)td[0].ctr.unmap_calls,
			       td[s].ms, td[s].ms / td[0].ms);
		}
		printf("          each unpinned all %s pages, none before its flush; %s flushes,\n"
		       "          each one an invalidation command of the IOMMU\n",
		       human(td[0].ctr.pages_unpinned, h1, sizeof(h1)),
		       human(td[0].ctr.flush_calls, h3, sizeof(h3)));
	}

	/* Control: the same teardown with every flush lost on the way. */
	ret = guest_up(&d, IOPT_VFIO_TEST_DROP_FLUSH);
	check(&d, !ret, "DMA_MAP of the control guest");
	if (!ret) {
		check(&d, device_reads(&d, DMA_READS) == 0,
		      "device reads translate to the guest's memory");
		ret = teardown(&d, IOPT_VFIO_SCAN_EXTENT, &ctl);
		check(&d, ret == -EBUSY && ctl.ctr.pages_leaked > 0,
		      "lost flushes: VFIO refuses to unpin");
		check(&d, ctl.stale > 0, "lost flushes: the IOMMU holds stale entries");
	}
	iopt_hwsim_inv_all(&d.sim);  /* before the tables go back */
	iopt_vfio_fini(d.vfio);

	if (!d.failures) {
		printf("\nIOMMU     after each teardown: 0 stale IOTLB or walk-cache entries (check_coherent),\n"
		       "          0 walks of freed tables, %u device reads of former guest addresses:\n"
		       "          every one a translation fault\n", LATE_READS);
		printf("control   the same teardown with the flushes lost: %d stale entries found and\n"
		       "          %s pages left pinned (VFIO will not unpin them): the judge is not blind\n",
		       ctl.stale, human(ctl.ctr.pages_leaked, h1, sizeof(h1)));
	}
	check(&d, d.arena.used == 0, "every table freed");
	demo_cleanup(&d);
	if (d.failures) {
		printf("verdict   FAILED: %u checks failed\n", d.failures);
		return 1;
	}
	printf("verdict   OK: no device could have used a stale translation (%.1f s)\n",
	       (now_ms() - t_start) / 1e3);
	return 0;
}
