// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * A model of VFIO type1 (drivers/vfio/vfio_iommu_type1.c) over one domain:
 * DMA_MAP pins physically contiguous runs and maps them; DMA_UNMAP finds the
 * runs again in the IOMMU table (the only record of what was pinned),
 * unmaps them into a gather, syncs every IOPT_VFIO_SYNC_MAX runs and at the
 * end, and unpins after the sync.
 *
 * The flush callbacks of the container's table record, per pending run,
 * how far a flush has covered it. Unpinning a run that is not wholly
 * covered yet is refused: that is the use-after-free VFIO's ordering
 * (iommu_iotlb_sync, then unpin) exists to prevent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/vfio.h>

/* What one vfio_unmap_unpin() (one mapping) has met so far. */
struct unmap_state {
	struct iopt_gather gather;
	int err;        /* first table or host error */
	bool refused;   /* an unpin was refused for want of a flush */
};

/* Keep the first real error; a refused unpin (-EBUSY) yields to one. */
static void note_err(int *err, int ret)
{
	if (!ret)
		return;
	if (!*err || (*err == -EBUSY && ret != -EBUSY))
		*err = ret;
}

/* ------------------------------------------------------------ flushes */

/* A flush of [iova, last] covers the start of each run it reaches. */
static void vfio_mark_flushed(struct iopt_vfio *c, uint64_t iova,
			      uint64_t last)
{
	for (unsigned int i = 0; i < c->nr_pending; i++) {
		struct iopt_vfio_run *r = &c->pending[i];
		uint64_t rlast;

		if (r->flushed || !r->len)
			continue;
		rlast = r->iova + (r->len - 1);
		if (r->unflushed < iova || r->unflushed > last)
			continue;
		/*
		 * Flushes arrive in the order the gather collected the ranges,
		 * which is the order of the unmaps, so a run split over two
		 * flushes (the gather synced early) is covered front to back.
		 */
		if (last >= rlast)
			r->flushed = true;
		else
			r->unflushed = last + 1;
	}
}

static void vfio_flush_all(void *cookie)
{
	struct iopt_vfio *c = cookie;

	c->ctr.flush_calls++;
	if (c->flags & IOPT_VFIO_TEST_DROP_FLUSH)
		return;
	if (c->iommu && c->iommu->flush_all)
		c->iommu->flush_all(c->iommu_cookie);
	for (unsigned int i = 0; i < c->nr_pending; i++)
		c->pending[i].flushed = true;
}

static void vfio_flush_range(void *cookie, uint64_t iova, uint64_t size,
			     unsigned int granule_lg2, bool leaf_only)
{
	struct iopt_vfio *c = cookie;

	c->ctr.flush_calls++;
	if ((c->flags & IOPT_VFIO_TEST_DROP_FLUSH) || !size)
		return;
	/* The IOMMU's invalidation completes before a run counts as flushed. */
	if (c->iommu && c->iommu->flush_range)
		c->iommu->flush_range(c->iommu_cookie, iova, size, granule_lg2,
				      leaf_only);
	else if (c->iommu && c->iommu->flush_all)
		c->iommu->flush_all(c->iommu_cookie);
	vfio_mark_flushed(c, iova, iova + (size - 1));
}

static const struct iopt_flush_ops vfio_flush_ops = {
	.flush_all = vfio_flush_all,
	.flush_range = vfio_flush_range,
};

/* ------------------------------------------------------------ pinning */

/*
 * vfio_pin_pages_remote(): pin the physically contiguous run at @vaddr, at
 * most @max bytes, a folio at a time, charging locked memory first.
 */
