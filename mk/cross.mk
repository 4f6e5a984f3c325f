# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Cross builds: the test suite on a big-endian host, under qemu-user.
#
#   make check-be       build the library, the iopt tool and the test programs
#                       with s390x-linux-gnu-gcc into $(O)-s390x, then run
#                       tests/run.sh on them through qemu-s390x (TAP; ends with
#                       "N passed, N failed", like make check).
#   make build-be       only the cross build (needs no qemu).
#
# Page-table entries are little-endian in memory whatever the host; s390x is
# big-endian, so this is where a missing iopt_le64() shows up.
#
# Needs (Debian): gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user;
# .ci/steps/bigendian.sh installs them. No binfmt_misc registration is needed:
# tests/run.sh is handed small sh wrappers (in $(O)-s390x/qemu/, which
# mirrors $(O)-s390x: tests/test_*, iopt) that exec the real program through
# qemu, and run.sh gets O=$(O)-s390x/qemu so t_replay.sh's $O/iopt is one too.
#
# Variables:
#   CROSS_TRIPLE   s390x-linux-gnu   (compiler and binutils prefix)
#   CROSS_QEMU     qemu-s390x        (qemu-user binary for that target)
#   CROSS_SYSROOT  /usr/$(CROSS_TRIPLE)  (target libc; qemu's -L)
#   CROSS_O        $(O)-s390x        (build directory)
#   CROSS_TEST_OPS 20000             (IOPT_TEST_OPS for test_diff; the native
#                                     default 100000 per configuration is
#                                     ~15x slower under emulation)
# e.g. 64-bit PowerPC, also big-endian:
#   make check-be CROSS_TRIPLE=powerpc64-linux-gnu CROSS_QEMU=qemu-ppc64 \
#        CROSS_O=build-ppc64
# An environment IOPT_TEST_OPS or IOPT_TEST_SEED is passed through unchanged.

CROSS_TRIPLE   ?= s390x-linux-gnu
CROSS_QEMU     ?= qemu-s390x
CROSS_SYSROOT  ?= /usr/$(CROSS_TRIPLE)
CROSS_O        ?= $(O)-s390x
CROSS_TEST_OPS ?= 20000

# Test programs and the tool, relative to the build directory. Expanded only
# in recipes: this file is included before the Makefile lists TEST_SRCS.
cross_progs = iopt $(patsubst tests/%.c,tests/%,$(TEST_SRCS))

.PHONY: build-be check-be

build-be:
	@command -v $(CROSS_TRIPLE)-gcc >/dev/null 2>&1 || \
		{ echo "build-be: $(CROSS_TRIPLE)-gcc not found (Debian: apt-get install gcc-$(CROSS_TRIPLE) libc6-dev-$(subst -linux-gnu,,$(CROSS_TRIPLE))-cross)"; exit 1; }
	$(MAKE) --no-print-directory CC=$(CROSS_TRIPLE)-gcc AR=$(CROSS_TRIPLE)-ar \
		O=$(CROSS_O) all $(addprefix $(CROSS_O)/,$(cross_progs))

check-be: build-be
	@command -v $(CROSS_QEMU) >/dev/null 2>&1 || \
		{ echo "check-be: $(CROSS_QEMU) not found (Debian: apt-get install qemu-user)"; exit 1; }
	@rm -rf $(CROSS_O)/qemu
	@for p in $(cross_progs); do \
		mkdir -p $(CROSS_O)/qemu/$$(dirname $$p) && \
		printf '#!/bin/sh\nexec %s -L %s %s "$$@"\n' '$(CROSS_QEMU)' \
			'$(CROSS_SYSROOT)' '$(abspath $(CROSS_O))/'"$$p" \
			>$(CROSS_O)/qemu/$$p && chmod +x $(CROSS_O)/qemu/$$p || exit 1; \
	done
	@echo "check-be: $$($(CROSS_QEMU) -L $(CROSS_SYSROOT) $(CROSS_O)/iopt formats >/dev/null 2>&1 && \
		echo running || echo CANNOT run) $(CROSS_TRIPLE) programs under $(CROSS_QEMU)"
	@IOPT_TEST_OPS=$${IOPT_TEST_OPS:-$(CROSS_TEST_OPS)} O=$(CROSS_O)/qemu \
		sh tests/run.sh $(addprefix $(CROSS_O)/qemu/,$(filter tests/%,$(cross_progs)))
