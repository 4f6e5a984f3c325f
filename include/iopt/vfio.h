/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A model of the page-table consumers that pin user memory: VFIO type1 and
 * iommufd. Hosted only (it allocates with malloc).
 *
 * Three parts:
 *
 *  - struct iopt_host: simulated host memory made of folios (base pages,
 *    2M and 1G), a process address space over it (one region of virtual
 *    addresses, vaddr -> host physical), a pin count per host page, and
 *    locked-memory accounting (mm->locked_vm and RLIMIT_MEMLOCK). The folio
 *    mix, the holes and the physical fragmentation are drawn from a seed, so
 *    a layout is replayable.
 *
 *  - struct iopt_vfio: a VFIO type1 container with one domain. DMA_MAP pins
 *    the pages behind a user range and maps each physically contiguous run
 *    through an iopt_domain; DMA_UNMAP finds the runs again in the IOMMU
 *    table (VFIO keeps no other record of what it pinned), unmaps them into
 *    a gather, syncs it every IOPT_VFIO_SYNC_MAX runs and at the end, and
 *    unpins only after the sync. How the runs are found is selectable
 *    (enum iopt_vfio_strategy), so their costs can be compared; all of them
 *    unpin the same pages. The model watches the table's flush callbacks and
 *    refuses to unpin a run whose translation has not been flushed yet.
 *
 *  - iopt_pfns_from_domain(): iommufd's batch_from_domain, filling an array
 *    of page frame numbers from a domain page by page or leaf by leaf.
 *
 * Sizes of the host's base page ("page" below) are 4K, 16K or 64K; every
 * vaddr, IOVA and size handed to the VFIO model is a multiple of it.
 */
#ifndef IOPT_VFIO_H
#define IOPT_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "iopt.h"
#include "domain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Host memory and one process address space                                */

#define IOPT_HOST_2M (1ULL << 21)
#define IOPT_HOST_1G (1ULL << 30)

/**
 * struct iopt_host_config - how to lay out host memory
 * @seed:      drives every random choice below; equal configurations give
 *             equal layouts.
 * @size:      bytes of the process region and of host memory; a multiple of
 *             2M, not 0.
 * @va_base:   first virtual address of the region; 1G-aligned.
 * @phys_base: host physical address of host memory; 1G-aligned.
 * @page_lg2:  log2 of the base page: 12, 14 or 16 (0 means 12).
 * @pct_1g:    percent chance that a whole 1G-aligned gigabyte of the region
 *             is one 1G folio.
 * @pct_hole:  percent chance that a 2M block outside 1G folios is a hole:
 *             nothing is mapped at those virtual addresses.
 * @pct_2m:    percent chance that a remaining 2M block is one 2M folio; the
 *             others are made of base-page folios.
 * @pct_frag:  fragmentation, 0..100. At 0 the region is physically
 *             contiguous where it is backed (phys = vaddr - va_base +
 *             phys_base). Otherwise folios of one size trade physical slots:
 *             a Fisher-Yates shuffle that performs each swap with this
 *             probability (100: a uniform permutation). Folios stay aligned
 *             to their size, physically and virtually.
 * @lock_limit: RLIMIT_MEMLOCK in bytes; 0 means no limit.
 */
struct iopt_host_config {
	uint64_t seed;
	uint64_t size;
	uint64_t va_base;
	uint64_t phys_base;
	unsigned int page_lg2;
	unsigned int pct_1g;
	unsigned int pct_hole;
	unsigned int pct_2m;
	unsigned int pct_frag;
	uint64_t lock_limit;
};

/**
 * struct iopt_host_stats - what the host's layout holds and its pins now
 * @folios_1g:      1G folios in the layout.
 * @folios_2m:      2M folios.
 * @folios_page:    base-page folios.
 * @hole_bytes:     unbacked bytes of the region.
 * @pins:           sum of all pin counts (pages pinned, with repeats).
 * @pinned_pages:   pages whose pin count is not 0.
 * @pin_calls:      iopt_host_pin() calls that pinned something.
 * @unpin_calls:    iopt_host_unpin() calls that unpinned something.
 * @bad_unpins:     iopt_host_unpin() calls refused: a page was not pinned.
 * @locked_vm:      locked-memory accounting in pages, as mm->locked_vm: VFIO
 *                  charges every page it pins for a mapping, so a page
 *                  mapped twice counts twice.
 * @locked_peak:    the largest @locked_vm seen.
 * @lock_failures:  charges refused by the limit.
 */
