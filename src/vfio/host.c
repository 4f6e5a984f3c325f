// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Simulated host memory: folios of a base page, 2M and 1G; one process
 * region over it (vaddr -> host physical); a pin count per host page and
 * locked-memory accounting.
 *
 * The region is described per 2M block. A block is a hole, a 2M slice of a
 * 1G folio, a 2M folio, or a run of base-page folios whose host pages are
 * listed one by one. The layout is chosen in virtual order first (which
 * block holds which folio size); physical slots start out equal to the
 * virtual offsets and are then traded among folios of the same size, so
 * every folio stays aligned to its size and host memory is used at most
 * once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/vfio.h>

/* Kind of a 2M block, in the low bits of its chunk[] word. */
#define CHUNK_HOLE  0u
#define CHUNK_1G    1u  /* slice of a 1G folio: word = phys of the slice | kind */
#define CHUNK_2M    2u  /* 2M folio: word = phys | kind */
#define CHUNK_SMALL 3u  /* base pages: word = (index into small[]) << 2 | kind */
#define CHUNK_KIND(w) ((unsigned int)((w) & 3u))

#define CHUNKS_PER_1G (IOPT_HOST_1G / IOPT_HOST_2M)

/* splitmix64: seeds well from any value, including 0. */
static uint64_t host_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool host_chance(uint64_t *s, unsigned int pct)
{
	if (!pct)
		return false;
	return host_rand(s) % 100 < pct;
}

/* A uniform value in [0, n). */
static uint64_t host_below(uint64_t *s, uint64_t n)
{
	return host_rand(s) % n;
}

/*
 * Trade physical slots among @n folios of one size: Fisher-Yates, each swap
 * done with probability @pct. slot[] holds indices into the same slot space.
 */
static void shuffle(uint32_t *slot, uint64_t n, unsigned int pct,
		    uint64_t *s)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j;
		uint32_t tmp;

		if (!host_chance(s, pct))
			continue;
		j = host_below(s, i);
		tmp = slot[i - 1];
		slot[i - 1] = slot[j];
		slot[j] = tmp;
	}
}

static int host_check_config(const struct iopt_host_config *cfg,
			     unsigned int lg2)
{
	if (!cfg->size || (cfg->size & (IOPT_HOST_2M - 1)))
		return -EINVAL;
	if ((cfg->va_base | cfg->phys_base) & (IOPT_HOST_1G - 1))
		return -EINVAL;
	if (lg2 != 12 && lg2 != 14 && lg2 != 16)
		return -EINVAL;
	if (cfg->pct_1g > 100 || cfg->pct_2m > 100 || cfg->pct_hole > 100 ||
	    cfg->pct_frag > 100)
		return -EINVAL;
	if (cfg->va_base + (cfg->size - 1) < cfg->va_base ||
	    cfg->phys_base + (cfg->size - 1) < cfg->phys_base)
		return -EINVAL;
	if ((cfg->size >> lg2) > UINT32_MAX)
		return -EINVAL;
	return 0;
}

/* Choose, in virtual order, what each 2M block holds. */
static uint64_t host_choose_kinds(struct iopt_host *h, uint64_t *s)
{
	uint64_t nr_small = 0;

	for (uint64_t ci = 0; ci < h->nr_chunks;) {
		/* A whole gigabyte that fits in the region may be one folio. */
		if (!(ci % CHUNKS_PER_1G) && h->nr_chunks - ci >= CHUNKS_PER_1G &&
		    host_chance(s, h->cfg.pct_1g)) {
			for (uint64_t k = 0; k < CHUNKS_PER_1G; k++)
				h->chunk[ci + k] = CHUNK_1G;
			h->stats.folios_1g++;
			ci += CHUNKS_PER_1G;
			continue;
		}
		if (host_chance(s, h->cfg.pct_hole)) {
			h->chunk[ci] = CHUNK_HOLE;
			h->stats.hole_bytes += IOPT_HOST_2M;
		} else if (host_chance(s, h->cfg.pct_2m)) {
			h->chunk[ci] = CHUNK_2M;
			h->stats.folios_2m++;
		} else {
			h->chunk[ci] = CHUNK_SMALL;
			nr_small++;
		}
		ci++;
	}
	return nr_small;
}

/*
 * Give every folio a physical slot. Slots start as the virtual offsets and
 * are traded among folios of one size. Every slot index fits 32 bits: there
 * are fewer 2M blocks than host pages, at most UINT32_MAX of them.
 */
