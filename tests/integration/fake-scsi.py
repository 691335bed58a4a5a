#!/usr/bin/python3
"""A scripted iSCSI target (RFC 7143) whose answers are wrong on purpose.

    fake-scsi.py PORT SCENARIO

Accepts connections on 127.0.0.1:PORT one after the other (until killed),
completes a normal-session login (AuthMethod=None, every negotiable key
answered with the first value offered), answers NOP-Out, Logout, TEST UNIT
READY, INQUIRY, READ CAPACITY(10/16) and READ(10/16) of a 1 MiB LUN of
512-byte blocks whose byte at offset o is o % 251, and refuses anything
else with ILLEGAL REQUEST. SCENARIO bends one answer:

  short-read     READ: half the Data-In, then GOOD with no residual
  short-inquiry  standard INQUIRY: 20 bytes, status on the Data-In, GOOD
  lying-resid    READ: all the data, then GOOD with an underflow of 512
  rc16-wrap      READ CAPACITY(16): 2^55 blocks of 512 bytes (2^64 bytes)
  rc10-only-big  READ CAPACITY(16) refused, (10) says 0xffffffff
  good           nothing bent (the control case)
  no-pr          good, plus a VPD 0x83 identity so that attach / serve take
                 the LUN; PERSISTENT RESERVE IN/OUT refused like the rest
  pr-liar        no-pr, but REPORT CAPABILITIES claims every type and READ
                 RESERVATION says none: PERSISTENT RESERVE OUT is refused
"""
import socket
import struct
import sys

DECLARATIVE = {"InitiatorName", "InitiatorAlias", "TargetName", "SessionType",
               "MaxRecvDataSegmentLength", "TargetAlias", "TargetAddress",
               "TargetPortalGroupTag"}
LUN_BYTES = 1 << 20
BS = 512


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


def lun_bytes(off, n):
    return bytes((off + i) % 251 for i in range(n))


