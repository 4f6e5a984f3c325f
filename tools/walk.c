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

#define IMAGE_MAGIC "IOPTIMG1"
#define IMAGE_HDR 32

static void walk_usage(FILE *f)
{
	fprintf(f,
		"usage: iopt walk --format NAME --image FILE IOVA...\n"
		"  --format NAME  the configuration the image was built with\n"
		"  --image FILE   an image from 'iopt replay --image'\n"
		"Prints 'IOVA PHYS LENGTH' (as replay's lookups) or\n"
		"'IOVA fault KIND level N' per IOVA, walked by the simulated IOMMU.\n");
}

static uint64_t get_le64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* The whole file at @path in *@buf (malloc'd), its size in *@len. */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		unsigned char *nb;
		size_t got;

		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int iopt_cmd_walk(int argc, char **argv)
{
	const char *format = NULL, *image = NULL;
	struct iopt_hwsim_geom g;
	struct iopt_hwsim_mem m;
	struct iopt_config cfg;
	unsigned char *buf = NULL;
	uint64_t root, first, count;
	size_t len = 0;
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
	if (!format || !image || i >= argc) {
		fprintf(stderr, "iopt walk: %s\n", !format ? "--format is required" :
			!image ? "--image is required" : "no IOVA given");
		walk_usage(stderr);
		return 2;
	}
	if (iopt_config_from_name(format, &cfg)) {
		fprintf(stderr, "iopt walk: unknown format %s\n", format);
		return 2;
	}
	ret = iopt_hwsim_geometry(&cfg, &g);
	if (ret) {
		fprintf(stderr, "iopt walk: %s: the simulated IOMMU cannot walk it (%s)\n",
			format, iopt_strerror(ret));
		return 2;
	}
	ret = read_file(image, &buf, &len);
	if (ret) {
		fprintf(stderr, "iopt walk: cannot read %s: %s\n", image,
			strerror(-ret));
		return 1;
	}
	if (len < IMAGE_HDR || memcmp(buf, IMAGE_MAGIC, 8) ||
	    (count = get_le64(buf + 24)) != len - IMAGE_HDR) {
		fprintf(stderr, "iopt walk: %s is not an iopt image (or is truncated)\n",
			image);
		free(buf);
		return 1;
	}
	root = get_le64(buf + 8);
	first = get_le64(buf + 16);
	iopt_hwsim_mem_image(&m, buf + IMAGE_HDR, (size_t)count, first);
	for (; i < argc; i++) {
		struct iopt_hwsim_result r;
		uint64_t iova;

		if (iopt_trace_parse_u64(argv[i], NULL, &iova)) {
			fprintf(stderr, "iopt walk: bad IOVA %s\n", argv[i]);
			free(buf);
			return 2;
		}
		memset(&r, 0, sizeof(r));
		ret = iopt_hwsim_walk(&g, &m, root, iova, 0, &r);
		if (ret == 0 && r.size_lg2 < 64) {
			printf("0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n", iova,
			       r.phys, (uint64_t)1 << r.size_lg2);
		} else {
			printf("0x%" PRIx64 " fault %s level %u\n", iova,
			       iopt_hwsim_fault_name(r.fault), r.level);
			status = 1;
		}
	}
	free(buf);
	return status;
}
