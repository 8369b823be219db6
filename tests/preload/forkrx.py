#!/usr/bin/env python3
"""tests/preload/forkrx.py - hand-over receivers across fork
(tools/preload/handover.c; tests/preload/reload.sh; run under the preload).

A process that adds a listener to an epoll set gets a receiver for it. When
it forks, the child never keeps one, and the parent keeps it only for a
listener it has called accept on: a parent that leaves the accepting to its
children (sharing its epoll set) would hold a receiver that no one empties.
Prints "BEFORE AFTER CHILD ACCEPTED": the parent's receivers before and
after a fork (listener never accepted on), the child's, and the parent's
after a fork once it has called accept on a second listener.
"""
import os
import select
import socket
import time


def receivers(pid):
    names = set()
    with open("/proc/net/unix") as f:
        for line in f.read().splitlines()[1:]:
            p = line.split()
            if len(p) >= 8 and p[7].startswith("@libproxyproto-ho-"):
                names.add(p[6])
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in names:
            n += 1
    return n


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.setblocking(False)
    return s


def fork_and_look():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(r, 1)
        os._exit(0)
    time.sleep(0.1)
    mine, child = receivers(os.getpid()), receivers(pid)
    os.write(w, b"x")
    os.waitpid(pid, 0)
    return mine, child


ep = select.epoll()
a = listener()
ep.register(a.fileno(), select.EPOLLIN)
before = receivers(os.getpid())
after, child = fork_and_look()
a.close()
b = listener()
ep.register(b.fileno(), select.EPOLLIN)
try:
    b.accept()
except BlockingIOError:
    pass
accepted, _ = fork_and_look()
print(before, after, child, accepted, flush=True)
