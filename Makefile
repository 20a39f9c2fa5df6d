# dsnidx: bounce indexer. See README.md.
#
#   make            build build/dsnidx and build/libdsnidx.a
#   make test       install missing dependencies, build, run all tests
#   make demo       install missing dependencies, build, index corpus/, report
#   make conformance  agreement with a corpus of known results (CORPUS=dir)
#   make bench      throughput beside Perl Sisimai and cat/grep/zstd (bench/)
#   make asan       build build-asan/dsnidx with AddressSanitizer and UBSan
#   make asan-check run the test suite against that build
#   make valgrind-check  the end-to-end tests under valgrind (slow)
#   make fuzz       run each libFuzzer target for FUZZ_TIME seconds (clang)
#   make install    install to $(PREFIX) (default /usr/local)
#
# Variables: CC (gcc or clang), WERROR=1 (warnings are errors, as in CI),
# PREFIX, DESTDIR, SISIMAI_CORPUS (where the shared real-bounce corpus is).

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
SISIMAI_CORPUS ?= ../shared/corpus/sisimai-train

PKGS      := libarchive libzstd sqlite3 libpcre2-8
TEST_PKGS := cmocka

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
endif
OPT     ?= -O2 -g
# Recursive (=) so that pkg-config runs after `deps` has installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = -std=c17 -D_POSIX_C_SOURCE=200809L $(OPT) $(WARN) $(PKG_CFLAGS) $(SAN) $(CFLAGS) -Icore -I$(BUILD)/gen
LDLIBS_ALL = $(PKG_LIBS) -lpthread $(SAN) $(LDFLAGS) $(LDLIBS)

