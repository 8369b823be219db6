# The transparent relay (tools/mmproxy/, included by the top Makefile):
# build/bin/proxyproto-mmproxy, for servers nothing can be preloaded into.
# Linux only (IP_TRANSPARENT, splice, epoll).
#
#   make                  also builds $(B)/bin/proxyproto-mmproxy
#   make mmproxy          just that

MMPROXY := $(B)/bin/proxyproto-mmproxy
MMPROXY_SRC := $(sort $(wildcard tools/mmproxy/*.c))
MMPROXY_OBJ := $(MMPROXY_SRC:%.c=$(B)/obj/%.o)

.PHONY: mmproxy
all: $(MMPROXY)
mmproxy: $(MMPROXY)

$(B)/obj/tools/mmproxy/%.o: tools/mmproxy/%.c tools/mmproxy/mmproxy.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(MMPROXY): $(MMPROXY_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $(MMPROXY_OBJ) $(STATIC_LIB)
