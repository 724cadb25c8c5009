# bsrun — build orchestrator for untrusted RPM source packages.
# Targets: all (default), asan, check, check-hostdist, fuzz, demo, install, bench, valgrind, clean.
# `make asan check` builds with ASan+UBSan and runs the tests against that build.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/bsrun
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

PKGS       := lua5.4 libcap rpm popt libseccomp libsolv libsolvext libcurl
CC         ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

# The build variant: `asan` anywhere in the goals (or SAN=1) selects ASan+UBSan.
VARIANT    := $(if $(filter asan,$(MAKECMDGOALS))$(SAN),asan,release)
BUILD      := build/$(VARIANT)
ifeq ($(VARIANT),asan)
SANFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPTFLAGS   := -O1 -g
else
SANFLAGS   :=
OPTFLAGS   := -O2 -g
endif
# Record the variant so that switching variants relinks src/bsrun.
$(shell mkdir -p build; [ "$$(cat build/variant 2>/dev/null)" = "$(VARIANT)" ] || echo $(VARIANT) > build/variant)

CFLAGS     ?= $(OPTFLAGS)
ALL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
              -D_GNU_SOURCE -DBSRUN_VERSION='"$(VERSION)"' -DBSRUN_DATADIR='"$(DATADIR)"' \
              -Isrc $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

# `make V=1` shows the full compiler command lines.
Q          := $(if $(V),,@)
say         = $(if $(V),,@printf '  %-6s %s\n' '$(1)' '$(2)';)

