// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The arena: table memory carved from one region the caller owns.
 *
 * Blocks are powers of two from 64 bytes, aligned to their size (both the
 * offset and, since phys_base is 1 MiB aligned, the physical address).
 * Allocation pops a per-size free list, else takes fresh memory from a bump
 * pointer (the alignment gap is handed to the smaller free lists, so nothing
 * is lost), else splits a larger free block: a bounded number of steps.
 * Freed blocks are not merged again; page tables use one or two sizes, so
 * that costs little and keeps free O(1). A bitmap of 64-byte units at the
 * region's end records what is live, for iopt_arena_is_free() and for
 * refusing double frees.
 */
#include "iopt_env.h"
#include <iopt/mem.h>

#define UNIT_LG2 IOPT_ARENA_MIN_LG2

/* A free block's first word links to the next one. Bit 0 stays clear so the
 * word reads as "not present" in every format, like the poison around it. */
static inline size_t link_decode(uint64_t w)
{
	return (size_t)(w >> 1);
}

static inline uint64_t link_encode(size_t off_plus_1)
{
	return (uint64_t)off_plus_1 << 1;
}

/* Set or clear the live bits of a block: whole words where it can. */
static void mark(struct iopt_arena *a, size_t off, size_t size, bool live)
{
	size_t u = off >> UNIT_LG2, end = (off + size) >> UNIT_LG2;

	while (u < end) {
		size_t n = end - u < 64 - u % 64 ? end - u : 64 - u % 64;
		uint64_t bits = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << (u % 64);

		if (live)
			a->live[u / 64] |= bits;
		else
			a->live[u / 64] &= ~bits;
		u += n;
	}
}

/* Is every unit of the block live? False for a block already freed. */
static bool block_live(const struct iopt_arena *a, size_t off, size_t size)
{
	size_t u = off >> UNIT_LG2, end = (off + size) >> UNIT_LG2;

	while (u < end) {
		size_t n = end - u < 64 - u % 64 ? end - u : 64 - u % 64;
		uint64_t bits = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << (u % 64);

		if ((a->live[u / 64] & bits) != bits)
			return false;
		u += n;
	}
	return true;
}

/* Order of the block serving @size bytes; past IOPT_ARENA_MAX_LG2 when
 * nothing can (the loop stops there, so no shift reaches the word size). */
static unsigned int order_of(size_t size)
{
	unsigned int order = UNIT_LG2;

	while (order <= IOPT_ARENA_MAX_LG2 && ((size_t)1 << order) < size)
		order++;
	return order;
}

static void push_free(struct iopt_arena *a, size_t off, unsigned int order)
{
	uint64_t *w = (uint64_t *)(a->base + off);

	/* IOPT_ARENA_POISON repeats one byte, so memset writes it. */
	if (a->poison)
		iopt_memset(w, (int)(IOPT_ARENA_POISON & 0xff), (size_t)1 << order);
	w[0] = link_encode(a->free_head[order]);
	a->free_head[order] = off + 1;
}

static bool pop_free(struct iopt_arena *a, unsigned int order, size_t *off)
{
	size_t head = a->free_head[order];

	if (!head)
		return false;
	*off = head - 1;
	a->free_head[order] = link_decode(*(uint64_t *)(a->base + *off));
	return true;
}

static bool take(struct iopt_arena *a, unsigned int order, size_t *off)
{
	size_t size = (size_t)1 << order;
	size_t aligned = (a->bump + size - 1) & ~(size - 1);

	if (pop_free(a, order, off))
		return true;
	if (aligned >= a->bump && aligned <= a->size && a->size - aligned >= size) {
		/* Hand the alignment gap to smaller lists in aligned pieces. */
		while (a->bump < aligned) {
			unsigned int o = (unsigned int)__builtin_ctzll(a->bump);

			while (a->bump + ((size_t)1 << o) > aligned)
				o--;
			push_free(a, a->bump, o);
			a->bump += (size_t)1 << o;
		}
		*off = aligned;
		a->bump = aligned + size;
		return true;
	}
	for (unsigned int o = order + 1; o <= IOPT_ARENA_MAX_LG2; o++) {
		size_t big;

		if (!pop_free(a, o, &big))
			continue;
		while (o > order) { /* keep the low half, free the high halves */
			o--;
			push_free(a, big + ((size_t)1 << o), o);
		}
		*off = big;
		return true;
	}
	return false;
}

