// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Hosted conveniences, not part of the freestanding core: the heap backend
 * (tables from aligned_alloc(), physical address = the pointer's value) and
 * arenas over a region malloc'd once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/mem.h>

static void *heap_alloc(void *ctx, size_t size, uint64_t *phys,
			unsigned int flags)
{
	void *p;

	(void)ctx;
	if (size < 64)
		size = 64;
	p = aligned_alloc(size, size);
	if (!p)
		return NULL;
	if ((flags & IOPT_MEM_DMA32) && (uint64_t)(uintptr_t)p + size > (1ULL << 32)) {
		free(p); /* the heap cannot choose where its memory lies */
		return NULL;
	}
	if (!(flags & IOPT_MEM_NOZERO))
		memset(p, 0, size);
	*phys = (uint64_t)(uintptr_t)p;
	return p;
}

static void heap_free(void *ctx, void *virt, uint64_t phys, size_t size)
{
	(void)ctx;
	(void)phys;
	(void)size;
	free(virt);
}

static const struct iopt_mem_ops heap_ops = {
	.alloc = heap_alloc,
	.free = heap_free,
};

void iopt_heap_mem(struct iopt_mem *mem)
{
	if (!mem)
		return;
	mem->ops = &heap_ops;
	mem->ctx = NULL;
	mem->linear = true;
	mem->virt_offset = 0;
	mem->bound_lo = 0;
	mem->bound_size = 0; /* any address: the heap's tables are anywhere */
}

int iopt_arena_create(struct iopt_arena *a, size_t size, uint64_t phys_base)
{
	void *region;
	int ret;

	if (!a || !size)
		return -EINVAL;
	if (size > SIZE_MAX - 4095)
		return -ENOMEM; /* rounding up would wrap to a tiny region */
	region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!region)
		return -ENOMEM;
	ret = iopt_arena_init(a, region, size, phys_base);
	if (ret)
		free(region);
	return ret;
}

void iopt_arena_destroy(struct iopt_arena *a)
{
	if (a && a->base) {
		free(a->base);
		a->base = NULL;
	}
}
