// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The arena: table memory carved from one region the caller owns.
 *
 * A buddy allocator over physical addresses: a block of order o starts at a
 * physical address that is a multiple of 2^o (phys_base is only 1 MiB
 * aligned, so larger blocks are placed by phys_base + offset, not by
 * offset), and its buddy is the block at phys ^ 2^o. Allocation takes the
 * smallest free block that is large enough and splits it, else fresh memory
 * from a bump pointer (the alignment gap goes to the free lists). A free
 * merges the block with its buddy for as long as the buddy is free.
 *
 * Table memory is writable by anyone holding a stale entry, so nothing in it
 * is trusted. What is trusted is the metadata at the region's end (outside
 * the engine's bound) and the list heads in struct iopt_arena: per 64-byte
 * unit, a byte says whether a free or a live block of which order starts
 * there. A free block's first words are its doubly linked list links and a
 * keyed check word over them; every link is followed only when its target
 * unit is recorded free with that order and its check word matches, and is
 * written only then. So a damaged link costs at most the rest of its list.
 *
 * Concurrency: alloc, free and set_label hold a spinlock; label_of,
 * iopt_arena_is_free() and the engine's reads of the labels array do not,
 * so every metadata word they read is written with relaxed atomic stores.
 * New blocks are zeroed after the lock is dropped.
 */
#include "iopt_env.h"
#include <iopt/mem.h>

#define UNIT_LG2 IOPT_ARENA_MIN_LG2
#define MAX_ORDER IOPT_ARENA_MAX_LG2

/* blocks[unit]: the order of a block starting there, and its state. */
#define BLK_FREE 0x80
#define BLK_LIVE 0x40

/* Bits [1:0] of both 32-bit halves: what every format reads as "present". */
#define LINK_HOLES 0x0000000300000003ULL
#define LINK_MASK ((1ULL << 60) - 1)

