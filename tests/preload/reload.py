#!/usr/bin/env python3
"""tests/preload/reload.py - what a graceful reload (SIGHUP to nginx's
master) does to connections around it (tests/preload/reload.sh).

    reload.py MASTER_PID PORT...

For each PORT (nginx under the preload, nginx's own proxy_protocol), opens:
  - "mid1", "mid2": part of a v1 (v2) header before the reload, the rest
    and a request after it;
  - "before": a whole header and request just before the reload;
then sends SIGHUP to MASTER_PID, watches the "mid" connections for a
second (closed?), sends the rest to those still open, and prints per
connection one line "PORT CASE STATUS MS BODY": STATUS is the HTTP status
line's code, "eof" (closed without a reply), "reset" or "timeout"; MS the
time from the reload to that outcome, or for a "mid" connection still open
after the second, from sending it the rest to the answer; BODY the
answer's last line ("-" for none). Every wait is bounded (8 s).
"""
import os
import select
import signal
import socket
import struct
import sys
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(src, sport, dport):
    body = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def outcome(s, t0):
    s.settimeout(8)
    data = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except socket.timeout:
        return "timeout", int((time.monotonic() - t0) * 1000), "-"
    except ConnectionResetError:
        return "reset", int((time.monotonic() - t0) * 1000), "-"
    ms = int((time.monotonic() - t0) * 1000)
    if not data:
        return "eof", ms, "-"
    body = data.rstrip(b"\n").split(b"\n")[-1].decode(errors="replace").replace(" ", "_")
    return data.split(b" ")[1].decode(), ms, body


def main():
    master = int(sys.argv[1])
    ports = [int(p) for p in sys.argv[2:]]
    mids = []   # (port, case, socket, rest)
    befores = []
    for p in ports:
        h1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 %d\r\n" % p
        h2 = v2("203.0.113.17", 5556, p)
        for case, h, cut in (("mid1", h1, 23), ("mid2", h2, 20)):
            s = socket.create_connection(("127.0.0.1", p), timeout=5)
            s.sendall(h[:cut])
            mids.append((p, case, s, h[cut:] + b"GET /%s HTTP/1.0\r\n\r\n" % case.encode()))
        before = socket.create_connection(("127.0.0.1", p), timeout=5)
        before.sendall(b"PROXY TCP4 203.0.113.8 127.0.0.1 5555 %d\r\n"
                       b"GET /before HTTP/1.0\r\n\r\n" % p)
        befores.append((p, before))
    time.sleep(0.3)  # the worker has accepted them all
    t0 = time.monotonic()
    os.kill(master, signal.SIGHUP)
    # A mid-header connection closed by the reload is seen closing within
    # the second; one still open then is sent the rest.
    done = {}
    deadline = t0 + 1.0
    while len(done) < len(mids) and time.monotonic() < deadline:
        for p, case, s, _ in mids:
            if (p, case) in done:
                continue
            r, _, _ = select.select([s], [], [], 0.02)
            if r:
                done[(p, case)] = outcome(s, t0)
    for p, case, s, rest in mids:
        if (p, case) not in done:
            t1 = time.monotonic()
            try:
                s.sendall(rest)
                done[(p, case)] = outcome(s, t1)
            except OSError:
                done[(p, case)] = ("reset", int((time.monotonic() - t0) * 1000), "-")
    for p, before in befores:
        print(p, "before", *outcome(before, t0), flush=True)
        before.close()
    for p, case, s, _ in mids:
        print(p, case, *done[(p, case)], flush=True)
        s.close()


main()
