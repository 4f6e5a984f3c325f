/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A reference model of what a page table maps, for tests.
 *
 * The model is an ordered set of leaves, each {iova, last, paddr, prot},
 * kept in a sorted array (binary search, one memmove per change). Addresses
 * span all 64 bits: a leaf ends at an inclusive @last, so a leaf at the very
 * top of the space (last == UINT64_MAX) needs no special case.
 *
 * The model knows nothing about argument checking (alignment, input and
 * output sizes): callers validate arguments first and use the model for
 * what a valid call must do, as iopt.h documents it:
 *
 *  - map: a run of leaves; any overlap with an existing leaf is -EEXIST and
 *    changes nothing. model_map_range() uses the map_range decomposition:
 *    at each position the largest size of the bitmap to which both the IOVA
 *    and the physical address are aligned and which fits in what remains.
 *  - unmap [iova, last]: a leaf crossing either end is -EXDEV; with
 *    MODEL_NO_HOLES an unmapped byte inside is -ENOENT; both change
 *    nothing. Otherwise every leaf inside is removed and *unmapped is the
 *    sum of their sizes.
 *  - lookup, and extents: maximal runs of adjacent leaves whose physical
 *    addresses continue each other and whose prot is equal, clipped to the
 *    iterated range.
 *
 * Prot is stored as given: pass iopt_prot_effective(t, prot) to compare it
 * with what a table reports.
 */
#ifndef IOPT_TEST_MODEL_H
#define IOPT_TEST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct model_leaf {
	uint64_t iova;
	uint64_t last;		/* inclusive */
	uint64_t paddr;
	unsigned int prot;
};

struct model {
	struct model_leaf *leaf;	/* sorted by iova, disjoint */
	size_t nr;
	size_t cap;
	uint64_t pgsize_bitmap;		/* sizes model_map_range() may use */
};

/* model_unmap() flag: a hole in the range is -ENOENT (IOPT_UNMAP_NO_HOLES). */
#define MODEL_NO_HOLES (1u << 0)

/* Empty model for a table with the given page-size bitmap. */
void model_init(struct model *m, uint64_t pgsize_bitmap);
/* Release the model's memory; it is empty afterwards (model_init again). */
void model_free(struct model *m);
/* Remove every leaf. */
void model_clear(struct model *m);

/* Size of leaf @l (a power of two; never 2^64 for a real table). */
static inline uint64_t model_leaf_size(const struct model_leaf *l)
{
	return l->last - l->iova + 1;
}

/*
 * map_range decomposition: the size of the leaf at @iova (mapping @paddr)
 * when @remaining bytes are left, or 0 if no size in @bitmap fits.
 */
uint64_t model_range_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			    uint64_t remaining);
/*
 * Number of leaves the decomposition of [iova, iova + size) has, counting
 * at most @limit (returns @limit + 1 when there are more), or SIZE_MAX when
 * the range cannot be decomposed (no size fits somewhere).
 */
size_t model_range_count(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			 uint64_t size, size_t limit);
/* True when @prefix (0 < prefix <= size) ends on a leaf boundary of the
 * decomposition of [iova, iova + size); 0 is trivially a boundary too. */
bool model_range_boundary(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			  uint64_t size, uint64_t prefix);

/* Index of the first leaf with last >= @iova (m->nr if none). */
size_t model_first(const struct model *m, uint64_t iova);
/* True when some leaf overlaps [iova, last]. */
bool model_overlaps(const struct model *m, uint64_t iova, uint64_t last);
/* The leaf containing @iova, or NULL. */
const struct model_leaf *model_lookup(const struct model *m, uint64_t iova);

/*
 * Map @pgcount leaves of @pgsize from @iova to @paddr (no wrap allowed).
 * Return: 0, -EEXIST (an overlap; nothing changed), or -ENOMEM (the model
 * itself ran out of memory; nothing changed).
 */
int model_map_pages(struct model *m, uint64_t iova, uint64_t paddr,
		    uint64_t pgsize, uint64_t pgcount, unsigned int prot);
/*
 * Map [iova, iova + size) with the map_range decomposition over
 * m->pgsize_bitmap. Return: 0, -EEXIST (nothing changed), -EINVAL when
 * the range has no decomposition, or -ENOMEM (nothing changed either).
 */
int model_map_range(struct model *m, uint64_t iova, uint64_t paddr,
		    uint64_t size, unsigned int prot);

/*
 * Unmap [iova, last]. @flags: MODEL_NO_HOLES. @removed, if not NULL, is
 * called for each removed leaf before the model changes.
 * Return: 0 with *@unmapped set; -EXDEV or -ENOENT with nothing changed and
 * *@unmapped = 0. When both errors apply, *@both (if not NULL) is set true
 * and -EXDEV is returned.
 */
int model_unmap(struct model *m, uint64_t iova, uint64_t last,
		unsigned int flags, uint64_t *unmapped, bool *both,
		void (*removed)(void *arg, const struct model_leaf *l),
		void *arg);

/*
 * Report the extents of [iova, last] in order, as iopt_for_each_extent()
 * must: @fn(arg, iova, phys, length, prot); a non-zero return stops the
 * walk and is returned. Return: 0 after the last extent.
 */
int model_for_each_extent(const struct model *m, uint64_t iova, uint64_t last,
			  int (*fn)(void *arg, uint64_t iova, uint64_t phys,
				    uint64_t length, unsigned int prot),
			  void *arg);

/* Sum of the sizes of the leaves inside [iova, last] (clipped). */
uint64_t model_mapped_bytes(const struct model *m, uint64_t iova,
			    uint64_t last);

/* ---- extents collected, to compare a table's with a model's ---- */

struct model_ext {
	uint64_t iova, phys, len;
	unsigned int prot;
};

struct model_ext_list {
	struct model_ext *v;
	size_t n, cap;
	bool oom;		/* an extent was lost: out of memory */
};

/*
 * Callback for iopt_for_each_extent() and model_for_each_extent(): appends
 * the extent to the struct model_ext_list @arg (start it zeroed). Out of
 * memory: sets ->oom and returns 1, which stops the walk.
 */
int model_ext_add(void *arg, uint64_t iova, uint64_t phys, uint64_t len,
		  unsigned int prot);

/* Release the list's memory; it is empty (and zeroed) afterwards. */
void model_ext_free(struct model_ext_list *l);

/*
 * Flush coverage, for the oracles that check an unmap's invalidations: an
 * IOVA range that was flushed (or a leaf that was removed), with its
 * granule (or leaf size).
 */
struct model_range {
	uint64_t iova;
	uint64_t last;          /* inclusive */
	unsigned int lg2;       /* flush granule, or leaf size */
	bool leaf_only;         /* a flush that kept walk caches */
};

/* Sort @r by start, as model_ranges_cover() needs. */
void model_ranges_sort(struct model_range *r, size_t n);

/* Do the ranges of @r (sorted) whose granule is at most @lg2 cover
 * every byte of [iova, last]? */
bool model_ranges_cover(const struct model_range *r, size_t n, uint64_t iova,
			uint64_t last, unsigned int lg2);

static inline bool model_ext_equal(const struct model_ext *a,
				   const struct model_ext *b)
{
	return a->iova == b->iova && a->phys == b->phys && a->len == b->len &&
	       a->prot == b->prot;
}

#endif /* IOPT_TEST_MODEL_H */
