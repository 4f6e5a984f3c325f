// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The heap backend: tables from aligned_alloc(), physical address = the
 * pointer's value. For hosted programs and tests; not part of the
 * freestanding core.
 */
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
	mem->ops = &heap_ops;
	mem->ctx = NULL;
	mem->linear = true;
	mem->virt_offset = 0;
}
