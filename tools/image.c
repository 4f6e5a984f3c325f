// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* Table images: see image.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

int iopt_image_write(const char *cmd, const char *path, const char *name,
		     uint64_t root, uint64_t base, const void *bytes,
		     size_t count)
{
	unsigned char hdr[IOPT_IMAGE_HDR2];
	size_t len = strlen(name);
	FILE *f;
	int ok;

	if (len >= IOPT_IMAGE_NAME_MAX) {
		fprintf(stderr, "iopt %s: configuration name '%s' is %zu bytes; an image holds at most %d\n",
			cmd, name, len, IOPT_IMAGE_NAME_MAX - 1);
		return 1;
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, IOPT_IMAGE_MAGIC2, 8);
	put_le64(hdr + 8, root);
	put_le64(hdr + 16, base);
	put_le64(hdr + 24, count);
	memcpy(hdr + IOPT_IMAGE_HDR1, name, len);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "iopt %s: cannot create image %s: %s\n", cmd,
			path, strerror(errno));
		return 1;
	}
	ok = fwrite(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
	     fwrite(bytes, 1, count, f) == count;
	if (fclose(f) || !ok) {
		fprintf(stderr, "iopt %s: cannot write image %s\n", cmd, path);
		return 1;
	}
	return 0;
}

/* The whole file at @path in *@buf (malloc'd), its size in *@len. */
static int slurp(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t used = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		unsigned char *nb;
		size_t got;

		if (used == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		got = fread(b + used, 1, cap - used, f);
		used += got;
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
	*len = used;
	return 0;
}

static bool same_config(const struct iopt_config *a,
			const struct iopt_config *b)
{
	return a->format == b->format && a->granule_lg2 == b->granule_lg2 &&
	       a->ias == b->ias && a->oas == b->oas &&
	       a->quirks == b->quirks && a->flags == b->flags;
}

int iopt_image_read(const char *cmd, const char *path, const char *format,
		    struct iopt_image *im)
{
	unsigned char *buf = NULL;
	size_t len = 0, hdr;
	struct iopt_config given;
	int ret;

	memset(im, 0, sizeof(*im));
	if (format && iopt_config_from_name(format, &given)) {
		fprintf(stderr, "iopt %s: unknown format %s ('iopt formats' lists the names)\n",
			cmd, format);
		return 2;
	}
	ret = slurp(path, &buf, &len);
	if (ret) {
		fprintf(stderr, "iopt %s: cannot read %s: %s\n", cmd, path,
			strerror(-ret));
		return 1;
	}
	if (len >= 8 && !memcmp(buf, IOPT_IMAGE_MAGIC1, 8)) {
		im->version = 1;
		hdr = IOPT_IMAGE_HDR1;
	} else if (len >= 8 && !memcmp(buf, IOPT_IMAGE_MAGIC2, 8)) {
		im->version = 2;
		hdr = IOPT_IMAGE_HDR2;
	} else {
		fprintf(stderr, "iopt %s: %s is not an iopt image (no IOPTIMG1 or IOPTIMG2 magic)\n",
			cmd, path);
		free(buf);
		return 1;
	}
	if (len < hdr || get_le64(buf + 24) != len - hdr) {
		fprintf(stderr, "iopt %s: %s: truncated or corrupt image (header or byte count does not match the file size)\n",
			cmd, path);
		free(buf);
		return 1;
	}
	im->file = buf;
	im->root = get_le64(buf + 8);
	im->base = get_le64(buf + 16);
	im->count = len - hdr;
	im->bytes = buf + hdr;
	if (im->version == 1) {
		if (!format) {
			fprintf(stderr, "iopt %s: %s is a version 1 image, which does not record its format: give --format NAME\n",
				cmd, path);
			goto usage;
		}
		snprintf(im->name, sizeof(im->name), "%s", format);
		if (strlen(format) >= sizeof(im->name)) {
			fprintf(stderr, "iopt %s: format name '%s' is too long\n",
				cmd, format);
			goto usage;
		}
		im->cfg = given;
		return 0;
	}
	memcpy(im->name, buf + IOPT_IMAGE_HDR1, IOPT_IMAGE_NAME_MAX);
	im->name[IOPT_IMAGE_NAME_MAX] = '\0';
	if (memchr(buf + IOPT_IMAGE_HDR1, '\0', IOPT_IMAGE_NAME_MAX) == NULL ||
	    iopt_config_from_name(im->name, &im->cfg)) {
		fprintf(stderr, "iopt %s: %s: corrupt image: its format name is not a configuration name\n",
			cmd, path);
		free(buf);
		memset(im, 0, sizeof(*im));
		return 1;
	}
	if (format && !same_config(&given, &im->cfg)) {
		fprintf(stderr, "iopt %s: --format %s disagrees with the image's format %s\n",
			cmd, format, im->name);
		goto usage;
	}
	return 0;
usage:
	free(buf);
	memset(im, 0, sizeof(*im));
	return 2;
}
