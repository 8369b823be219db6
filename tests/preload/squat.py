#!/usr/bin/env python3
"""tests/preload/squat.py - another user takes the hand-over receivers'
abstract names of a listening socket (tools/preload/handover.c) and
reports what it is sent (tests/preload/reload.sh).

    squat.py EUID INODE SECONDS

Binds every free name "\\0libproxyproto-ho-<euid>-<inode>-<k>" (hex,
k < 16), accepts what connects for SECONDS, and prints "bound B accepted A
bytes N fds F": a preload of user EUID must connect (it cannot know who
is there before), see SO_PEERCRED, and send nothing.
"""
import array
import select
import socket
import sys
import time

euid, ino, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for k in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.bind(b"\0libproxyproto-ho-%x-%x-%x" % (euid, ino, k))
        s.listen(64)
        socks.append(s)
    except OSError:
        s.close()
print("ready", flush=True)
accepted = nbytes = nfds = 0
conns = []
end = time.monotonic() + secs
while time.monotonic() < end:
    r, _, _ = select.select(socks + conns, [], [], 0.05)
    for s in r:
        if s in socks:
            c, _ = s.accept()
            accepted += 1
            conns.append(c)
            continue
        fds = array.array("i")
        try:
            msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
        except OSError:
            msg, anc = b"", []
        nbytes += len(msg)
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                nfds += len(data) // fds.itemsize
        if not msg:
            conns.remove(s)
            s.close()
print("bound %d accepted %d bytes %d fds %d" % (len(socks), accepted, nbytes, nfds), flush=True)