struct iopt_host_stats {
	uint64_t folios_1g;
	uint64_t folios_2m;
	uint64_t folios_page;
	uint64_t hole_bytes;
	uint64_t pins;
	uint64_t pinned_pages;
	uint64_t pin_calls;
	uint64_t unpin_calls;
	uint64_t bad_unpins;
	uint64_t locked_vm;
	uint64_t locked_peak;
	uint64_t lock_failures;
};

/*
 * struct iopt_host - host memory and one process. Fields are private; use
 * the functions below.
 */
struct iopt_host {
	struct iopt_host_config cfg;
	uint64_t page_size;
	uint64_t nr_pages;      /* host pages */
	uint64_t nr_chunks;     /* 2M blocks of the region */
	uint64_t *chunk;        /* per 2M block: kind | phys, or kind | index */
	uint32_t *small;        /* host page index of each base-page folio */
	uint32_t *pincount;     /* per host page, in blocks with blk_mixed */
	uint32_t *blk_count;    /* per physical 2M block: its pages' count */
	uint8_t *blk_mixed;     /* per block: counts are per page */
	uint64_t nr_gigs;       /* physical 1G blocks (the last may be partial) */
	uint32_t *gig_count;    /* per 1G block: its pages' count */
	uint8_t *gig_mixed;     /* per 1G block: counts are per 2M block */
	struct iopt_host_stats stats;
};

/**
 * iopt_host_init() - lay out host memory and the process region
 * @h:   the host.
 * @cfg: the layout; copied.
 *
 * Allocates a pin count per host page and a translation per 2M block and
 * per base-page folio (about 12 bytes per 4K page for a 4K host).
 * Return: 0; -EINVAL for NULL, a size that is 0 or not a multiple of 2M,
 * misaligned bases, a page_lg2 other than 0, 12, 14, 16, a percentage over
 * 100, a region that wraps, or more than 2^32 host pages; -ENOMEM when the
 * arrays cannot be allocated (@h then holds no memory).
 * Context: any; @h is not shared yet.
 */
int iopt_host_init(struct iopt_host *h, const struct iopt_host_config *cfg);

/**
 * iopt_host_fini() - free what iopt_host_init() allocated
 * @h: the host; NULL is ignored. Pins still held are dropped.
 * Context: no other call on @h may run.
 */
void iopt_host_fini(struct iopt_host *h);

/**
 * iopt_host_page_size() - the host's base page size in bytes
 * @h: the host.
 * Return: the page size; 0 for NULL (or after iopt_host_fini()). Context: any.
 */
uint64_t iopt_host_page_size(const struct iopt_host *h);

/**
 * iopt_host_translate() - where a virtual address lives
 * @h:      the host.
 * @vaddr:  a virtual address.
 * @phys:   set to its host physical address.
 * @contig: if not NULL, set to the bytes from @vaddr to the end of its folio
 *          (all physically contiguous with @phys).
 * @folio:  if not NULL, set to the size of its folio.
 * Outputs are written only on success.
 * Return: 0; -EFAULT when @vaddr is outside the region or in a hole;
 * -EINVAL for NULL.
 * Context: any; read-only.
 */
int iopt_host_translate(const struct iopt_host *h, uint64_t vaddr,
			uint64_t *phys, uint64_t *contig, uint64_t *folio);

/**
 * iopt_host_pin() - take one pin on each page of [phys, phys + n pages)
 * @h:      the host.
 * @phys:   first page; page-aligned.
 * @npages: number of pages, at least 1.
 * Return: 0; -EINVAL (misaligned, 0 pages, outside host memory, NULL);
 * -EOVERFLOW (a pin count would pass 2^32 - 1). On error nothing changed.
 * Context: not concurrent with other pin or unpin calls on @h.
 */
int iopt_host_pin(struct iopt_host *h, uint64_t phys, uint64_t npages);

