// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt-parent: uses iopt through dependency('iopt') only. Maps 2 MiB on
 * arm-lpae-s1-4k in an arena, translates an address in it, unmaps it and
 * syncs the gather; prints one line and exits 0 when all of it worked.
 */
#include <stdio.h>
#include <string.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>

#define IOVA  0x40000000ull
#define PADDR 0x80000000ull
#define SIZE  (2ull << 20)

int main(void)
{
	struct iopt_config cfg;
	struct iopt_arena a;
	struct iopt_mem mem;
	struct iopt_table t;
	struct iopt_gather g;
	uint64_t done = 0, pa;
	int ret;

	if (strcmp(iopt_version(), "") == 0 || IOPT_VERSION_NUMBER < 100) {
		fprintf(stderr, "iopt-parent: version %s\n", iopt_version());
		return 1;
	}
	if (iopt_config_from_name("arm-lpae-s1-4k", &cfg) ||
	    iopt_arena_create(&a, 1u << 20, 1ull << 30)) {
		fprintf(stderr, "iopt-parent: no configuration or arena\n");
		return 1;
	}
	iopt_arena_mem(&a, &mem);
	ret = iopt_init(&t, &cfg, &mem, NULL, NULL);
	if (!ret)
		ret = iopt_map_range(&t, IOVA, PADDR, SIZE, IOPT_READ | IOPT_WRITE, 0, &done);
	pa = ret ? IOPT_PHYS_NONE : iopt_iova_to_phys(&t, IOVA + 0x1234);
	if (!ret) {
		iopt_gather_init(&g);
		ret = iopt_unmap_range(&t, IOVA, SIZE, 0, &g, &done);
		if (!ret)
			ret = iopt_gather_sync(&g);
	}
	iopt_fini(&t);
	iopt_arena_destroy(&a);
	if (ret || pa != PADDR + 0x1234 || done != SIZE) {
		fprintf(stderr, "iopt-parent: %s, translation 0x%llx\n",
			ret ? iopt_strerror(ret) : "wrong result", (unsigned long long)pa);
		return 1;
	}
	printf("iopt-parent: iopt %s as a subproject: mapped, translated 0x%llx -> 0x%llx, unmapped 2M\n",
	       iopt_version(), (unsigned long long)(IOVA + 0x1234), (unsigned long long)pa);
	return 0;
}
