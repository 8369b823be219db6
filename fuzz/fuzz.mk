# Fuzzing (included by the top Makefile).
#
#   make fuzz                       libFuzzer targets in $(B)/fuzz/ (clang)
#   make fuzz-run FUZZ_SECONDS=N    each target N seconds on its corpus,
#                                   leaks detected; fails on any report
#   make fuzz-merge                 rewrites fuzz/corpus/<name>/: the seeds of
#                                   fuzz/seeds.py (and the captures), the
#                                   regress-* inputs, then whatever else adds
#                                   edge coverage (-merge=1) from the corpus
#                                   and $(B)/fuzz/corpus/<name>/
#   make test-fuzz-replay           (part of make check) every corpus input
#                                   through every target, built with $(CC)
#                                   and no libFuzzer, each input also placed
#                                   against an unreadable page
#
# Targets: fuzz/fuzz_<name>.c, corpus in fuzz/corpus/<name>/ (committed,
# minimized with -merge=1), one dictionary fuzz/proxyproto.dict. New inputs
# a run finds go to $(B)/fuzz/corpus/<name>/, not into the committed corpus;
# crashes to $(B)/fuzz/artifacts/. See fuzz/README.md.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OUT := $(B)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS ?= -O1 -g
FUZZ_ALL_CFLAGS := $(WARNINGS) -Iinclude $(FUZZ_CFLAGS) -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_FLAGS ?=

# The reader target needs the socket layer's feed function (lib/reader.c).
FUZZ_NAMES := parse chunked roundtrip v1 v1_ref
ifneq ($(shell grep -l proxyproto_reader_feed lib/*.c 2>/dev/null),)
FUZZ_NAMES += reader
endif

FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o)
FUZZ_HEADERS := $(HEADERS) fuzz/fuzz.h fuzz/v1_ref.h
REPLAY_BINS := $(FUZZ_NAMES:%=$(B)/fuzz-replay/replay_%)

.PHONY: fuzz fuzz-run fuzz-merge test-fuzz-replay fuzz-replay-bins
CHECKS += test-fuzz-replay

fuzz: $(FUZZ_BINS)

# Kept between builds (they are intermediate to make's pattern chain).
.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_OUT)/obj/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer-no-link -DPROXYPROTO_BUILDING -c $< -o $@

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ)

# Runs each target for FUZZ_SECONDS. -error_exitcode and the sanitizers'
# halt_on_error make any crash, leak, timeout or sanitizer report fail.
fuzz-run: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=0 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -detect_leaks=1 \
	        -timeout=25 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
	        -dict=fuzz/proxyproto.dict -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t- \
	        $(FUZZ_FLAGS) $(FUZZ_OUT)/corpus/$$t fuzz/corpus/$$t \
	        || { echo "fuzz-run: $$t FAILED (artifacts in $(FUZZ_OUT)/artifacts/)"; exit 1; }; \
	done

fuzz-merge: $(FUZZ_BINS)
	@set -e; rm -rf $(FUZZ_OUT)/seeds; python3 fuzz/seeds.py $(FUZZ_OUT)/seeds; \
	for t in $(FUZZ_NAMES); do \
	    new=$(FUZZ_OUT)/merge/$$t; rm -rf $$new; mkdir -p $$new $(FUZZ_OUT)/corpus/$$t; \
	    cp $(FUZZ_OUT)/seeds/$$t/* $$new/; \
	    case $$t in parse|chunked|reader) cp $(CAPTURES)/*.bin $$new/;; esac; \
	    for f in fuzz/corpus/$$t/regress-*; do [ -f "$$f" ] && cp "$$f" $$new/; done; \
	    $(FUZZ_OUT)/fuzz_$$t -merge=1 -use_counters=0 -use_value_profile=0 -max_len=4096 \
	        $$new fuzz/corpus/$$t $(FUZZ_OUT)/corpus/$$t 2>$(FUZZ_OUT)/merge/$$t.log; \
	    rm -rf fuzz/corpus/$$t; cp -r $$new fuzz/corpus/$$t; \
	    echo "fuzz-merge: $$t: $$(ls fuzz/corpus/$$t | wc -l) files"; \
	done

# Replay: the targets built with $(CC) and $(CFLAGS) (so SANITIZE= applies)
# against the static library, with fuzz/replay.c as main().
$(B)/fuzz-replay/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(STATIC_LIB) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_REPLAY $(LDFLAGS) -o $@ $< fuzz/replay.c $(STATIC_LIB)

fuzz-replay-bins: $(REPLAY_BINS)

# The captures are replayed too through the targets that take raw input.
test-fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(FUZZ_NAMES); do \
	    extra=; \
	    case $$t in parse|chunked|reader) extra=$(CAPTURES);; esac; \
	    $(RUN) $(B)/fuzz-replay/replay_$$t fuzz/corpus/$$t $$extra; \
	done