static int host_place(struct iopt_host *h, uint64_t nr_small, uint64_t *s)
{
	uint64_t ppc = IOPT_HOST_2M / h->page_size; /* pages per 2M block */
	uint64_t n1g = 0, n2m = 0, nsp = 0;
	uint32_t *slots;
	unsigned int lg2 = h->cfg.page_lg2;

	slots = malloc(sizeof(*slots) * (h->nr_chunks ? h->nr_chunks : 1));
	if (!slots)
		return -ENOMEM;
	if (nr_small) {
		h->small = malloc(sizeof(*h->small) * nr_small * ppc);
		if (!h->small) {
			free(slots);
			return -ENOMEM;
		}
	}

	/* 1G folios: slot = index of the gigabyte. */
	for (uint64_t ci = 0; ci < h->nr_chunks; ci += CHUNKS_PER_1G)
		if (CHUNK_KIND(h->chunk[ci]) == CHUNK_1G)
			slots[n1g++] = (uint32_t)(ci / CHUNKS_PER_1G);
	shuffle(slots, n1g, h->cfg.pct_frag, s);
	n1g = 0;
	for (uint64_t ci = 0; ci < h->nr_chunks; ci += CHUNKS_PER_1G) {
		uint64_t base;

		if (CHUNK_KIND(h->chunk[ci]) != CHUNK_1G)
			continue;
		base = h->cfg.phys_base + slots[n1g++] * IOPT_HOST_1G;
		for (uint64_t k = 0; k < CHUNKS_PER_1G; k++)
			h->chunk[ci + k] = (base + k * IOPT_HOST_2M) | CHUNK_1G;
	}

	/* 2M folios: slot = index of the 2M block. */
	for (uint64_t ci = 0; ci < h->nr_chunks; ci++)
		if (CHUNK_KIND(h->chunk[ci]) == CHUNK_2M)
			slots[n2m++] = (uint32_t)ci;
	shuffle(slots, n2m, h->cfg.pct_frag, s);
	n2m = 0;
	for (uint64_t ci = 0; ci < h->nr_chunks; ci++)
		if (CHUNK_KIND(h->chunk[ci]) == CHUNK_2M)
			h->chunk[ci] = (h->cfg.phys_base +
					slots[n2m++] * IOPT_HOST_2M) | CHUNK_2M;
	free(slots);

	/* Base pages: slot = host page index, listed per block. */
	for (uint64_t ci = 0; ci < h->nr_chunks; ci++) {
		if (CHUNK_KIND(h->chunk[ci]) != CHUNK_SMALL)
			continue;
		h->chunk[ci] = (nsp << 2) | CHUNK_SMALL;
		for (uint64_t k = 0; k < ppc; k++)
			h->small[nsp + k] = (uint32_t)(((ci * IOPT_HOST_2M) >> lg2) + k);
		nsp += ppc;
	}
	shuffle(h->small, nsp, h->cfg.pct_frag, s);
	h->stats.folios_page = nsp;
	return 0;
}

int iopt_host_init(struct iopt_host *h, const struct iopt_host_config *cfg)
{
	uint64_t s, nr_small;
	unsigned int lg2;
	int ret;

	if (!h || !cfg)
		return -EINVAL;
	lg2 = cfg->page_lg2 ? cfg->page_lg2 : 12;
	ret = host_check_config(cfg, lg2);
	if (ret)
		return ret;
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	h->cfg.page_lg2 = lg2;
	h->page_size = 1ULL << lg2;
	h->nr_pages = cfg->size >> lg2;
	h->nr_chunks = cfg->size / IOPT_HOST_2M;
	h->chunk = malloc(sizeof(*h->chunk) * h->nr_chunks);
	h->pincount = calloc(h->nr_pages, sizeof(*h->pincount));
	h->blk_count = calloc(h->nr_chunks, sizeof(*h->blk_count));
	h->blk_mixed = calloc(h->nr_chunks, sizeof(*h->blk_mixed));
	h->nr_gigs = (h->nr_chunks + CHUNKS_PER_1G - 1) / CHUNKS_PER_1G;
	h->gig_count = calloc(h->nr_gigs, sizeof(*h->gig_count));
	h->gig_mixed = calloc(h->nr_gigs, sizeof(*h->gig_mixed));
	if (!h->chunk || !h->pincount || !h->blk_count || !h->blk_mixed ||
	    !h->gig_count || !h->gig_mixed) {
		ret = -ENOMEM;
		goto fail;
	}
	/* A gigabyte the region ends inside keeps per-2M counts from the
	 * start (gig_join() would look past the region). */
	if (h->nr_chunks % CHUNKS_PER_1G)
		h->gig_mixed[h->nr_gigs - 1] = 1;
	s = cfg->seed;
	nr_small = host_choose_kinds(h, &s);
	ret = host_place(h, nr_small, &s);
	if (ret)
		goto fail;
	return 0;
fail:
	free(h->chunk);
	free(h->pincount);
	free(h->blk_count);
	free(h->blk_mixed);
	free(h->gig_count);
	free(h->gig_mixed);
	free(h->small);
	memset(h, 0, sizeof(*h));
	return ret;
}