static void *arena_alloc(void *ctx, size_t size, uint64_t *phys,
			 unsigned int flags)
{
	struct iopt_arena *a = ctx;
	unsigned int order = order_of(size);
	size_t off;

	a->attempts++;
	if (order > IOPT_ARENA_MAX_LG2 || a->attempts == a->fail_at ||
	    !take(a, order, &off)) {
		a->failures++;
		return NULL;
	}
	size = (size_t)1 << order;
	if (!(flags & IOPT_MEM_NOZERO))
		iopt_memset(a->base + off, 0, size);
	mark(a, off, size, true);
	a->used += size;
	if (a->used > a->peak)
		a->peak = a->used;
	a->allocs++;
	*phys = a->phys_base + off;
	return a->base + off;
}

/*
 * A block that is not a live allocation of this arena (outside it,
 * misaligned for its size, or already freed) is left alone: a double free
 * would otherwise put one block on a free list twice and hand it out to
 * two tables.
 */
static void arena_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct iopt_arena *a = ctx;
	unsigned int order = order_of(size);
	uintptr_t v = (uintptr_t)virt, b = (uintptr_t)a->base;
	size_t off;

	(void)phys;
	if (order > IOPT_ARENA_MAX_LG2 || v < b || v - b >= a->size)
		return;
	off = (size_t)(v - b);
	size = (size_t)1 << order;
	if ((off & (size - 1)) || size > a->size - off ||
	    !block_live(a, off, size))
		return;
	mark(a, off, size, false);
	push_free(a, off, order);
	a->used -= size;
	a->frees++;
}

static const struct iopt_mem_ops arena_ops = {
	.alloc = arena_alloc,
	.free = arena_free,
};

int iopt_arena_init(struct iopt_arena *a, void *mem, size_t size,
		    uint64_t phys_base)
{
	size_t units, words, usable;

	if (!a || !mem || (phys_base & (IOPT_ARENA_ALIGN - 1)) ||
	    ((uintptr_t)mem & 7) || size < 2 * ((size_t)1 << UNIT_LG2))
		return -EINVAL;
	/* Bitmap: one bit per unit of the part before it. */
	units = size >> UNIT_LG2;
	words = (units + 63) / 64;
	usable = (size - words * 8) & ~(((size_t)1 << UNIT_LG2) - 1);
	iopt_memset(a, 0, sizeof(*a));
	a->base = mem;
	a->phys_base = phys_base;
	a->size = usable;
	a->live = (uint64_t *)((unsigned char *)mem + usable);
	a->poison = true;
	iopt_memset(a->live, 0, words * 8);
	return 0;
}

void iopt_arena_mem(struct iopt_arena *a, struct iopt_mem *mem)
{
	if (!a || !mem)
		return;
	mem->ops = &arena_ops;
	mem->ctx = a;
	mem->linear = true;
	mem->virt_offset = (uint64_t)(uintptr_t)a->base - a->phys_base;
	mem->bound_lo = a->phys_base;
	mem->bound_size = a->size;
}

bool iopt_arena_is_free(const struct iopt_arena *a, uint64_t phys, size_t len)
{
	uint64_t off;

	if (!a || !len || phys < a->phys_base || phys - a->phys_base >= a->size)
		return false;
	off = phys - a->phys_base;
	if (len > a->size - off)
		len = (size_t)(a->size - off);
	for (uint64_t u = off >> UNIT_LG2; u <= (off + len - 1) >> UNIT_LG2; u++)
		if (!(a->live[u / 64] & (1ULL << (u % 64))))
			return true;
	return false;
}
