#!/usr/bin/env python3
"""tests/preload/load.py - clients for tests/preload/robust.sh (issue 13).

  load.py stall HOST PORT N SECONDS [--reconnect] [--prefix TEXT]
      Opens N connections that send TEXT (default "PROXY TCP4 ", half a
      header) and then nothing, holds them for SECONDS (with --reconnect,
      each one closed by the server is opened again after 10 ms), and
      prints: "stall opened=O closed=C first_ms=F last_ms=L" where C counts
      connections the server closed and F/L are the earliest and latest
      close times, in ms from that connection's connect.
  load.py good HOST PORT N CONC KIND [--header v1|v2|none] [--timeout S]
                [--split MS]
      N requests, CONC at a time, each on a connection of its own: KIND
      "http" sends GET /x and wants "200" in the reply; "echo" sends
      "ping\\n" and wants "ping" back. With --header, a PROXY header naming
      client 203.0.113.99 first; with --split, its first 8 bytes, then
      the rest MS ms later. Prints "good ok=K n=N p50=A p95=B max=C"
      (latencies in ms, connect to full reply).
  load.py check HOST PORT N
      N health checks as HAProxy's L4 check makes them: a v2 LOCAL header,
      then a reset (SO_LINGER 0), 50 ms apart. Prints "check sent=N".
Every socket has a timeout; the program ends by itself.
"""
import selectors
import socket
import struct
import sys
import threading
import time


def now_ms():
    return time.monotonic() * 1000.0


def stall(host, port, n, seconds, reconnect, prefix):
    sel = selectors.DefaultSelector()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    opened = closed = 0
    times = []
    retry = []  # when to reopen (ms)

    def open_one():
        # Non-blocking: a listen queue that overflows delays a connect by
        # a SYN retransmit; the others go on meanwhile.
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            retry.append(now_ms() + 100)
            return
        sel.register(s, selectors.EVENT_WRITE, None)

    def connected(s):
        nonlocal opened
        sel.unregister(s)
        try:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                raise OSError()
            s.send(prefix)
        except OSError:
            s.close()
            retry.append(now_ms() + 100)
            return
        sel.register(s, selectors.EVENT_READ, now_ms())
        opened += 1

    end = now_ms() + seconds * 1000.0
    for _ in range(n):
        open_one()
    while now_ms() < end:
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            if key.data is None:
                connected(s)
                continue
            try:
                data = s.recv(4096)
            except (ConnectionResetError, BlockingIOError, OSError):
                data = b""
            if data:
                continue
            times.append(now_ms() - key.data)
            closed += 1
            sel.unregister(s)
            s.close()
            if reconnect:
                retry.append(now_ms() + 10)
        t = now_ms()
        due = [r for r in retry if r <= t]
        retry[:] = [r for r in retry if r > t]
        for _ in due:
            if now_ms() < end:
                open_one()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    first = int(min(times)) if times else -1
    last = int(max(times)) if times else -1
    print("stall opened=%d closed=%d first_ms=%d last_ms=%d" % (opened, closed, first, last))


def header(kind, fam, dport):
    if kind == "v1":
        if fam == socket.AF_INET6:
            return b"PROXY TCP6 2001:db8::99 ::1 40000 %d\r\n" % dport
        return b"PROXY TCP4 203.0.113.99 127.0.0.1 40000 %d\r\n" % dport
    if kind == "v2":
        sig = b"\r\n\r\n\x00\r\nQUIT\n"
        body = socket.inet_aton("203.0.113.99") + socket.inet_aton("127.0.0.1") + \
            struct.pack("!HH", 40000, dport)
        return sig + b"\x21\x11" + struct.pack("!H", len(body)) + body
    return b""


def one(host, port, kind, hdr, timeout, split):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    t0 = now_ms()
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        req = b"GET /x HTTP/1.0\r\n\r\n" if kind == "http" else b"ping\n"
        data = header(hdr, fam, port) + req
        if split > 0:  # a header in two parts, as over a slow network
            s.sendall(data[:8])
            time.sleep(split / 1000.0)
            data = data[8:]
        s.sendall(data)
        if kind == "echo":
            s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        ok = (b" 200 " in got.split(b"\r\n", 1)[0]) if kind == "http" else got == b"ping\n"
    except OSError:
        ok = False
    finally:
        s.close()
    return ok, now_ms() - t0


def good(host, port, n, conc, kind, hdr, timeout, split):
    lock = threading.Lock()
    lat = []
    oks = [0]
    left = [n]

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            ok, ms = one(host, port, kind, hdr, timeout, split)
            with lock:
                oks[0] += ok
                lat.append(ms if ok else timeout * 1000.0)

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    pct = lambda p: int(lat[min(len(lat) - 1, int(len(lat) * p))]) if lat else -1
    print("good ok=%d n=%d p50=%d p95=%d max=%d" % (oks[0], n, pct(0.5), pct(0.95), pct(1.0)))


def check(host, port, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    local = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"
    sent = 0
    for _ in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
            s.sendall(local)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sent += 1
        except OSError:
            pass
        s.close()
        time.sleep(0.05)
    print("check sent=%d" % sent)


def main(a):
    opts = {}
    pos = []
    i = 0
    while i < len(a):
        if a[i] == "--reconnect":
            opts["reconnect"] = True
        elif a[i].startswith("--"):
            opts[a[i][2:]] = a[i + 1]
            i += 1
        else:
            pos.append(a[i])
        i += 1
    if pos[0] == "stall":
        stall(pos[1], int(pos[2]), int(pos[3]), float(pos[4]), opts.get("reconnect", False),
              opts.get("prefix", "PROXY TCP4 ").encode())
    elif pos[0] == "good":
        good(pos[1], int(pos[2]), int(pos[3]), int(pos[4]), pos[5], opts.get("header", "none"),
             float(opts.get("timeout", "5")), float(opts.get("split", "0")))
    elif pos[0] == "check":
        check(pos[1], int(pos[2]), int(pos[3]))
    else:
        sys.exit("usage: load.py stall|good|check ...")


if __name__ == "__main__":
    main(sys.argv[1:])
