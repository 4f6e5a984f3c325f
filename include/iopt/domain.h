/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A domain: the page-size policy and map/unmap loops of an IOMMU core
 * (Linux's iommu_map / iommu_unmap / iommu_map_sg) over one iopt table.
 *
 * A request is split into runs of (page size, count): each run uses the
 * largest size in the bitmap that the alignment of iova and paddr and the
 * remaining length allow, and stops where a larger size becomes possible.
 * Two ways to reach the engine are kept so their costs can be compared:
 * IOPT_DOMAIN_BATCHED hands each run to the engine in one call;
 * IOPT_DOMAIN_PER_PAGE makes one engine call per page or block, as
 * io-pgtable users did before map_pages/unmap_pages (2021).
 */
#ifndef IOPT_DOMAIN_H
#define IOPT_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "iopt.h"

#ifdef __cplusplus
extern "C" {
#endif

enum iopt_domain_mode {
	IOPT_DOMAIN_BATCHED = 0,
	IOPT_DOMAIN_PER_PAGE = 1,
};

/* What the domain did, counted by the domain itself. */
struct iopt_domain_stats {
	uint64_t map_calls;      /* iopt_domain_map / map_sg calls */
	uint64_t unmap_calls;    /* iopt_domain_unmap calls */
	uint64_t engine_calls;   /* iopt_map_pages + iopt_unmap_pages calls */
	uint64_t rollbacks;      /* failed maps undone */
};

/**
 * struct iopt_domain_counters - what a domain's caller can count, in one copy
 *
 * The domain's own counts, since iopt_domain_init():
 * @map_calls:         iopt_domain_map() and iopt_domain_map_sg() calls.
 * @unmap_calls:       iopt_domain_unmap() calls.
 * @engine_calls:      iopt_map_pages() and iopt_unmap_pages() calls the domain
 *                     made (one per run when batched, one per page or block
 *                     when per page). Rollback unmaps are not included.
 * @rollbacks:         failed maps undone.
 *
 * The table's counts (struct iopt_stats), since its iopt_init(), whoever made
 * the calls (lookups by other callers included):
 * @walks_counted:     the table was created with IOPT_CFG_STATS. Without it
 *                     @walks, @entries_written and @entries_cleared stay 0.
 * @walks:             descents started from the root: every map, unmap,
 *                     lookup and extent iteration starts at least one.
 * @entries_written:   leaf and table entries stored.
 * @entries_cleared:   entries set to empty (a detached table counts as one).
 * @tables_allocated:  table allocations, the root included.
 * @tables_freed:      tables handed back to the memory backend.
 * @table_bytes:       table memory held now.
 * @table_bytes_peak:  most table memory ever held.
 * @flush_all_calls:   calls of the table's flush_all callback (gather syncs
 *                     without flush_range, and iopt_fini()).
 * @flush_range_calls: calls of its flush_range callback (one per range a
 *                     gather sync flushes; map's break-before-make too).
 *                     Flushes are counted only when the callback exists.
 * @cache_syncs:       calls of the memory backend's sync callback.
 */
struct iopt_domain_counters {
	uint64_t map_calls;
	uint64_t unmap_calls;
	uint64_t engine_calls;
	uint64_t rollbacks;
	bool walks_counted;
	uint64_t walks;
	uint64_t entries_written;
	uint64_t entries_cleared;
	uint64_t tables_allocated;
	uint64_t tables_freed;
	uint64_t table_bytes;
	uint64_t table_bytes_peak;
	uint64_t flush_all_calls;
	uint64_t flush_range_calls;
	uint64_t cache_syncs;
};

struct iopt_domain {
	struct iopt_table *table;
	enum iopt_domain_mode mode;
	uint64_t pgsize_bitmap;
	struct iopt_domain_stats stats;
};

/* One physically contiguous segment of a scatter list. */
struct iopt_sg {
	uint64_t paddr;
	uint64_t length;
};

/**
 * iopt_domain_init() - a domain over @t
 * @d:      the domain.
 * @t:      an initialised table; it must outlive the domain.
 * @mode:   IOPT_DOMAIN_BATCHED or IOPT_DOMAIN_PER_PAGE.
 * Return: 0; -EINVAL for NULL, a destroyed table or an unknown mode (@d is
 * then not written). Context: any.
 */
int iopt_domain_init(struct iopt_domain *d, struct iopt_table *t,
		     enum iopt_domain_mode mode);

/**
 * iopt_domain_pgsize() - the next run of a map or unmap
 * @bitmap: supported page sizes (bit n = 2^n bytes).
 * @iova:   where the run starts.
 * @paddr:  its physical address (pass @iova again for unmaps).
 * @size:   bytes left in the request.
 * @count:  set to the number of pages of the returned size in the run
 *          (0 when none fits); if NULL, the function returns 0.
 *
 * The largest size s in @bitmap with s <= @size and iova, paddr both
 * multiples of s; the run ends where the next larger supported size could
 * start (iova and paddr both aligned to it, with enough length left), or at
 * the end of the request.
 * Return: the page size, or 0 when none fits (misaligned or @size too small).
 * Context: any; pure.
 */
uint64_t iopt_domain_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			    uint64_t size, uint64_t *count);

/**
 * iopt_domain_map() - map [iova, iova + size) to [paddr, paddr + size)
 * @d:     the domain.
 * @iova:  first IOVA.
 * @paddr: first physical address.
 * @size:  bytes to map.
 * @prot:  IOPT_* protection.
 * iova, paddr and size must be multiples of the smallest page size.
 * Argument errors are found before the first run is mapped and change
 * nothing: -EINVAL (NULL, misaligned, size 0, prot without READ or WRITE
 * or with unknown bits, a destroyed table), -EOVERFLOW (the IOVA range
 * wraps past 2^64), -ERANGE (the IOVA range leaves the input space or is
 * not canonical; the physical range passes the output size). -EEXIST and
 * -ENOMEM come from a run part-way: everything this call mapped is then
 * unmapped again (and flushed through the table's callbacks), so the table
 * maps exactly what it mapped before; tables the call allocated may stay,
 * empty, as after a failed iopt_map_pages().
 * Return: 0 or one of the errors above. Context: as iopt_map_pages().
 */
int iopt_domain_map(struct iopt_domain *d, uint64_t iova, uint64_t paddr,
		    uint64_t size, unsigned int prot);

/**
 * iopt_domain_map_sg() - map segments at consecutive IOVAs from @iova
 * @d:     the domain.
 * @iova:  IOVA of the first segment.
 * @sg:    the segments, in order.
 * @nents: how many.
 * @prot:  IOPT_* protection.
 * Physically contiguous neighbours are merged into one run first, so a
 * large page can span segments. Every segment's paddr and length must be
 * multiples of the smallest page size; segments of length 0 are skipped
 * (whatever their paddr), and a list with nothing to map maps nothing and
 * returns 0. Argument errors (as iopt_domain_map(), per segment for the
 * physical range; -EOVERFLOW also when the lengths add up past 2^64;
 * -EINVAL for a NULL @sg with @nents not 0) change nothing. On -EEXIST or
 * -ENOMEM everything mapped is undone, as in iopt_domain_map().
 * @mapped: set to the bytes mapped (the sum of the lengths on success,
 *          0 on any error).
 * Return: as iopt_domain_map(). Context: as iopt_map_pages().
 */
int iopt_domain_map_sg(struct iopt_domain *d, uint64_t iova,
		       const struct iopt_sg *sg, size_t nents, unsigned int prot,
		       uint64_t *mapped);

/**
 * iopt_domain_unmap() - unmap [iova, iova + size)
 * @d:    the domain.
 * @iova: start.
 * @size: bytes.
 * @gather:   collects what to invalidate and free; the caller syncs it.
 * @unmapped: set to the bytes that were mapped and are now unmapped.
 * Split into runs as for a map (with paddr = iova). Argument errors are
 * found before the first run and change nothing: -EINVAL (NULL, misaligned,
 * size 0, @gather holding work for another table), -EOVERFLOW, -ERANGE (as
 * iopt_unmap_range()). A leaf that crosses a run boundary fails that run
 * (-EXDEV): runs before it stay unmapped and are counted, as Linux's
 * iommu_unmap stops at the first failure.
 * Return: 0, or the error that stopped it. Context: as
 * iopt_unmap_range().
 */
int iopt_domain_unmap(struct iopt_domain *d, uint64_t iova, uint64_t size,
		      struct iopt_gather *gather, uint64_t *unmapped);

/**
 * iopt_domain_get_counters() - the domain's and its table's counters
 * @d:   the domain.
 * @out: filled with a copy (struct iopt_domain_counters says what each
 *       field counts and since when). Counters only grow, except
 *       @table_bytes, so the cost of a piece of work is the difference of
 *       two copies taken around it.
 * Return: 0; -EINVAL for NULL (or a domain without a table); @out is then
 * unchanged.
 * Context: any; the values are approximate while other threads change the
 * domain or the table.
 */
int iopt_domain_get_counters(const struct iopt_domain *d,
			     struct iopt_domain_counters *out);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_DOMAIN_H */