void iopt_host_fini(struct iopt_host *h)
{
	if (!h)
		return;
	free(h->chunk);
	free(h->small);
	free(h->pincount);
	free(h->blk_count);
	free(h->blk_mixed);
	free(h->gig_count);
	free(h->gig_mixed);
	memset(h, 0, sizeof(*h));
}

uint64_t iopt_host_page_size(const struct iopt_host *h)
{
	return h ? h->page_size : 0;
}

int iopt_host_translate(const struct iopt_host *h, uint64_t vaddr,
			uint64_t *phys, uint64_t *contig, uint64_t *folio)
{
	uint64_t off, in2m, w, p, c, f;

	if (!h || !phys || !h->chunk)
		return -EINVAL;
	off = vaddr - h->cfg.va_base;
	if (vaddr < h->cfg.va_base || off >= h->cfg.size)
		return -EFAULT;
	w = h->chunk[off / IOPT_HOST_2M];
	in2m = off & (IOPT_HOST_2M - 1);
	switch (CHUNK_KIND(w)) {
	case CHUNK_1G:
		p = (w & ~3ULL) + in2m;
		f = IOPT_HOST_1G;
		c = f - (off & (IOPT_HOST_1G - 1));
		break;
	case CHUNK_2M:
		p = (w & ~3ULL) + in2m;
		f = IOPT_HOST_2M;
		c = f - in2m;
		break;
	case CHUNK_SMALL:
		p = h->cfg.phys_base +
		    ((uint64_t)h->small[(w >> 2) + (in2m >> h->cfg.page_lg2)]
		     << h->cfg.page_lg2) + (off & (h->page_size - 1));
		f = h->page_size;
		c = f - (off & (h->page_size - 1));
		break;
	default:
		return -EFAULT;
	}
	*phys = p;
	if (contig)
		*contig = c;
	if (folio)
		*folio = f;
	return 0;
}

/* Index of the first page of [phys, phys + n pages), or -EINVAL. */
static int host_page_range(const struct iopt_host *h, uint64_t phys,
			   uint64_t npages, uint64_t *first)
{
	uint64_t idx;

	if (!h || !h->pincount || !npages || (phys & (h->page_size - 1)) ||
	    phys < h->cfg.phys_base)
		return -EINVAL;
	idx = (phys - h->cfg.phys_base) >> h->cfg.page_lg2;
	if (idx >= h->nr_pages || npages > h->nr_pages - idx)
		return -EINVAL;
	*first = idx;
	return 0;
}

/*
 * Pin counts, kept at three grains: a physical 1G block keeps one count
 * for all its pages while they agree (gig_mixed[g] == 0: gig_count[g]),
 * else each of its 2M blocks does (blk_mixed[b] == 0: blk_count[b]), else
 * each page (pincount[]). So pinning or unpinning a whole 1G or 2M folio
 * is one step, as Linux's folio refcount is for large folios since 6.17,
 * while partial ones keep exact per-page counts. A grain splits when an
 * operation covers part of it and joins again when an operation that
 * covered it whole leaves its parts equal.
 */
static inline uint64_t pages_per_blk(const struct iopt_host *h)
{
	return IOPT_HOST_2M >> h->cfg.page_lg2;
}

static inline uint64_t pages_per_gig(const struct iopt_host *h)
{
	return IOPT_HOST_1G >> h->cfg.page_lg2;
}

static inline uint32_t page_count(const struct iopt_host *h, uint64_t idx)
{
	uint64_t g = idx / pages_per_gig(h), b = idx / pages_per_blk(h);

	if (!h->gig_mixed[g])
		return h->gig_count[g];
	return h->blk_mixed[b] ? h->pincount[idx] : h->blk_count[b];
}

