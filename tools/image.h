/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Table images, as `iopt replay --image` writes them and `iopt walk` and
 * `iopt dump` read them. Version 2 ("IOPTIMG2"): little-endian u64 root
 * table physical address, u64 physical address of the first byte, u64
 * byte count, the configuration name NUL-padded to IOPT_IMAGE_NAME_MAX
 * bytes, then the bytes. Version 1 ("IOPTIMG1") has no name: the reader
 * must be told the configuration.
 */
#ifndef IOPT_TOOLS_IMAGE_H
#define IOPT_TOOLS_IMAGE_H

#include <stdint.h>
#include <stdio.h>

#include <iopt/iopt.h>

#define IOPT_IMAGE_MAGIC1 "IOPTIMG1"
#define IOPT_IMAGE_MAGIC2 "IOPTIMG2"
#define IOPT_IMAGE_HDR1 32
#define IOPT_IMAGE_NAME_MAX 32 /* bytes of the name field, NUL included */
#define IOPT_IMAGE_HDR2 (IOPT_IMAGE_HDR1 + IOPT_IMAGE_NAME_MAX)

struct iopt_image {
	unsigned char *file;         /* the whole file (malloc'd) */
	int version;                 /* 1 or 2 */
	uint64_t root;               /* root table physical address */
	uint64_t base;               /* physical address of bytes[0] */
	size_t count;                /* bytes */
	const unsigned char *bytes;
	char name[IOPT_IMAGE_NAME_MAX + 1]; /* the configuration's name */
	struct iopt_config cfg;
};

/*
 * Write an image of @count bytes at @bytes (physical @base) whose root is
 * at @root, built with the configuration @name. Errors go to stderr,
 * prefixed with "iopt @cmd: ". Return: 0, or 1 on an I/O error or a name
 * that does not fit.
 */
int iopt_image_write(const char *cmd, const char *path, const char *name,
		     uint64_t root, uint64_t base, const void *bytes,
		     size_t count);

/*
 * Read the image at @path into @im. @format (may be NULL) names the
 * configuration: required for version 1, and for version 2 it must
 * describe the same configuration as the image's name. Errors go to
 * stderr, prefixed with "iopt @cmd: ". Return: 0; 1 when the file cannot
 * be read, is no image or is truncated; 2 for a usage error (no or an
 * unknown or disagreeing @format). On success free im->file when done.
 */
int iopt_image_read(const char *cmd, const char *path, const char *format,
		    struct iopt_image *im);

#endif
