// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Reference model of a page table's mappings: see model.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_init(struct model *m, uint64_t pgsize_bitmap)
{
	m->leaf = NULL;
	m->nr = 0;
	m->cap = 0;
	m->pgsize_bitmap = pgsize_bitmap;
}

void model_free(struct model *m)
{
	free(m->leaf);
	m->leaf = NULL;
	m->nr = 0;
	m->cap = 0;
}

void model_clear(struct model *m)
{
	m->nr = 0;
}

static unsigned int fls64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

uint64_t model_range_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			    uint64_t remaining)
{
	uint64_t mask = bitmap;
	uint64_t both = iova | paddr;
	unsigned int top;

	if (!remaining)
		return 0;
	if (both) {
		/* sizes up to the lowest set bit of either address */
		uint64_t low = both & -both;

		mask &= low | (low - 1);
	}
	top = fls64(remaining);
	if (top < 63)
		mask &= (2ULL << top) - 1;
	if (!mask)
		return 0;
	return 1ULL << fls64(mask);
}

size_t model_range_count(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			 uint64_t size, size_t limit)
{
	size_t n = 0;

	while (size) {
		uint64_t s = model_range_pgsize(bitmap, iova, paddr, size);

		if (!s)
			return SIZE_MAX;
		if (n == limit)
			return limit + 1;
		n++;
		iova += s;
		paddr += s;
		size -= s;
	}
	return n;
}

bool model_range_boundary(uint64_t bitmap, uint64_t iova, uint64_t paddr,
			  uint64_t size, uint64_t prefix)
{
	uint64_t done = 0;

	if (prefix > size)
		return false;
	while (done < prefix) {
		uint64_t s = model_range_pgsize(bitmap, iova + done,
						paddr + done, size - done);

		if (!s)
			return false;
		done += s;
	}
	return done == prefix;
}

