#!/usr/bin/env python3
"""tests/preload/syscalls.py - system calls per accepted connection (D4).

  syscalls.py BUILD_DIR [N]

Runs preload-acceptn (an nginx-like epoll accept loop that closes each
connection) under strace twice: plain, with N clients that send nothing,
and with the preload, with N clients that send a v1 header. The clients
connect and send before the server starts accepting, so every header is
complete at accept (the common path). Prints the system calls made between
the server's two markers, by name, and one line:
  "syscalls plain=P preload=Q n=N extra_per_conn=E"
"""
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(bdir, n, preload, tmp):
    port = free_port()
    out = os.path.join(tmp, "strace-%s.txt" % ("preload" if preload else "plain"))
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    cmd = ["strace", "-f", "-qq", "-o", out]
    if preload:
        cmd += ["-E", "LD_PRELOAD=%s/lib/libproxyproto-preload.so" % bdir]
    cmd += ["%s/tests/preload-acceptn" % bdir, str(port), str(n)]
    srv = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    if srv.stdout.readline().strip() != b"ready":
        srv.kill()
        sys.exit("server did not start")
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        hdr = b"PROXY TCP4 203.0.113.%d 127.0.0.1 %d %d\r\n" % (i % 250 + 1, 40000 + i, port)
        s.sendall((hdr if preload else b"") + b"x")
        socks.append(s)
    time.sleep(0.2)
    srv.stdin.write(b"go\n")
    srv.stdin.flush()
    try:
        srv.wait(timeout=30)
    except subprocess.TimeoutExpired:
        srv.kill()
    for s in socks:
        s.close()
    calls = collections.Counter()
    inside = False
    with open(out) as f:
        for line in f:
            m = re.match(r"^\d+\s+([a-z0-9_]+)\(", line)
            if not m:
                continue
            if m.group(1) == "getppid":
                if inside:
                    break
                inside = True
                continue
            if inside:
                calls[m.group(1)] += 1
    return calls


def main():
    bdir = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        plain = run(bdir, n, False, tmp)
        pre = run(bdir, n, True, tmp)
    for name in sorted(set(plain) | set(pre)):
        print("  %-12s plain %5d  preload %5d" % (name, plain[name], pre[name]))
    p, q = sum(plain.values()), sum(pre.values())
    print("syscalls plain=%d preload=%d n=%d extra_per_conn=%.2f" % (p, q, n, (q - p) / float(n)))


if __name__ == "__main__":
    main()
