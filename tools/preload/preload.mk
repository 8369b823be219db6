# The preload library (tools/preload/, included by the top Makefile): the
# PROXY protocol for unmodified, dynamically linked servers, loaded with
# LD_PRELOAD (README: "Unmodified servers: the preload library").
#
#   make                 also builds $(B)/lib/libproxyproto-preload.so
#   make bench-preload   tools/preload/bench.sh: system calls per accepted
#                        connection, nginx CPU per request vs plain
#   make test-preload    (part of make check) tests/preload/run.sh: python3
#                        http.server, nginx and a probe server behind
#                        HAProxy and `proxyproto send`; robust.sh: the
#                        same under abuse (signals, floods, stalled headers);
#                        handoff.sh: connections passed to another process
#                        (a C pre-fork server, node cluster); postgres.sh:
#                        PostgreSQL behind HAProxy, pg_hba.conf, checks;
#                        reload.sh: nginx's graceful reload
#
# Its sources are tools/preload/*.c, one concern each (preload.c says which),
# sharing tools/preload/preload.h. The library is linked in statically;
# preload.map exports only the libc functions it intercepts. It is built without sanitizers even under
# SANITIZE=...: a sanitized .so cannot be preloaded into programs that are
# not (python3, nginx), so with SANITIZE the library's sources are compiled
# a second time for it.

PRELOAD_SO := $(B)/lib/libproxyproto-preload.so
PRELOAD_SRC := $(sort $(wildcard tools/preload/*.c))
PRELOAD_OBJ := $(PRELOAD_SRC:tools/preload/%.c=$(B)/obj/preload/%.o)
PRELOAD_PROBE := $(B)/tests/preload-probe
PRELOAD_SIGCLOSE := $(B)/tests/preload-sigclose
PRELOAD_ACCEPTN := $(B)/tests/preload-acceptn
PRELOAD_STALE := $(B)/tests/preload-stale
PRELOAD_PASSFD := $(B)/tests/preload-passfd
PRELOAD_SELACCEPT := $(B)/tests/preload-selaccept
PRELOAD_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS))
PRELOAD_LDFLAGS := $(filter-out -fsanitize=%,$(LDFLAGS))
PRELOAD_ALL_CFLAGS := $(WARNINGS) -Iinclude $(CPPFLAGS) $(PRELOAD_CFLAGS)
ifdef SANITIZE
PRELOAD_LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/preload/%.o)
else
PRELOAD_LIB_OBJ := $(LIB_OBJ)
endif

.PHONY: preload test-preload bench-preload
all: $(PRELOAD_SO)
preload: $(PRELOAD_SO)
CHECKS += test-preload

$(B)/obj/preload/%.o: tools/preload/%.c tools/preload/preload.h tools/common/settings_text.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/obj/preload/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) -fPIC -fvisibility=hidden -DPROXYPROTO_BUILDING -c $< -o $@

$(PRELOAD_SO): $(PRELOAD_OBJ) $(PRELOAD_LIB_OBJ) tools/preload/preload.map
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_CFLAGS) $(PRELOAD_LDFLAGS) -shared -Wl,-z,defs \
	    -Wl,--version-script=tools/preload/preload.map -o $@ \
	    $(PRELOAD_OBJ) $(PRELOAD_LIB_OBJ) -pthread -ldl

# A plain server that knows nothing of PROXY (not linked with the library):
# prints what accept, getpeername and getsockname tell it, and echoes.
$(PRELOAD_PROBE): tests/preload/probe.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -pthread -o $@ $<

# The stop-on-SIGTERM pattern: a handler closes the listener and the epoll
# descriptor while the loop is in accept (issue 13, D1).
$(PRELOAD_SIGCLOSE): tests/preload/sigclose.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $<

# What accepting costs, in system calls (strace) (issue 13, D4).
$(PRELOAD_ACCEPTN): tests/preload/acceptn.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $<

# An address-table entry left by a close the preload did not see.
$(PRELOAD_STALE): tests/preload/stale.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $<

# A pre-fork server that passes connections to a child (SCM_RIGHTS).
$(PRELOAD_PASSFD): tests/preload/passfd.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $<

# A server in PostgreSQL's postmaster's manner: signals only in select(),
# a blocking accept only when select said so.
$(PRELOAD_SELACCEPT): tests/preload/selaccept.c
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_ALL_CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $<

# robust.sh makes 1000-connection floods: it runs at a lower priority so
# that suites running beside it under make -j2 keep their timings.
test-preload: all $(PRELOAD_PROBE) $(PRELOAD_SIGCLOSE) $(PRELOAD_ACCEPTN) $(PRELOAD_STALE) \
		$(PRELOAD_PASSFD) $(PRELOAD_SELACCEPT)
	timeout -k 5 300 bash tests/preload/run.sh $(B)
	timeout -k 5 120 bash tests/preload/handoff.sh $(B)
	timeout -k 5 120 bash tests/preload/postgres.sh $(B)
	timeout -k 5 60 bash tests/preload/reload.sh $(B)
	timeout -k 5 300 nice -n 5 bash tests/preload/robust.sh $(B)

bench-preload: all $(PRELOAD_ACCEPTN)
	bash tools/preload/bench.sh $(B)
