#!/bin/sh
# Installs what building and testing libproxyproto needs on Debian/Ubuntu.
# Run as root (or through sudo). Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
# make cross-check (tests/cross/cross.mk) links the Check suite for arm64,
# s390x and i386: those architectures' Check library comes through dpkg
# multiarch. The amd64 machine runs them with qemu-user (i386 natively).
for arch in arm64 s390x i386; do
    dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
done
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config check clang libclang-rt-14-dev valgrind \
    cmake groff-base python3 \
    haproxy nginx libnginx-mod-stream curl socat netcat-openbsd openssl nodejs postgresql \
    libevent-dev libuv1-dev liburing-dev libssl-dev \
    qemu-user gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-12-multilib \
    libc6-dev-arm64-cross libc6-dev-s390x-cross \
    libc6-dev:i386 check:arm64 check:s390x check:i386 \
    frama-c-base >/dev/null
echo "install-deps: done"
