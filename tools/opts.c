// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* Option parsing shared by the iopt tool's subcommands. */
#include <stdarg.h>
#include <string.h>

#include "cmds.h"

int tool_opt_value(int argc, char **argv, int *i, const char *name,
		   const char **val)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len))
		return 0;
	if (a[len] == '=') {
		*val = a + len + 1;
		return 1;
	}
	if (a[len])
		return 0;
	if (*i + 1 >= argc) {
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

int tool_usage_error(const char *cmd, void (*usage)(FILE *f),
		     const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iopt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}