size_t model_first(const struct model *m, uint64_t iova)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->leaf[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool model_overlaps(const struct model *m, uint64_t iova, uint64_t last)
{
	size_t i = model_first(m, iova);

	return i < m->nr && m->leaf[i].iova <= last;
}

const struct model_leaf *model_lookup(const struct model *m, uint64_t iova)
{
	size_t i = model_first(m, iova);

	if (i < m->nr && m->leaf[i].iova <= iova)
		return &m->leaf[i];
	return NULL;
}

/* Open a gap of @n leaves at index @at; returns the gap or NULL (no memory). */
static struct model_leaf *make_room(struct model *m, size_t at, size_t n)
{
	if (m->nr + n > m->cap) {
		size_t cap = m->cap ? m->cap : 64;
		struct model_leaf *nl;

		while (cap < m->nr + n)
			cap *= 2;
		nl = realloc(m->leaf, cap * sizeof(*nl));
		if (!nl)
			return NULL;
		m->leaf = nl;
		m->cap = cap;
	}
	if (at < m->nr)
		memmove(&m->leaf[at + n], &m->leaf[at],
			(m->nr - at) * sizeof(m->leaf[0]));
	m->nr += n;
	return &m->leaf[at];
}

int model_map_pages(struct model *m, uint64_t iova, uint64_t paddr,
		    uint64_t pgsize, uint64_t pgcount, unsigned int prot)
{
	uint64_t last = iova + (pgsize * pgcount - 1);
	size_t at = model_first(m, iova);
	struct model_leaf *l;

	if (at < m->nr && m->leaf[at].iova <= last)
		return -EEXIST;
	l = make_room(m, at, (size_t)pgcount);
	if (!l)
		return -ENOMEM;
	for (uint64_t i = 0; i < pgcount; i++, l++) {
		l->iova = iova + i * pgsize;
		l->last = l->iova + (pgsize - 1);
		l->paddr = paddr + i * pgsize;
		l->prot = prot;
	}
	return 0;
}

int model_map_range(struct model *m, uint64_t iova, uint64_t paddr,
		    uint64_t size, unsigned int prot)
{
	size_t n = model_range_count(m->pgsize_bitmap, iova, paddr, size,
				     SIZE_MAX - 1);
	size_t at = model_first(m, iova);
	struct model_leaf *l;

	if (n == SIZE_MAX || !size)
		return -EINVAL;
	if (at < m->nr && m->leaf[at].iova <= iova + (size - 1))
		return -EEXIST;
	l = make_room(m, at, n);
	if (!l)
		return -ENOMEM;
	while (size) {
		uint64_t s = model_range_pgsize(m->pgsize_bitmap, iova, paddr,
						size);

		l->iova = iova;
		l->last = iova + (s - 1);
		l->paddr = paddr;
		l->prot = prot;
		l++;
		iova += s;
		paddr += s;
		size -= s;
	}
	return 0;
}

int model_unmap(struct model *m, uint64_t iova, uint64_t last,
		unsigned int flags, uint64_t *unmapped, bool *both,
		void (*removed)(void *arg, const struct model_leaf *l),
		void *arg)
{
	size_t lo = model_first(m, iova), hi = lo;
	bool split = false, hole = false;
	uint64_t next = iova, sum = 0;

	*unmapped = 0;
	if (both)
		*both = false;
	while (hi < m->nr && m->leaf[hi].iova <= last) {
		const struct model_leaf *l = &m->leaf[hi];

		if (l->iova < iova || l->last > last)
			split = true;
		if (l->iova > next)
			hole = true;
		next = l->last + 1; /* wraps to 0 only after the last leaf */
		sum += model_leaf_size(l);
		hi++;
	}
	/* The tail hole: nothing reached @last. */
	if (hi == lo || (m->leaf[hi - 1].last < last))
		hole = true;
	if (!(flags & MODEL_NO_HOLES))
		hole = false;
	if (split && hole && both)
		*both = true;
	if (split)
		return -EXDEV;
	if (hole)
		return -ENOENT;
	if (removed)
		for (size_t i = lo; i < hi; i++)
			removed(arg, &m->leaf[i]);
	if (hi < m->nr)
		memmove(&m->leaf[lo], &m->leaf[hi],
			(m->nr - hi) * sizeof(m->leaf[0]));
	m->nr -= hi - lo;
	*unmapped = sum;
	return 0;
}

int model_for_each_extent(const struct model *m, uint64_t iova, uint64_t last,
			  int (*fn)(void *arg, uint64_t iova, uint64_t phys,
				    uint64_t length, unsigned int prot),
			  void *arg)
{
	size_t i = model_first(m, iova);

	while (i < m->nr && m->leaf[i].iova <= last) {
		const struct model_leaf *l = &m->leaf[i];
		uint64_t start = l->iova < iova ? iova : l->iova;
		uint64_t phys = l->paddr + (start - l->iova);
		uint64_t end = l->last; /* inclusive end of the run so far */
		unsigned int prot = l->prot;
		uint64_t pend = l->paddr + (l->last - l->iova); /* last phys */
		int ret;

		i++;
		while (end < last && i < m->nr) {
			const struct model_leaf *n = &m->leaf[i];

			if (n->iova != end + 1 || n->prot != prot ||
			    pend == UINT64_MAX || n->paddr != pend + 1)
				break;
			end = n->last;
			pend = n->paddr + (n->last - n->iova);
			i++;
		}
		if (end > last)
			end = last;
		ret = fn(arg, start, phys, end - start + 1, prot);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t model_mapped_bytes(const struct model *m, uint64_t iova,
			    uint64_t last)
{
	uint64_t sum = 0;

	for (size_t i = model_first(m, iova);
	     i < m->nr && m->leaf[i].iova <= last; i++) {
		const struct model_leaf *l = &m->leaf[i];
		uint64_t s = l->iova < iova ? iova : l->iova;
		uint64_t e = l->last > last ? last : l->last;

		sum += e - s + 1;
	}
	return sum;
}

int model_ext_add(void *arg, uint64_t iova, uint64_t phys, uint64_t len,
		  unsigned int prot)
{
	struct model_ext_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct model_ext *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct model_ext){ iova, phys, len, prot };
	return 0;
}

void model_ext_free(struct model_ext_list *l)
{
	free(l->v);
	*l = (struct model_ext_list){ 0 };
}

static int model_range_cmp(const void *a, const void *b)
{
	const struct model_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

void model_ranges_sort(struct model_range *r, size_t n)
{
	if (n)
		qsort(r, n, sizeof(*r), model_range_cmp);
}

bool model_ranges_cover(const struct model_range *r, size_t n, uint64_t iova,
			uint64_t last, unsigned int lg2)
{
	uint64_t next = iova;

	for (size_t i = 0; i < n; i++) {
		if (r[i].lg2 > lg2 || r[i].last < next)
			continue;
		if (r[i].iova > next)
			return false;
		if (r[i].last >= last)
			return true;
		next = r[i].last + 1;
	}
	return false;
}