/* Give 1G block @g per-2M counts (their current ones). */
static void gig_split(struct iopt_host *h, uint64_t g)
{
	uint64_t first = g * CHUNKS_PER_1G, end = first + CHUNKS_PER_1G;

	if (h->gig_mixed[g])
		return;
	if (end > h->nr_chunks)
		end = h->nr_chunks;
	for (uint64_t b = first; b < end; b++) {
		h->blk_count[b] = h->gig_count[g];
		h->blk_mixed[b] = 0;
	}
	h->gig_mixed[g] = 1;
}

/* Give 2M block @b per-page counts (its 1G block already split). */
static void blk_split(struct iopt_host *h, uint64_t b)
{
	uint64_t ppb = pages_per_blk(h);

	if (h->blk_mixed[b])
		return;
	for (uint64_t i = 0; i < ppb; i++)
		h->pincount[b * ppb + i] = h->blk_count[b];
	h->blk_mixed[b] = 1;
}

/* Back to one count if every page of block @b has the same again. */
static void blk_join(struct iopt_host *h, uint64_t b)
{
	uint64_t ppb = pages_per_blk(h);
	const uint32_t *pc = h->pincount + b * ppb;

	for (uint64_t i = 1; i < ppb; i++)
		if (pc[i] != pc[0])
			return;
	h->blk_count[b] = pc[0];
	h->blk_mixed[b] = 0;
}

/* The same for a whole 1G block @g. */
static void gig_join(struct iopt_host *h, uint64_t g)
{
	uint64_t first = g * CHUNKS_PER_1G;

	for (uint64_t b = first; b < first + CHUNKS_PER_1G; b++)
		if (h->blk_mixed[b] || h->blk_count[b] != h->blk_count[first])
			return;
	h->gig_count[g] = h->blk_count[first];
	h->gig_mixed[g] = 0;
}

/*
 * One pin more (@pin) or one less on each page of [first, end) (page
 * indices) inside 1G block @g, or only checking (@apply false): -EOVERFLOW
 * or -ENOENT where a count is at its limit. Adds to *@flipped the pages
 * whose count goes from @last.
 */
static int gig_step(struct iopt_host *h, uint64_t g, uint64_t first,
		    uint64_t end, uint32_t step, uint32_t limit, uint32_t last,
		    bool apply, uint64_t *flipped)
{
	const uint64_t ppb = pages_per_blk(h), ppg = pages_per_gig(h);
	const bool whole_gig = first == g * ppg && end == (g + 1) * ppg;
	const int err = step == 1 ? -EOVERFLOW : -ENOENT;

	if (whole_gig && !h->gig_mixed[g]) {
		if (!apply)
			return h->gig_count[g] == limit ? err : 0;
		*flipped += h->gig_count[g] == last ? ppg : 0;
		h->gig_count[g] += step;
		return 0;
	}
	if (apply)
		gig_split(h, g);
	for (uint64_t i = first; i < end;) {
		uint64_t b = i / ppb, stop = (b + 1) * ppb;
		bool whole = i == b * ppb && stop <= end;

		if (stop > end)
			stop = end;
		if (whole && !h->blk_mixed[b]) {
			uint32_t n = page_count(h, i);

			if (!apply && n == limit)
				return err;
			if (apply) {
				*flipped += n == last ? ppb : 0;
				h->blk_count[b] += step;
			}
			i = stop;
			continue;
		}
		if (apply)
			blk_split(h, b);
		for (; i < stop; i++) {
			if (!apply && page_count(h, i) == limit)
				return err;
			if (apply) {
				*flipped += h->pincount[i] == last;
				h->pincount[i] += step;
			}
		}
		if (apply && whole)
			blk_join(h, b);
	}
	if (apply && whole_gig)
		gig_join(h, g);
	return 0;
}

/*
 * One pin more (@pin) or one less on each page of [phys, phys + n pages),
 * all or nothing: a count already at its limit (2^32 - 1, or 0) gives
 * -EOVERFLOW, or -ENOENT, and nothing changes (a first pass checks, a
 * second applies). *@flipped: the pages that went from no pin to one, or
 * from one to none.
 */
