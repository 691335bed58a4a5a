#!/usr/bin/python3
"""A hostile iSCSI target for logins (RFC 7143 11.12, 11.13).

    fake-hostile-login.py PORT TEXT...

Listens on 127.0.0.1:PORT and, for every connection, answers the Nth
Login Request with a success-class Login Response (T=0, same stage)
whose data segment is the Nth TEXT with \\xNN, \\n, \\r and \\\\ turned into
those bytes and "|" into the NUL between pairs; after the last it waits
for the initiator to close.
An initiator must refuse what the text says and report it without
letting any of its bytes out raw. Runs until killed.
"""
import codecs
import socket
import struct
import sys


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def main():
    port = int(sys.argv[1])
    texts = [codecs.escape_decode(a.encode())[0].replace(b"|", b"\0") + b"\0"
             for a in sys.argv[2:]]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        try:
            c.settimeout(10)
            for statsn, text in enumerate(texts, 0x100):
                bhs = recv_exact(c, 48)
                dsl = int.from_bytes(bhs[5:8], "big")
                recv_exact(c, bhs[4] * 4 + ((dsl + 3) & ~3))
                if bhs[0] & 0x3F != 0x03:
                    break
                cmdsn = struct.unpack(">I", bhs[24:28])[0]
                rsp = bytearray(48)
                rsp[0] = 0x23
                rsp[1] = bhs[1] & 0x0C  # T=0, C=0, CSG as asked, NSG 0
                rsp[5:8] = len(text).to_bytes(3, "big")
                rsp[8:14] = bhs[8:14]
                rsp[16:20] = bhs[16:20]
                struct.pack_into(">III", rsp, 24, statsn, cmdsn, cmdsn + 16)
                c.sendall(bytes(rsp) + pad(text))
            c.recv(1)  # let the initiator close first
        except (EOFError, OSError):
            pass
        finally:
            c.close()


sys.exit(main())
