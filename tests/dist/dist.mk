# How the library is shipped, and its checks (included by the Makefile).
#
#   make single-header   regenerates include/single/proxyproto.h from
#                        include/ and lib/ (tools/scripts/amalgamate.sh); commit it.
#                        Needed after EVERY change to lib/ or include/.
#
#   make dist            writes $(B)/libproxyproto-VERSION.tar.gz and its
#                        .sha256 (tools/scripts/dist.sh): every file git
#                        tracks (sources, tests, captures, fuzz corpus,
#                        examples, man pages, the single header) plus a
#                        MANIFEST; builds and tests without git. Refuses a
#                        stale single header. Reproducible.
#   make distcheck       make dist, then that tarball as a packager uses it
#                        (tests/dist/distcheck.sh): unpacked into the
#                        scratch folder $(B)/distcheck, read-only but for
#                        its build/, it must `make`, `make check` and
#                        `make install DESTDIR=...`, write nothing outside
#                        build/, and `make dist` again to the same bytes.
#                        Its `make check` runs every check of CHECKS but
#                        DISTCHECK_SKIP: unit, CLI, promises, README, example
#                        lines, fuzz replay, single header, version, man,
#                        install, citations; skipped by default are those
#                        that start network daemons (HAProxy, nginx, curl,
#                        python3 http.server): test-integration,
#                        test-preload and test-connect-preload (and
#                        test-mmproxy), which the plain `make check` of CI
#                        runs on the same sources. `make distcheck
#                        DISTCHECK_SKIP=` runs them all. CI (.ci/run) runs
#                        distcheck after `make check`.
#
# Checks added to `make check`:
#   test-single-header-fresh   the committed single header is what the
#                              script writes now (else: make single-header)
#   test-single-header         the whole Check suite, linked against the
#                              single header instead of libproxyproto.a
#   test-single-header-builds  C99/C11/C17, C++11/C++17, two translation
#                              units, PROXYPROTO_STATIC copies, after
#                              <stdio.h> ... (tests/dist/single.sh)
#   test-version               one version everywhere (tests/dist/version.sh)
#   test-man                   man pages lint-clean and complete
#   test-man3                  a page per exported function: its SYNOPSIS
#                              is the header's prototype, the page lint-clean
#                              in 80 columns (tests/dist/man3.sh)
#   test-code-blocks           every C block of README.md and of the man
#                              pages compiles as shown; the man pages'
#                              programs run clean under valgrind
#                              (tests/dist/code_blocks.sh)
#   test-install               install, pkg-config, CMake, uninstall
#                              (tests/dist/install.sh)
#   test-citations             every citation resolves: none of the spec
#                              file users never had, and each "proxyproto(7)
#                              section N" names a section of proxyproto(7)
#                              (tests/dist/citations.sh)

SINGLE_HEADER := include/single/proxyproto.h
# The C++ compiler that goes with CC (CI runs the checks with gcc and clang).
DIST_CXX ?= $(if $(findstring clang,$(CC)),$(subst clang,clang++,$(CC)),$(CXX))

CHECKS += test-single-header-fresh test-single-header test-single-header-builds \
          test-version test-man test-man3 test-code-blocks test-install test-citations

.PHONY: single-header test-single-header-fresh test-single-header \
        test-single-header-builds test-version test-man test-man3 \
        test-code-blocks test-install test-citations dist distcheck

single-header:
	sh tools/scripts/amalgamate.sh -o $(SINGLE_HEADER)

test-single-header-fresh:
	@mkdir -p $(B)/dist
	@sh tools/scripts/amalgamate.sh -o $(B)/dist/fresh-proxyproto.h
	@if cmp -s $(SINGLE_HEADER) $(B)/dist/fresh-proxyproto.h; then \
	    echo "ok - $(SINGLE_HEADER) is up to date with include/ and lib/"; \
	else \
	    diff -u $(SINGLE_HEADER) $(B)/dist/fresh-proxyproto.h | head -n 30; \
	    echo "FAIL - $(SINGLE_HEADER) is stale: include/ or lib/ changed since it was generated."; \
	    echo "       Run 'make single-header' and commit $(SINGLE_HEADER) with your change."; \
	    exit 1; \
	fi

# The implementation as a user compiles it, with the project's warnings.
$(B)/obj/dist/single_impl.o: tests/dist/single_impl.c $(SINGLE_HEADER)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The same test objects as check_proxyproto; only the library differs.
# (Tests that reach into lib/ through internal.h find those functions in
# the single header too: without PROXYPROTO_STATIC they are external.)
$(B)/tests/check_proxyproto_single: $(TEST_OBJ) $(B)/obj/dist/single_impl.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

test-single-header: $(B)/tests/check_proxyproto_single
	@echo "== the Check suite against $(SINGLE_HEADER)"
	CAPTURES=$(CAPTURES) $(B)/tests/check_proxyproto_single

test-single-header-builds: $(STATIC_LIB) $(SINGLE_HEADER)
	CC="$(CC)" CXX="$(DIST_CXX)" LDFLAGS="$(LDFLAGS)" sh tests/dist/single.sh $(B) $(STATIC_LIB)

test-version: lib cli $(B)/proxyproto.pc
	CC="$(CC)" LDFLAGS="$(LDFLAGS)" sh tests/dist/version.sh $(B) $(VERSION)

test-man: man cli
	sh tests/dist/man.sh $(B) $(VERSION) $(B)/bin/proxyproto
	sh tests/dist/man_env.sh

test-man3: man
	sh tests/dist/man3.sh $(B) $(VERSION)

# VALGRIND=no skips the runs under valgrind (the programs still run).
test-code-blocks: man $(STATIC_LIB)
	CC="$(CC)" LDFLAGS="$(LDFLAGS)" sh tests/dist/code_blocks.sh $(B) $(STATIC_LIB)

# The scripts link what they build with LDFLAGS (SANITIZE=... needs it).
# Everything install needs is built first, so the install run by the
# script (a sub-make) builds nothing.
test-install: all man
	MAKE="$(MAKE)" CC="$(CC)" CXX="$(DIST_CXX)" LDFLAGS="$(LDFLAGS)" sh tests/dist/install.sh $(B) $(VERSION)

test-citations:
	sh tests/dist/citations.sh $(B)

dist:
	sh tools/scripts/dist.sh $(B) $(VERSION)

DISTCHECK_SKIP ?= test-integration test-preload test-connect-preload test-mmproxy
# Deferred: the fragments included after this one add to CHECKS too.
DISTCHECK_CHECKS = $(filter-out $(DISTCHECK_SKIP),$(CHECKS))

distcheck: dist
	MAKE="$(MAKE)" CC="$(CC)" LDFLAGS="$(LDFLAGS)" \
	    sh tests/dist/distcheck.sh $(B) $(VERSION) "$(DISTCHECK_CHECKS)"
