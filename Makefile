# memmon - build, test, bench.  See README.md.
#
#   make            build ./memmon
#   make check      unit tests (anywhere) + integration tests (root+tracefs, else skipped)
#   make check-asan the same tests against an ASan/UBSan build (build-asan/)
#   make fuzz       fuzz the report/info path for FUZZ_SECONDS (clang's libFuzzer,
#                   build-fuzz/; see tests/fuzz/README)
#   make check-kernels  the recording tests inside Debian's own kernels under qemu
#                   (tests/kernels/run: fetches the packages, needs qemu-system-x86)
#   make bench      benchmarks against trace-cmd and perf (root; slow)
#   make demo       record the bundled demo program and print its report
#   make install    the binary, the malloc interposer, man pages (1, 5) and bash completion under
#                   PREFIX (/usr/local); DESTDIR, BINDIR, MANDIR, COMPLETIONDIR
#                   and plugin_memmon.so in libtraceevent's plugin directory
#                   (TRACEEVENT_PLUGINDIR), for trace-cmd report
#   make uninstall  remove what install put there

CC      ?= cc
# libtracecmd: report reads trace-cmd's trace.dat through it (format/tracecmd.c)
PKGS    := libtracefs libtraceevent libtracecmd libzstd libelf
DEPCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
OPT     ?= -O2 -g
CFLAGS  += -std=gnu11 $(OPT) -Wall -Wextra -Werror -I. $(DEPCFLAGS) -D_GNU_SOURCE -MMD -MP
# libiberty (no pkg-config file): report's C++/Rust demangler (report/model/demangle.c)
LDLIBS  += $(DEPLIBS) -liberty -lpthread
O       ?= build

