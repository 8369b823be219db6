# libproxyproto - plain make, out of tree under build/.
#   make                 library (static + shared), proxyproto.pc, CLI, examples
#   make check           build and run every test
#   make demo            show headers being decoded and the client address recovered
#   make install         honours DESTDIR, PREFIX, LIBDIR, INCLUDEDIR, BINDIR
#   make SANITIZE=address,undefined check   the tests under sanitizers

VERSION_MAJOR := $(shell sed -n 's/^\#define PROXYPROTO_VERSION_MAJOR \([0-9]*\).*/\1/p' include/proxyproto.h)
VERSION_MINOR := $(shell sed -n 's/^\#define PROXYPROTO_VERSION_MINOR \([0-9]*\).*/\1/p' include/proxyproto.h)
VERSION_PATCH := $(shell sed -n 's/^\#define PROXYPROTO_VERSION_PATCH \([0-9]*\).*/\1/p' include/proxyproto.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(EXEC_PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS := $(WARNINGS) -Iinclude $(CPPFLAGS) $(CFLAGS)

B ?= build
SONAME := libproxyproto.so.$(VERSION_MAJOR)
STATIC_LIB := $(B)/lib/libproxyproto.a
SHARED_LIB := $(B)/lib/libproxyproto.so.$(VERSION)

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_SRC := $(sort $(wildcard tools/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(B)/bin/%)

CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

.PHONY: all lib cli examples check test-unit test-cli test-promises demo install uninstall clean
all: lib $(B)/proxyproto.pc cli examples

lib: $(STATIC_LIB) $(SHARED_LIB) $(B)/lib/$(SONAME) $(B)/lib/libproxyproto.so
cli: $(B)/bin/proxyproto
examples: $(EXAMPLES)

# Headers are few: every object depends on all of them.
HEADERS := include/proxyproto.h $(wildcard lib/*.h tools/*.h tests/*.h)

$(B)/obj/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DPROXYPROTO_BUILDING -c $< -o $@

$(B)/obj/tools/%.o: tools/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/obj/tests/%.o: tests/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(CHECK_CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -o $@ $^

$(B)/lib/$(SONAME) $(B)/lib/libproxyproto.so: $(SHARED_LIB)
	ln -sf $(notdir $(SHARED_LIB)) $@

# Relocatable: paths under PREFIX are written relative to ${prefix}.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
$(B)/proxyproto.pc: proxyproto.pc.in include/proxyproto.h Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(B)/bin/proxyproto: $(CLI_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC_LIB)

$(B)/bin/%: examples/%.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -pthread -o $@ $< $(STATIC_LIB)

$(B)/tests/check_proxyproto: $(TEST_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(STATIC_LIB) $(CHECK_LIBS)

# Captures recorded from real HAProxy and nginx (copied from shared/captures).
CAPTURES ?= tests/captures

# What `make check` runs; the fragments below add their own.
CHECKS := test-unit test-cli test-promises

# Each concern with a folder of its own brings its targets in a fragment.
-include tests/bench/bench.mk fuzz/fuzz.mk tests/integration/integration.mk tests/dist/dist.mk

check: all $(CHECKS)

test-unit: $(B)/tests/check_proxyproto
	CAPTURES=$(CAPTURES) $(B)/tests/check_proxyproto

test-cli: cli
	CAPTURES=$(CAPTURES) sh tests/cli.sh $(B)/bin/proxyproto

# The library allocates nothing and exports only proxyproto_ names.
test-promises: lib
	sh tests/promises.sh $(STATIC_LIB) $(SHARED_LIB)

demo: all
	@sh tools/demo.sh $(B)/bin

install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/proxyproto.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libproxyproto.so
	install -m 644 $(B)/proxyproto.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 755 $(B)/bin/proxyproto $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/proxyproto.h \
	      $(DESTDIR)$(LIBDIR)/libproxyproto.a \
	      $(DESTDIR)$(LIBDIR)/$(notdir $(SHARED_LIB)) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libproxyproto.so \
	      $(DESTDIR)$(PKGCONFIGDIR)/proxyproto.pc \
	      $(DESTDIR)$(BINDIR)/proxyproto

clean:
	rm -rf $(B)
