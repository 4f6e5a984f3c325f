# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The scenarios of `iopt bench` (bench/*.c, one per file, and what they
# share: bench/bench.h, clock.c, setup.c, report.c) are part of the iopt
# tool, not of the library: they join TOOL_SRCS.
#
#   make bench        the full set (iopt bench; under a minute on 2 busy cores)
#   make bench-quick  iopt bench --quick (under 30 s)
#   bench/callgrind.sh  instruction counts per page (needs valgrind)

BENCH_SRCS := $(wildcard bench/*.c)
TOOL_SRCS  += $(BENCH_SRCS)

# The pattern rule only knows the library's headers.
$(BENCH_SRCS:%.c=$(O)/%.o) $(O)/tools/bench.o: bench/bench.h

.PHONY: bench-quick
bench-quick: $(O)/iopt
	$(O)/iopt bench --quick
