#!/bin/sh
# Installs what building and testing libproxyproto needs on Debian/Ubuntu.
# Run as root (or through sudo). Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config check clang libclang-rt-14-dev valgrind \
    cmake groff-base python3 \
    haproxy nginx libnginx-mod-stream curl socat openssl \
    libevent-dev libuv1-dev liburing-dev libssl-dev >/dev/null
echo "install-deps: done"