SRC_CORE   := util.c $(wildcard format/*.c) $(wildcard plugins/*.c)
# report/ by layer (report/README): the model, the analyses on it, the
# views that print them, the commands
SRC_REPORT := $(wildcard report/model/*.c report/analyses/*.c report/views/*.c report/*.c)
SRC_CMDS   := $(wildcard record/*.c) $(SRC_REPORT)
LIB_SRC    := $(SRC_CORE) $(SRC_CMDS)
# the --html page, built in as data (report/views/html-asset.S)
LIB_ASM    := report/views/html-asset.S
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o) $(LIB_ASM:%.S=$(O)/%.o)
UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%) $(O)/tests/test-fuzz-replay
PROG_SRC   := $(wildcard tests/progs/*.c) demo/demo.c
PROG_BIN   := $(patsubst %.c,$(O)/%,$(PROG_SRC)) $(O)/tests/progs/names-prog-nopie \
	      $(O)/tests/progs/libnames.so $(O)/tests/progs/map-calls-fp $(O)/tests/progs/cxx-names

# the malloc interposer record --malloc preloads into CMD: a library of its
# own, never built with the sanitizers of the memmon it sits beside (their
# runtimes must come first in a program), found next to the binary
PRELOAD_SRC := $(wildcard record/interposer/*.c)
PRELOAD_LIB := $(O)/libmemmon-malloc.so
PRELOAD_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -D_GNU_SOURCE -fPIC \
	-fexceptions -fvisibility=hidden -ftls-model=initial-exec

# memmon's print handlers as a libtraceevent plugin, for trace-cmd report
# (plugins/traceevent/): plugins/print.c and symbolic.c only, position-
# independent, never sanitized (it is loaded into other programs)
TEP_PLUGIN_SRC := plugins/traceevent/plugin_memmon.c plugins/print.c plugins/symbolic.c
TEP_PLUGIN := $(O)/plugin_memmon.so

all: memmon progs

# ./memmon is a link to the default build; other build dirs leave it alone
memmon: $(O)/memmon $(PRELOAD_LIB) $(TEP_PLUGIN)
	@if [ "$(O)" = build ]; then ln -sf build/memmon memmon; fi

binaries: $(O)/memmon $(PRELOAD_LIB) $(TEP_PLUGIN) progs

$(TEP_PLUGIN): $(TEP_PLUGIN_SRC) plugins/decoder.h plugins/event.h plugins/symbolic.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. $(DEPCFLAGS) -D_GNU_SOURCE -fPIC \
		-fvisibility=hidden -shared -o $@ $(TEP_PLUGIN_SRC) \
		$(shell pkg-config --libs libtraceevent 2>/dev/null)

$(PRELOAD_LIB): $(PRELOAD_SRC) $(wildcard record/interposer/*.h) format/heapops.h
	@mkdir -p $(dir $@)
	$(CC) $(PRELOAD_CFLAGS) -shared -o $@ $(PRELOAD_SRC) -ldl -lpthread

$(O)/memmon: $(O)/memmon.o $(O)/libmemmon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/libmemmon.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
$(O)/report/views/html-asset.o: report/views/html/page.html

# unit tests link the library plus the tiny harness
$(O)/tests/test-%: tests/unit/test-%.c tests/unit/harness.h $(O)/libmemmon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(O)/libmemmon.a $(LDLIBS)

# the kept fuzz inputs, replayed through the fuzz target's entry point
$(O)/tests/test-fuzz-replay: tests/fuzz/replay.c tests/fuzz/fuzz-report.c $(O)/libmemmon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/fuzz-report.c $(O)/libmemmon.a $(LDLIBS)

# test programs: plain, static-free, no optimisation surprises
$(O)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $< -lpthread

# issue 13's program keeps frame pointers (its stacks are whole), in a PIE
# and a fixed build; the library it opens with dlopen
NAMES_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -D_GNU_SOURCE
$(O)/tests/progs/names-prog: tests/progs/names-prog.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -o $@ $<
$(O)/tests/progs/names-prog-nopie: tests/progs/names-prog.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -fno-pie -no-pie -o $@ $<
# a program of one function that keeps frame pointers (t-stacks: the C
# runtime's functions, which keep none, do not outvote it)
$(O)/tests/progs/map-calls-fp: tests/progs/map-calls.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -o $@ $<
# C++ (t-names: demangled names), with frame pointers for its stacks
$(O)/tests/progs/cxx-names: tests/progs/cxx-names.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=gnu++17 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -o $@ $<
$(O)/tests/progs/fp-leaves: tests/progs/fp-leaves.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -o $@ $<
$(O)/tests/progs/fp-sched: tests/progs/fp-sched.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -o $@ $<
$(O)/tests/progs/heap-stacks: tests/progs/heap-stacks.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -o $@ $< -lpthread
$(O)/tests/progs/libnames.so: tests/progs/lib/names-lib.c
	@mkdir -p $(dir $@)
	$(CC) $(NAMES_CFLAGS) -fPIC -shared -o $@ $<

$(O)/demo/demo: demo/demo.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

progs: $(PROG_BIN) $(UNIT_BIN)

check: all
	MEMMON_BUILD=$(O) tests/run

SAN_OPT    := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

check-asan:
	$(MAKE) O=build-asan OPT="$(SAN_OPT)" LDFLAGS="-fsanitize=address,undefined" binaries
	MEMMON_BUILD=build-asan $(SAN_ENV) tests/run

asan: check-asan

# the unit tests only, under sanitizers
asan-unit:
	$(MAKE) O=build-asan OPT="$(SAN_OPT)" LDFLAGS="-fsanitize=address,undefined" binaries
	MEMMON_BUILD=build-asan $(SAN_ENV) tests/run test-

# libFuzzer (clang) with ASan/UBSan over the fuzz target; the corpus grows
# in build-fuzz/corpus, failing inputs land in build-fuzz/artifacts/.
# Niced: fuzzing shares the machine.
FUZZ_SECONDS ?= 600
FUZZ_FLAGS ?= -max_len=131072 -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
	-close_fd_mask=2 -dict=tests/fuzz/memmon.dict -print_final_stats=1
FUZZ_OPT   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fsanitize=fuzzer-no-link -fno-omit-frame-pointer

$(O)/fuzz-report: tests/fuzz/fuzz-report.c tests/fuzz/mutator.c $(O)/libmemmon.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ tests/fuzz/fuzz-report.c tests/fuzz/mutator.c \
		$(O)/libmemmon.a $(LDLIBS)

fuzz-build:
	$(MAKE) O=build-fuzz CC=clang OPT="$(FUZZ_OPT)" LDFLAGS="-fsanitize=address,undefined" \
		build-fuzz/fuzz-report

fuzz: fuzz-build
	@mkdir -p build-fuzz/corpus build-fuzz/artifacts
	nice -n 19 build-fuzz/fuzz-report $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=build-fuzz/artifacts/ build-fuzz/corpus tests/fuzz/seeds

# Debian 12's kernels (6.1 and its cloud flavour) booted under qemu
check-kernels: all $(O)/tests/test-holes
	MEMMON_BUILD=$(O) tests/kernels/run

demo: all
	./memmon record -o demo.dat -- $(O)/demo/demo
	./memmon report demo.dat

bench: all
	bench/run

# Installed layout (git's and perf's): the man pages where man(1) finds
# them, so `memmon CMD --help` and `man memmon-CMD` show the same page.
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
MANDIR        ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
MAN1 := $(wildcard Documentation/*.1)
MAN5 := $(wildcard Documentation/*.5)

# the interposer goes where record looks for it: BINDIR/../lib/memmon
PRELOAD_DIR = $(BINDIR)/../lib/memmon
# the libtraceevent plugin goes where libtraceevent looks for plugins: its
# .pc's plugin_dir when it says one, else Debian's LIBDIR/traceevent/plugins
# (outside PREFIX, as other packages' plugins are)
TRACEEVENT_PLUGINDIR ?= $(or $(shell pkg-config --variable=plugin_dir libtraceevent 2>/dev/null),\
	$(shell pkg-config --variable=libdir libtraceevent 2>/dev/null)/traceevent/plugins)

install: $(O)/memmon $(PRELOAD_LIB) $(TEP_PLUGIN)
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man5' \
		'$(DESTDIR)$(COMPLETIONDIR)' '$(DESTDIR)$(PRELOAD_DIR)' '$(DESTDIR)$(TRACEEVENT_PLUGINDIR)'
	install -m 644 $(TEP_PLUGIN) '$(DESTDIR)$(TRACEEVENT_PLUGINDIR)/plugin_memmon.so'
	install -m 755 $(O)/memmon '$(DESTDIR)$(BINDIR)/memmon'
	install -m 644 $(PRELOAD_LIB) '$(DESTDIR)$(PRELOAD_DIR)/libmemmon-malloc.so'
	install -m 644 $(MAN1) '$(DESTDIR)$(MANDIR)/man1/'
	install -m 644 $(MAN5) '$(DESTDIR)$(MANDIR)/man5/'
	install -m 644 Documentation/memmon-completion.bash '$(DESTDIR)$(COMPLETIONDIR)/memmon'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/memmon' '$(DESTDIR)$(COMPLETIONDIR)/memmon'
	rm -f '$(DESTDIR)$(PRELOAD_DIR)/libmemmon-malloc.so'
	rm -f '$(DESTDIR)$(TRACEEVENT_PLUGINDIR)/plugin_memmon.so'
	-rmdir '$(DESTDIR)$(PRELOAD_DIR)' 2>/dev/null
	rm -f $(patsubst Documentation/%,'$(DESTDIR)$(MANDIR)/man1/%',$(MAN1))
	rm -f $(patsubst Documentation/%,'$(DESTDIR)$(MANDIR)/man5/%',$(MAN5))

clean:
	rm -rf build build-asan build-fuzz memmon


.PHONY: install uninstall
.PHONY: all memmon binaries progs check check-asan check-kernels asan asan-unit fuzz fuzz-build demo bench clean
-include $(shell find $(O) -name '*.d' 2>/dev/null)
