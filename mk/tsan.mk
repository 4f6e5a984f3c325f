# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Threads: the concurrency test, and ThreadSanitizer.
#
#   make check     builds tests/test_concurrency.c like every test, plus
#                  -pthread (below); it runs a short number of rounds.
#   make tsan      builds the library and the test programs it runs (with
#                  TSAN_ALL=1 every one) with -fsanitize=thread into
#                  $(O)-tsan, then runs the
#                  concurrency test with TSAN_ROUNDS rounds per configuration
#                  through tests/run.sh (TAP; ends with "N passed, N failed").
#                  Fails when a test fails and on any ThreadSanitizer report:
#                  the programs stop at the first one (halt_on_error=1, exit
#                  code 66), and the output is searched for reports as well.
#
# The contract under test (include/iopt/iopt.h, header comment): map and unmap
# of disjoint ranges may run concurrently, also when they share interior
# tables; lookups may run beside them on ranges nobody is changing.
#
# Variables:
#   TSAN_O       $(O)-tsan    build directory
#   TSAN_ROUNDS  1000         IOPT_TEST_CONC_ROUNDS for the concurrency test
#                             (an IOPT_TEST_CONC_ROUNDS in the environment wins)
#   TSAN_ALL     0            1: run every test program, not only the
#                             concurrency test (the others are single-threaded
#                             and slow under TSan, so by default neither
#                             built nor run)
#   TSAN_OPTS    ThreadSanitizer options; TSAN_OPTIONS from the environment
#                is appended, so it can override them
# CC=gcc and CC=clang both work (Debian ships the runtime with each). Where
# the runtime cannot map its shadow memory (older runtimes on kernels with
# more mmap randomisation: "FATAL: ThreadSanitizer: unexpected memory
# mapping"), the programs run with address-space randomisation off (setarch -R).

# -pthread for this one test, compiling and linking (the pattern rule does
# both). private: what it builds on its way (library, model.o) keeps its flags.
$(O)/tests/test_concurrency: private ALL_CFLAGS += -pthread

TSAN_O      ?= $(O)-tsan
TSAN_ROUNDS ?= 1000
TSAN_ALL    ?= 0
TSAN_OPTS   ?= halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=4
TSAN_FLAGS  := -fsanitize=thread -fno-omit-frame-pointer

# Expanded in recipes only: this file is read before the Makefile lists TEST_SRCS.
tsan_bins = $(patsubst tests/%.c,$(TSAN_O)/tests/%,$(TEST_SRCS))
tsan_run  = $(if $(filter 1,$(TSAN_ALL)),$(tsan_bins),$(TSAN_O)/tests/test_concurrency)
# TSAN_ALL=1 also builds the tool and runs the scripts (tests/t_*.sh).
tsan_goal = $(if $(filter 1,$(TSAN_ALL)),all $(tsan_bins),$(tsan_run))
tsan_scripts = $(if $(filter 1,$(TSAN_ALL)),1,0)

.PHONY: tsan
tsan:
	@$(MAKE) --no-print-directory O=$(TSAN_O) SAN= \
		CFLAGS='$(CFLAGS) $(TSAN_FLAGS)' LDSAN='$(TSAN_FLAGS)' \
		$(tsan_goal)
	@printf 'int main(void) { return 0; }\n' | \
		$(CC) $(TSAN_FLAGS) -x c - -o $(TSAN_O)/tsan-probe || \
		{ echo "tsan: $(CC) cannot link with -fsanitize=thread"; exit 1; }
	@log=$(TSAN_O)/tsan.log; pre=; \
	if ! $(TSAN_O)/tsan-probe >/dev/null 2>&1; then \
		pre="setarch $$(uname -m) -R"; \
		$$pre $(TSAN_O)/tsan-probe >/dev/null 2>&1 || \
			{ echo "tsan: ThreadSanitizer programs do not run here:"; \
			  $(TSAN_O)/tsan-probe; exit 1; }; \
		echo "tsan: running with address-space randomisation off ($$pre)"; \
	fi; \
	{ TSAN_OPTIONS="$(TSAN_OPTS) $$TSAN_OPTIONS" \
	  IOPT_TEST_CONC_ROUNDS=$${IOPT_TEST_CONC_ROUNDS:-$(TSAN_ROUNDS)} \
	  RUN_SCRIPTS=$(tsan_scripts) O=$(TSAN_O) $$pre sh tests/run.sh $(tsan_run); \
	  echo $$? >$(TSAN_O)/tsan.rc; } 2>&1 | tee $$log; \
	rc=$$(cat $(TSAN_O)/tsan.rc); \
	if grep -q 'WARNING: ThreadSanitizer' $$log; then \
		echo "tsan: ThreadSanitizer reported $$(grep -c 'WARNING: ThreadSanitizer' $$log) problem(s); log in $$log"; \
		rc=1; \
	fi; \
	exit $$rc