static int pin_run(struct iopt_vfio *c, uint64_t vaddr, uint64_t max,
		   uint64_t *phys, uint64_t *len)
{
	struct iopt_host *h = c->host;
	uint64_t first, contig, n, npages;
	int ret;

	ret = iopt_host_translate(h, vaddr, &first, &contig, NULL);
	if (ret)
		return ret;
	n = contig < max ? contig : max;
	while (n < max) {
		uint64_t p;

		if (iopt_host_translate(h, vaddr + n, &p, &contig, NULL) ||
		    p != first + n)
			break;
		n += contig < max - n ? contig : max - n;
	}
	npages = n / c->page_size;
	ret = iopt_host_lock_acct(h, (int64_t)npages);
	if (ret)
		return ret;
	ret = iopt_host_pin(h, first, npages);
	if (ret) {
		iopt_host_lock_acct(h, -(int64_t)npages);
		return ret;
	}
	c->ctr.pages_pinned += npages;
	*phys = first;
	*len = n;
	return 0;
}

/* Unpin a run and give its locked memory back; refused before its flush. */
static int unpin_run(struct iopt_vfio *c, struct iopt_vfio_run *r)
{
	uint64_t npages = r->len / c->page_size;
	int ret;

	if (!r->flushed) {
		c->ctr.unpin_refused++;
		return -EBUSY;
	}
	r->unpinned = true;
	if ((r->phys | r->len) & (c->page_size - 1)) {
		c->ctr.errors++;
		return -EINVAL;
	}
	ret = iopt_host_unpin(c->host, r->phys, npages);
	if (!ret)
		ret = iopt_host_lock_acct(c->host, -(int64_t)npages);
	if (ret) {
		c->ctr.errors++;
		return ret;
	}
	c->ctr.pages_unpinned += npages;
	return 0;
}

/* ---------------------------------------------------- unmap and unpin */

/* vfio_sync_unpin(): iommu_iotlb_sync, then unpin every pending run. */
static void sync_unpin(struct iopt_vfio *c, struct unmap_state *st)
{
	c->ctr.syncs++;
	iopt_gather_sync(&st->gather);
	for (unsigned int i = 0; i < c->nr_pending; i++) {
		struct iopt_vfio_run *r = &c->pending[i];
		int ret;

		if (r->unpinned)
			continue;
		ret = unpin_run(c, r);
		if (ret == -EBUSY) {
			/* Never flushed: leaving it pinned is the safe failure. */
			r->unpinned = true;
			c->ctr.pages_leaked += r->len / c->page_size;
			st->refused = true;
		} else {
			note_err(&st->err, ret);
		}
	}
	c->nr_pending = 0;
}

/* IOPT_VFIO_TEST_UNPIN_EARLY: try the unpin right after the unmap, before
 * any sync (the model must refuse it). */
static void unpin_early(struct iopt_vfio *c, struct unmap_state *st,
			struct iopt_vfio_run *r)
{
	int ret;

	if (!(c->flags & IOPT_VFIO_TEST_UNPIN_EARLY))
		return;
	ret = unpin_run(c, r);
	if (ret == -EBUSY)
		st->refused = true;
	else
		note_err(&st->err, ret);
}

/*
 * unmap_unpin_fast(): unmap one run without flushing and queue it for the
 * unpin. Returns the bytes unmapped; 0 with st->err set on failure.
 */
static uint64_t unmap_run(struct iopt_vfio *c, struct unmap_state *st,
			  uint64_t iova, uint64_t phys, uint64_t len)
{
	struct iopt_vfio_run *r = &c->pending[c->nr_pending++];
	uint64_t unmapped = 0;
	int ret;

	/* Queued before the unmap: a flush during it (an early gather sync)
	 * must already find the run. */
	memset(r, 0, sizeof(*r));
	r->iova = iova;
	r->phys = phys;
	r->len = len;
	r->unflushed = iova;
	c->ctr.unmap_calls++;
	ret = iopt_domain_unmap(&c->domain, iova, len, &st->gather, &unmapped);
	r->len = unmapped;
	if (!ret && !unmapped)
		ret = -ENOENT;  /* the lookup said mapped: the table disagrees */
	if (ret) {
		c->ctr.errors++;
		note_err(&st->err, ret);
	}
	if (!unmapped) {
		c->nr_pending--;
	} else {
		c->ctr.runs++;
		unpin_early(c, st, r);
	}
	if (ret || c->nr_pending == IOPT_VFIO_SYNC_MAX)
		sync_unpin(c, st);
	return ret ? 0 : unmapped;
}

