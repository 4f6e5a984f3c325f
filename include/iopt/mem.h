/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Built-in memory backends for table memory.
 *
 * arena: the embedded default. One region given by the caller; physical
 *        address = phys_base + offset; O(1) allocation from per-size free
 *        lists plus a bump pointer; no malloc. Freed blocks are filled with
 *        IOPT_ARENA_POISON (which every format reads as "not present"), so a
 *        later read of freed table memory is recognisable; only their first
 *        8 bytes differ: they link the free list and keep bit 0 clear, so
 *        they too read as "not present".
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

struct iopt_arena {
	unsigned char *base;
	uint64_t phys_base;
	size_t size;
	size_t bump;                 /* offset of the first never-used byte */
	size_t free_head[IOPT_ARENA_MAX_LG2 + 1]; /* offset + 1 of first free block; 0 = none */
	size_t used;                 /* bytes allocated now */
	size_t peak;                 /* most bytes ever allocated */
	uint64_t allocs;             /* successful allocations */
	uint64_t frees;
	uint64_t failures;           /* allocations refused */
	uint64_t fail_at;            /* test hook: refuse allocation number N (1-based); 0 = off */
	uint64_t attempts;           /* allocation calls, for fail_at */
	bool poison;                 /* fill freed blocks with IOPT_ARENA_POISON */
	uint64_t *live;              /* one bit per 64-byte unit: allocated; kept at the region's end */
};

/**
 * iopt_arena_init() - make an arena over [mem, mem + size)
 * @a:         the arena.
 * @mem:       the region; not touched until allocation.
 * @size:      its length in bytes; 1/512 of it (rounded up) at the end holds
 *             the arena's bitmap of allocated 64-byte units.
 * @phys_base: physical address of @mem; a multiple of IOPT_ARENA_ALIGN.
 *
 * The backend (iopt_arena_mem()) hands out blocks of 64 bytes up to
 * 2^IOPT_ARENA_MAX_LG2, and fails (NULL) for larger requests or when the
 * region is full. Its free() leaves alone a block that is not a live
 * allocation of this arena (outside it, misaligned for its size, or freed
 * already), so a double free cannot hand one block to two tables.
 * Return: 0; -EINVAL for NULL, a region smaller than 128 bytes or not
 * 8-byte aligned, or a misaligned phys_base (@a is then unchanged).
 * Context: any.
 */
int iopt_arena_init(struct iopt_arena *a, void *mem, size_t size,
		    uint64_t phys_base);

/**
 * iopt_arena_create() - an arena over a region allocated once (hosted only)
 * @a:         the arena.
 * @size:      bytes to allocate for it (including the bitmap, as above).
 * @phys_base: physical address of the region; a multiple of IOPT_ARENA_ALIGN.
 * Return: 0; -EINVAL as iopt_arena_init() (nothing is kept allocated);
 * -ENOMEM if malloc failed or @size cannot be rounded up to whole pages.
 * Release it with iopt_arena_destroy(). Context: any.
 */
int iopt_arena_create(struct iopt_arena *a, size_t size, uint64_t phys_base);

/* Free the region of an arena made by iopt_arena_create(). NULL, and a
 * second call, are ignored. */
void iopt_arena_destroy(struct iopt_arena *a);

/* Fill @mem with a backend that allocates from @a (linear translation,
 * bounded to the region). Does nothing if either is NULL. */
void iopt_arena_mem(struct iopt_arena *a, struct iopt_mem *mem);

/* True when some byte of [phys, phys + len) is arena memory that is not
 * allocated now (freed, or never handed out). For walkers that check that
 * they read live table memory. Addresses outside the arena, len 0 and a
 * NULL @a give false; a range running past the arena's end is clipped. */
bool iopt_arena_is_free(const struct iopt_arena *a, uint64_t phys, size_t len);

/* Fill @mem with the heap backend (hosted builds only); NULL is ignored. */
void iopt_heap_mem(struct iopt_mem *mem);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_MEM_H */