/**
 * iopt_host_unpin() - drop one pin from each page of [phys, phys + n pages)
 * @h:      the host.
 * @phys:   first page; page-aligned.
 * @npages: number of pages, at least 1.
 * Return: 0; -EINVAL (misaligned, 0 pages, outside host memory, NULL);
 * -ENOENT when some page of the range is not pinned (counted in
 * bad_unpins). On error nothing changed.
 * Context: as iopt_host_pin().
 */
int iopt_host_unpin(struct iopt_host *h, uint64_t phys, uint64_t npages);

/**
 * iopt_host_pincount() - the pin count of the page holding @phys
 * @h:    the host.
 * @phys: a host physical address.
 * Return: the count; 0 also for an address outside host memory or a NULL
 * host.
 * Context: any.
 */
uint32_t iopt_host_pincount(const struct iopt_host *h, uint64_t phys);

/**
 * iopt_host_pin_digest() - a fingerprint of every page's pin count
 * @h: the host.
 * Equal pin counts on every page give equal digests; runs that should leave
 * the same pins behind can be compared with it.
 * Return: a 64-bit hash (0 for NULL). Context: any; reads every count.
 */
uint64_t iopt_host_pin_digest(const struct iopt_host *h);

/**
 * iopt_host_lock_acct() - charge or release locked memory
 * @h:      the host.
 * @npages: pages to add (positive) or give back (negative).
 * Return: 0; -ENOMEM when the charge would pass the limit (counted in
 * lock_failures); -EINVAL when more is given back than is charged. On
 * error nothing changed.
 * Context: as iopt_host_pin().
 */
int iopt_host_lock_acct(struct iopt_host *h, int64_t npages);

/**
 * iopt_host_get_stats() - copy the host's counters
 * @h:   the host.
 * @out: filled; nothing is done if either is NULL.
 * Context: any.
 */
void iopt_host_get_stats(const struct iopt_host *h,
			 struct iopt_host_stats *out);

/* ------------------------------------------------------------------------ */
/* VFIO type1                                                               */

/* Runs unmapped before a sync (VFIO_IOMMU_TLB_SYNC_MAX). */
#define IOPT_VFIO_SYNC_MAX 512

/*
 * How DMA_UNMAP finds the physically contiguous runs it unmaps and unpins.
 * Each starts a run with a lookup at its first page and extends it while
 * the next address translates to the next physical address; they differ in
 * how far a step goes and what it costs.
 */
enum iopt_vfio_strategy {
	/* vfio_unmap_unpin today: iopt_iova_to_phys() at every page. */
	IOPT_VFIO_SCAN_PHYS = 0,
	/* The 2026 RFC: iopt_iova_to_phys() and iopt_iova_to_pgsize() at each
	 * leaf, stepping a whole leaf. */
	IOPT_VFIO_SCAN_PGSIZE = 1,
	/* The 2026 series: iopt_iova_to_phys_length() at each leaf. */
	IOPT_VFIO_SCAN_LENGTH = 2,
	/* iopt_for_each_extent(): one descent reports up to
	 * IOPT_VFIO_SYNC_MAX whole runs; one iopt_domain_unmap() over their
	 * span then unmaps them all. */
	IOPT_VFIO_SCAN_EXTENT = 3,
};
#define IOPT_VFIO_NR_STRATEGIES 4

/* Test hooks (struct iopt_vfio.flags via iopt_vfio_set_flags()). */
/* Try to unpin each run right after unmapping it, before the sync. */
#define IOPT_VFIO_TEST_UNPIN_EARLY (1u << 0)
/* Count flush callbacks but treat them as lost (a driver that forgets). */
#define IOPT_VFIO_TEST_DROP_FLUSH  (1u << 1)
#define IOPT_VFIO_TEST_FLAGS (IOPT_VFIO_TEST_UNPIN_EARLY | \
			      IOPT_VFIO_TEST_DROP_FLUSH)

