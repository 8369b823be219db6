# Cross-architecture tests (included by the top Makefile; issue 12).
#
#   make cross-check                  every flavour below, one after another
#   make cross-check-aarch64          one of them
#   make cross-check CROSS_FLAVOURS="s390x i386"
#
# Each flavour builds the library, the CLI, the Check suite and the fuzz
# replay programs with Debian's cross compiler (or gcc -m32) into
# build-cross/<flavour>/, then runs the Check suite, the CLI tests, the
# corpus replay and the promises under qemu-user. tools/install-deps.sh installs the compilers, qemu-user
# and the Check library of each architecture (dpkg multiarch).
#   aarch64       the ARMv8 CRC32C path on (qemu's CPU has it; the suite
#                 fails unless it is taken: PP_EXPECT_CRC32C_HW=1)
#   aarch64-nohw  the same built with -DPROXYPROTO_CRC32C_PORTABLE (=0)
#   s390x         big-endian, 64-bit
#   i386          32-bit, -m32 (gcc-12-multilib, libc6-dev:i386), under
#                 qemu-i386: this machine's kernel runs no 32-bit program
#                 ("Exec format error"); one test skipped there, whose
#                 pthread_join() after a SIGALRM qemu-i386 breaks
# The programs run on the target's multiarch libc (libc6:arm64, libc6:s390x,
# which check:<arch> brings): `qemu-<arch> -L /` loads /lib/<loader> and
# its own libc. With `-L /usr/<triplet>` the cross toolchain's older
# loader (libc6-<arch>-cross) meets the newer multiarch libc.so.6, and on
# s390x even a hello world dies ("stack smashing detected").
# The examples on event libraries are left out (PKG_EXAMPLES_FOUND=): only
# the build machine's copies of those libraries are installed.

CROSS_ALL := aarch64 aarch64-nohw s390x i386
CROSS_FLAVOURS ?= $(CROSS_ALL)
CROSS_TESTS := test-unit test-cli test-promises test-fuzz-replay

cross_cc_aarch64 := aarch64-linux-gnu-gcc
cross_tools_aarch64 := aarch64-linux-gnu-
cross_run_aarch64 := qemu-aarch64 -L /
cross_hw_aarch64 := 1
cross_cc_aarch64-nohw := aarch64-linux-gnu-gcc
cross_tools_aarch64-nohw := aarch64-linux-gnu-
cross_run_aarch64-nohw := qemu-aarch64 -L /
cross_cppflags_aarch64-nohw := -DPROXYPROTO_CRC32C_PORTABLE
cross_hw_aarch64-nohw := 0
cross_cc_s390x := s390x-linux-gnu-gcc
cross_tools_s390x := s390x-linux-gnu-
cross_run_s390x := qemu-s390x -L /
cross_hw_s390x := 0
cross_cc_i386 := gcc -m32
cross_run_i386 := qemu-i386 -L /
cross_hw_i386 := 0
cross_env_i386 := PP_SKIP_SIGNAL_WAIT=1

.PHONY: cross-check $(CROSS_ALL:%=cross-check-%)
cross-check: $(CROSS_FLAVOURS:%=cross-check-%)

# The CLI tests take a program path: a two-line wrapper runs the CLI under
# the emulator. CFLAGS are the project default, -O2 -g.
$(CROSS_ALL:%=cross-check-%): cross-check-%:
	@echo "== cross-check $* ($(cross_cc_$*)$(if $(cross_run_$*), under $(firstword $(cross_run_$*))))"
	@mkdir -p build-cross/$*/bin
	@printf '#!/bin/sh\nexec %s "%s" "$$@"\n' "$(cross_run_$*)" \
	    "$(CURDIR)/build-cross/$*/bin/proxyproto" > build-cross/$*/bin/proxyproto-run
	@chmod +x build-cross/$*/bin/proxyproto-run
	$(MAKE) -j2 B=build-cross/$* CC="$(cross_cc_$*)" AR=$(cross_tools_$*)ar \
	    NM=$(cross_tools_$*)nm CPPFLAGS="$(CPPFLAGS) $(cross_cppflags_$*)" \
	    PKG_EXAMPLES_FOUND= lib cli build-cross/$*/tests/check_proxyproto fuzz-replay-bins
	PP_EXPECT_CRC32C_HW=$(cross_hw_$*) $(cross_env_$*) $(MAKE) B=build-cross/$* CC="$(cross_cc_$*)" \
	    AR=$(cross_tools_$*)ar NM=$(cross_tools_$*)nm \
	    CPPFLAGS="$(CPPFLAGS) $(cross_cppflags_$*)" PKG_EXAMPLES_FOUND= \
	    RUN="$(cross_run_$*)" CLI_BIN=build-cross/$*/bin/proxyproto-run $(CROSS_TESTS)
