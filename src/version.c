// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* iopt_version(): the library's version, from the header's macros. */
#include <iopt/iopt.h>

#define IOPT_STR_(x) #x
#define IOPT_STR(x) IOPT_STR_(x)

const char *iopt_version(void)
{
	return IOPT_STR(IOPT_VERSION_MAJOR) "." IOPT_STR(IOPT_VERSION_MINOR)
	       "." IOPT_STR(IOPT_VERSION_PATCH);
}