class Conn:
    def __init__(self, c, scenario):
        self.c = c
        self.scenario = scenario
        self.statsn = 0x1000
        self.exp_cmdsn = None

    def sn(self, rsp, with_statsn=True):
        if with_statsn:
            struct.pack_into(">I", rsp, 24, self.statsn)
            self.statsn += 1
        struct.pack_into(">II", rsp, 28, self.exp_cmdsn, self.exp_cmdsn + 16)

    def data_in(self, itt, data, off, datasn, status=None, under=0):
        rsp = bytearray(48)
        rsp[0] = 0x25
        rsp[1] = 0x80 | (0x01 if status is not None else 0) | (0x02 if under else 0)
        if status is not None:
            rsp[3] = status
        rsp[5:8] = len(data).to_bytes(3, "big")
        rsp[16:20] = itt
        struct.pack_into(">I", rsp, 20, 0xFFFFFFFF)
        self.sn(rsp, status is not None)
        struct.pack_into(">III", rsp, 36, datasn, off, under)
        self.c.sendall(bytes(rsp) + pad(data))

    def response(self, itt, status, exp_datasn=0, under=0, sense=b""):
        rsp = bytearray(48)
        rsp[0] = 0x21
        rsp[1] = 0x80 | (0x02 if under else 0)
        rsp[3] = status
        seg = struct.pack(">H", len(sense)) + sense if sense else b""
        rsp[5:8] = len(seg).to_bytes(3, "big")
        rsp[16:20] = itt
        self.sn(rsp)
        struct.pack_into(">I", rsp, 36, exp_datasn)
        struct.pack_into(">I", rsp, 44, under)
        self.c.sendall(bytes(rsp) + pad(seg))

    def illegal(self, itt):
        sense = bytes([0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0])
        self.response(itt, 0x02, sense=sense)

    def answer(self, itt, edtl, data, under_ok=True):
        """Data-In with the status, the residual telling how much was sent."""
        data = data[:edtl]
        self.data_in(itt, data, 0, 0, status=0, under=edtl - len(data))

    def scsi(self, bhs):
        itt = bhs[16:20]
        edtl = struct.unpack(">I", bhs[20:24])[0]
        cdb = bhs[32:48]
        op = cdb[0]
        nblocks = LUN_BYTES // BS
        sc = self.scenario
        if op == 0x00:
            self.response(itt, 0)
        elif op == 0x12 and not cdb[1] & 1:
            inq = bytearray(96)
            inq[2], inq[3], inq[4] = 6, 0x12, 91
            inq[8:36] = b"FAKE    SHORT ANSWERS   0001"
            if sc == "short-inquiry":
                self.data_in(itt, bytes(inq[:20]), 0, 0, status=0)
            else:
                self.answer(itt, edtl, bytes(inq))
        elif op == 0x5E and sc == "pr-liar" and cdb[1] & 0x1F in (1, 2):
            if cdb[1] & 0x1F == 2:
                self.answer(itt, edtl, bytes([0, 8, 0, 0x80, 0xEA, 0x01, 0, 0]))
            else:
                self.answer(itt, edtl, bytes([0, 0, 0, 0, 0, 0, 0, 0]))
        elif op == 0x12 and cdb[2] == 0x83 and sc in ("no-pr", "pr-liar"):
            naa = bytes([0x60, 0x01, 0x40, 0x5f, 0xa4, 0xe0, 0x00, 0x01] + [0] * 7 + [1])
            page = bytes([0, 0x83, 0, 20, 0x01, 0x03, 0, 16]) + naa
            self.answer(itt, edtl, page)
        elif op == 0x9E and cdb[1] & 0x1F == 0x10:
            if sc == "rc10-only-big":
                return self.illegal(itt)
            last = (1 << 55) - 1 if sc == "rc16-wrap" else nblocks - 1
            self.answer(itt, edtl, struct.pack(">QI", last, BS) + bytes(20))
        elif op == 0x25:
            last = 0xFFFFFFFF if sc == "rc10-only-big" else nblocks - 1
            self.answer(itt, edtl, struct.pack(">II", last, BS))
        elif op in (0x28, 0x88):
            if op == 0x28:
                lba, n = struct.unpack(">I", cdb[2:6])[0], struct.unpack(">H", cdb[7:9])[0]
            else:
                lba, n = struct.unpack(">Q", cdb[2:10])[0], struct.unpack(">I", cdb[10:14])[0]
            data = lun_bytes(lba * BS, n * BS)
            if sc == "short-read":
                self.data_in(itt, data[:len(data) // 2], 0, 0)
                self.response(itt, 0, exp_datasn=1)
            elif sc == "lying-resid":
                self.data_in(itt, data, 0, 0)
                self.response(itt, 0, exp_datasn=1, under=512)
            else:
                self.data_in(itt, data, 0, 0)
                self.response(itt, 0, exp_datasn=1)
        else:
            self.illegal(itt)

    def run(self):
        c = self.c
        while True:
            bhs, data = recv_pdu(c)
            op = bhs[0] & 0x3F
            itt = bhs[16:20]
            cmdsn = struct.unpack(">I", bhs[24:28])[0]
            if self.exp_cmdsn is None:
                self.exp_cmdsn = cmdsn
            if not bhs[0] & 0x40 and op != 0x00:
                self.exp_cmdsn = cmdsn + 1
            if op == 0x03:  # Login Request
                flags = bhs[1]
                keys = [kv.split(b"=", 1) for kv in data.split(b"\0") if b"=" in kv]
                out = b""
                for k, v in keys:
                    if k.decode() in DECLARATIVE:
                        continue
                    out += k + b"=" + v.split(b",")[0] + b"\0"
                if not flags & 0x0C:
                    out += b"TargetPortalGroupTag=1\0"
                rsp = bytearray(48)
                rsp[0] = 0x23
                rsp[1] = flags & 0x8F
                rsp[5:8] = len(out).to_bytes(3, "big")
                rsp[8:14] = bhs[8:14]
                final = flags & 0x80 and flags & 0x03 == 3
                rsp[14:16] = (b"\0\x01" if final else bhs[14:16])
                rsp[16:20] = itt
                self.sn(rsp)
                c.sendall(bytes(rsp) + pad(out))
            elif op == 0x00:  # NOP-Out
                if itt != b"\xff\xff\xff\xff":
                    rsp = bytearray(48)
                    rsp[0] = 0x20
                    rsp[1] = 0x80
                    rsp[8:16] = bhs[8:16]
                    rsp[16:20] = itt
                    struct.pack_into(">I", rsp, 20, 0xFFFFFFFF)
                    self.sn(rsp)
                    c.sendall(bytes(rsp))
            elif op == 0x01:
                self.scsi(bhs)
            elif op == 0x06:  # Logout Request
                rsp = bytearray(48)
                rsp[0] = 0x26
                rsp[1] = 0x80
                rsp[16:20] = itt
                self.sn(rsp)
                c.sendall(bytes(rsp))
                return
            else:
                print("unexpected opcode 0x%02x" % op, file=sys.stderr)
                return


def main():
    port, scenario = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    while True:
        c, _ = ls.accept()
        try:
            Conn(c, scenario).run()
        except (EOFError, ConnectionError):
            pass
        c.close()


sys.exit(main())