/* The rest of the leaf holding @iova, from its reported size. */
static uint64_t leaf_rest(uint64_t iova, uint64_t leaf)
{
	return leaf - (iova & (leaf - 1));
}

/*
 * The physically contiguous run at @iova, at most @left bytes, found with
 * the container's lookup strategy. False when @iova is not mapped.
 */
static bool find_run(struct iopt_vfio *c, uint64_t iova, uint64_t left,
		     uint64_t *phys, uint64_t *len)
{
	struct iopt_table *t = &c->table;
	uint64_t pg = c->page_size, p, n, sz;

	switch (c->strategy) {
	case IOPT_VFIO_SCAN_PGSIZE:
		c->ctr.lookups += 2;
		p = iopt_iova_to_phys(t, iova);
		sz = iopt_iova_to_pgsize(t, iova);
		if (p == IOPT_PHYS_NONE || !sz)
			return false;
		for (n = leaf_rest(iova, sz); n < left;
		     n += leaf_rest(iova + n, sz)) {
			c->ctr.lookups++;
			if (iopt_iova_to_phys(t, iova + n) != p + n)
				break;
			c->ctr.lookups++;
			sz = iopt_iova_to_pgsize(t, iova + n);
			if (!sz)
				break;
		}
		break;
	case IOPT_VFIO_SCAN_LENGTH:
		c->ctr.lookups++;
		if (iopt_iova_to_phys_length(t, iova, &p, &sz, NULL))
			return false;
		for (n = leaf_rest(iova, sz); n < left;
		     n += leaf_rest(iova + n, sz)) {
			uint64_t q;

			c->ctr.lookups++;
			if (iopt_iova_to_phys_length(t, iova + n, &q, &sz, NULL) ||
			    q != p + n)
				break;
		}
		break;
	default: /* IOPT_VFIO_SCAN_PHYS: one lookup per page */
		c->ctr.lookups++;
		p = iopt_iova_to_phys(t, iova);
		if (p == IOPT_PHYS_NONE)
			return false;
		for (n = pg; n < left; n += pg) {
			c->ctr.lookups++;
			if (iopt_iova_to_phys(t, iova + n) != p + n)
				break;
		}
		break;
	}
	*phys = p;
	*len = n < left ? n : left;
	return true;
}

/* Strategies 1-3: VFIO's loop, scanning and unmapping in turn. */
static void scan_lookup(struct iopt_vfio *c, struct unmap_state *st,
			const struct iopt_vfio_dma *dma)
{
	uint64_t pos = 0;

	while (pos < dma->size) {
		uint64_t iova = dma->iova + pos, phys, len, done;

		if (!find_run(c, iova, dma->size - pos, &phys, &len)) {
			c->ctr.holes++;         /* VFIO: WARN_ON(!phys) */
			pos += c->page_size;
			continue;
		}
		done = unmap_run(c, st, iova, phys, len);
		if (!done)
			return;                 /* VFIO: WARN and abort */
		pos += done;
	}
}

/* Runs reported by one descent of the extent iterator. */
struct extent_batch {
	struct iopt_vfio *c;
	unsigned int n;
	unsigned int max;
	struct iopt_vfio_run run[IOPT_VFIO_SYNC_MAX];
};

static int extent_collect(void *arg, uint64_t iova, uint64_t phys,
			  uint64_t length, unsigned int prot)
{
	struct extent_batch *b = arg;
	struct iopt_vfio_run *r = &b->run[b->n++];

	(void)prot;
	b->c->ctr.lookups++;
	r->iova = iova;
	r->phys = phys;
	r->len = length;
	return b->n == b->max;
}

/* Pages between @from and @to (exclusive) that no extent covered. */
static void count_gap(struct iopt_vfio *c, uint64_t from, uint64_t to)
{
	if (to > from)
		c->ctr.holes += (to - from) / c->page_size;
}