static int host_pin_step(struct iopt_host *h, uint64_t phys, uint64_t npages,
			 bool pin, uint64_t *flipped)
{
	const uint32_t step = pin ? 1 : UINT32_MAX;  /* +1 or -1, mod 2^32 */
	const uint32_t limit = pin ? UINT32_MAX : 0;
	const uint32_t last = pin ? 0 : 1;           /* a count that flips */
	uint64_t first, end, ppg, ppb;
	int ret = host_page_range(h, phys, npages, &first);

	if (ret)
		return ret;
	ppg = pages_per_gig(h);
	ppb = pages_per_blk(h);
	/* A folio's worth: one whole 1G or 2M block under one count is
	 * checked and changed in place (the usual unpin of a large folio). */
	if ((npages == ppg || npages == ppb) && !(first & (npages - 1))) {
		uint64_t g = first / ppg, b = first / ppb;
		uint32_t *n = NULL;

		if (!h->gig_mixed[g])
			n = npages == ppg ? &h->gig_count[g] : NULL;
		else if (!h->blk_mixed[b])
			n = npages == ppb ? &h->blk_count[b] : NULL;
		if (n) {
			if (*n == limit)
				return step == 1 ? -EOVERFLOW : -ENOENT;
			*flipped = *n == last ? npages : 0;
			*n += step;
			return 0;
		}
	}
	end = first + npages;
	for (int apply = 0; apply < 2; apply++) {
		*flipped = 0;
		for (uint64_t i = first; i < end;) {
			uint64_t g = i / ppg, stop = (g + 1) * ppg;

			if (stop > end)
				stop = end;
			ret = gig_step(h, g, i, stop, step, limit, last, apply,
				       flipped);
			if (ret)
				return ret;
			i = stop;
		}
	}
	return 0;
}

int iopt_host_pin(struct iopt_host *h, uint64_t phys, uint64_t npages)
{
	uint64_t fresh;
	int ret = host_pin_step(h, phys, npages, true, &fresh);

	if (ret)
		return ret;
	h->stats.pins += npages;
	h->stats.pinned_pages += fresh;
	h->stats.pin_calls++;
	return 0;
}

int iopt_host_unpin(struct iopt_host *h, uint64_t phys, uint64_t npages)
{
	uint64_t gone;
	int ret = host_pin_step(h, phys, npages, false, &gone);

	if (ret == -ENOENT)
		h->stats.bad_unpins++;
	if (ret)
		return ret;
	h->stats.pins -= npages;
	h->stats.pinned_pages -= gone;
	h->stats.unpin_calls++;
	return 0;
}

uint32_t iopt_host_pincount(const struct iopt_host *h, uint64_t phys)
{
	uint64_t idx;

	if (!h || !h->pincount || phys < h->cfg.phys_base)
		return 0;
	idx = (phys - h->cfg.phys_base) >> h->cfg.page_lg2;
	return idx < h->nr_pages ? page_count(h, idx) : 0;
}

uint64_t iopt_host_pin_digest(const struct iopt_host *h)
{
	uint64_t d = 0x6a09e667f3bcc909ULL;

	if (!h || !h->pincount)
		return 0;
	for (uint64_t i = 0; i < h->nr_pages; i++) {
		uint64_t x;

		uint32_t n = page_count(h, i);

		if (!n)
			continue;
		/* Mix (page, count) pairs; order-dependent on purpose. */
		x = (i << 32 | n) * 0x9e3779b97f4a7c15ULL;
		d = (d ^ (x ^ (x >> 29))) * 0xbf58476d1ce4e5b9ULL;
	}
	return d ^ h->stats.pins;
}

int iopt_host_lock_acct(struct iopt_host *h, int64_t npages)
{
	uint64_t limit;

	if (!h)
		return -EINVAL;
	if (npages < 0) {
		uint64_t back = (uint64_t)-(npages + 1) + 1;

		if (back > h->stats.locked_vm)
			return -EINVAL;
		h->stats.locked_vm -= back;
		return 0;
	}
	limit = h->cfg.lock_limit >> h->cfg.page_lg2;
	if (h->cfg.lock_limit &&
	    (uint64_t)npages > limit - (h->stats.locked_vm < limit ?
					h->stats.locked_vm : limit)) {
		h->stats.lock_failures++;
		return -ENOMEM;
	}
	h->stats.locked_vm += (uint64_t)npages;
	if (h->stats.locked_vm > h->stats.locked_peak)
		h->stats.locked_peak = h->stats.locked_vm;
	return 0;
}

void iopt_host_get_stats(const struct iopt_host *h,
			 struct iopt_host_stats *out)
{
	if (h && out)
		*out = h->stats;
}
