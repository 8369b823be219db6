# make bench        times every case of tests/bench/bench.c (medians of rounds)
# make bench-instr  instructions per operation of the same cases, by callgrind
# Neither is part of `make check`: timings depend on the machine and its load.
# BENCH_ARGS passes options to the bench, e.g. BENCH_ARGS="--filter parse/v1".

BENCH := $(B)/bench/bench
BENCH_ARGS ?=
BENCH_INSTR_ITERS ?= 2000

# Client requests of callgrind when <valgrind/callgrind.h> is there; else
# instr.sh toggles collection on the bench's loop function.
BENCH_CALLGRIND := $(shell printf '\043include <valgrind/callgrind.h>\n' | \
    $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo -DBENCH_HAVE_CALLGRIND=1)

.PHONY: bench bench-instr

# The project warnings and flags, at -O2 whatever CFLAGS says.
$(BENCH): tests/bench/bench.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -Ilib $(BENCH_CALLGRIND) $(LDFLAGS) -o $@ \
	    tests/bench/bench.c $(STATIC_LIB)

bench: $(BENCH)
	$(BENCH) $(BENCH_ARGS) $(CAPTURES)

bench-instr: $(BENCH)
	sh tests/bench/instr.sh $(BENCH) $(CAPTURES) $(BENCH_INSTR_ITERS) $(BENCH_ARGS)