/*
 * Strategy 4's unmap: the @n runs one descent found, queued for the unpin,
 * then unmapped by one call over the span from the first to the end of the
 * last (what lies between them is unmapped already: there is nothing to
 * split). Each run is credited front to back with the bytes the call
 * reports, so a call that stops early leaves the runs after it out.
 * Returns the end of what was unmapped; 0 with st->err set on failure.
 */
static uint64_t unmap_batch(struct iopt_vfio *c, struct unmap_state *st,
			    const struct iopt_vfio_run *run, unsigned int n)
{
	const struct iopt_vfio_run *last = &run[n - 1];
	unsigned int first = c->nr_pending, kept;
	uint64_t unmapped = 0, left, total = 0;
	int ret;

	for (unsigned int i = 0; i < n; i++) {
		struct iopt_vfio_run *r = &c->pending[c->nr_pending++];

		memset(r, 0, sizeof(*r));
		r->iova = run[i].iova;
		r->phys = run[i].phys;
		r->len = run[i].len;
		r->unflushed = run[i].iova;
		total += run[i].len;
	}
	c->ctr.unmap_calls++;
	ret = iopt_domain_unmap(&c->domain, run[0].iova,
				last->iova + last->len - run[0].iova,
				&st->gather, &unmapped);
	if (!ret && unmapped != total)
		ret = -ENOENT;  /* the descent said mapped: the table disagrees */
	if (ret) {
		c->ctr.errors++;
		note_err(&st->err, ret);
	}
	left = unmapped;
	kept = first;
	for (unsigned int i = first; i < c->nr_pending; i++) {
		struct iopt_vfio_run *r = &c->pending[i];

		r->len = r->len < left ? r->len : left;
		left -= r->len;
		if (!r->len)
			continue;
		c->pending[kept++] = *r;
		c->ctr.runs++;
	}
	c->nr_pending = kept;
	for (unsigned int i = first; i < kept; i++)
		unpin_early(c, st, &c->pending[i]);
	if (ret || c->nr_pending == IOPT_VFIO_SYNC_MAX)
		sync_unpin(c, st);
	if (ret || kept == first)
		return 0;
	return last->iova + last->len;
}

/*
 * Strategy 4: the callback may not change the table, so one descent
 * collects up to a sync's worth of runs, which one call then unmaps (the
 * last batch of a sync triggers the sync and the unpins); the next descent
 * resumes after them.
 */
static void scan_extent(struct iopt_vfio *c, struct unmap_state *st,
			const struct iopt_vfio_dma *dma)
{
	struct extent_batch *b;
	uint64_t pos = 0;

	b = malloc(sizeof(*b));
	if (!b) {
		note_err(&st->err, -ENOMEM);
		return;
	}
	b->c = c;
	while (pos < dma->size) {
		uint64_t end;
		int ret;

		b->n = 0;
		b->max = IOPT_VFIO_SYNC_MAX - c->nr_pending;
		c->ctr.descents++;
		ret = iopt_for_each_extent(&c->table, dma->iova + pos,
					   dma->size - pos, extent_collect, b);
		if (ret < 0) {
			c->ctr.errors++;
			note_err(&st->err, ret);
			break;
		}
		for (unsigned int i = 0; i < b->n; i++)
			count_gap(c, i ? b->run[i - 1].iova + b->run[i - 1].len :
				  dma->iova + pos, b->run[i].iova);
		if (b->n) {
			end = unmap_batch(c, st, b->run, b->n);
			if (!end)
				break;
			pos = end - dma->iova;
		}
		if (!ret) {
			count_gap(c, dma->iova + pos, dma->iova + dma->size);
			break;
		}
	}
	free(b);
}

/* vfio_unmap_unpin() for one mapping. */
static int unmap_unpin(struct iopt_vfio *c, const struct iopt_vfio_dma *dma)
{
	struct unmap_state st;

	memset(&st, 0, sizeof(st));
	iopt_gather_init(&st.gather);
	c->nr_pending = 0;
	if (c->strategy == IOPT_VFIO_SCAN_EXTENT)
		scan_extent(c, &st, dma);
	else
		scan_lookup(c, &st, dma);
	if (c->nr_pending)
		sync_unpin(c, &st);
	if (st.err)
		return st.err;
	return st.refused ? -EBUSY : 0;
}

