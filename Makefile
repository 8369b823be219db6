# libproxyproto - plain make, out of tree under build/.
#   make                 library (static + shared), proxyproto.pc, CLI, examples
#   make check           build and run every test
#   make demo            show headers being decoded and the client address recovered
#   make install         honours DESTDIR, PREFIX, LIBDIR, INCLUDEDIR, BINDIR, MANDIR
#   make single-header   regenerates include/single/proxyproto.h (commit it)
#   make dist            build/libproxyproto-VERSION.tar.gz and its .sha256
#   make distcheck       that tarball unpacked, built, checked and installed
#                        (tests/dist/dist.mk says which checks)
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
MANDIR ?= $(PREFIX)/share/man
CMAKEDIR ?= $(LIBDIR)/cmake/proxyproto
DESTDIR ?=

CC ?= cc
NM ?= nm
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
CLI_SRC := $(sort $(wildcard tools/cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)
# Examples on an event library or OpenSSL, each built when pkg-config finds
# its library (tools/scripts/install-deps.sh installs them all).
PKG_EXAMPLES := libevent-server libuv-server uring-server tls-server
pkg_libevent-server := libevent
pkg_libuv-server := libuv
pkg_uring-server := liburing
pkg_tls-server := openssl
PKG_EXAMPLES_FOUND := $(foreach e,$(PKG_EXAMPLES),$(if $(shell pkg-config --exists $(pkg_$(e)) && echo y),$(e)))
EXAMPLE_SRC := $(filter-out $(PKG_EXAMPLES:%=examples/%.c),$(sort $(wildcard examples/*.c)))
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(B)/bin/%) $(PKG_EXAMPLES_FOUND:%=$(B)/bin/%)

CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

.PHONY: all lib cli examples man check test-unit test-unit-portable test-tables test-cli test-promises test-example-lines demo install uninstall clean
all: lib $(B)/proxyproto.pc cli examples

lib: $(STATIC_LIB) $(SHARED_LIB) $(B)/lib/$(SONAME) $(B)/lib/libproxyproto.so
cli: $(B)/bin/proxyproto
examples: $(EXAMPLES)

# Headers are few: every object depends on all of them.
HEADERS := include/proxyproto.h $(wildcard lib/*.h tools/cli/*.h tests/*.h examples/*.h)

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
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'
$(B)/proxyproto.pc: proxyproto.pc.in include/proxyproto.h Makefile
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

$(B)/bin/proxyproto: $(CLI_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC_LIB)

$(B)/bin/%: examples/%.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -pthread -o $@ $< $(STATIC_LIB)

$(PKG_EXAMPLES:%=$(B)/bin/%): $(B)/bin/%: examples/%.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $$(pkg-config --cflags $(pkg_$*)) $(LDFLAGS) -o $@ $< \
	    $(STATIC_LIB) $$(pkg-config --libs $(pkg_$*))

$(B)/tests/check_proxyproto: $(TEST_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(STATIC_LIB) $(CHECK_LIBS)

# Captures recorded from real HAProxy and nginx (copied from shared/captures).
CAPTURES ?= tests/captures

# What `make check` runs; the fragments below add their own.
CHECKS := test-unit test-unit-portable test-tables test-cli test-promises test-example-lines

# Each concern with a folder of its own brings its targets in a fragment.
-include tests/bench/bench.mk tests/bench/e2e.mk fuzz/fuzz.mk tests/integration/integration.mk \
    tests/dist/dist.mk tools/preload/preload.mk tools/connect/connect.mk tools/mmproxy/mmproxy.mk \
    tests/mmproxy/mmproxy.mk tests/cross/cross.mk tests/prove/prove.mk

check: all $(CHECKS)

# RUN runs a built program: empty here, an emulator in make cross-check
# (tests/cross/cross.mk), which also gives the CLI tests a wrapper (CLI_BIN).
RUN ?=
CLI_BIN ?= $(B)/bin/proxyproto

test-unit: $(B)/tests/check_proxyproto
	CAPTURES=$(CAPTURES) $(RUN) $(B)/tests/check_proxyproto

# The Check suite again with -DPROXYPROTO_PORTABLE: no SIMD or CRC32C
# instruction, the code other CPUs run (lib/tcp4_ssse3.h, lib/crc32c.c).
test-unit-portable:
	$(MAKE) --no-print-directory B=$(B)/portable CFLAGS="$(CFLAGS) -DPROXYPROTO_PORTABLE" test-unit

# Tables generated by tools/scripts/ are what their script writes.
test-tables:
	@python3 tools/scripts/ipv4_table.py | cmp -s - lib/ipv4_table.h || \
	    { echo "lib/ipv4_table.h is stale: python3 tools/scripts/ipv4_table.py > lib/ipv4_table.h"; exit 1; }
	@echo "ok - lib/ipv4_table.h is what tools/scripts/ipv4_table.py writes"

test-cli: cli
	CAPTURES=$(CAPTURES) sh tests/cli.sh $(CLI_BIN)

# The library allocates nothing and exports only proxyproto_ names.
test-promises: lib
	NM="$(NM)" sh tests/promises.sh $(STATIC_LIB) $(SHARED_LIB)

# Each example server's lines for the PROXY protocol, as the README says.
test-example-lines:
	sh tests/example_lines.sh

demo: all
	@sh tools/scripts/demo.sh $(B)/bin

# Man pages: tools/man/ with the version filled in. A page per function
# (tools/man/functions/, into man3): a page of its own, or a one-line
# `.so man3/OTHER.3` link to the page of its family.
FUNCTION_PAGES := $(patsubst tools/man/functions/%,$(B)/man/man3/%,$(sort $(wildcard tools/man/functions/*.3)))
MANPAGES := $(B)/man/proxyproto.1 $(B)/man/proxyproto-mmproxy.1 $(B)/man/proxyproto.3 $(B)/man/proxyproto.7 \
	    $(B)/man/libproxyproto-preload.8 $(B)/man/libproxyproto-connect.8 $(FUNCTION_PAGES)
man: $(MANPAGES)
$(B)/man/man3/%: tools/man/functions/% include/proxyproto.h
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|g' $< > $@
$(B)/man/%: tools/man/% include/proxyproto.h
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|g' $< > $@

# CMake package files (tools/cmake/), relocatable like the .pc: they find
# the prefix from where they lie, as many ".." up as CMAKEDIR is deep below
# PREFIX (absolute paths when it is not below PREFIX).
empty :=
CMAKE_UP = $(subst $(empty) $(empty),/,$(patsubst %,..,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(CMAKEDIR)))))
CMAKE_PREFIX = $(if $(filter $(PREFIX)/%,$(CMAKEDIR)),$${CMAKE_CURRENT_LIST_DIR}/$(CMAKE_UP),$(PREFIX))
CMAKE_SED = sed -e 's|@PREFIX@|$(CMAKE_PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${_proxyproto_prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${_proxyproto_prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
	    -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|g' -e 's|@SONAME@|$(SONAME)|g' \
	    -e 's|@SHARED_LIB@|$(notdir $(SHARED_LIB))|g' \
	    -e "s|@SIZEOF_VOID_P@|$$(echo __SIZEOF_POINTER__ | $(CC) -E -P -x c -)|g"

# Installs the header, both libraries (the .so with its soname and
# development links), proxyproto.pc, the CLI, the man pages (the preloads'
# pages too, though not the preloads themselves) and the CMake
# package. The .pc and CMake files are written here, from the PREFIX of
# this command. Not installed: include/single/proxyproto.h (copied by hand).
# Keep uninstall in step: tests/dist/install.sh checks that it removes
# exactly what install laid down.
INSTALL_STAGE = $(B)/install-stage
install: all $(MANPAGES)
	@mkdir -p $(INSTALL_STAGE)
	$(PC_SED) proxyproto.pc.in > $(INSTALL_STAGE)/proxyproto.pc
	$(CMAKE_SED) tools/cmake/proxyprotoConfig.cmake.in > $(INSTALL_STAGE)/proxyprotoConfig.cmake
	$(CMAKE_SED) tools/cmake/proxyprotoConfigVersion.cmake.in > $(INSTALL_STAGE)/proxyprotoConfigVersion.cmake
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(CMAKEDIR)
	install -m 644 include/proxyproto.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libproxyproto.so
	install -m 644 $(INSTALL_STAGE)/proxyproto.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 755 $(B)/bin/proxyproto $(B)/bin/proxyproto-mmproxy $(DESTDIR)$(BINDIR)/
	install -m 644 $(B)/man/proxyproto.1 $(B)/man/proxyproto-mmproxy.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(B)/man/proxyproto.3 $(FUNCTION_PAGES) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(B)/man/proxyproto.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(B)/man/libproxyproto-preload.8 $(B)/man/libproxyproto-connect.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(INSTALL_STAGE)/proxyprotoConfig.cmake \
	    $(INSTALL_STAGE)/proxyprotoConfigVersion.cmake $(DESTDIR)$(CMAKEDIR)/

# Removes the files install laid down, and the one directory that is ours.
uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/proxyproto.h \
	      $(DESTDIR)$(LIBDIR)/libproxyproto.a \
	      $(DESTDIR)$(LIBDIR)/$(notdir $(SHARED_LIB)) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libproxyproto.so \
	      $(DESTDIR)$(PKGCONFIGDIR)/proxyproto.pc \
	      $(DESTDIR)$(BINDIR)/proxyproto \
	      $(DESTDIR)$(BINDIR)/proxyproto-mmproxy \
	      $(DESTDIR)$(MANDIR)/man1/proxyproto.1 \
	      $(DESTDIR)$(MANDIR)/man1/proxyproto-mmproxy.1 \
	      $(DESTDIR)$(MANDIR)/man3/proxyproto.3 \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(FUNCTION_PAGES))) \
	      $(DESTDIR)$(MANDIR)/man7/proxyproto.7 \
	      $(DESTDIR)$(MANDIR)/man8/libproxyproto-preload.8 \
	      $(DESTDIR)$(MANDIR)/man8/libproxyproto-connect.8 \
	      $(DESTDIR)$(CMAKEDIR)/proxyprotoConfig.cmake \
	      $(DESTDIR)$(CMAKEDIR)/proxyprotoConfigVersion.cmake
	rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true

clean:
	rm -rf $(B)