/**
 * struct iopt_vfio_counters - what the VFIO and iommufd models did
 * @lookups:       table queries: iopt_iova_to_phys(), _phys_length() and
 *                 _pgsize() calls, plus extent-iterator callbacks.
 * @descents:      iopt_for_each_extent() calls.
 * @runs:          physically contiguous runs found (and unmapped).
 * @unmap_calls:   iopt_domain_unmap() calls (iommu_unmap_fast).
 * @syncs:         iopt_gather_sync() calls (iommu_iotlb_sync).
 * @flush_calls:   the table's flush callbacks (flush_range and flush_all).
 * @map_calls:     iopt_domain_map() calls.
 * @pages_pinned:  host pages pinned (with repeats).
 * @pages_unpinned: host pages unpinned.
 * @holes:         pages found unmapped where a mapping was expected (VFIO
 *                 WARNs and skips a page); for the PFN collection, pages
 *                 with no translation.
 * @unpin_refused: unpins refused because the run's translation had not been
 *                 flushed yet (a model violation: see the test hooks).
 * @pages_leaked:  pages left pinned because their unpin was refused even
 *                 after the sync.
 * @errors:        table or host errors met while unmapping or unpinning.
 */
struct iopt_vfio_counters {
	uint64_t lookups;
	uint64_t descents;
	uint64_t runs;
	uint64_t unmap_calls;
	uint64_t syncs;
	uint64_t flush_calls;
	uint64_t map_calls;
	uint64_t pages_pinned;
	uint64_t pages_unpinned;
	uint64_t holes;
	uint64_t unpin_refused;
	uint64_t pages_leaked;
	uint64_t errors;
};

/* One DMA_MAP'ed range (struct vfio_dma). */
struct iopt_vfio_dma {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	unsigned int prot;
};

/* A run unmapped and waiting for the sync before its unpin. */
struct iopt_vfio_run {
	uint64_t iova;
	uint64_t phys;
	uint64_t len;
	uint64_t unflushed;     /* first IOVA of the run not flushed yet */
	bool flushed;           /* a flush (or several) covered all of it */
	bool unpinned;          /* already unpinned (or given up on) */
};

/*
 * struct iopt_vfio - a type1 container with one domain. Fields are private.
 * The table's flush callbacks get the container's address as their cookie,
 * so a container must not be moved or copied after iopt_vfio_init().
 */
struct iopt_vfio {
	struct iopt_host *host;
	struct iopt_table table;
	struct iopt_domain domain;
	enum iopt_vfio_strategy strategy;
	unsigned int flags;
	uint64_t page_size;
	struct iopt_vfio_dma *dmas;     /* sorted by iova, disjoint */
	size_t nr_dmas;
	size_t max_dmas;
	struct iopt_vfio_run pending[IOPT_VFIO_SYNC_MAX];
	unsigned int nr_pending;
	struct iopt_vfio_counters ctr;
	const struct iopt_flush_ops *iommu;  /* the IOMMU driver's, or NULL */
	void *iommu_cookie;
};

/**
 * iopt_vfio_init() - a container with one domain over a new table
 * @c:    the container.
 * @host: host memory and process; must outlive @c.
 * @cfg:  the table's configuration. The table's smallest page must not be
 *        larger than the host's page.
 * @mem:  the table's memory backend; must outlive @c.
 * @mode: the domain's mode (IOPT_DOMAIN_BATCHED or IOPT_DOMAIN_PER_PAGE).
 *
 * The table's flush callbacks are the container's: they count flushes and
 * record which unmapped runs are flushed. The strategy starts as
 * IOPT_VFIO_SCAN_PHYS.
 * Return: 0; -EINVAL (NULL, bad mode, a table page larger than the host
 * page); the errors of iopt_init() (-EINVAL, -ENOTSUP, -ENOMEM).
 * Context: any; @c is not shared yet.
 */
int iopt_vfio_init(struct iopt_vfio *c, struct iopt_host *host,
		   const struct iopt_config *cfg, const struct iopt_mem *mem,
		   enum iopt_domain_mode mode);

/**
 * iopt_vfio_fini() - unmap and unpin everything, destroy the table
 * @c: the container; NULL is ignored.
 * As closing the container: every mapping is removed with the current
 * strategy, then the table is freed.
 * Context: no other call on @c may run.
 */
void iopt_vfio_fini(struct iopt_vfio *c);

