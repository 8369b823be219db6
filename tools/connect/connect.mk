# The connect preload (tools/connect/, included by the top Makefile): the
# sending side of the PROXY protocol for unmodified, dynamically linked
# clients, loaded with LD_PRELOAD (README: "Unmodified clients: the connect
# preload").
#
#   make                      also builds $(B)/lib/libproxyproto-connect.so
#   make test-connect-preload (part of make check) tests/connect/run.sh:
#                             curl, python3 (urllib, asyncio), nc and a
#                             non-blocking C client through it to HAProxy
#                             accept-proxy and nginx proxy_protocol
#
# Its sources are tools/connect/*.c, one concern each (intercept.c says
# which), sharing tools/connect/connect.h. The library is linked in
# statically; connect.map exports only the libc functions it intercepts.
# Like the receive preload (preload.mk) it is built without sanitizers:
# it is preloaded into programs that are not (curl, python3, nc).

CONNECT_SO := $(B)/lib/libproxyproto-connect.so
CONNECT_SRC := $(sort $(wildcard tools/connect/*.c))
CONNECT_OBJ := $(CONNECT_SRC:tools/connect/%.c=$(B)/obj/connect/%.o)
CONNECT_NBCLIENT := $(B)/tests/connect-nbclient
CONNECT_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS))
CONNECT_LDFLAGS := $(filter-out -fsanitize=%,$(LDFLAGS))
CONNECT_ALL_CFLAGS := $(WARNINGS) -Iinclude $(CPPFLAGS) $(CONNECT_CFLAGS)
ifdef SANITIZE
CONNECT_LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/connect/%.o)
else
CONNECT_LIB_OBJ := $(LIB_OBJ)
endif

.PHONY: connect-preload test-connect-preload
all: $(CONNECT_SO)
connect-preload: $(CONNECT_SO)
CHECKS += test-connect-preload

$(B)/obj/connect/%.o: tools/connect/%.c tools/connect/connect.h tools/common/settings_text.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CONNECT_ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/obj/connect/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CONNECT_ALL_CFLAGS) -fPIC -fvisibility=hidden -DPROXYPROTO_BUILDING -c $< -o $@

$(CONNECT_SO): $(CONNECT_OBJ) $(CONNECT_LIB_OBJ) tools/connect/connect.map
	@mkdir -p $(@D)
	$(CC) $(CONNECT_CFLAGS) $(CONNECT_LDFLAGS) -shared -Wl,-z,defs \
	    -Wl,--version-script=tools/connect/connect.map -o $@ \
	    $(CONNECT_OBJ) $(CONNECT_LIB_OBJ) -pthread -ldl

# A client that knows nothing of PROXY (not linked with the library):
# connects without blocking (EINPROGRESS, poll), then sends in the way
# asked, and prints the reply.
$(CONNECT_NBCLIENT): tests/connect/nbclient.c
	@mkdir -p $(@D)
	$(CC) $(CONNECT_ALL_CFLAGS) $(CONNECT_LDFLAGS) -o $@ $<

test-connect-preload: all $(CONNECT_NBCLIENT)
	timeout -k 5 300 bash tests/connect/run.sh $(B)