CORE_SRC := $(wildcard core/*.c)
CORE_OBJ := $(CORE_SRC:core/%.c=$(BUILD)/core/%.o) $(BUILD)/gen/rules_builtin.o
CMD_SRC  := $(wildcard cmd/*.c)
CMD_OBJ  := $(CMD_SRC:cmd/%.c=$(BUILD)/cmd/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check-deps test check unit e2e containers incremental reports logs hostile valgrind-check fuzz-replay fuzz sisimai conformance crosscheck bench demo asan asan-check install clean

all: check-deps $(BUILD)/dsnidx $(BUILD)/libdsnidx.a

check-deps:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	  echo "Missing build dependencies ($(PKGS))." >&2; \
	  echo "Run: scripts/install-deps.sh   (make test and make demo run it for you)" >&2; \
	  exit 1; }

deps:
	@pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null || scripts/install-deps.sh

$(BUILD)/dsnidx: $(CMD_OBJ) $(BUILD)/libdsnidx.a
	$(CC) -o $@ $(CMD_OBJ) $(BUILD)/libdsnidx.a $(LDLIBS_ALL)

$(BUILD)/libdsnidx.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/core/%.o: core/%.c $(wildcard core/*.h) | $(BUILD)/core
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c cmd/cli.h core/dsnidx.h | $(BUILD)/cmd
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/gen/rules_builtin.c: core/rules/reasons.rules scripts/embed.sh | $(BUILD)/gen
	scripts/embed.sh dx_builtin_rules $< > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/rules_builtin.o: $(BUILD)/gen/rules_builtin.c
	$(CC) $(CFLAGS_ALL) -Wno-missing-variable-declarations -c -o $@ $<

$(BUILD)/core $(BUILD)/cmd $(BUILD)/gen $(BUILD)/tests:
	mkdir -p $@

# ---- tests -------------------------------------------------------------------

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h $(BUILD)/libdsnidx.a | $(BUILD)/tests
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(BUILD)/libdsnidx.a $(shell pkg-config --cflags --libs cmocka) $(LDLIBS_ALL)

test: deps
	$(MAKE) check

check: all unit e2e containers incremental reports logs hostile fuzz-replay sisimai

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: $(BUILD)/dsnidx
	DSNIDX=$(BUILD)/dsnidx sh tests/e2e.sh

# The end-to-end tests with dsnidx under valgrind (tests/tools/valgrind.sh):
# any memcheck error or definite leak fails, and is printed. Slow (minutes):
# the CRLF, bare-CR and CR CR LF copies of the samples are left to the
# ASan/UBSan run (asan-check), which parses them all.
valgrind-check: all
	@command -v valgrind >/dev/null 2>&1 || sh scripts/install-deps.sh valgrind
	rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	VALGRIND_DSNIDX=$(CURDIR)/$(BUILD)/dsnidx VALGRIND_LOGS=$(CURDIR)/$(BUILD)/valgrind \
	  E2E_LINE_ENDINGS=0 DSNIDX=tests/tools/valgrind.sh sh tests/e2e.sh
	@bad=$$(find $(BUILD)/valgrind -type f -size +0); \
	if [ -n "$$bad" ]; then cat $$bad; echo "valgrind: errors in $$(echo $$bad | wc -w) runs" >&2; exit 1; fi; \
	echo "valgrind: $$(ls $(BUILD)/valgrind | wc -l) runs of dsnidx, no error"

# Archives and compressed forms of corpus/, built at test time.
$(BUILD)/tests/mkarchive: tests/tools/mkarchive.c | $(BUILD)/tests
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(LDLIBS_ALL)

# Hostile inputs, generated at test time; bounded runs their commands with a
# time limit and measures peak memory. The sanitizer build needs more memory
# (shadow memory, quarantine), hence the larger bound when SAN is set.
$(BUILD)/tests/mkhostile: tests/tools/mkhostile.c | $(BUILD)/tests
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(LDLIBS_ALL)

$(BUILD)/tests/bounded: tests/tools/bounded.c | $(BUILD)/tests
	$(CC) $(CFLAGS_ALL) -D_DEFAULT_SOURCE -Wno-missing-prototypes -o $@ $< $(LDLIBS_ALL)

HOSTILE_RSS_MB = $(if $(SAN),1500,400)
hostile: $(BUILD)/dsnidx $(BUILD)/tests/mkarchive $(BUILD)/tests/mkhostile $(BUILD)/tests/bounded
	DSNIDX=$(BUILD)/dsnidx MKARCHIVE=$(BUILD)/tests/mkarchive MKHOSTILE=$(BUILD)/tests/mkhostile \
	  BOUNDED=$(BUILD)/tests/bounded HOSTILE_RSS_MB=$(HOSTILE_RSS_MB) sh tests/hostile.sh

containers: $(BUILD)/dsnidx $(BUILD)/tests/mkarchive
	DSNIDX=$(BUILD)/dsnidx MKARCHIVE=$(BUILD)/tests/mkarchive sh tests/containers.sh

incremental: $(BUILD)/dsnidx
	DSNIDX=$(BUILD)/dsnidx sh tests/incremental.sh

reports: $(BUILD)/dsnidx
	DSNIDX=$(BUILD)/dsnidx sh tests/reports.sh

logs: $(BUILD)/dsnidx
	DSNIDX=$(BUILD)/dsnidx sh tests/logs.sh

sisimai: $(BUILD)/dsnidx $(BUILD)/tests/mkarchive
	@if [ -d "$(SISIMAI_CORPUS)" ]; then \
	  DSNIDX=$(BUILD)/dsnidx MKARCHIVE=$(BUILD)/tests/mkarchive sh tests/sisimai.sh "$(SISIMAI_CORPUS)"; \
	else echo "sisimai: $(SISIMAI_CORPUS) not found; skipped (it is CI-only data)"; fi

# Agreement per field with a corpus of real bounces whose results are known
# (CORPUS=dir holding eml/ and expected.tsv), failing below tests/conformance-floor.
CORPUS ?= $(SISIMAI_CORPUS)
conformance: $(BUILD)/dsnidx
	@if [ -d "$(CORPUS)" ]; then \
	  DSNIDX=$(BUILD)/dsnidx sh scripts/conformance.sh --floor tests/conformance-floor "$(CORPUS)"; \
	else echo "conformance: $(CORPUS) not found (set CORPUS=dir)"; exit 1; fi

# Real bounces of other projects' test corpora (flufl.bounce, BounceParser),
# fetched from Debian into build/crosscheck; network needed, not part of
# `make test`. See scripts/crosscheck.sh.
crosscheck: $(BUILD)/dsnidx
	DSNIDX=$(BUILD)/dsnidx CROSSCHECK_DIR=$(BUILD)/crosscheck sh scripts/crosscheck.sh

# ---- fuzzing ------------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/): `make fuzz FUZZ_TIME=600` runs each for
# that many seconds (clang needed; installed on Debian/Ubuntu if missing).
# `fuzz-replay`, part of `make check`, runs the same target code, built with
# $(CC) and without libFuzzer, on the regression inputs and the corpus.
FUZZ_TARGETS := mbox scan mime decoders decode classify container maillog
FUZZ_TIME ?= 60
FUZZ_DIR  := build-fuzz

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz_view.h $(BUILD)/libdsnidx.a | $(BUILD)/tests
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(BUILD)/libdsnidx.a $(LDLIBS_ALL)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  inputs=$$(find tests/fuzz/regress/$$t corpus/mail corpus/logs -type f 2>/dev/null | LC_ALL=C sort); \
	  $(BUILD)/fuzz/replay_$$t $$inputs; \
	  echo "fuzz-replay: $$t: $$(echo $$inputs | wc -w) inputs, no fault"; \
	done

fuzz: deps
	@command -v clang >/dev/null 2>&1 || sh scripts/install-deps.sh clang
	$(MAKE) CC=clang BUILD=$(FUZZ_DIR) OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" $(FUZZ_DIR)/libdsnidx.a
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_TIME=$(FUZZ_TIME) FUZZ_TARGETS="$(FUZZ_TARGETS)" LDLIBS_ALL="$(LDLIBS_ALL)" \
	  CFLAGS_FUZZ="-std=c17 -D_POSIX_C_SOURCE=200809L -O1 -g -Icore -I$(FUZZ_DIR)/gen $(PKG_CFLAGS)" sh scripts/fuzz.sh

# ---- benchmark ----------------------------------------------------------------------
# Beside Perl Sisimai and cat/grep/zstd on generated inputs; rewrites the
# table in bench/README.md. See bench/README.md.
bench: deps
	$(MAKE) all
	DSNIDX=$(CURDIR)/$(BUILD)/dsnidx sh bench/run.sh

# ---- demo, sanitizers, install --------------------------------------------------

demo: deps
	$(MAKE) all
	rm -f dsnidx.db dsnidx.db-wal dsnidx.db-shm
	$(BUILD)/dsnidx index corpus/mail corpus/logs
	$(BUILD)/dsnidx report --by status,reason
	$(BUILD)/dsnidx report --by reporting_mta,domain --top 10
	$(BUILD)/dsnidx report --by domain --rates --top 5

ASAN_VARS = BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

asan:
	$(MAKE) $(ASAN_VARS) all

# The whole test suite against the sanitizer build.
asan-check: deps
	$(MAKE) $(ASAN_VARS) check

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/dsnidx $(DESTDIR)$(PREFIX)/bin/dsnidx
	install -m 644 $(BUILD)/libdsnidx.a $(DESTDIR)$(PREFIX)/lib/libdsnidx.a
	install -m 644 core/dsnidx.h $(DESTDIR)$(PREFIX)/include/dsnidx.h
	install -m 644 docs/dsnidx.1 $(DESTDIR)$(PREFIX)/share/man/man1/dsnidx.1

clean:
	rm -rf build build-asan
