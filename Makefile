# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# make            libiopt.a, libiopt.so (soname libiopt.so.0) and the iopt tool
# make check      build and run the test suite (TAP; ends with "N passed, N failed")
# make demo       run `iopt demo`
# make bench      run the benchmark
# make freestanding  compile the core with -ffreestanding -nostdlib headers only
# make install    PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib
#                 (INCDIR=$(PREFIX)/include BINDIR=$(PREFIX)/bin)
# make uninstall  removes what make install put there (same variables)
# make dist       $(O)/iopt-VERSION.tar.gz: `git archive` of HEAD
#
# Variables: CC, CFLAGS (extra), CPPFLAGS, LDFLAGS, SAN=1 (AddressSanitizer +
# UBSan), O=build dir.

CC      ?= cc
O       ?= build
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
# The version is the header's (IOPT_VERSION_MAJOR/MINOR/PATCH in iopt.h).
VERSION := $(shell awk '/^\#define IOPT_VERSION_(MAJOR|MINOR|PATCH) /{ v = v s $$3; s = "." } END { print v }' include/iopt/iopt.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT     ?= -O2 -g
BASE_CFLAGS := -std=c11 $(OPT) $(WARN) -Iinclude -Isrc -fPIC -D_DEFAULT_SOURCE
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
endif
# CPPFLAGS after -Iinclude -Isrc: an installed iopt's headers never win.
ALL_CFLAGS := $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# The core builds freestanding: engine, formats, gather, arena.
CORE_SRCS := src/pt/api.c src/gather.c src/fmt/arm_lpae.c src/fmt/arm_lpae_ds.c src/fmt/arm_mali.c src/fmt/x86_64.c src/fmt/arm_v7s.c src/fmt/apple_dart.c src/fmt/amd_v1.c src/mem/arena.c \
             src/domain.c
CORE_SRCS += src/fmt/vtd_ss.c
CORE_SRCS += src/fmt/riscv.c
CORE_SRCS += src/version.c
HOST_SRCS := src/mem/heap.c src/trace.c

TOOL_SRCS := tools/iopt.c tools/replay.c tools/demo.c tools/bench.c tools/walk.c \
	tools/image.c tools/dump.c tools/opts.c

# Optional parts add sources (HOST_SRCS += ..., TOOL_SRCS += ...) and targets
# (sanitizer variants, fuzzing, cross builds) in mk/*.mk; each documents
# itself at its top. Included here, before the object lists are derived.
.DEFAULT_GOAL := all
-include $(wildcard mk/*.mk)
LIB_SRCS  := $(CORE_SRCS) $(HOST_SRCS)
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)

TOOL_OBJS := $(TOOL_SRCS:%.c=$(O)/%.o)

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(O)/tests/%)
TEST_LIB_SRCS := tests/model.c
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(O)/%.o)

.SECONDARY: $(TEST_LIB_OBJS)

HEADERS := $(wildcard include/iopt/*.h src/*.h src/*/*.h)

.PHONY: all check demo bench freestanding install uninstall dist list-srcs clean FORCE
all: $(O)/libiopt.a $(O)/libiopt.so $(O)/iopt

$(O)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/libiopt.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# Exports exactly src/libiopt.map's symbols (the installed headers' API).
$(O)/libiopt.so: $(LIB_OBJS) src/libiopt.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libiopt.so.$(SOMAJOR) \
		-Wl,--version-script=src/libiopt.map $(LDSAN) -o $@ $(LIB_OBJS)

$(O)/iopt: $(TOOL_OBJS) $(O)/libiopt.a
	$(CC) $(LDFLAGS) $(LDSAN) -o $@ $(TOOL_OBJS) $(O)/libiopt.a

$(O)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(O)/libiopt.a $(HEADERS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(TEST_LIB_OBJS) $(O)/libiopt.a $(LDSAN)

check: $(TEST_BINS) $(O)/iopt $(O)/libiopt.so
	@O=$(O) CC='$(CC)' sh tests/run.sh $(TEST_BINS)

demo: $(O)/iopt
	$(O)/iopt demo

bench: $(O)/iopt
	$(O)/iopt bench

# Proves the core needs nothing but a C compiler: no hosted headers, no libc.
freestanding:
	@mkdir -p $(O)/freestanding
	@for f in $(CORE_SRCS); do \
		echo "  CC -ffreestanding $$f"; \
		$(CC) -std=c11 -O2 $(WARN) -ffreestanding -fno-builtin -nostdinc \
			-isystem $$($(CC) -print-file-name=include) \
			-DIOPT_FREESTANDING -Iinclude -Isrc -c $$f \
			-o $(O)/freestanding/$$(basename $$f .c).o || exit 1; \
	done
	@$(CC) -nostdlib -r -o $(O)/freestanding/core.o $(O)/freestanding/*.o 2>/dev/null || \
		ld -r -o $(O)/freestanding/core.o $(O)/freestanding/[!c]*.o
	@# A freestanding C implementation must still provide these four (GCC's
	@# documented requirement); anything else would be a libc dependency.
	@undef=$$(nm -u $(O)/freestanding/core.o | awk '{print $$2}' | \
		grep -v -x -e memset -e memcpy -e memmove -e memcmp); \
	 if [ -n "$$undef" ]; then echo "freestanding core needs: $$undef"; exit 1; fi; \
	 echo "freestanding core: no symbols beyond memset/memcpy/memmove/memcmp"

# iopt.pc holds PREFIX, LIBDIR and INCDIR (as $${prefix}/... below PREFIX):
# pc.vars changes whenever one of them does, so a make install to another
# prefix regenerates it.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_VARS := prefix=$(PREFIX)|libdir=$(call pc_rel,$(LIBDIR))|includedir=$(call pc_rel,$(INCDIR))|version=$(VERSION)

$(O)/pc.vars: FORCE
	@mkdir -p $(O)
	@printf '%s\n' '$(PC_VARS)' | cmp -s - $@ || printf '%s\n' '$(PC_VARS)' > $@

$(O)/iopt.pc: $(O)/pc.vars
	@printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: iopt\nDescription: IOMMU page tables in hardware formats\nVersion: %s\nLibs: -L$${libdir} -liopt\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(call pc_rel,$(LIBDIR))' '$(call pc_rel,$(INCDIR))' '$(VERSION)' > $@

INSTALLED_HEADERS := $(notdir $(wildcard include/iopt/*.h))

install: all $(O)/iopt.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/iopt $(DESTDIR)$(BINDIR)
	install -m 644 include/iopt/*.h $(DESTDIR)$(INCDIR)/iopt/
	install -m 644 $(O)/libiopt.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(O)/libiopt.so $(DESTDIR)$(LIBDIR)/libiopt.so.$(VERSION)
	ln -sf libiopt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libiopt.so.$(SOMAJOR)
	ln -sf libiopt.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libiopt.so
	install -m 644 $(O)/iopt.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(O)/iopt $(DESTDIR)$(BINDIR)/

# The files install writes, then the one directory that is iopt's own; the
# shared directories (lib, include, bin, pkgconfig) stay.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCDIR)/iopt/,$(INSTALLED_HEADERS))
	-rmdir $(DESTDIR)$(INCDIR)/iopt 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libiopt.a $(DESTDIR)$(LIBDIR)/libiopt.so \
		$(DESTDIR)$(LIBDIR)/libiopt.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libiopt.so.$(VERSION)
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/iopt.pc $(DESTDIR)$(BINDIR)/iopt

# A source tarball of the committed tree (HEAD; uncommitted changes are not
# in it): unpacked, it builds and passes make check on its own
# (.ci/steps/dist.sh checks that).
DIST := iopt-$(VERSION)
dist:
	@mkdir -p $(O)
	git archive --format=tar.gz -9 --prefix=$(DIST)/ -o $(O)/$(DIST).tar.gz HEAD
	@echo "$(O)/$(DIST).tar.gz"

# The source lists, one "NAME FILE..." line each (tests/t_meson.sh compares
# meson.build's lists with them).
list-srcs:
	@echo lib $(LIB_SRCS)
	@echo tool $(TOOL_SRCS)
	@echo tests $(TEST_SRCS)

clean:
	rm -rf $(O)

