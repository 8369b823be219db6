# make bench        times every case of tests/bench/bench.c (medians of rounds)
# make bench-instr  instructions per operation of the same cases, by callgrind:
#                   the default build's "instr: <case> N instr/op" lines
#                   first, then "instr[<flags>]: ..." for each flavour of
#                   BENCH_FLAVOURS (library and bench built with those flags
#                   in $(B)/flavour-<name>/), then any case a flavour makes
#                   more than 10% worse than the default build
# Neither is part of `make check`: timings depend on the machine and its load.
# BENCH_ARGS passes options to the bench, e.g. BENCH_ARGS="--filter parse/v1".

BENCH := $(B)/bench/bench
BENCH_ARGS ?=
BENCH_INSTR_ITERS ?= 2000
# The bench's own optimisation (the library's is CFLAGS'); a flavour sets
# both. Flavours: '_' stands for a space. -march=native goes with
# -mno-avx512f: valgrind 3.19 (Debian 12) cannot run AVX-512 code, and
# -march=native emits it on a CPU that has it.
BENCH_OPT ?= -O2
BENCH_FLAVOURS ?= -O3 -O3_-march=native_-mno-avx512f -Os

# Client requests of callgrind when <valgrind/callgrind.h> is there; else
# instr.sh toggles collection on the bench's loop function.
BENCH_CALLGRIND := $(shell printf '\043include <valgrind/callgrind.h>\n' | \
    $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo -DBENCH_HAVE_CALLGRIND=1)

.PHONY: bench bench-instr

# The project warnings and flags, at -O2 whatever CFLAGS says.
$(BENCH): tests/bench/bench.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(BENCH_OPT) -Ilib $(BENCH_CALLGRIND) $(LDFLAGS) -o $@ \
	    tests/bench/bench.c $(STATIC_LIB)

bench: $(BENCH)
	$(BENCH) $(BENCH_ARGS) $(CAPTURES)

bench-instr: $(BENCH)
	@mkdir -p $(B)/bench
	sh tests/bench/instr.sh $(BENCH) $(CAPTURES) $(BENCH_INSTR_ITERS) $(BENCH_ARGS) \
	    | tee $(B)/bench/instr.txt
	@set -e; for f in $(BENCH_FLAVOURS); do \
	    flags=$$(echo "$$f" | tr '_' ' '); \
	    dir=$(B)/flavour$$(echo "$$f" | tr -c 'A-Za-z0-9\n' '-'); \
	    $(MAKE) -s --no-print-directory B=$$dir CFLAGS="$$flags -g" \
	        BENCH_OPT="$$flags" $$dir/bench/bench >$(B)/bench/flavour.log 2>&1 \
	        || { cat $(B)/bench/flavour.log; exit 1; }; \
	    INSTR_LABEL="$$flags" sh tests/bench/instr.sh $$dir/bench/bench $(CAPTURES) \
	        $(BENCH_INSTR_ITERS) $(BENCH_ARGS) | tee -a $(B)/bench/instr.txt; \
	done
	@awk '$$1 == "instr:" { base[$$2] = $$3 } \
	    $$1 ~ /^instr\[/ { f = $$0; sub(/\]:.*/, "]", f); sub(/^instr/, "", f); \
	        if (base[$$NF == "instr/op" ? $$(NF-2) : ""] == "") next; \
	        b = base[$$(NF-2)]; n = $$(NF-1); \
	        if (b > 0 && n > 1.1 * b) { bad++; \
	            printf "instr-worse: %s %s %.1f vs %.1f at the default (+%.0f%%)\n", f, $$(NF-2), n, b, 100 * (n - b) / b } } \
	    END { if (bad) printf "instr-flavours: %d case(s) more than 10%% worse than the default build\n", bad; \
	          else print "instr-flavours: every case within 10% of the default build" }' $(B)/bench/instr.txt
