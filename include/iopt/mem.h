/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Built-in memory backends for table memory.
 *
 * arena: the embedded default. One region given by the caller; physical
 *        address = phys_base + offset; no malloc. A buddy allocator: blocks
 *        of 64 bytes to 1 GiB, aligned to their size physically, adjacent
 *        free buddies merged again. It defends itself against its callers
 *        and against writes into freed blocks (see iopt_arena_init()), and
 *        is safe for the concurrency iopt.h allows: alloc, free and
 *        set_label take an internal spinlock; label_of, the labels array
 *        and iopt_arena_is_free() read without it. Freed blocks are filled
 *        with IOPT_ARENA_POISON (which every format reads as "not present"),
 *        so a later read of freed table memory is recognisable; only their
 *        first IOPT_ARENA_LINK_BYTES differ: free-list links, every 32-bit
 *        half of which has bits [1:0] clear, so they too read as "not
 *        present" in every format.
 * heap:  aligned_alloc(); physical address = the pointer's value (hosted only).
 */
#ifndef IOPT_MEM_H
#define IOPT_MEM_H

#include <stddef.h>
#include <stdint.h>
#include "iopt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOPT_ARENA_POISON 0xfefefefefefefefeULL
#define IOPT_ARENA_MIN_LG2 6   /* smallest block: 64 bytes */
#define IOPT_ARENA_MAX_LG2 30  /* largest block: 1 GiB */
#define IOPT_ARENA_ALIGN (1u << 20) /* required alignment of phys_base */
#define IOPT_ARENA_LINK_BYTES 24 /* links at the start of a freed block */

struct iopt_arena {
	unsigned char *base;
	uint64_t phys_base;
	size_t size;                 /* usable bytes, before the metadata */
	size_t bump;                 /* offset of the first never-used byte */
	uint64_t free_head[IOPT_ARENA_MAX_LG2 + 1]; /* per order: unit + 1 of the first free block; 0 = none */
	uint32_t free_mask;          /* bit per order: free_head[order] != 0 */
	uint32_t lock;               /* spinlock: alloc, free, set_label */
	size_t used;                 /* bytes allocated now */
	size_t peak;                 /* most bytes ever allocated */
	uint64_t allocs;             /* successful allocations */
	uint64_t frees;
	uint64_t failures;           /* allocations refused */
	uint64_t bad_frees;          /* frees refused: not exactly one live block of that size */
	uint64_t corrupt_links;      /* damaged free-list links found (the rest of that list is dropped) */
	uint64_t fail_at;            /* test hook: refuse allocation number N (1-based); 0 = off */
	uint64_t attempts;           /* allocation calls, for fail_at */
	bool poison;                 /* fill freed blocks with IOPT_ARENA_POISON */
	uint64_t link_key;           /* keys the check word of free-list links */
	/* Metadata at the region's end, per 64-byte unit of [0, size): */
	uint64_t *live;              /* one bit: allocated */
	uint32_t *labels;            /* label of the live block starting here; 0 = none */
	unsigned char *blocks;       /* state and order of a block starting here; 0 = none */
};

/**
 * iopt_arena_init() - make an arena over [mem, mem + size)
 * @a:         the arena.
 * @mem:       the region; its blocks are not touched until allocation.
 * @size:      its length in bytes. The metadata at its end takes 41/553 of
 *             it (about 7.4%): per 64-byte unit a 32-bit label, a byte of
 *             block order and state, and a bit of the live bitmap. It is
 *             zeroed here.
 * @phys_base: physical address of @mem; a multiple of IOPT_ARENA_ALIGN.
 *
 * The backend (iopt_arena_mem()) hands out blocks of 64 bytes up to
 * 2^IOPT_ARENA_MAX_LG2, each aligned to its size by physical address, and
 * fails (NULL) for larger requests, when no aligned block is left, and for
 * IOPT_MEM_DMA32 requests unless the whole region lies below 4 GiB. Its
 * free() accepts only the start of a live block of exactly the size the
 * request rounds to, with the matching physical address; anything else
 * (another size, a size spanning several blocks, a pointer inside a block,
 * a double free, a foreign pointer) changes nothing but @a->bad_frees.
 * Every free-list link followed is checked (inside the arena, aligned, the
 * target recorded free with that order, a keyed check word); a damaged one
 * is counted in @a->corrupt_links and the rest of its list is dropped
 * (leaked), so no write into freed memory makes the arena hand out memory
 * outside it, misaligned or live.
 * Return: 0; -EINVAL for NULL, a region smaller than 128 bytes or not
 * 8-byte aligned, or a misaligned phys_base (@a is then unchanged).
 * Context: any; not concurrently with other calls on @a.
 */
int iopt_arena_init(struct iopt_arena *a, void *mem, size_t size,
		    uint64_t phys_base);

/**
 * iopt_arena_create() - an arena over a region allocated once (hosted only)
 * @a:         the arena.
 * @size:      bytes to allocate for it (including the metadata, as above).
 * @phys_base: physical address of the region; a multiple of IOPT_ARENA_ALIGN.
 * Return: 0; -EINVAL as iopt_arena_init() (nothing is kept allocated);
 * -ENOMEM if malloc failed or @size cannot be rounded up to whole pages.
 * Release it with iopt_arena_destroy(). Context: any.
 */
int iopt_arena_create(struct iopt_arena *a, size_t size, uint64_t phys_base);

/**
 * iopt_arena_destroy() - free the region of an arena
 * @a: an arena made by iopt_arena_create(); NULL, and a second call, are
 *     ignored.
 * Context: no other use of @a may run.
 */
void iopt_arena_destroy(struct iopt_arena *a);

/**
 * iopt_arena_mem() - a memory backend allocating from an arena
 * @a:   the arena.
 * @mem: filled with linear translation, a bound of the usable region, the
 *       label ops and the inline labels array.
 *
 * Its alloc, free and set_label may be called from several threads at
 * once, as concurrent map and unmap of disjoint ranges do (iopt.h).
 * Return: nothing; does nothing if either is NULL.
 * Context: any.
 */
void iopt_arena_mem(struct iopt_arena *a, struct iopt_mem *mem);

/**
 * iopt_arena_is_free() - is some of a range free arena memory?
 * @a:    the arena.
 * @phys: start of the range.
 * @len:  its length in bytes.
 *
 * For walkers that check that they read live table memory.
 * Return: true when some byte of [phys, phys + len) is arena memory that is
 * not allocated now (freed, or never handed out). Addresses outside the
 * arena, len 0 and a NULL @a give false; a range running past the arena's
 * end is clipped.
 * Context: any, also beside allocations on other threads (the answer is
 * then as of some moment during the call).
 */
bool iopt_arena_is_free(const struct iopt_arena *a, uint64_t phys, size_t len);

/**
 * iopt_heap_mem() - a memory backend over malloc (hosted builds only)
 * @mem: filled with the backend; NULL is ignored.
 * It cannot choose where memory lies: an IOPT_MEM_DMA32 request that
 * malloc serves above 4 GiB gets NULL.
 * Context: any.
 */
void iopt_heap_mem(struct iopt_mem *mem);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_MEM_H */