/**
 * iopt_vfio_set_strategy() - choose how DMA_UNMAP finds runs
 * @c: the container.
 * @s: an enum iopt_vfio_strategy value.
 * Return: 0; -EINVAL for an unknown strategy or NULL.
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_set_strategy(struct iopt_vfio *c, enum iopt_vfio_strategy s);

/**
 * iopt_vfio_set_flags() - set the test hooks
 * @c:     the container.
 * @flags: IOPT_VFIO_TEST_* bits (replacing the previous ones).
 * Return: 0; -EINVAL for unknown bits or NULL.
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_set_flags(struct iopt_vfio *c, unsigned int flags);

/**
 * iopt_vfio_set_iommu() - the IOMMU behind the container's invalidations
 * @c:      the container.
 * @ops:    flush callbacks of the IOMMU driver, e.g. iopt_hwsim_flush_ops()
 *          for a simulated IOMMU; NULL for none (the default).
 * @cookie: passed to @ops.
 *
 * The table's flush callbacks stay the container's (they record which
 * runs are flushed); each call is then passed on to @ops, as VFIO's
 * iommu_iotlb_sync() reaches the IOMMU driver: flush_range as flush_range
 * (or flush_all when @ops has none), flush_all as flush_all. Under
 * IOPT_VFIO_TEST_DROP_FLUSH nothing is passed on either: that driver loses
 * its invalidations. @ops and @cookie must stay valid until
 * iopt_vfio_fini() has returned (its iopt_fini() flushes everything).
 * Return: 0; -EINVAL for NULL @c.
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_set_iommu(struct iopt_vfio *c, const struct iopt_flush_ops *ops,
			void *cookie);

/**
 * iopt_vfio_strategy_name() - a short name for a strategy
 * @s: the strategy.
 * Return: "phys", "pgsize", "length", "extent", or "?" for others.
 * Context: any.
 */
const char *iopt_vfio_strategy_name(enum iopt_vfio_strategy s);

/**
 * iopt_vfio_dma_map() - VFIO_IOMMU_MAP_DMA
 * @c:     the container.
 * @vaddr: user address of the memory; page-aligned.
 * @iova:  where the device sees it; page-aligned.
 * @size:  bytes; a multiple of the page size, not 0.
 * @prot:  IOPT_READ and/or IOPT_WRITE (IOPT_CACHE is added, as VFIO adds
 *         IOMMU_CACHE).
 *
 * Pins the range one physically contiguous run at a time (a folio at a
 * time, as VFIO does since 6.17), charges locked memory, and maps each run
 * with iopt_domain_map(). On failure everything this call pinned and mapped
 * is unmapped and unpinned again (with the current strategy).
 * Return: 0; -EINVAL (misaligned, size 0, the range wraps, prot without
 * READ or WRITE or with other bits, NULL); -EEXIST (overlaps an existing
 * mapping); -EFAULT (part of the user range is not backed); -ENOMEM (the
 * locked-memory limit, or no memory for the table or the mapping list);
 * -EOVERFLOW (a pin count is full); the domain's errors (-ERANGE for an
 * IOVA outside the table). On error nothing changed.
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_dma_map(struct iopt_vfio *c, uint64_t vaddr, uint64_t iova,
		      uint64_t size, unsigned int prot);

/**
 * iopt_vfio_dma_unmap() - VFIO_IOMMU_UNMAP_DMA (type1v2 semantics)
 * @c:        the container.
 * @iova:     start; page-aligned.
 * @size:     bytes; a multiple of the page size, not 0.
 * @unmapped: set to the bytes of the mappings removed.
 *
 * Removes every mapping inside [iova, iova + size); the range may cover
 * gaps between mappings but must not cut one. For each mapping the runs are
 * found in the table with the current strategy, unmapped into a gather
 * (one iopt_domain_unmap() per run; with IOPT_VFIO_SCAN_EXTENT one per
 * descent, over the span of the runs it found), the gather is synced every
 * IOPT_VFIO_SYNC_MAX runs and at the end, and each run is unpinned (and its
 * locked memory given back) only after a flush covered it. An unpin
 * attempted earlier is refused and counted in unpin_refused; a run still
 * unflushed after the sync stays pinned (pages_leaked).
 * Return: 0; -EINVAL (misaligned, size 0, wraps, cuts a mapping, NULL:
 * nothing changed); -EBUSY (the mappings were removed, but an unpin was
 * attempted before its flush: a violation the model caught); the first
 * table or host error met while unmapping or unpinning (the mappings are
 * removed from the container regardless, as VFIO does).
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_dma_unmap(struct iopt_vfio *c, uint64_t iova, uint64_t size,
			uint64_t *unmapped);

/**
 * iopt_vfio_dma_unmap_all() - VFIO_DMA_UNMAP_FLAG_ALL
 * @c:        the container.
 * @unmapped: set to the bytes of the mappings removed.
 * Return: as iopt_vfio_dma_unmap() (never -EINVAL for the range).
 * Context: not concurrent with other calls on @c.
 */
