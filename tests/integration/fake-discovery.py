#!/usr/bin/python3
"""A scripted iSCSI discovery target (RFC 7143) for one connection.

    fake-discovery.py PORT TEXTFILE [SPLIT]

Accepts one connection on 127.0.0.1:PORT, completes a discovery-session
login (AuthMethod=None, every negotiable key answered with the first value
offered, declarative keys not answered), answers SendTargets with the
bytes of TEXTFILE ("Key=value" lines become NUL-separated pairs; \\xNN,
\\n, \\r and \\\\ in a line stand for those bytes, so a test can send what a
hostile target sends) cut into
Text Responses of SPLIT bytes (default 40) chained with the C bit and a
target transfer tag (RFC 7143 11.11), then answers a Logout and exits 0.
Exits 1 on anything unexpected. Lets the tests show what tgtd cannot:
several targets, several portals each, answers spanning PDUs.
"""
import codecs
import socket
import struct
import sys

DECLARATIVE = {"InitiatorName", "InitiatorAlias", "TargetName", "SessionType",
               "MaxRecvDataSegmentLength", "TargetAlias", "TargetAddress",
               "TargetPortalGroupTag"}


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def recv_pdu(c):
    bhs = recv_exact(c, 48)
    ahs = bhs[4] * 4
    dsl = int.from_bytes(bhs[5:8], "big")
    rest = recv_exact(c, ahs + ((dsl + 3) & ~3))
    return bhs, rest[ahs:ahs + dsl]


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def main():
    port, textfile = int(sys.argv[1]), sys.argv[2]
    split = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    answer = b"".join(codecs.escape_decode(l.strip())[0] + b"\0"
                      for l in open(textfile, "rb") if l.strip())
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    c, _ = ls.accept()
    statsn = 0x1000
    exp_cmdsn = None
    while True:
        bhs, data = recv_pdu(c)
        op = bhs[0] & 0x3F
        itt = bhs[16:20]
        cmdsn = struct.unpack(">I", bhs[24:28])[0]
        if exp_cmdsn is None:
            exp_cmdsn = cmdsn
        if not bhs[0] & 0x40:  # not immediate: CmdSN advances
            exp_cmdsn = cmdsn + 1
        if op == 0x03:  # Login Request
            flags = bhs[1]
            keys = [kv.split(b"=", 1) for kv in data.split(b"\0") if b"=" in kv]
            out = b""
            for k, v in keys:
                if k.decode() in DECLARATIVE:
                    continue
                out += k + b"=" + v.split(b",")[0] + b"\0"
            if not flags & 0x0C:  # security stage: declare ours
                out += b"TargetPortalGroupTag=1\0"
            rsp = bytearray(48)
            rsp[0] = 0x23
            rsp[1] = flags & 0x8F  # T, CSG, NSG as asked
            rsp[5:8] = len(out).to_bytes(3, "big")
            rsp[8:14] = bhs[8:14]
            final = flags & 0x80 and flags & 0x03 == 3
            rsp[14:16] = (b"\0\x01" if final else bhs[14:16])
            rsp[16:20] = itt
            struct.pack_into(">III", rsp, 24, statsn, exp_cmdsn, exp_cmdsn + 16)
            statsn += 1
            c.sendall(bytes(rsp) + pad(out))
        elif op == 0x04:  # Text Request
            ttt = struct.unpack(">I", bhs[20:24])[0]
            if ttt == 0xFFFFFFFF:
                if data.rstrip(b"\0") != b"SendTargets=All":
                    print("unexpected text request", data, file=sys.stderr)
                    return 1
                pos = 0
            else:
                pos = ttt
            chunk = answer[pos:pos + split]
            more = pos + split < len(answer)
            rsp = bytearray(48)
            rsp[0] = 0x24
            rsp[1] = 0x40 if more else 0x80
            rsp[5:8] = len(chunk).to_bytes(3, "big")
            rsp[16:20] = itt
            struct.pack_into(">I", rsp, 20, pos + split if more else 0xFFFFFFFF)
            struct.pack_into(">III", rsp, 24, statsn, exp_cmdsn, exp_cmdsn + 16)
            statsn += 1
            c.sendall(bytes(rsp) + pad(chunk))
        elif op == 0x06:  # Logout Request
            rsp = bytearray(48)
            rsp[0] = 0x26
            rsp[1] = 0x80
            rsp[16:20] = itt
            struct.pack_into(">III", rsp, 24, statsn, exp_cmdsn, exp_cmdsn + 16)
            c.sendall(bytes(rsp))
            c.close()
            return 0
        else:
            print("unexpected opcode 0x%02x" % op, file=sys.stderr)
            return 1


sys.exit(main())
