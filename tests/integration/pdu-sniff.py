#!/usr/bin/python3
"""TCP relay between an iSCSI initiator and a target that checks digests.

    pdu-sniff.py LISTEN_PORT TARGET_HOST TARGET_PORT REPORT [CONNECTIONS]

Relays CONNECTIONS (default 1) connections one after the other, keeps both
byte streams, and when each ends walks them PDU by PDU (RFC 7143 11):
the target's last Login Response says which digests were negotiated; every
PDU after the login phase is then checked: header digest = CRC32C of
BHS + AHS, data digest = CRC32C of data + padding, both sent least
significant byte first (RFC 7143 13.1, RFC 3720 B.4). Appends one line
per connection to REPORT:

    header=CRC32C data=None pdus=I/T r2t=N datain=N dataout=N hd_ok=N hd_bad=N dd_ok=N dd_bad=N

(pdus=I/T: PDUs after login sent by the initiator / the target; r2t and
datain count the target's R2T and Data-In PDUs, dataout our Data-Out.)

An independent check of our digests (and of their byte order): nothing
here comes from iscsi-nbd's code.
"""
import socket
import sys
import threading

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def login_keys(stream):
    """Text keys of the Login PDUs at the start of a stream."""
    keys = {}
    pos = 0
    while pos + 48 <= len(stream):
        bhs = stream[pos:pos + 48]
        if bhs[0] & 0x3F not in (0x03, 0x23):
            break
        ahs = bhs[4] * 4
        dsl = int.from_bytes(bhs[5:8], "big")
        data = stream[pos + 48 + ahs:pos + 48 + ahs + dsl]
        for kv in data.split(b"\0"):
            if b"=" in kv:
                k, v = kv.split(b"=", 1)
                keys[k.decode()] = v.decode()
        pos += 48 + ahs + ((dsl + 3) & ~3)
    return keys, pos


def check(stream, start, hd, dd, stats):
    pos = start
    while pos + 48 <= len(stream):
        bhs = stream[pos:pos + 48]
        op = bhs[0] & 0x3F
        stats["op%02x" % op] = stats.get("op%02x" % op, 0) + 1
        ahs = bhs[4] * 4
        dsl = int.from_bytes(bhs[5:8], "big")
        hdr_end = pos + 48 + ahs
        if hd:
            want = crc32c(stream[pos:hdr_end])
            got = int.from_bytes(stream[hdr_end:hdr_end + 4], "little")
            stats["hd_ok" if want == got else "hd_bad"] += 1
            hdr_end += 4
        padded = (dsl + 3) & ~3
        end = hdr_end + padded
        if dd and dsl:
            want = crc32c(stream[hdr_end:end])
            got = int.from_bytes(stream[end:end + 4], "little")
            stats["dd_ok" if want == got else "dd_bad"] += 1
            end += 4
        stats["pdus"] += 1
        pos = end


def relay(src, dst, buf):
    while True:
        try:
            d = src.recv(65536)
        except OSError:
            d = b""
        if not d:
            break
        buf.extend(d)
        try:
            dst.sendall(d)
        except OSError:
            break
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    port, host, tport, report = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    for _ in range(count):
        c, _ = ls.accept()
        u = socket.create_connection((host, tport))
        to_t, to_i = bytearray(), bytearray()
        t = threading.Thread(target=relay, args=(u, c, to_i))
        t.start()
        relay(c, u, to_t)
        t.join()
        c.close()
        u.close()
        tkeys, tstart = login_keys(bytes(to_i))
        _, istart = login_keys(bytes(to_t))
        hd = tkeys.get("HeaderDigest", "None") == "CRC32C"
        dd = tkeys.get("DataDigest", "None") == "CRC32C"
        si = dict(pdus=0, hd_ok=0, hd_bad=0, dd_ok=0, dd_bad=0)
        st = dict(si)
        check(bytes(to_t), istart, hd, dd, si)
        check(bytes(to_i), tstart, hd, dd, st)
        with open(report, "a") as f:
            f.write("header=%s data=%s pdus=%d/%d r2t=%d datain=%d dataout=%d "
                    "hd_ok=%d hd_bad=%d dd_ok=%d dd_bad=%d\n" % (
                        tkeys.get("HeaderDigest", "None"), tkeys.get("DataDigest", "None"),
                        si["pdus"], st["pdus"], st.get("op31", 0), st.get("op25", 0),
                        si.get("op05", 0), si["hd_ok"] + st["hd_ok"], si["hd_bad"] + st["hd_bad"],
                        si["dd_ok"] + st["dd_ok"], si["dd_bad"] + st["dd_bad"]))


main()
