# Tests of the transparent relay (tools/mmproxy/), included by the top
# Makefile:
#   make test-mmproxy    (part of make check) tests/mmproxy/run.sh, as root
#                        in a network namespace of its own (unshare -n);
#                        skipped, and said so, when that cannot be had
#
# The server behind the relay, $(MMPROXY_PEER), is static and accepts
# through syscall(): nothing could be preloaded into it.

MMPROXY_PEER := $(B)/tests/mmproxy-peer

.PHONY: test-mmproxy
CHECKS += test-mmproxy

# Static when the C library allows it (glibc's libc.a), else dynamic: the
# test says which it got.
$(MMPROXY_PEER): tests/mmproxy/peer.c
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) -O2 -static -o $@ $< 2>/dev/null || \
	    $(CC) $(WARNINGS) -O2 -o $@ $<

test-mmproxy: $(MMPROXY) cli $(MMPROXY_PEER)
	timeout -k 5 300 bash tests/mmproxy/run.sh $(B)

# make bench-mmproxy [BENCH_MIB=2048 BENCH_CONNS=3000]: MiB/s and conns/s
# through the relay, HAProxy mode tcp and socat, as ratios to a direct
# connection (tests/mmproxy/bench.sh; root, a namespace of its own).
MMPROXY_BENCH := $(B)/tests/mmproxy-bench
.PHONY: bench-mmproxy
$(MMPROXY_BENCH): tests/mmproxy/bench.c
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) -O2 -o $@ $<

bench-mmproxy: $(MMPROXY) $(MMPROXY_BENCH)
	timeout -k 5 600 bash tests/mmproxy/bench.sh $(B)
