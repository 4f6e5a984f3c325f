// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* The benchmark's clock: monotonic nanoseconds. */
#include <time.h>

#include "bench.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
