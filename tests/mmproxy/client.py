#!/usr/bin/env python3
"""tests/mmproxy/client.py - clients for the relay's refusal and reset tests.

  client.py trickle HOST PORT HEADER INTERVAL
      sends HEADER one byte every INTERVAL seconds, watching for the relay
      closing the connection; prints "closed after N of M bytes" or
      "sent all M bytes" (no byte ever comes back: "got data").
  client.py reset-client HOST PORT HEADER
      sends HEADER, waits for the server's first line (prints it), then
      closes with a reset (SO_LINGER 0); the server, which has nothing to
      echo, is then waiting in read().
  client.py expect-reset HOST PORT HEADER
      sends HEADER, prints the first line that comes back, then "reset"
      or "eof" for how the connection ended.
  client.py hold HOST PORT N
      opens N connections that send nothing, waits a second, and prints how
      many the relay closed ("closed K of N"), then closes the rest.
  client.py stall HOST PORT HEADER TOTAL GO
      sends HEADER, reads the first line, then writes without blocking until
      nothing more is taken for a second: prints "taken N" (a relay that
      honours backpressure takes no more than the socket buffers and its
      pipe hold); then creates the file GO (the server starts reading) and
      sends the rest of TOTAL bytes, its end of stream, and waits for the
      close.
  client.py many HOST PORT N BASEPORT
      opens N connections at once, each with a v1 header from
      203.0.113.20:BASEPORT+i, then reads each one's first line; prints
      "right K of N": how many servers saw their own header's client.
  client.py udp HOST PORT SRC SPORT TRANSPORT N
      sends N datagrams from one socket, each a v2 header (INET, transport
      TRANSPORT: 1 STREAM, 2 DGRAM) from SRC:SPORT then "dgram I", and
      prints each reply's lines joined by "|", or "no reply" (5 s each).
  client.py idle HOST PORT HEADER PINGS INTERVAL WAIT
      sends HEADER, reads the first line, then PINGS times sends a byte,
      reads its echo and sleeps INTERVAL seconds; prints "pinged K", then
      waits up to WAIT seconds for the relay to close: "closed" (end of
      stream or reset) or "still open".
Every wait is bounded (socket timeouts of 10 s). HEADER takes \\r \\n.
"""
import select
import socket
import struct
import sys
import time


def connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=10)
    return s


def header(text):
    return text.replace('\\r', '\r').replace('\\n', '\n').encode()


def trickle(host, port, text, interval):
    data = header(text)
    s = connect(host, port)
    for i in range(len(data)):
        try:
            s.send(data[i:i + 1])
        except OSError:
            print("closed after %d of %d bytes" % (i, len(data)))
            return
        r, _, _ = select.select([s], [], [], float(interval))
        if r:
            try:
                got = s.recv(100)
            except OSError:
                got = b''
            if got:
                print("got data")
            else:
                print("closed after %d of %d bytes" % (i + 1, len(data)))
            return
    print("sent all %d bytes" % len(data))


def first_line(s):
    buf = b''
    while not buf.endswith(b'\n'):
        b = s.recv(1)
        if not b:
            break
        buf += b
    return buf.decode(errors='replace').strip()


def reset_client(host, port, text):
    s = connect(host, port)
    s.sendall(header(text))
    print(first_line(s), flush=True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()


def expect_reset(host, port, text):
    s = connect(host, port)
    s.sendall(header(text))
    print(first_line(s))
    try:
        while s.recv(4096):
            pass
        print("eof")
    except ConnectionResetError:
        print("reset")


def hold(host, port, n):
    socks = [connect(host, port) for _ in range(int(n))]
    time.sleep(1)
    closed = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            try:
                closed += s.recv(1) == b''
            except OSError:
                closed += 1
    print("closed %d of %s" % (closed, n))
    for s in socks:
        s.close()


def stall(host, port, text, total, go):
    total = int(total)
    s = connect(host, port)
    s.sendall(header(text))
    first_line(s)
    chunk = b'x' * 65536
    sent = 0
    s.setblocking(False)
    while sent < total:
        _, w, _ = select.select([], [s], [], 1.0)
        if not w:
            break
        try:
            sent += s.send(chunk[:min(len(chunk), total - sent)])
        except BlockingIOError:
            pass
    print("taken %d" % sent, flush=True)
    open(go, 'w').close()
    s.settimeout(20)
    while sent < total:
        sent += s.send(chunk[:min(len(chunk), total - sent)])
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass


def many(host, port, n, base):
    n, base = int(n), int(base)
    socks = []
    for i in range(n):
        s = connect(host, port)
        s.sendall(header('PROXY TCP4 203.0.113.20 127.0.0.1 %d 80\\r\\n'
                         % (base + i)))
        socks.append(s)
    right = 0
    for i, s in enumerate(socks):
        right += first_line(s) == 'peer 203.0.113.20:%d' % (base + i)
        s.close()
    print("right %d of %d" % (right, n))


def udp(host, port, src, sport, transport, n):
    hdr = (b'\r\n\r\n\x00\r\nQUIT\n' + bytes([0x21, 0x10 | int(transport)])
           + struct.pack('!H', 12) + socket.inet_aton(src)
           + socket.inet_aton(host) + struct.pack('!HH', int(sport), int(port)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    for i in range(int(n)):
        s.sendto(hdr + b'dgram %d' % i, (host, int(port)))
    for i in range(int(n)):
        try:
            print(s.recv(70000).decode(errors='replace').replace('\n', '|'))
        except socket.timeout:
            print("no reply")


def idle(host, port, text, pings, interval, wait):
    s = connect(host, port)
    s.sendall(header(text))
    first_line(s)
    done = 0
    for _ in range(int(pings)):
        s.sendall(b'p')
        if s.recv(1) != b'p':
            break
        done += 1
        time.sleep(float(interval))
    print("pinged %d" % done)
    s.settimeout(float(wait))
    try:
        print("closed" if s.recv(1) == b'' else "got data")
    except socket.timeout:
        print("still open")
    except OSError:
        print("closed")


def main():
    cmd = sys.argv[1]
    if cmd == 'trickle':
        trickle(*sys.argv[2:6])
    elif cmd == 'reset-client':
        reset_client(*sys.argv[2:5])
    elif cmd == 'stall':
        stall(*sys.argv[2:7])
    elif cmd == 'hold':
        hold(*sys.argv[2:5])
    elif cmd == 'idle':
        idle(*sys.argv[2:8])
    elif cmd == 'udp':
        udp(*sys.argv[2:8])
    elif cmd == 'many':
        many(*sys.argv[2:6])
    elif cmd == 'expect-reset':
        expect_reset(*sys.argv[2:5])
    else:
        sys.exit(2)


if __name__ == '__main__':
    main()
