#!/usr/bin/env python3
"""tests/preload/slowtake.py - a hand-over whose receiver answers late
(tests/preload/reload.sh; run under the preload).

    slowtake.py DELAY

Two processes accept on one listening socket through epoll. A accepts a
connection whose header is half sent (the preload parks it), then closes
its listener: the preload offers the connection to B, which sleeps DELAY
seconds after each wake-up before it calls accept, so that it answers
after A stopped waiting (200 ms). The rest of the header and "hello" come
a second after the close. Prints:
    closed MS            A's close of the listener took MS
    taken IP PORT DATA   B's accepted connection: getpeername, first bytes
    client DATA          what the client was answered ("ok", or "-")
Every wait is bounded.
"""
import os
import selectors
import socket
import sys
import time

delay = float(sys.argv[1])
L = socket.socket()
L.bind(("127.0.0.1", 0))
L.listen(16)
L.setblocking(False)
port = L.getsockname()[1]
r, w = os.pipe()
pid = os.fork()
if pid == 0:  # B
    sel = selectors.EpollSelector()
    sel.register(L, selectors.EVENT_READ)
    os.write(w, b"r")
    end = time.monotonic() + 6
    while time.monotonic() < end:
        if not sel.select(0.2):
            continue
        time.sleep(delay)
        try:
            c, _ = L.accept()
        except BlockingIOError:
            continue
        c.setblocking(True)
        c.settimeout(3)
        peer = c.getpeername()
        print("taken", peer[0], peer[1], c.recv(100).decode(errors="replace"), flush=True)
        c.sendall(b"ok")
        c.close()
        break
    os._exit(0)
os.read(r, 1)
time.sleep(0.3)  # B's listener is in its epoll set
cl = socket.create_connection(("127.0.0.1", port), timeout=5)
cl.sendall(b"PROXY TCP4 198.51.100.9 ")
sel = selectors.EpollSelector()
sel.register(L, selectors.EVENT_READ)
t0 = time.monotonic()
while time.monotonic() - t0 < 0.3:  # A accepts it (parked) before B wakes
    if sel.select(0.05):
        try:
            L.accept()
        except BlockingIOError:
            pass
sel.unregister(L)
sel.close()
t1 = time.monotonic()
L.close()
print("closed", int((time.monotonic() - t1) * 1000), flush=True)
time.sleep(1.0)
cl.sendall(b"127.0.0.1 1 %d\r\nhello" % port)
try:
    print("client", cl.recv(100).decode() or "-", flush=True)
except OSError:
    print("client -", flush=True)
os.waitpid(pid, 0)