int iopt_vfio_dma_unmap_all(struct iopt_vfio *c, uint64_t *unmapped);

/**
 * iopt_vfio_nr_dmas() - how many mappings the container holds
 * @c: the container.
 * Return: the number; 0 for NULL. Context: any.
 */
size_t iopt_vfio_nr_dmas(const struct iopt_vfio *c);

/**
 * iopt_vfio_table() - the container's page table
 * @c: the container.
 * Return: the table (for lookups and statistics; changing it behind the
 * container's back breaks the model); NULL for NULL. Context: any.
 */
struct iopt_table *iopt_vfio_table(struct iopt_vfio *c);

/**
 * iopt_vfio_domain() - the container's domain
 * @c: the container.
 * Return: the domain; NULL for NULL. Context: any.
 */
struct iopt_domain *iopt_vfio_domain(struct iopt_vfio *c);

/**
 * iopt_vfio_get_counters() - copy, and optionally reset, the counters
 * @c:     the container; NULL is ignored.
 * @out:   if not NULL, filled.
 * @reset: zero the counters afterwards.
 * Context: not concurrent with other calls on @c.
 */
void iopt_vfio_get_counters(struct iopt_vfio *c,
			    struct iopt_vfio_counters *out, bool reset);

/* ------------------------------------------------------------------------ */
/* iommufd: PFNs from a domain                                              */

/* A page with no translation. */
#define IOPT_PFN_NONE UINT64_MAX

enum iopt_pfn_method {
	/* iopt_iova_to_phys() per page (batch_from_domain today). */
	IOPT_PFNS_BY_PAGE = 0,
	/* iopt_iova_to_phys_length() per leaf; where a leaf covers fewer
	 * than 16 pages, one iopt_for_each_extent() descent over the next 512
	 * such leaves instead (counted as a descent). */
	IOPT_PFNS_BY_LENGTH = 1,
	/* iopt_for_each_extent(): one descent. */
	IOPT_PFNS_BY_EXTENT = 2,
};

/**
 * iopt_pfns_from_domain() - the page frame numbers behind an IOVA range
 * @d:        the domain.
 * @iova:     start; a multiple of the page size.
 * @length:   bytes; a multiple of the page size, not 0.
 * @page_lg2: log2 of the page size the PFNs count in (12..30).
 * @method:   how to read the table.
 * @pfns:     length >> page_lg2 entries: entry i is the physical address
 *            of iova + i pages, shifted right by @page_lg2, or
 *            IOPT_PFN_NONE where nothing is mapped.
 * @mapped:   if not NULL, set to the number of entries that are not
 *            IOPT_PFN_NONE.
 * @ctr:      if not NULL, lookups, descents and holes are added to it.
 *
 * Every method fills the same array.
 * Return: 0; -EINVAL (NULL, misaligned, length 0, bad page_lg2 or method);
 * -EOVERFLOW (the range wraps); -ERANGE (the range leaves the table's
 * input space).
 * Context: as iopt_iova_to_phys(): nobody may change the range meanwhile.
 */
int iopt_pfns_from_domain(struct iopt_domain *d, uint64_t iova,
			  uint64_t length, unsigned int page_lg2,
			  enum iopt_pfn_method method, uint64_t *pfns,
			  uint64_t *mapped, struct iopt_vfio_counters *ctr);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_VFIO_H */
