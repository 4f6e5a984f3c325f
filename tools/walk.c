// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt walk: translate IOVAs through a table image (from `iopt replay
 * --image`) with the simulated IOMMU's walker, which shares no code with
 * the engine that built the table. Each IOVA prints one line, in the form
 * `iopt replay` prints its lookups ("IOVA PHYS LENGTH", LENGTH the whole
 * leaf or replicated run), so the two outputs compare with diff; or
 * "IOVA fault KIND level N". Exit status: 0 when every IOVA translated, 1
 * when one faulted or the image cannot be read, 2 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/hwsim.h>
#include <iopt/iopt.h>
#include <iopt/trace.h>
#include "cmds.h"
#include "image.h"

static void walk_usage(FILE *f)
{
	fprintf(f,
		"usage: iopt walk [--format NAME] --image FILE IOVA...\n"
		"  --format NAME  the configuration the image was built with: required\n"
		"                 for a version 1 image; a version 2 image names its own\n"
		"                 (a --format that disagrees is an error)\n"
		"  --image FILE   an image from 'iopt replay --image'\n"
		"Prints 'IOVA PHYS LENGTH' (as replay's lookups) or\n"
		"'IOVA fault KIND level N' per IOVA, walked by the simulated IOMMU.\n");
}

int iopt_cmd_walk(int argc, char **argv)
{
	const char *format = NULL, *image = NULL;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem m;
	struct iopt_image im;
	int i, ret, status = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			walk_usage(stdout);
			return 0;
		}
		if ((!strcmp(a, "--format") || !strcmp(a, "--image")) &&
		    i + 1 < argc) {
			if (a[2] == 'f')
				format = argv[++i];
			else
				image = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (!strncmp(a, "--image=", 8)) {
			image = a + 8;
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "iopt walk: unknown option %s\n", a);
			walk_usage(stderr);
			return 2;
		} else {
			break;
		}
	}
	if (!image || i >= argc) {
		fprintf(stderr, "iopt walk: %s\n",
			!image ? "--image is required" : "no IOVA given");
		walk_usage(stderr);
		return 2;
	}
	ret = iopt_image_read("walk", image, format, &im);
	if (ret)
		return ret;
	ret = iopt_hwsim_geometry(&im.cfg, &g);
	if (ret) {
		fprintf(stderr, "iopt walk: %s: the simulated IOMMU cannot walk it (%s)\n",
			im.name, iopt_strerror(ret));
		free(im.file);
		return 2;
	}
	iopt_hwsim_mem_image(&m, im.bytes, im.count, im.base);
	for (; i < argc; i++) {
		struct iopt_hwsim_result r;
		uint64_t iova;

		if (iopt_trace_parse_u64(argv[i], NULL, &iova)) {
			fprintf(stderr, "iopt walk: bad IOVA %s\n", argv[i]);
			free(im.file);
			return 2;
		}
		memset(&r, 0, sizeof(r));
		ret = iopt_hwsim_walk(&g, &m, im.root, iova, 0, &r);
		if (ret == 0 && r.size_lg2 < 64) {
			printf("0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n", iova,
			       r.phys, (uint64_t)1 << r.size_lg2);
		} else {
			printf("0x%" PRIx64 " fault %s level %u\n", iova,
			       iopt_hwsim_fault_name(r.fault), r.level);
			status = 1;
		}
	}
	free(im.file);
	return status;
}