/* ------------------------------------------------------ mapping list */

static uint64_t dma_last(const struct iopt_vfio_dma *d)
{
	return d->iova + (d->size - 1);
}

/* Index of the first mapping that ends at or after @iova. */
static size_t dma_first_from(const struct iopt_vfio *c, uint64_t iova)
{
	size_t lo = 0, hi = c->nr_dmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dma_last(&c->dmas[mid]) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int dma_reserve(struct iopt_vfio *c)
{
	struct iopt_vfio_dma *n;
	size_t max;

	if (c->nr_dmas < c->max_dmas)
		return 0;
	max = c->max_dmas ? c->max_dmas * 2 : 16;
	n = realloc(c->dmas, max * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->dmas = n;
	c->max_dmas = max;
	return 0;
}

/* ------------------------------------------------------------ the API */

int iopt_vfio_init(struct iopt_vfio *c, struct iopt_host *host,
		   const struct iopt_config *cfg, const struct iopt_mem *mem,
		   enum iopt_domain_mode mode)
{
	uint64_t bitmap;
	int ret;

	if (!c || !host || !host->pincount || !cfg || !mem)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->host = host;
	c->page_size = host->page_size;
	c->strategy = IOPT_VFIO_SCAN_PHYS;
	ret = iopt_init(&c->table, cfg, mem, &vfio_flush_ops, c);
	if (ret)
		return ret;
	bitmap = iopt_pgsize_bitmap(&c->table);
	if ((bitmap & -bitmap) > c->page_size) {
		iopt_fini(&c->table);
		return -EINVAL;
	}
	ret = iopt_domain_init(&c->domain, &c->table, mode);
	if (ret) {
		iopt_fini(&c->table);
		return ret;
	}
	return 0;
}

void iopt_vfio_fini(struct iopt_vfio *c)
{
	uint64_t unmapped;

	if (!c || !c->host)
		return;
	iopt_vfio_dma_unmap_all(c, &unmapped);
	iopt_fini(&c->table);
	free(c->dmas);
	c->dmas = NULL;
	c->nr_dmas = 0;
	c->max_dmas = 0;
	c->host = NULL;
}

int iopt_vfio_set_strategy(struct iopt_vfio *c, enum iopt_vfio_strategy s)
{
	if (!c || (unsigned int)s >= IOPT_VFIO_NR_STRATEGIES)
		return -EINVAL;
	c->strategy = s;
	return 0;
}

int iopt_vfio_set_flags(struct iopt_vfio *c, unsigned int flags)
{
	if (!c || (flags & ~IOPT_VFIO_TEST_FLAGS))
		return -EINVAL;
	c->flags = flags;
	return 0;
}

int iopt_vfio_set_iommu(struct iopt_vfio *c, const struct iopt_flush_ops *ops,
			void *cookie)
{
	if (!c)
		return -EINVAL;
	c->iommu = ops;
	c->iommu_cookie = cookie;
	return 0;
}

const char *iopt_vfio_strategy_name(enum iopt_vfio_strategy s)
{
	switch (s) {
	case IOPT_VFIO_SCAN_PHYS:
		return "phys";
	case IOPT_VFIO_SCAN_PGSIZE:
		return "pgsize";
	case IOPT_VFIO_SCAN_LENGTH:
		return "length";
	case IOPT_VFIO_SCAN_EXTENT:
		return "extent";
	}
	return "?";
}

int iopt_vfio_dma_map(struct iopt_vfio *c, uint64_t vaddr, uint64_t iova,
		      uint64_t size, unsigned int prot)
{
	struct iopt_vfio_dma *d;
	uint64_t pos = 0;
	size_t at;
	int ret;

	if (!c || !c->host)
		return -EINVAL;
	if (!size || ((vaddr | iova | size) & (c->page_size - 1)))
		return -EINVAL;
	if ((prot & ~(IOPT_READ | IOPT_WRITE)) ||
	    !(prot & (IOPT_READ | IOPT_WRITE)))
		return -EINVAL;
	if (iova + (size - 1) < iova || vaddr + (size - 1) < vaddr)
		return -EINVAL;
	at = dma_first_from(c, iova);
	if (at < c->nr_dmas && c->dmas[at].iova <= iova + (size - 1))
		return -EEXIST;
	ret = dma_reserve(c);
	if (ret)
		return ret;

	while (pos < size) {
		uint64_t phys, len;

		ret = pin_run(c, vaddr + pos, size - pos, &phys, &len);
		if (ret)
			break;
		c->ctr.map_calls++;
		ret = iopt_domain_map(&c->domain, iova + pos, phys, len,
				      prot | IOPT_CACHE);
		if (ret) {
			/* Never mapped: nothing to flush before the unpin. */
			uint64_t npages = len / c->page_size;

			iopt_host_unpin(c->host, phys, npages);
			iopt_host_lock_acct(c->host, -(int64_t)npages);
			c->ctr.pages_pinned -= npages;
			break;
		}
		pos += len;
	}
	if (ret) {
		/* vfio_remove_dma() of what this call mapped. */
		if (pos) {
			struct iopt_vfio_dma part = {
				.iova = iova, .size = pos, .vaddr = vaddr,
				.prot = prot,
			};

			unmap_unpin(c, &part);
		}
		return ret;
	}

	memmove(&c->dmas[at + 1], &c->dmas[at],
		(c->nr_dmas - at) * sizeof(*c->dmas));
	d = &c->dmas[at];
	d->iova = iova;
	d->size = size;
	d->vaddr = vaddr;
	d->prot = prot;
	c->nr_dmas++;
	return 0;
}

/* Remove every mapping inside [iova, last]; none may cross its ends. */
static int unmap_dmas(struct iopt_vfio *c, uint64_t iova, uint64_t last,
		      uint64_t *unmapped)
{
	size_t first, end;
	int err = 0;

	first = dma_first_from(c, iova);
	if (first < c->nr_dmas && c->dmas[first].iova < iova)
		return -EINVAL;
	for (end = first; end < c->nr_dmas && c->dmas[end].iova <= last; end++)
		;
	if (end > first && dma_last(&c->dmas[end - 1]) > last)
		return -EINVAL;
	for (size_t i = first; i < end; i++) {
		note_err(&err, unmap_unpin(c, &c->dmas[i]));
		*unmapped += c->dmas[i].size;
	}
	memmove(&c->dmas[first], &c->dmas[end],
		(c->nr_dmas - end) * sizeof(*c->dmas));
	c->nr_dmas -= end - first;
	return err;
}

int iopt_vfio_dma_unmap(struct iopt_vfio *c, uint64_t iova, uint64_t size,
			uint64_t *unmapped)
{
	if (!unmapped)
		return -EINVAL;
	*unmapped = 0;
	if (!c || !c->host)
		return -EINVAL;
	if (!size || ((iova | size) & (c->page_size - 1)) ||
	    iova + (size - 1) < iova)
		return -EINVAL;
	return unmap_dmas(c, iova, iova + (size - 1), unmapped);
}

int iopt_vfio_dma_unmap_all(struct iopt_vfio *c, uint64_t *unmapped)
{
	if (!unmapped)
		return -EINVAL;
	*unmapped = 0;
	if (!c || !c->host)
		return -EINVAL;
	return unmap_dmas(c, 0, UINT64_MAX, unmapped);
}

size_t iopt_vfio_nr_dmas(const struct iopt_vfio *c)
{
	return c ? c->nr_dmas : 0;
}

struct iopt_table *iopt_vfio_table(struct iopt_vfio *c)
{
	return c ? &c->table : NULL;
}

struct iopt_domain *iopt_vfio_domain(struct iopt_vfio *c)
{
	return c ? &c->domain : NULL;
}

void iopt_vfio_get_counters(struct iopt_vfio *c,
			    struct iopt_vfio_counters *out, bool reset)
{
	if (!c)
		return;
	if (out)
		*out = c->ctr;
	if (reset)
		memset(&c->ctr, 0, sizeof(c->ctr));
}