CORE_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c))
CORE_OBJS  := $(CORE_SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/initblob.o
# bsrun-init, a context's PID 1 (src/init/main.c): a small static program
# bsrun embeds (src/initblob.S) and executes from a memfd. Always built
# without sanitizers (they do not link statically).
INIT_SRCS  := src/init/main.c src/cinit.c src/rootfs.c src/fsin.c src/caps.c src/ns.c src/reslimits.c \
              src/bserr.c src/procsetup.c src/initcfg.c src/fdpass.c
INIT_OBJS  := $(patsubst src/%.c,$(BUILD)/initobj/%.o,$(INIT_SRCS))
INIT_BIN   := $(BUILD)/bsrun-init
MAIN_OBJ   := $(BUILD)/main.o
TEST_SRCS  := $(wildcard tests/unit/*.c)
TEST_OBJS  := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%.o)
UNIT       := $(BUILD)/unit-tests
# Programs the unit tests run inside contexts (built without sanitizers: they
# measure forks and memory).
HELPERS    := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))

.PHONY: all asan check check-unit check-cli check-lua check-e2e check-hostdist check-attacks check-faults demo install uninstall bench valgrind clean deps check-fuzz check-badinput fuzz fuzz-build check-chain check-slurm
all: src/bsrun
asan: src/bsrun

deps:
	@tools/install-deps

src/bsrun: $(MAIN_OBJ) $(CORE_OBJS) build/variant
	$(call say,LINK,$@ [$(VARIANT)])
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(CORE_OBJS) $(PKG_LIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) Makefile
	@mkdir -p $(@D)
	$(call say,CC,$< [$(VARIANT)])
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/initobj/%.o: src/%.c $(wildcard src/*.h) Makefile
	@mkdir -p $(@D)
	$(call say,CC,$< [init])
	$(Q)$(CC) $(filter-out $(SANFLAGS),$(ALL_CFLAGS)) -O2 -ffunction-sections -fdata-sections -c -o $@ $<

$(INIT_BIN): $(INIT_OBJS)
	$(call say,LINK,$@ [static])
	$(Q)$(CC) -static -s -Wl,--gc-sections -o $@ $(INIT_OBJS) -l:libcap.a

$(BUILD)/initblob.o: src/initblob.S $(INIT_BIN)
	$(call say,AS,$< [$(VARIANT)])
	$(Q)$(CC) -c -DBSRUN_INIT_PATH='"$(abspath $(INIT_BIN))"' -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c $(wildcard src/*.h tests/unit/*.h) Makefile
	@mkdir -p $(@D)
	$(call say,CC,$< [$(VARIANT)])
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DBSRUN_SRCDIR='"$(CURDIR)"' \
	  -DBSRUN_HELPERDIR='"$(abspath $(BUILD))/helpers"' -c -o $@ $<

$(BUILD)/helpers/%: tests/helpers/%.c Makefile
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $<

$(UNIT): $(TEST_OBJS) $(CORE_OBJS) $(HELPERS)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJS) $(CORE_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

# make check: install what is missing, build, run unit and CLI tests.
check: deps
	@$(MAKE) --no-print-directory $(if $(filter asan,$(VARIANT)),SAN=1) check-unit check-lua check-cli check-hostdist check-e2e check-attacks check-chain check-faults check-badinput check-fuzz
	@$(MAKE) --no-print-directory $(if $(filter asan,$(VARIANT)),SAN=1) check-slurm

check-unit: $(UNIT) src/bsrun
	$(UNIT)

check-cli: src/bsrun
	tests/cli/run

# real rebuilds through bsrun against the hostdist repository (made once)
check-e2e: src/bsrun
	tests/e2e/run

# chain builds: planner, local scheduler, chain repository (doc/chains.md)
check-chain: src/bsrun
	tests/chain/run

# hostile builds through bsrun, the host checked afterwards
check-attacks: src/bsrun
	tests/attacks/run

# kill -9 and SIGINT/SIGTERM of bsrun in each phase, the base image race
check-faults: src/bsrun
	tests/faults/run

# chains on a real single-machine Slurm cluster (tests/slurm/cluster); Slurm
# and munge are installed when apt can (tools/install-deps --slurm), else SKIP
check-slurm: src/bsrun
	tests/slurm/run

# the hostdist repository (tools/mkhostdist) built, installed into a
# temporary root and used there (root, apt access; minutes on a first run)
check-hostdist: deps src/bsrun
	tests/hostdist/run

# the policy fixtures once more, in plain Lua (no C in between)
check-lua:
	lua5.4 tests/lua/policy_fixtures.lua
	lua5.4 tests/lua/installopts.lua
	lua5.4 tests/lua/chainplan.lua
	lua5.4 tests/lua/sched_slurm.lua

# libFuzzer targets (tests/fuzz), built with clang into build/fuzz:
# `make fuzz FUZZ_SECONDS=N` runs both for N seconds at once (tests/fuzz/run
# builds them, and SKIPs loudly without clang and libFuzzer; warnings are
# gcc's job, -Werror is not repeated with clang)
FUZZ_CC      ?= $(shell command -v clang-14 || command -v clang)
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -Wall \
                -D_GNU_SOURCE -DBSRUN_VERSION='"$(VERSION)"' -DBSRUN_DATADIR='"$(DATADIR)"' \
                -Isrc $(PKG_CFLAGS) -O1 -g $(FUZZ_SAN)
FUZZ_OBJS    := $(CORE_SRCS:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_DIR)/obj/%.o: src/%.c $(wildcard src/*.h) Makefile
	@mkdir -p $(@D)
	$(call say,CC,$< [fuzz])
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/initblob.o: src/initblob.S $(INIT_BIN)
	@mkdir -p $(@D)
	$(Q)$(CC) -c -DBSRUN_INIT_PATH='"$(abspath $(INIT_BIN))"' -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(FUZZ_DIR)/obj/initblob.o
	$(call say,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DBSRUN_SRCDIR='"$(CURDIR)"' -o $@ $< $(FUZZ_OBJS) $(FUZZ_DIR)/obj/initblob.o $(PKG_LIBS)

.SECONDARY: $(FUZZ_OBJS)
fuzz-build: $(FUZZ_BINS)

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

# a short fuzz of both targets at once (~35 s)
check-fuzz:
	FUZZ_SECONDS=$(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),30) tests/fuzz/run

# bad input through the real command: exit code, one message, nothing left behind
check-badinput: src/bsrun
	tests/badinput/run

valgrind: $(UNIT)
	CK_FORK=no valgrind --quiet --fair-sched=yes --leak-check=full --show-leak-kinds=definite,indirect \
	  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 $(UNIT)

demo: deps
	@$(MAKE) --no-print-directory all
	tools/demo

BENCHES    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

$(BUILD)/bench/%: bench/%.c $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS)

bench: src/bsrun $(BENCHES)
	@tools/install-deps --bench
	BUILD=$(BUILD) bench/run

install: src/bsrun
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 src/bsrun $(DESTDIR)$(BINDIR)/bsrun
	cp -R lua recipes policies $(DESTDIR)$(DATADIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	install -m 0644 doc/bsrun.1 $(DESTDIR)$(MANDIR)/man1/bsrun.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bsrun $(DESTDIR)$(MANDIR)/man1/bsrun.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build src/bsrun
