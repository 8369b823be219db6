# Frama-C Eva proofs (included by the top Makefile; issue 12).
#
#   make prove                     every harness tests/prove/h_*.c; fails on
#                                  any alarm
#   make prove PROVE_HARNESSES="tests/prove/h_tlv.c"   some of them
#   make prove-proven              the harnesses at zero alarms (.ci/run
#                                  runs these, so they stay at zero)
#
# One line per harness: entry points, input bound, alarms, seconds. Logs in
# $(B)/prove/. PROVE_JOBS=N runs N harnesses at once (default: the CPUs). See tests/prove/README.md.
PROVE_HARNESSES ?=
# h_parse_v1_1_56 first: the longest (about 28 min), so that xargs runs the
# others beside it.
PROVE_PROVEN := tests/prove/h_parse_v1_1_56.c tests/prove/h_format_ip.c tests/prove/h_format_addr.c \
    tests/prove/h_sockaddr.c tests/prove/h_tlv.c tests/prove/h_parse_v2_max.c \
    tests/prove/h_parse_v2.c tests/prove/h_parse_datagram.c tests/prove/h_ssl.c \
    tests/prove/h_vendor.c tests/prove/h_write.c tests/prove/h_write_v1.c \
    tests/prove/h_reader_feed.c tests/prove/h_builder_add.c

.PHONY: prove prove-proven
prove:
	PROVE_OUT=$(B)/prove sh tests/prove/prove.sh $(PROVE_HARNESSES)

prove-proven:
	PROVE_OUT=$(B)/prove sh tests/prove/prove.sh $(PROVE_PROVEN)
