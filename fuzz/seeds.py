#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into OUTDIR/<target>/
(default build/fuzz/seeds/): valid and invalid v1 and v2 headers, shaped for
each target, one file per input, named by content hash. The committed corpus
(fuzz/corpus/<target>/) is these seeds plus what fuzzing found, minimized
with -merge=1 (see fuzz/README.md).

    python3 fuzz/seeds.py [OUTDIR]
"""
import hashlib
import os
import struct
import sys

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def tlv(t, v):
    return bytes([t]) + struct.pack(">H", len(v)) + v


def v2(cmd=1, fam=1, tr=1, block=None, tlvs=b"", length=None, crc=False):
    if block is None:
        block = {0: b"", 1: bytes([127, 0, 0, 1, 10, 0, 0, 1]) + struct.pack(">HH", 56324, 443),
                 2: bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack(">HH", 1, 2),
                 3: b"/tmp/src.sock".ljust(108, b"\x00") + b"\x00abstract".ljust(108, b"\x00")}.get(fam, b"")
    body = block + tlvs
    if crc:
        body += tlv(3, b"\x00\x00\x00\x00")
    n = len(body) if length is None else length
    h = SIG + bytes([0x20 | cmd, fam << 4 | tr]) + struct.pack(">H", n) + body
    if crc:
        c = crc32c(h)
        h = h[:-4] + struct.pack(">I", c)
    return h


def ssl(client, verify, subs):
    return tlv(0x20, bytes([client]) + struct.pack(">I", verify) + b"".join(tlv(t, v) for t, v in subs))


def parse_seeds():
    s = []
    # v1 valid
    s += [b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.0\r\n\r\n",
          b"PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
          b"PROXY TCP6 ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n".replace(b"f...f", b"ffff:ffff:ffff:ffff:ffff:ffff"),
          b"PROXY TCP6 :: :: 0 0\r\n",
          b"PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 80 8080\r\n",
          b"PROXY TCP6 1:2:3:4:5:6:7:: ::2:3:4:5:6:7:8 1 1\r\n",
          b"PROXY TCP6 ::1.2.3.4 1:2:3:4:5:6:1.2.3.4 1 1\r\n",
          b"PROXY UNKNOWN\r\n",
          b"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
          b"PROXY UNKNOWN \r\n"]
    # v1 invalid, one defect each
    s += [b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
          b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
          b"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
          b"PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",
          b"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
          b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
          b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
          b"PROXY TCP6 1::2::3 ::1 1 2\r\n",
          b"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
          b"PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\t\r\n",
          b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
          b"PROXY UNKNOWNX\r\n",
          b"PROXY unknown\r\n",
          b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n",
          b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2",
          b"PROXY TCP",
          b"PROXY ",
          b"PROX",
          b"GET / HTTP/1.1\r\n"]
    # v2 valid
    s += [v2(1, 1, 1), v2(1, 1, 2), v2(1, 2, 1), v2(1, 2, 2), v2(1, 3, 1), v2(1, 3, 2),
          v2(1, 0, 0), v2(0, 0, 0), v2(1, 1, 0), v2(1, 2, 0), v2(0, 1, 1), v2(0, 15, 15, block=b"xyz"),
          v2(0, 1, 1, block=b"short"), v2(1, 1, 1, crc=True),
          v2(1, 2, 1, tlvs=tlv(1, b"h2") + tlv(2, b"example.com") + tlv(5, b"id" * 64), crc=True),
          v2(1, 1, 1, tlvs=tlv(4, bytes(10)) + tlv(0x30, b"netns") + tlv(0xF0, b"x")),
          v2(1, 1, 1, tlvs=ssl(7, 0, [(0x21, b"TLSv1.3"), (0x22, b"client.example.org"),
                                      (0x23, b"TLS_AES_256_GCM_SHA384"), (0x24, b"RSA-SHA256"),
                                      (0x25, b"RSA2048"), (0x26, b"X25519"), (0x27, b"rsa_pss"),
                                      (0x28, b"\x30\x82")])),
          v2(1, 1, 1, tlvs=ssl(1, 1, [])),
          v2(1, 1, 1, tlvs=tlv(0xEA, b"\x01vpce-0123456789abcdef0")),
          v2(1, 1, 1, tlvs=tlv(0xEE, b"\x01\x78\x56\x34\x12")),
          v2(1, 1, 1, tlvs=tlv(0xE0, struct.pack(">Q", 0x0123456789ABCDEF))),
          v2(1, 1, 1, tlvs=tlv(0xEA, b"\x02x") + tlv(0xEE, b"\x01\x00") + tlv(0xE0, b"1234567")),
          v2(0, 0, 0, tlvs=tlv(1, b"x") + b"\x01", crc=False),
          v2(0, 1, 1, tlvs=tlv(5, b"x" * 200)),
          v2(1, 1, 1) + b"payload",
          v2(1, 1, 1) + v2(1, 1, 1)]
    # v2 invalid
    s += [v2(1, 1, 1, tlvs=b"\x01"), v2(1, 1, 1, tlvs=b"\x01\x00"),
          v2(1, 1, 1, tlvs=b"\x01\x00\x05ab"),
          v2(1, 1, 1, tlvs=tlv(3, b"\x00\x00\x00")),
          v2(1, 1, 1, tlvs=tlv(3, b"\x00\x00\x00\x01")),
          v2(1, 1, 1, tlvs=tlv(5, b"x" * 129)),
          v2(1, 1, 1, tlvs=tlv(0x20, b"\x01\x00\x00")),
          v2(1, 1, 1, tlvs=tlv(0x20, b"\x01\x00\x00\x00\x00\x21")),
          v2(1, 1, 1, tlvs=tlv(0x20, b"\x01\x00\x00\x00\x00\x21\x00\x09ab")),
          v2(0, 0, 0, tlvs=tlv(3, b"\x00\x00\x00\x01")),
          v2(1, 4, 1), v2(1, 1, 3), v2(1, 1, 1, length=11), v2(1, 3, 1, length=215),
          SIG + b"\x31\x11\x00\x0c" + bytes(12), SIG + b"\x22\x11\x00\x0c" + bytes(12),
          SIG + b"\x21\x11\x00\x0c" + bytes(5), SIG + b"\x21\x11\xff\xff",
          SIG[:7], SIG[:11] + b"X", b"\r\n\r\n\x00\r\nQUIX\n"]
    return s


def with_pieces(data, sizes, flags=0):
    """fuzz_chunked / fuzz_reader layout: stream, piece sizes, count|flags."""
    wide = any(x > 255 for x in sizes)
    ctl = b"".join(struct.pack(">H", x) for x in sizes) if wide else bytes(sizes)
    return data + ctl + bytes([len(sizes) | (0x20 if wide else 0) | flags])


def chunked_seeds(flags=0):
    out = []
    for i, d in enumerate(parse_seeds()):
        n = len(d)
        plans = [[], [1] * min(n, 15), [n // 2], [0, 5, 0, 11], [13, 3, 1]]
        if n > 255:
            plans.append([n // 3, n // 3])
        out.append(with_pieces(d, plans[i % len(plans)], flags))
    return out


def v1_seeds():
    out = [d[6:] for d in parse_seeds() if d.startswith(b"PROXY ")]
    out += [b"10.0.0.0/8", b"2001:db8::/32", b"127.0.0.1", b"::1", b"::ffff:10.0.0.0/104",
            b"0.0.0.0/0", b"::/0", b"10.1.2.3/8", b"10.0.0.0/08", b"10.0.0.0/33"]
    return out


def roundtrip_seeds():
    import random
    rnd = random.Random(1)
    out = []
    for mode in (0, 1, 2, 3, 0xF0, 0xF1, 0x80, 0x41, 0x42, 0x06):
        for k in range(4):
            out.append(bytes([mode]) + bytes(rnd.randrange(256) for _ in range(16 + 48 * k)))
    # builder: SSL with subs, vendor TLVs, padding, CRC32C over a TCP4 header
    out.append(bytes([2, 1, 0x11, 0x11, 0]) + bytes(40) +
               bytes([2, 7, 0, 0, 0, 0, 3, 0x21, 7]) + b"TLSv1.3" +
               bytes([5, 0, 10]) + b"vpce-12345" + bytes([6, 1, 2, 3, 4, 7]) + bytes(8) +
               bytes([8, 16, 9]))
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/seeds"
    sets = {"parse": parse_seeds(), "chunked": chunked_seeds(), "v1": v1_seeds(),
            "reader": chunked_seeds(0x80) + chunked_seeds(0x40)[::5],
            "roundtrip": roundtrip_seeds()}
    for target, seeds in sets.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for data in seeds:
            name = hashlib.sha1(data).hexdigest()
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
