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
    build-essential pkg-config check clang valgrind >/dev/null
echo "install-deps: done"
