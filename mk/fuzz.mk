# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Fuzzing with libFuzzer (tests/fuzz/: fuzz_ops, fuzz_tables, fuzz_trace,
# fuzz_write).
#
#   make fuzz [FUZZ_SECONDS=60]   build every target with clang
#                       -fsanitize=fuzzer,address,undefined (the library too,
#                       for coverage) into $(O)-fuzz, then run each for
#                       FUZZ_SECONDS on tests/fuzz/corpus/<target>/. New inputs
#                       go to $(O)-fuzz/corpus/<target>/, never into the
#                       repository; a crash leaves its input in
#                       $(O)-fuzz/artifacts/ and fails the run. A target
#                       with a dictionary (tests/fuzz/<target>.dict) gets it.
#   make fuzz-build     only build them.
#   make fuzz-replay    build the targets with the normal compiler and a
#                       plain main() (tests/fuzz/replay_main.c) into
#                       $(O)/fuzz-replay/ and run each over its committed
#                       corpus (TAP). A single input: $(O)/fuzz-replay/fuzz_ops FILE
#   make fuzz-merge     minimise: merge $(O)-fuzz/corpus/<target>/ into the
#                       committed corpus (-set_cover_merge=1 over edges
#                       only, -use_counters=0: a small set of inputs that
#                       covers every edge the committed ones miss, so the
#                       corpus stays small enough for make check); review
#                       and commit the result. Seeds are made by
#                       tests/fuzz/seeds.py.
#
# `make check` needs none of this: tests/test_fuzz_corpus.c replays all the
# committed corpora as an ordinary test program.
#
# Variables:
#   FUZZ_TARGETS   ops tables trace write
#   FUZZ_SECONDS   60 (per target)
#   FUZZ_CC        clang
#   FUZZ_ARGS      extra libFuzzer flags, e.g. -jobs=4 or -max_len=8192
#   FUZZ_O         $(O)-fuzz

FUZZ_TARGETS ?= ops tables trace write
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_ARGS    ?=
FUZZ_O       ?= $(O)-fuzz

# Input size limits per target (libFuzzer -max_len).
FUZZ_MAXLEN_ops    := 2048
FUZZ_MAXLEN_tables := 4096
FUZZ_MAXLEN_trace  := 4096
FUZZ_MAXLEN_write  := 2048

# Seconds one input may run (libFuzzer -timeout). fuzz_write's inputs are
# at most 192 calls on small trees; an input that takes longer is walking
# a hostile table exponentially (with the inline labels array the target
# has no visit counter of its own).
FUZZ_TIMEOUT_write := 10

FUZZ_DEPS := tests/fuzz/fuzz.h tests/model.h \
	$(wildcard include/iopt/*.h src/*.h src/*/*.h)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-merge fuzz-build-here

# The instrumented library is built by the main Makefile's own rules in a
# sub-make with O=$(FUZZ_O), so it has exactly the sources every other build
# has (including those other mk/*.mk files add).
fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || \
		{ echo "fuzz: $(FUZZ_CC) not found (Debian: apt-get install clang)"; exit 1; }
	$(MAKE) --no-print-directory O=$(FUZZ_O) CC=$(FUZZ_CC) SAN=1 \
		OPT="-O1 -g" CFLAGS="-fsanitize=fuzzer-no-link" \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-build-here

fuzz-build-here: $(FUZZ_TARGETS:%=$(O)/fuzz/fuzz_%)

$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(O)/libiopt.a $(O)/tests/model.o $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -fsanitize=fuzzer -o $@ $< \
		$(O)/tests/model.o $(O)/libiopt.a $(LDSAN)

fuzz: fuzz-build
	@mkdir -p $(FUZZ_O)/artifacts
	@for t in $(FUZZ_TARGETS); do \
		case $$t in ops) ml=$(FUZZ_MAXLEN_ops);; tables) ml=$(FUZZ_MAXLEN_tables);; \
			write) ml=$(FUZZ_MAXLEN_write);; *) ml=$(FUZZ_MAXLEN_trace);; esac; \
		tmo=25; [ $$t = write ] && tmo=$(FUZZ_TIMEOUT_write); \
		mkdir -p $(FUZZ_O)/corpus/$$t; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
		$(FUZZ_O)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=$$tmo -rss_limit_mb=4096 -max_len=$$ml \
			-print_final_stats=1 $$dict \
			-artifact_prefix=$(FUZZ_O)/artifacts/$$t- $(FUZZ_ARGS) \
			$(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t \
			>$(FUZZ_O)/fuzz-$$t.log 2>&1; \
		rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^(SUMMARY|==[0-9]+==ERROR)' \
			$(FUZZ_O)/fuzz-$$t.log; \
		if [ $$rc -ne 0 ]; then \
			tail -n 60 $(FUZZ_O)/fuzz-$$t.log; \
			echo "fuzz $$t FAILED (exit $$rc); log $(FUZZ_O)/fuzz-$$t.log, inputs:"; \
			ls $(FUZZ_O)/artifacts/$$t-* 2>/dev/null; \
			exit 1; \
		fi; \
	done; echo "fuzz: no crashes in $(FUZZ_TARGETS)"

fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t; \
		$(FUZZ_O)/fuzz/fuzz_$$t -set_cover_merge=1 -use_counters=0 \
			tests/fuzz/corpus/$$t \
			$(FUZZ_O)/corpus/$$t 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' ; \
	done

$(O)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(O)/libiopt.a \
		$(O)/tests/model.o $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay_main.c \
		$(O)/tests/model.o $(O)/libiopt.a $(LDSAN)

fuzz-replay: $(FUZZ_TARGETS:%=$(O)/fuzz-replay/fuzz_%)
	@fail=0; for t in $(FUZZ_TARGETS); do \
		echo "# === fuzz_$$t"; \
		$(O)/fuzz-replay/fuzz_$$t || fail=1; \
	done; exit $$fail

# The corpus replay test includes the targets' sources: rebuild it when they
# change (the pattern rule in the Makefile only knows tests/test_*.c).
$(O)/tests/test_fuzz_corpus: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)