/* A free block's header: links are unit + 1 (0: none) in link words. */
struct hdr {
	uint64_t next, prev;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void arena_lock(struct iopt_arena *a)
{
	while (__atomic_exchange_n(&a->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&a->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void arena_unlock(struct iopt_arena *a)
{
	__atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

static inline unsigned char blk_get(const struct iopt_arena *a, uint64_t u)
{
	return __atomic_load_n(&a->blocks[u], __ATOMIC_RELAXED);
}

static inline void blk_set(struct iopt_arena *a, uint64_t u, unsigned char v)
{
	__atomic_store_n(&a->blocks[u], v, __ATOMIC_RELAXED);
}

static inline void label_set(struct iopt_arena *a, uint64_t u, uint32_t v)
{
	__atomic_store_n(&a->labels[u], v, __ATOMIC_RELAXED);
}

/* 60 bits spread over a word so that the bits of LINK_HOLES stay clear. */
static inline uint64_t link_word(uint64_t v)
{
	return iopt_le64(((v & 0x3fffffff) << 2) |
			 (((v >> 30) & 0x3fffffff) << 34));
}

static inline bool link_value(uint64_t w, uint64_t *v)
{
	w = iopt_le64(w);
	*v = ((w >> 2) & 0x3fffffff) | (((w >> 34) & 0x3fffffff) << 30);
	return !(w & LINK_HOLES);
}

/* The check word binds a header to its place, its order and this arena. */
static uint64_t link_check(const struct iopt_arena *a, uint64_t u,
			   unsigned int order, const struct hdr *h)
{
	uint64_t x = a->link_key ^ (u * 0x9e3779b97f4a7c15ULL) ^
		     (h->next * 0xc2b2ae3d27d4eb4fULL) ^
		     (h->prev * 0x165667b19e3779f9ULL) ^ order;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x & LINK_MASK;
}

static void hdr_write(struct iopt_arena *a, uint64_t u, unsigned int order,
		      const struct hdr *h)
{
	uint64_t *w = (uint64_t *)(void *)(a->base + (u << UNIT_LG2));

	w[0] = link_word(h->next);
	w[1] = link_word(h->prev);
	w[2] = link_word(link_check(a, u, order, h));
}

/*
 * Is unit + 1 @ref the start of a free block of @order with an intact
 * header? The metadata is checked first, so a header is read only in free
 * memory (never in a live block, which its owner may be writing).
 */
static bool free_block(const struct iopt_arena *a, uint64_t ref,
		       unsigned int order, struct hdr *h)
{
	uint64_t u = ref - 1, off = u << UNIT_LG2, check;
	const uint64_t *w;

	if (!ref || u >= a->size >> UNIT_LG2 ||
	    ((a->phys_base + off) & (((uint64_t)1 << order) - 1)) ||
	    blk_get(a, u) != (BLK_FREE | order))
		return false;
	w = (const uint64_t *)(const void *)(a->base + off);
	return link_value(w[0], &h->next) && link_value(w[1], &h->prev) &&
	       link_value(w[2], &check) && check == link_check(a, u, order, h);
}

static void set_head(struct iopt_arena *a, unsigned int order, uint64_t ref)
{
	a->free_head[order] = ref;
	if (ref)
		a->free_mask |= 1u << order;
	else
		a->free_mask &= ~(1u << order);
}

/* A damaged link: what it leads to is lost, never handed out. */
static void corrupt(struct iopt_arena *a, unsigned int order)
{
	a->corrupt_links++;
	set_head(a, order, 0);
}

/* The successor of head @u, checked; the list ends there if it is bad. */
static void advance_head(struct iopt_arena *a, unsigned int order, uint64_t u,
			 const struct hdr *h)
{
	struct hdr n;

	if (h->next && !(free_block(a, h->next, order, &n) && n.prev == u + 1))
		corrupt(a, order);
	else
		set_head(a, order, h->next);
}

/* Put free block @u on its list (no merging). The head's prev is left
 * stale, so taking the head writes nothing into free memory. */
static void push(struct iopt_arena *a, uint64_t u, unsigned int order)
{
	uint64_t head = a->free_head[order];
	struct hdr h = { head, 0 }, old;

	if (head) {
		if (free_block(a, head, order, &old)) {
			old.prev = u + 1;
			hdr_write(a, head - 1, order, &old);
		} else {
			corrupt(a, order);
			h.next = 0;
		}
	}
	blk_set(a, u, BLK_FREE | order);
	hdr_write(a, u, order, &h);
	set_head(a, order, u + 1);
}

/* Take the head of list @order, recorded free there (its header may be
 * damaged: then only the rest of the list is lost). */
static bool pop(struct iopt_arena *a, unsigned int order, uint64_t *u)
{
	uint64_t head = a->free_head[order];
	struct hdr h;

	if (!head)
		return false;
	*u = head - 1;
	if (blk_get(a, *u) != (BLK_FREE | order)) { /* cannot happen */
		corrupt(a, order);
		return false;
	}
	if (free_block(a, head, order, &h))
		advance_head(a, order, *u, &h);
	else
		corrupt(a, order);
	blk_set(a, *u, 0);
	return true;
}

/*
 * Take free block @u (recorded free with @order) off its list to merge it.
 * Neighbours are patched only when their links check out; whatever does not
 * is left to be found damaged when it is followed.
 */
static void unlink_block(struct iopt_arena *a, uint64_t u, unsigned int order)
{
	struct hdr h, p, n;

	if (!free_block(a, u + 1, order, &h)) {
		a->corrupt_links++;
	} else if (a->free_head[order] == u + 1) {
		advance_head(a, order, u, &h);
	} else {
		bool p_ok = h.prev && free_block(a, h.prev, order, &p) &&
			    p.next == u + 1;
		bool n_ok = h.next && free_block(a, h.next, order, &n) &&
			    n.prev == u + 1;

		if (p_ok) {
			p.next = n_ok ? h.next : 0;
			hdr_write(a, h.prev - 1, order, &p);
		}
		if (n_ok) {
			n.prev = p_ok ? h.prev : 0;
			hdr_write(a, h.next - 1, order, &n);
		}
		if ((h.prev && !p_ok) || (h.next && !n_ok))
			a->corrupt_links++;
	}
	blk_set(a, u, 0);
}

static void poison_range(struct iopt_arena *a, uint64_t off, size_t len)
{
	/* IOPT_ARENA_POISON repeats one byte, so memset writes it. */
	if (a->poison)
		iopt_memset(a->base + off, (int)(IOPT_ARENA_POISON & 0xff), len);
}

/* Free block at @off of @order (already poisoned): merge, then list it. */
static void release(struct iopt_arena *a, uint64_t off, unsigned int order)
{
	while (order < MAX_ORDER) {
		uint64_t size = (uint64_t)1 << order;
		uint64_t buddy = ((a->phys_base + off) ^ size) - a->phys_base;

		if (buddy >= a->size || size > a->size - buddy ||
		    blk_get(a, buddy >> UNIT_LG2) != (BLK_FREE | order))
			break;
		unlink_block(a, buddy >> UNIT_LG2, order);
		/* the upper header is inside the merged block now */
		poison_range(a, off > buddy ? off : buddy, IOPT_ARENA_LINK_BYTES);
		if (buddy < off)
			off = buddy;
		order++;
	}
	push(a, off >> UNIT_LG2, order);
}

/* Set or clear the live bits of a block: whole words where it can. */
static void mark(struct iopt_arena *a, uint64_t off, size_t size, bool live)
{
	uint64_t u = off >> UNIT_LG2, end = (off + size) >> UNIT_LG2;

	while (u < end) {
		uint64_t n = end - u < 64 - u % 64 ? end - u : 64 - u % 64;
		uint64_t bits = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << (u % 64);
		uint64_t w = __atomic_load_n(&a->live[u / 64], __ATOMIC_RELAXED);

		w = live ? w | bits : w & ~bits;
		__atomic_store_n(&a->live[u / 64], w, __ATOMIC_RELAXED);
		u += n;
	}
}

/* Order of the block serving @size bytes; MAX_ORDER + 1 when none can. */
static unsigned int order_of(size_t size)
{
	unsigned int order;

	if (size <= ((size_t)1 << UNIT_LG2))
		return UNIT_LG2;
	order = 64 - (unsigned int)__builtin_clzll((unsigned long long)size - 1);
	return order > MAX_ORDER ? MAX_ORDER + 1 : order;
}

/*
 * The aligned block that the bump pointer cuts, when all of it below the
 * pointer is free: free blocks cannot merge with never-used memory, so
 * without this the memory just below the pointer would never be part of a
 * block larger than its pieces again.
 */
static bool reclaim_frontier(struct iopt_arena *a, unsigned int order,
			     uint64_t *off)
{
	uint64_t size = (uint64_t)1 << order;
	uint64_t back = (a->phys_base + a->bump) & (size - 1);
	uint64_t start = a->bump - back, q;
	unsigned int pieces = 0;

	if (!back || back > a->bump || size > a->size - start)
		return false;
	for (q = start; q < a->bump; q += (uint64_t)1 << (blk_get(a, q >> UNIT_LG2) & 0x3f))
		if (!(blk_get(a, q >> UNIT_LG2) & BLK_FREE) ||
		    ++pieces > 2 * MAX_ORDER)
			return false;
	for (q = start; q < a->bump; ) {
		unsigned int k = blk_get(a, q >> UNIT_LG2) & 0x3f;

		unlink_block(a, q >> UNIT_LG2, k);
		poison_range(a, q, IOPT_ARENA_LINK_BYTES);
		q += (uint64_t)1 << k;
	}
	*off = start;
	a->bump = start + size;
	return true;
}

/* Fresh memory past the bump pointer, aligned physically. */
static bool carve(struct iopt_arena *a, unsigned int order, uint64_t *off)
{
	uint64_t size = (uint64_t)1 << order;
	uint64_t gap = (0 - (a->phys_base + a->bump)) & (size - 1);
	uint64_t at = a->bump + gap;

	if (reclaim_frontier(a, order, off))
		return true;
	if (gap > a->size - a->bump || size > a->size - at)
		return false;
	/* Hand the gap to the free lists in aligned pieces. */
	while (a->bump < at) {
		uint64_t phys = a->phys_base + a->bump;
		unsigned int o = phys ? (unsigned int)__builtin_ctzll(phys) : MAX_ORDER;

		if (o > MAX_ORDER)
			o = MAX_ORDER;
		while (a->bump + ((uint64_t)1 << o) > at)
			o--;
		poison_range(a, a->bump, (size_t)1 << o);
		release(a, a->bump, o);
		a->bump += (size_t)1 << o;
	}
	*off = at;
	a->bump = at + size;
	return true;
}

/* A block of @order: the smallest free one that is large enough, split. */
static bool take(struct iopt_arena *a, unsigned int order, uint64_t *off)
{
	uint32_t m = a->free_mask >> order;

	while (m) {
		unsigned int o = order + (unsigned int)__builtin_ctz(m);
		uint64_t u;

		m &= m - 1;
		if (!pop(a, o, &u))
			continue;
		*off = u << UNIT_LG2;
		while (o > order) { /* keep the low half, list the high one */
			o--;
			push(a, (*off + ((uint64_t)1 << o)) >> UNIT_LG2, o);
		}
		return true;
	}
	return carve(a, order, off);
}

static void *arena_alloc(void *ctx, size_t size, uint64_t *phys,
			 unsigned int flags)
{
	struct iopt_arena *a = ctx;
	unsigned int order = order_of(size);
	uint64_t off;

	arena_lock(a);
	a->attempts++;
	/* Below 4 GiB: only an arena that lies wholly below serves it. */
	if (order > MAX_ORDER || a->attempts == a->fail_at ||
	    ((flags & IOPT_MEM_DMA32) &&
	     a->phys_base + a->size > (1ULL << 32)) ||
	    !take(a, order, &off)) {
		a->failures++;
		arena_unlock(a);
		return NULL;
	}
	size = (size_t)1 << order;
	blk_set(a, off >> UNIT_LG2, BLK_LIVE | order);
	label_set(a, off >> UNIT_LG2, 0);
	mark(a, off, size, true);
	a->used += size;
	if (a->used > a->peak)
		a->peak = a->used;
	a->allocs++;
	arena_unlock(a);
	/* The block is ours alone now: zero it without holding the lock. */
	if (!(flags & IOPT_MEM_NOZERO))
		iopt_memset(a->base + off, 0, size);
	*phys = a->phys_base + off;
	return a->base + off;
}

/* The unit of the live block of @order at @off, if that is what it is. */
static bool live_block(const struct iopt_arena *a, uint64_t off,
		       unsigned int order)
{
	return order <= MAX_ORDER && off < a->size &&
	       !(off & (((uint64_t)1 << UNIT_LG2) - 1)) &&
	       ((uint64_t)1 << order) <= a->size - off &&
	       blk_get(a, off >> UNIT_LG2) == (BLK_LIVE | order);
}

/*
 * Only exactly one live block of the size @size rounds to, at @virt and
 * @phys, is freed: a free of anything else (a neighbour's memory, several
 * blocks at once, a block twice) would hand memory to two owners.
 */
static void arena_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	struct iopt_arena *a = ctx;
	unsigned int order = order_of(size);
	uint64_t off = (uint64_t)((uintptr_t)virt - (uintptr_t)a->base);

	arena_lock(a);
	if ((uintptr_t)virt < (uintptr_t)a->base || !live_block(a, off, order) ||
	    phys != a->phys_base + off) {
		a->bad_frees++;
		arena_unlock(a);
		return;
	}
	size = (size_t)1 << order;
	label_set(a, off >> UNIT_LG2, 0);
	blk_set(a, off >> UNIT_LG2, 0);
	mark(a, off, size, false);
	poison_range(a, off, size);
	release(a, off, order);
	a->used -= size;
	a->frees++;
	arena_unlock(a);
}

static void arena_set_label(void *ctx, uint64_t phys, size_t size,
			    uint32_t label)
{
	struct iopt_arena *a = ctx;
	uint64_t off = phys - a->phys_base;

	arena_lock(a);
	if (phys >= a->phys_base && live_block(a, off, order_of(size)))
		label_set(a, off >> UNIT_LG2, label);
	arena_unlock(a);
}

/* Lock-free: the engine asks while other threads allocate. */
static uint32_t arena_label_of(void *ctx, uint64_t phys, size_t size)
{
	const struct iopt_arena *a = ctx;
	uint64_t off = phys - a->phys_base;

	if (phys < a->phys_base || !live_block(a, off, order_of(size)))
		return 0;
	return __atomic_load_n(&a->labels[off >> UNIT_LG2], __ATOMIC_RELAXED);
}

static const struct iopt_mem_ops arena_ops = {
	.alloc = arena_alloc,
	.free = arena_free,
	.set_label = arena_set_label,
	.label_of = arena_label_of,
};

/* Metadata bytes for @units units: live bitmap, labels, block bytes. */
static size_t meta_bytes(size_t units)
{
	return (units + 63) / 64 * 8 + units * 4 + units;
}

int iopt_arena_init(struct iopt_arena *a, void *mem, size_t size,
		    uint64_t phys_base)
{
	unsigned char *m = mem;
	size_t units, words;

	if (!a || !mem || (phys_base & (IOPT_ARENA_ALIGN - 1)) ||
	    ((uintptr_t)mem & 7) || size < 2 * ((size_t)1 << UNIT_LG2))
		return -EINVAL;
	/* Each unit costs 64 bytes, 69 with its metadata, plus a bit. */
	units = size / 553 * 8 + size % 553 * 8 / 553;
	while ((units << UNIT_LG2) + meta_bytes(units) > size)
		units--;
	words = (units + 63) / 64;
	iopt_memset(a, 0, sizeof(*a));
	a->base = m;
	a->phys_base = phys_base;
	a->size = units << UNIT_LG2;
	a->live = (uint64_t *)(void *)(m + a->size);
	a->labels = (uint32_t *)(void *)(m + a->size + words * 8);
	a->blocks = m + a->size + words * 8 + units * 4;
	a->poison = true;
	a->link_key = ((uint64_t)(uintptr_t)mem * 0x9e3779b97f4a7c15ULL) ^
		      (phys_base * 0xd6e8feb86659fd93ULL) ^ size;
	iopt_memset(a->live, 0, meta_bytes(units));
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
	mem->labels = a->labels;
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
		if (!(__atomic_load_n(&a->live[u / 64], __ATOMIC_RELAXED) &
		      (1ULL << (u % 64))))
			return true;
	return false;
}
