#!/usr/bin/env python3
"""tests/preload/reload.py - what a graceful reload (SIGHUP to nginx's
master) does to connections around it (tests/preload/reload.sh).

    reload.py MASTER_PID PORT...

For each PORT (nginx under the preload, nginx's own proxy_protocol), opens:
  - "mid": half a v1 header before the reload, the rest and a request
    after it;
  - "before": a whole header and request just before the reload;
then sends SIGHUP to MASTER_PID, watches "mid" for a second (closed?),
sends it the rest if it is still open, and prints per connection one line
"PORT CASE STATUS MS": STATUS is the HTTP status line's code, "eof"
(closed without a reply), "reset" or "timeout"; MS the time from the
reload to that outcome. Every wait is bounded (8 s).
"""
import os
import select
import signal
import socket
import sys
import time


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
        return "timeout", int((time.monotonic() - t0) * 1000)
    except ConnectionResetError:
        return "reset", int((time.monotonic() - t0) * 1000)
    ms = int((time.monotonic() - t0) * 1000)
    if not data:
        return "eof", ms
    return data.split(b" ")[1].decode(), ms


def main():
    master = int(sys.argv[1])
    ports = [int(p) for p in sys.argv[2:]]
    conns = []
    for p in ports:
        mid = socket.create_connection(("127.0.0.1", p), timeout=5)
        mid.sendall(b"PROXY TCP4 203.0.113.7 ")
        before = socket.create_connection(("127.0.0.1", p), timeout=5)
        before.sendall(b"PROXY TCP4 203.0.113.8 127.0.0.1 5555 %d\r\n"
                       b"GET /before HTTP/1.0\r\n\r\n" % p)
        conns.append((p, mid, before))
    time.sleep(0.3)  # the worker has accepted both
    t0 = time.monotonic()
    os.kill(master, signal.SIGHUP)
    # A mid-header connection closed by the reload is seen closing within
    # the second; one still open then is sent the rest.
    mids = {}
    deadline = t0 + 1.0
    while len(mids) < len(conns) and time.monotonic() < deadline:
        for p, mid, _ in conns:
            if p in mids:
                continue
            r, _, _ = select.select([mid], [], [], 0.02)
            if r:
                mids[p] = outcome(mid, t0)
    for p, mid, _ in conns:
        if p not in mids:
            mid.sendall(b"127.0.0.1 5555 %d\r\nGET /mid HTTP/1.0\r\n\r\n" % p)
            mids[p] = outcome(mid, t0)
    for p, mid, before in conns:
        print(p, "before", *outcome(before, t0), flush=True)
        print(p, "mid", *mids[p], flush=True)
        before.close()
        mid.close()


main()
