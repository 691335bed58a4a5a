#!/usr/bin/python3
"""A scripted, deliberately misbehaving iSCSI target (RFC 7143) for tests.

    hostile-target.py target PORT SCENARIO [options]
    hostile-target.py proxy  PORT UPSTREAM_HOST:PORT FAULT [--every N]

PORT 0 takes a free port; --port-file FILE then receives its number once
the socket listens (so tests need no fixed ports and no `ss`).

target: listens on --addr (default 127.0.0.1) PORT, serves any number of
connections (one thread each; discovery or normal sessions, AuthMethod
None or CHAP with --chap-user/--chap-secret, mutual with --mutual-user/
--mutual-secret) and one in-memory LUN (any LUN number answers) backed
by --image FILE (default 1 MiB of zeros) with --block-size (default 512).
Commands: TEST UNIT READY, INQUIRY (standard, VPD 00 80 83 B0 B1 B2),
READ CAPACITY 10/16, MODE SENSE 6/10, REPORT LUNS, READ/WRITE 10/16,
SYNCHRONIZE CACHE 10/16; NOP-Out, Task Management, Text (SendTargets),
Logout. Read data goes in Data-In PDUs of --chunk bytes (default 4096),
the status in the last one; writes are solicited with R2Ts (InitialR2T=Yes,
ImmediateData=No). Every connection is a small state machine: LOGIN
(security, operational stages) -> FULL FEATURE -> CLOSED.

SCENARIO names the one thing that goes wrong ("none": a correct target).
Login and text keys:
  login-reject         Login Response status 0x0202 (authorization failure)
  login-target-error   Login Response status 0x0300 (target error)
  redirect-loop        every login redirected (0x0101) to this same portal
  redirect-garbage     redirected to TargetAddress "\\x1b[2J;;:99999:x"
  redirect-forged      redirected to --redirect-to (default 10.255.255.1:3260,
                       unreachable in a namespace with only loopback)
  login-missing-keys   operational keys offered are never answered
  login-no-tsih        final Login Response with TSIH 0
  mrdsl-zero           declares MaxRecvDataSegmentLength=0
  mrdsl-huge           declares MaxRecvDataSegmentLength=4294967295
  mrdsl-garbage        declares MaxRecvDataSegmentLength=12abc
  keys-garbage         answer is binary garbage without '=' or NUL
  keys-duplicate       MaxBurstLength answered twice, different values
  keys-huge-value      a 10000-byte TargetAlias (RFC 7143 6.1: 8192 max)
  keys-no-nul          the last key=value is not NUL-terminated
  login-wrong-opcode   a NOP-In instead of a Login Response
  drop-mid-login       half a Login Response BHS, then close
  silent-login         accepts TCP, never answers
  slow-login           Login Response trickled at 1 byte/s
  chap-1byte           CHAP_C of one byte
  chap-no-challenge    CHAP_A and CHAP_I but no CHAP_C
  chap-bad-alg         CHAP_A=99, an algorithm nobody offered
  chap-garbage         CHAP_C=0xZZ (not hex)
  chap-reflect         (mutual) answers the initiator's challenge with the
                       initiator's own CHAP_R echoed back
  alias-escape         TargetAlias with ESC, BEL and CR
Discovery text:
  discover-escape      SendTargets with ESC/CR/forged newline lines
Data-In, R2T and response accounting (READ/WRITE commands only):
  datain-short-good    half the data, status GOOD, no residual
  datain-none-good     no data at all, SCSI Response GOOD, no residual
  datain-gap           one chunk missing in the middle, GOOD
  datain-overlap       chunk 1 starts 2048 bytes early, total = EDTL, GOOD
  datain-dup-datasn    chunk 1 sent twice (same DataSN), last chunk missing
  datain-reorder       chunks 1 and 2 swapped (DataPDUInOrder=Yes)
  datain-datasn-gap    DataSN skips a number, offsets correct
  datain-residual-disagree  full data, U bit with residual 4096
  resp-residual-disagree    full data, separate SCSI Response U 4096
  datain-underflow     half the data, U bit with the honest residual
  datain-u-and-o       full data, both U and O set
  datain-beyond-edtl   one extra chunk after EDTL
  datain-over-mrdsl    one Data-In larger than the initiator's MRDSL
  r2t-beyond-edtl      (write) R2T asking for EDTL + 4096 bytes
  r2t-for-read         (read) an R2T instead of Data-In
  datain-for-write     (write) Data-In instead of an R2T
Sense (on READ):
  sense-truncated      SenseLength 18, 4 bytes of sense present
  sense-absurd         SenseLength 65535, 18 bytes present
  sense-none           CHECK CONDITION without sense data
  sense-medium         a correct MEDIUM ERROR (control scenario)
  sense-desc-bad       descriptor sense, additional length 244, 8 bytes
Unsolicited PDUs, window (before the answer to each READ):
  async-logout         Async logout request (event 1) before the answer to
                       the first READ of all connections (once)
  async-logout-every   the same on every connection's first READ
  async-capacity-storm 2000 Async events: UA CAPACITY DATA HAS CHANGED
  async-sense-absurd   Async event 0 with SenseLength 65535
  nop-flood            5000 NOP-In pings that ask for an answer
  cmdsn-closed         window never opens: MaxCmdSN = ExpCmdSN - 1
  cmdsn-absurd         after login MaxCmdSN = ExpCmdSN - 1000 (ignored, RFC
                       7143 4.2.2.1: the login window stays)
Capacity and geometry (--blocks, --block-size set the true geometry):
  rc10-max             READ CAPACITY(10) says 0xFFFFFFFF (RC16 is right)
  rc10-max-no-rc16     the same, and READ CAPACITY(16) is unsupported
  no-rc16              READ CAPACITY(16) unsupported (RC10 is right)
  rc16-wrap            RC16 last LBA 2^64-1: blocks x size wraps
  rc16-huge            RC16 last LBA 2^55, 4096-byte blocks: 2^67 bytes
  rc16-short           RC16 answers 8 bytes (honest residual): no block length
  bs-zero              block length 0 in RC10 and RC16
  report-luns-absurd   REPORT LUNS list length 0xFFFFFFF0, 8 bytes sent
                       (with the honest residual: only the length lies)
  vpd83-absurd         VPD 0x83 page length 65535, 8 bytes sent (ditto)
  inquiry-short-good   standard INQUIRY: 4 bytes, GOOD, no residual
  inquiry-short-resid  standard INQUIRY: 36 bytes, honest residual (fine)
  inquiry-escape       vendor/product/serial with ESC, CR, forged lines
Liveness and connections:
  silent               logs in, then never answers a SCSI command
  silent-io            answers everything (NOP-Out too) but READ and WRITE
  silent-writes        answers everything but WRITEs
  slow                 Data-In trickled at 1 byte/s
  drop-mid-pdu         closes in the middle of a Data-In PDU (every conn)
  drop-once            closes mid Data-In on the first connection only
  drop-after-3         every connection closes after its third READ
Options: --addr A, --image F, --blocks N, --block-size N, --chunk N,
--chap-user U --chap-secret S [--mutual-user U --mutual-secret S],
--target-name IQN, --log FILE (one line per PDU).

proxy: a relay for the data-integrity test: accepts connections on
--addr PORT, opens one to UPSTREAM for each, copies initiator bytes as
they are, and cuts the target's byte stream into PDUs (no digests) so it
can corrupt read data on the way: every Nth read (--every, default 7)
that takes four or more Data-In PDUs has its last PDU (the one with GOOD
status) cut to half its data (FAULT "shorten": offsets and DataSNs stay
consistent, only the byte count is short), loses a middle PDU ("drop",
DataSNs renumbered), gets one twice with the same DataSN ("duplicate"),
gets two swapped ("reorder", DataSNs renumbered), or each in turn
("mix").
"""
import argparse
import hashlib
import os
import socket
import struct
import threading
import time

SCN = "none"
OPT = None
LOG_LOCK = threading.Lock()
CONN_COUNT = 0
ASYNC_SENT = False  # async-logout: the one request was sent

# Opcodes (RFC 7143 11.x)
OP_NOP_OUT, OP_SCSI_CMD, OP_TMF, OP_LOGIN, OP_TEXT, OP_DATA_OUT, OP_LOGOUT = \
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
OP_NOP_IN, OP_SCSI_RSP, OP_TMF_RSP, OP_LOGIN_RSP, OP_TEXT_RSP, OP_DATA_IN, \
    OP_LOGOUT_RSP, OP_R2T, OP_ASYNC, OP_REJECT = \
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3f

DECLARATIVE = {"InitiatorName", "InitiatorAlias", "TargetName", "SessionType",
               "MaxRecvDataSegmentLength", "TargetAlias", "TargetAddress",
               "TargetPortalGroupTag"}
# Our side of each negotiable key: (function, value).
OURS = {"HeaderDigest": ("list", "None"), "DataDigest": ("list", "None"),
        "MaxConnections": ("min", 1), "InitialR2T": ("or", "Yes"),
        "ImmediateData": ("and", "No"), "MaxBurstLength": ("min", 262144),
        "FirstBurstLength": ("min", 65536), "DefaultTime2Wait": ("max", 0),
        "DefaultTime2Retain": ("min", 0), "MaxOutstandingR2T": ("min", 1),
        "DataPDUInOrder": ("or", "Yes"), "DataSequenceInOrder": ("or", "Yes"),
        "ErrorRecoveryLevel": ("min", 0), "IFMarker": ("and", "No"),
        "OFMarker": ("and", "No")}


def log(*a):
    if OPT and OPT.log:
        with LOG_LOCK, open(OPT.log, "a") as f:
            print("%.3f" % time.time(), *a, file=f)


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


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


def keys_of(data):
    out = []
    for kv in data.split(b"\0"):
        if b"=" in kv:
            k, v = kv.split(b"=", 1)
            out.append((k.decode("latin-1"), v.decode("latin-1")))
    return out


def kvs(pairs):
    return b"".join(k.encode("latin-1") + b"=" + v.encode("latin-1") + b"\0"
                    for k, v in pairs)


# CHAP_A codes (IANA PPP authentication algorithms, RFC 7143 12.1.3).
CHAP_HASH = {5: "md5", 6: "sha1", 7: "sha256", 8: "sha3_256"}


def chap_digest(alg, ident, secret, chal):
    return hashlib.new(CHAP_HASH[alg], bytes([ident]) + secret + chal).digest()


def sense_fixed(key, asc, ascq):
    s = bytearray(18)
    s[0], s[2], s[7], s[12], s[13] = 0x70, key, 10, asc, ascq
    return bytes(s)


class Lun:
    """The in-memory logical unit."""

    def __init__(self, opt):
        self.bs = opt.block_size
        if opt.image:
            self.data = bytearray(open(opt.image, "rb").read())
        else:
            self.data = bytearray((opt.blocks or 2048) * max(self.bs, 1))
        self.blocks = opt.blocks or (len(self.data) // max(self.bs, 1))
        self.lock = threading.Lock()
        self.vendor, self.product, self.serial = b"HOSTILE ", b"scripted target ", b"HT0001"
        if SCN == "inquiry-escape":
            self.vendor = b"\x1b[31mEV"
            self.product = b"A\rvendor: FORGED"
            self.serial = b"123\nvendor: FORGED\x1b]0;x\x07"


LUN = None


class Conn:
    """One connection: LOGIN -> FFP -> CLOSED."""

    def __init__(self, sock, num):
        self.s = sock
        self.num = num
        self.state = "LOGIN"
        self.statsn = 0x100
        self.exp_cmdsn = 0
        self.window = 32
        self.discovery = False
        self.ikeys = {}
        self.mrdsl = 8192  # the initiator's, until it declares one
        self.chap_step = 0
        self.chap_id = 7
        self.chap_alg = 5
        self.chap_chal = b""
        self.tsih = 0
        self.tpgt_sent = False
        self.reads = 0
        self.cmds = 0
        self.ttt = 0x10
        self.pending = {}  # TTT -> write state

    # ---- sending ------------------------------------------------------------

    def sn_fields(self, b, advance=True):
        """StatSN, ExpCmdSN, MaxCmdSN at 24..36 of a target PDU."""
        maxsn = self.exp_cmdsn + self.window - 1
        if SCN == "cmdsn-closed":
            maxsn = self.exp_cmdsn - 1
        elif SCN == "cmdsn-absurd" and self.state == "FFP":
            maxsn = self.exp_cmdsn - 1000
        struct.pack_into(">III", b, 24, self.statsn & 0xFFFFFFFF,
                         self.exp_cmdsn & 0xFFFFFFFF, maxsn & 0xFFFFFFFF)
        if advance:
            self.statsn += 1

    def send(self, bhs, data=b"", slow=False):
        bhs[5:8] = len(data).to_bytes(3, "big")
        raw = bytes(bhs) + pad(data)
        log("conn%d send op 0x%02x len %d" % (self.num, bhs[0] & 0x3F, len(data)))
        if slow:
            for i in range(len(raw)):
                self.s.sendall(raw[i:i + 1])
                time.sleep(1)
        else:
            self.s.sendall(raw)

    # ---- login ----------------------------------------------------------------

    def login(self, bhs, data):
        flags = bhs[1]
        csg, nsg, transit = (flags >> 2) & 3, flags & 3, bool(flags & 0x80)
        itt = bhs[16:20]
        cmdsn = struct.unpack(">I", bhs[24:28])[0]
        self.exp_cmdsn = cmdsn
        keys = keys_of(data)
        for k, v in keys:
            self.ikeys[k] = v
        if self.ikeys.get("SessionType") == "Discovery":
            self.discovery = True
        out = []
        status = 0
        if SCN == "silent-login":
            time.sleep(3600)
        if SCN == "login-reject":
            status = 0x0202
        elif SCN == "login-target-error":
            status = 0x0300
        elif SCN in ("redirect-loop", "redirect-garbage", "redirect-forged"):
            status = 0x0101
            addr = {"redirect-loop": "%s:%d" % (OPT.addr, OPT.port),
                    "redirect-garbage": "\x1b[2J;;:99999:x",
                    "redirect-forged": OPT.redirect_to}[SCN]
            out.append(("TargetAddress", addr))
        done_stage = True
        if status == 0 and csg == 0:
            done_stage = self.security(keys, out)
            if done_stage is None:
                status = 0x0201
        elif status == 0:
            self.operational(keys, out)
        # RFC 7143 13.9: the first Login Response of a normal session
        # declares the portal group.
        if status == 0 and not self.discovery and not self.tpgt_sent:
            out.append(("TargetPortalGroupTag", "1"))
            self.tpgt_sent = True
        rsp = bytearray(48)
        rsp[0] = OP_LOGIN_RSP
        if status == 0 and done_stage and transit:
            rsp[1] = 0x80 | (csg << 2) | nsg
        else:
            rsp[1] = csg << 2 | (nsg if transit else 0)
        rsp[8:14] = bhs[8:14]
        final = status == 0 and done_stage and transit and nsg == 3
        if final and SCN != "login-no-tsih":
            self.tsih = 1
        rsp[14:16] = struct.pack(">H", self.tsih if final else
                                 struct.unpack(">H", bhs[14:16])[0])
        rsp[16:20] = itt
        rsp[36], rsp[37] = status >> 8, status & 0xFF
        payload = kvs(out)
        if SCN == "keys-garbage":
            payload = b"\x01\x02garbage\xff==\x00=\x00\x00\x00zz"
        elif SCN == "keys-no-nul" and payload:
            payload = payload[:-1]
        if SCN == "login-wrong-opcode":
            rsp[0] = OP_NOP_IN
        if SCN == "drop-mid-login":
            self.s.sendall(bytes(rsp)[:20])
            raise EOFError
        self.sn_fields(rsp)
        self.send(rsp, payload, slow=(SCN == "slow-login"))
        if status:
            raise EOFError
        if final:
            self.state = "FFP"
            self.exp_cmdsn = cmdsn  # login is immediate: the first command has it

    def security(self, keys, out):
        """True when the security stage may end; None on failure."""
        k = dict(keys)
        want_chap = OPT.chap_user is not None
        if "AuthMethod" in k:
            offered = k["AuthMethod"].split(",")
            m = "CHAP" if want_chap else "None"
            if m not in offered:
                out.append(("AuthMethod", "Reject"))
                return None
            out.append(("AuthMethod", m))
            if not self.discovery:
                pass
            if not want_chap:
                return True
            self.chap_step = 1
            if "CHAP_A" not in k:
                return False
        if "CHAP_A" in k and self.chap_step == 1:
            alg = next((a for a in k["CHAP_A"].split(",") if int(a) in CHAP_HASH), "5")
            self.chap_alg = int(alg)
            self.chap_chal = os.urandom(16)
            if SCN == "chap-1byte":
                self.chap_chal = b"\x5a"
            out.append(("CHAP_A", "99" if SCN == "chap-bad-alg" else alg))
            out.append(("CHAP_I", str(self.chap_id)))
            if SCN == "chap-garbage":
                out.append(("CHAP_C", "0xZZ"))
            elif SCN != "chap-no-challenge":
                out.append(("CHAP_C", "0x" + self.chap_chal.hex()))
            self.chap_step = 2
            return False
        if "CHAP_R" in k and self.chap_step == 2:
            r = k["CHAP_R"]
            rb = bytes.fromhex(r[2:]) if r[:2].lower() == "0x" else b""
            want = chap_digest(self.chap_alg, self.chap_id, OPT.chap_secret.encode(),
                               self.chap_chal)
            if k.get("CHAP_N") != OPT.chap_user or rb != want:
                log("conn%d CHAP response wrong" % self.num)
                return None
            if "CHAP_C" in k:  # mutual
                ci = int(k.get("CHAP_I", "0"), 0)
                cc = bytes.fromhex(k["CHAP_C"][2:])
                resp = chap_digest(self.chap_alg, ci, (OPT.mutual_secret or "").encode(), cc)
                if SCN == "chap-reflect":
                    resp = rb
                out.append(("CHAP_N", OPT.mutual_user or "target"))
                out.append(("CHAP_R", "0x" + resp.hex()))
            self.chap_step = 3
            return True
        return self.chap_step in (0, 3)

    def operational(self, keys, out):
        if SCN == "login-missing-keys":
            keys = [(k, v) for k, v in keys if k in DECLARATIVE]
        for k, v in keys:
            if k == "MaxRecvDataSegmentLength":
                try:
                    self.mrdsl = int(v, 0)
                except ValueError:
                    pass
                continue
            if k in DECLARATIVE:
                continue
            if k not in OURS:
                out.append((k, "NotUnderstood"))
                continue
            fn, ours = OURS[k]
            if fn == "list":
                val = ours if ours in v.split(",") else v.split(",")[0]
            elif fn == "min":
                val = str(min(int(v, 0), ours)) if ours else v
            elif fn == "max":
                val = str(max(int(v, 0), ours))
            elif fn == "or":
                val = "Yes" if (v == "Yes" or ours == "Yes") else "No"
            else:
                val = "Yes" if (v == "Yes" and ours == "Yes") else "No"
            out.append((k, val))
            if SCN == "keys-duplicate" and k == "MaxBurstLength":
                out.append((k, "4096"))
        mr = {"mrdsl-zero": "0", "mrdsl-huge": "4294967295",
              "mrdsl-garbage": "12abc"}.get(SCN, str(OPT.target_mrdsl))
        if not any(k == "MaxRecvDataSegmentLength" for k, _ in out):
            out.append(("MaxRecvDataSegmentLength", mr))
        if SCN == "keys-huge-value":
            out.append(("TargetAlias", "A" * 10000))
        if SCN == "alias-escape":
            out.append(("TargetAlias", "\x1b]0;pwned\x07\rforged\x1b[2J"))

    # ---- full feature phase --------------------------------------------------

    def cmd_sn(self, bhs):
        if not bhs[0] & 0x40:
            self.exp_cmdsn = struct.unpack(">I", bhs[24:28])[0] + 1

    def scsi_rsp(self, bhs, status, sense=b"", flags=0, residual=0, raw_data=None):
        r = bytearray(48)
        r[0] = OP_SCSI_RSP
        r[1] = 0x80 | flags
        r[3] = status
        r[16:20] = bhs[16:20]
        self.sn_fields(r)
        struct.pack_into(">I", r, 44, residual)
        data = raw_data if raw_data is not None else \
            (struct.pack(">H", len(sense)) + sense if sense else b"")
        self.send(r, data)

    def unsolicited(self, bhs):
        """What some scenarios send before the answer to a READ."""
        global ASYNC_SENT
        if (SCN == "async-logout" and not ASYNC_SENT) or \
                (SCN == "async-logout-every" and self.reads == 1):
            ASYNC_SENT = True
            a = bytearray(48)
            a[0], a[1] = OP_ASYNC, 0x80
            a[16:20] = b"\xff" * 4
            a[36] = 1
            struct.pack_into(">HHH", a, 38, 0, 0, 2)
            self.sn_fields(a)
            self.send(a)
        elif SCN in ("async-capacity-storm", "async-sense-absurd") and self.reads == 1:
            n = 2000 if SCN == "async-capacity-storm" else 1
            s = sense_fixed(6, 0x2A, 0x09)
            for _ in range(n):
                a = bytearray(48)
                a[0], a[1] = OP_ASYNC, 0x80
                a[8:16] = bhs[8:16]
                a[16:20] = b"\xff" * 4
                a[36] = 0
                self.sn_fields(a)
                sl = 65535 if SCN == "async-sense-absurd" else len(s)
                self.send(a, struct.pack(">H", sl) + s)
        elif SCN == "nop-flood" and self.reads == 1:
            for i in range(OPT.flood):
                n = bytearray(48)
                n[0], n[1] = OP_NOP_IN, 0x80
                n[16:20] = b"\xff" * 4
                struct.pack_into(">I", n, 20, 0x1000 + i)
                self.sn_fields(n, advance=False)
                self.send(n)

    def read(self, bhs, lba, nblk):
        edtl = struct.unpack(">I", bhs[20:24])[0]
        self.reads += 1
        self.unsolicited(bhs)
        if SCN in ("silent", "silent-io"):
            return
        if SCN.startswith("sense-"):
            s = sense_fixed(3, 0x11, 0x00)
            if SCN == "sense-medium":
                return self.scsi_rsp(bhs, 2, s)
            if SCN == "sense-truncated":
                return self.scsi_rsp(bhs, 2, raw_data=struct.pack(">H", 18) + s[:4])
            if SCN == "sense-absurd":
                return self.scsi_rsp(bhs, 2, raw_data=struct.pack(">H", 65535) + s)
            if SCN == "sense-none":
                return self.scsi_rsp(bhs, 2)
            if SCN == "sense-desc-bad":
                d = bytes([0x72, 3, 0x11, 0, 0, 0, 0, 244])
                return self.scsi_rsp(bhs, 2, raw_data=struct.pack(">H", 252) + d)
        if lba + nblk > LUN.blocks:
            return self.scsi_rsp(bhs, 2, sense_fixed(5, 0x21, 0))
        bs = LUN.bs
        with LUN.lock:
            payload = bytes(LUN.data[lba * bs:(lba + nblk) * bs])
        payload = payload[:edtl] + b"\0" * max(0, edtl - len(payload))
        if SCN == "r2t-for-read":
            r = bytearray(48)
            r[0], r[1] = OP_R2T, 0x80
            r[8:16], r[16:20] = bhs[8:16], bhs[16:20]
            struct.pack_into(">I", r, 20, 0x77)
            self.sn_fields(r, advance=False)
            struct.pack_into(">III", r, 36, 0, 0, edtl)
            return self.send(r)
        self.send_data_in(bhs, payload, edtl)

    def send_data_in(self, bhs, payload, edtl, status=0):
        ch = OPT.chunk
        pieces = [(o, payload[o:o + ch]) for o in range(0, len(payload), ch)]
        if not pieces:
            pieces = []
        flags, residual, sep_rsp = 0, 0, False
        if SCN in ("datain-short-good", "datain-underflow"):
            pieces = [p for p in pieces if p[0] < edtl // 2]
            if SCN == "datain-underflow":
                flags, residual = 0x02, edtl - sum(len(p[1]) for p in pieces)
        elif SCN == "datain-none-good":
            pieces, sep_rsp = [], True
        elif SCN == "datain-gap" and len(pieces) > 2:
            del pieces[1]
        elif SCN == "datain-overlap" and len(pieces) > 2:
            o = pieces[1][0] - 2048
            pieces[1] = (o, payload[o:o + ch])
        elif SCN == "datain-dup-datasn" and len(pieces) > 2:
            pieces = pieces[:2] + [("dup", pieces[1])] + pieces[2:-1]
        elif SCN == "datain-reorder" and len(pieces) > 3:
            pieces[1], pieces[2] = pieces[2], pieces[1]
        elif SCN == "datain-residual-disagree":
            flags, residual = 0x02, 4096
        elif SCN == "resp-residual-disagree":
            sep_rsp = True
        elif SCN == "datain-u-and-o":
            flags, residual = 0x06, 4096
        elif SCN == "datain-beyond-edtl":
            pieces.append((edtl, b"\xee" * ch))
        elif SCN == "datain-over-mrdsl" and pieces:
            big = max(self.mrdsl * 2, 1 << 20)
            pieces = [(0, payload + b"\0" * max(0, big - len(payload)))]
        elif SCN == "drop-mid-pdu" or (SCN == "drop-once" and self.num == 1) or \
                (SCN == "drop-after-3" and self.reads > 3):
            first = pieces[0][1] if pieces else b""
            d = bytearray(48)
            d[0], d[1] = OP_DATA_IN, 0
            d[5:8] = len(first).to_bytes(3, "big")
            d[16:20] = bhs[16:20]
            self.s.sendall(bytes(d) + first[:len(first) // 2])
            raise EOFError
        datasn = 0
        for i, (o, d) in enumerate(pieces):
            dup = o == "dup"
            if dup:
                o, d = d
                datasn -= 1
            if SCN == "datain-datasn-gap" and i == 1:
                datasn += 1
            last = i == len(pieces) - 1 and not sep_rsp
            b = bytearray(48)
            b[0] = OP_DATA_IN
            b[1] = (0x81 | flags) if last else 0
            b[3] = status if last else 0
            b[8:16] = bhs[8:16]
            b[16:20] = bhs[16:20]
            b[20:24] = b"\xff" * 4
            if last:
                self.sn_fields(b)
            else:
                self.sn_fields(b, advance=False)
                struct.pack_into(">I", b, 24, 0)
            struct.pack_into(">III", b, 36, datasn, o, residual if last else 0)
            datasn += 1
            self.send(b, d, slow=(SCN == "slow"))
        if not pieces or sep_rsp:
            if SCN == "resp-residual-disagree":
                return self.scsi_rsp(bhs, status, flags=0x02, residual=4096)
            self.scsi_rsp(bhs, status, flags=flags, residual=residual)

    def write(self, bhs, lba, nblk, imm):
        edtl = struct.unpack(">I", bhs[20:24])[0]
        if SCN in ("silent", "silent-io", "silent-writes"):
            return
        if lba + nblk > LUN.blocks:
            return self.scsi_rsp(bhs, 2, sense_fixed(5, 0x21, 0))
        if SCN == "datain-for-write":
            return self.send_data_in(bhs, b"\0" * edtl, edtl)
        w = {"bhs": bhs, "off": lba * LUN.bs, "edtl": edtl, "buf": bytearray(edtl),
             "got": len(imm), "sent": 0}
        w["buf"][:len(imm)] = imm
        self.ttt += 1
        self.pending[self.ttt] = w
        self.next_r2t(self.ttt)

    def next_r2t(self, ttt):
        w = self.pending[ttt]
        if w["got"] >= w["edtl"]:
            del self.pending[ttt]
            with LUN.lock:
                LUN.data[w["off"]:w["off"] + w["edtl"]] = w["buf"]
            return self.scsi_rsp(w["bhs"], 0)
        burst = min(65536, w["edtl"] - w["got"])
        if SCN == "r2t-beyond-edtl":
            burst = w["edtl"] - w["got"] + 4096
        r = bytearray(48)
        r[0], r[1] = OP_R2T, 0x80
        r[8:16], r[16:20] = w["bhs"][8:16], w["bhs"][16:20]
        struct.pack_into(">I", r, 20, ttt)
        self.sn_fields(r, advance=False)
        struct.pack_into(">III", r, 36, w["sent"], w["got"], burst)
        w["sent"] += 1
        w["burst_end"] = w["got"] + burst
        self.send(r)

    def data_out(self, bhs, data):
        ttt = struct.unpack(">I", bhs[20:24])[0]
        off = struct.unpack(">I", bhs[40:44])[0]
        w = self.pending.get(ttt)
        if not w:
            return
        w["buf"][off:off + len(data)] = data[:max(0, w["edtl"] - off)]
        w["got"] = max(w["got"], off + len(data))
        if bhs[1] & 0x80:
            self.next_r2t(ttt)

    def scsi(self, bhs, data):
        cdb = bhs[32:48]
        op = cdb[0]
        edtl = struct.unpack(">I", bhs[20:24])[0]
        self.cmds += 1
        if SCN == "silent":
            return
        if op in (0x28, 0x88, 0x2A, 0x8A):
            if op in (0x28, 0x2A):
                lba, n = struct.unpack(">I", cdb[2:6])[0], struct.unpack(">H", cdb[7:9])[0]
            else:
                lba, n = struct.unpack(">Q", cdb[2:10])[0], struct.unpack(">I", cdb[10:14])[0]
            if op in (0x28, 0x88):
                return self.read(bhs, lba, n)
            return self.write(bhs, lba, n, data)
        answer = self.answer(cdb, edtl)
        if answer is None:
            return self.scsi_rsp(bhs, 2, sense_fixed(5, 0x20, 0))
        if isinstance(answer, tuple):  # (bytes, forced residual flags)
            payload, honest = answer
        else:
            payload, honest = answer, True
        payload = payload[:edtl]
        if not payload:
            return self.scsi_rsp(bhs, 0)
        ch = OPT.chunk
        datasn = 0
        for o in range(0, len(payload), ch):
            last = o + ch >= len(payload)
            b = bytearray(48)
            b[0] = OP_DATA_IN
            under = edtl - len(payload)
            b[1] = (0x81 | (0x02 if under and honest else 0)) if last else 0
            b[8:16], b[16:20], b[20:24] = bhs[8:16], bhs[16:20], b"\xff" * 4
            self.sn_fields(b, advance=last)
            struct.pack_into(">III", b, 36, datasn, o, under if last and honest else 0)
            datasn += 1
            self.send(b, payload[o:o + ch])

    def answer(self, cdb, edtl):
        """Data for a non-I/O command, None for ILLEGAL REQUEST."""
        op = cdb[0]
        bs = LUN.bs
        if op in (0x00, 0x35, 0x91):  # TUR, SYNCHRONIZE CACHE 10/16
            return b""
        if op == 0x12:
            if cdb[1] & 1:
                return self.vpd(cdb[2])
            std = bytearray(96)
            std[2], std[3], std[4], std[7] = 6, 2, 91, 0x02
            std[8:16] = LUN.vendor[:8].ljust(8)
            std[16:32] = LUN.product[:16].ljust(16)
            std[32:36] = b"0001"
            if SCN == "inquiry-short-good":
                return (bytes(std[:4]), False)
            if SCN == "inquiry-short-resid":
                std[4] = 31
                return bytes(std[:36])
            return bytes(std)
        if op == 0x25:  # READ CAPACITY 10
            last = LUN.blocks - 1
            if SCN.startswith("rc10-max") or last > 0xFFFFFFFE:
                last = 0xFFFFFFFF
            bl = 0 if SCN == "bs-zero" else bs
            return struct.pack(">II", last & 0xFFFFFFFF, bl)
        if op == 0x9E and cdb[1] & 0x1F == 0x10:  # READ CAPACITY 16
            if SCN in ("rc10-max-no-rc16", "no-rc16"):
                return None
            last = LUN.blocks - 1
            bl = bs
            if SCN == "rc16-wrap":
                last = 0xFFFFFFFFFFFFFFFF
            elif SCN == "rc16-huge":
                last, bl = 1 << 55, 4096
            elif SCN == "bs-zero":
                bl = 0
            elif SCN == "rc16-short":
                return struct.pack(">Q", last)
            return struct.pack(">QI", last, bl) + b"\0" * 20
        if op in (0x1A, 0x5A):  # MODE SENSE 6/10: caching page, WCE=0
            page = bytes([0x08, 0x12]) + b"\0" * 18
            if op == 0x1A:
                return bytes([3 + len(page), 0, 0, 0]) + page
            return struct.pack(">HBBBBH", 6 + len(page), 0, 0, 0, 0, 0) + page
        if op == 0xA0:  # REPORT LUNS
            if SCN == "report-luns-absurd":
                return struct.pack(">I", 0xFFFFFFF0) + b"\0" * 4
            return struct.pack(">I", 16) + b"\0" * 4 + b"\0" * 8 + b"\0\x01" + b"\0" * 6
        return None

    def vpd(self, page):
        if page == 0x00:
            pages = bytes([0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2])
            return bytes([0, 0, 0, len(pages)]) + pages
        if page == 0x80:
            return bytes([0, 0x80, 0, len(LUN.serial)]) + LUN.serial
        if page == 0x83:
            naa = bytes([0x60, 0x01, 0x40, 0x5e, 0xad, 0xbe, 0xef, 0x00]) + b"\x00" * 7 + b"\x01"
            d = bytes([0x01, 0x03, 0, len(naa)]) + naa
            if SCN == "vpd83-absurd":
                return bytes([0, 0x83, 0xFF, 0xFF]) + d[:4]
            return bytes([0, 0x83]) + struct.pack(">H", len(d)) + d
        if page == 0xB0:
            p = bytearray(64)
            p[1], p[3] = 0xB0, 0x3C
            struct.pack_into(">I", p, 8, 2048)   # MAXIMUM TRANSFER LENGTH
            struct.pack_into(">I", p, 12, 128)   # OPTIMAL TRANSFER LENGTH
            return bytes(p)
        if page == 0xB1:
            p = bytearray(64)
            p[1], p[3], p[5] = 0xB1, 0x3C, 1
            return bytes(p)
        if page == 0xB2:
            p = bytearray(8)
            p[1], p[3] = 0xB2, 4
            return bytes(p)
        return None

    def text(self, bhs, data):
        r = bytearray(48)
        r[0], r[1] = OP_TEXT_RSP, 0x80
        r[16:20] = bhs[16:20]
        r[20:24] = b"\xff" * 4
        self.sn_fields(r)
        out = []
        if data.rstrip(b"\0") == b"SendTargets=All":
            name = OPT.target_name
            addr = "%s:%d,1" % (OPT.addr, OPT.port)
            if SCN == "discover-escape":
                out = [("TargetName", "iqn.2026-11.test:\x1b[2Jevil\rname"),
                       ("TargetAddress", "1.2.3.4:3260,1\ntarget: iqn.2026-11.forged"),
                       ("TargetName", "not a valid\nname\x07"),
                       ("TargetAddress", addr)]
            else:
                out = [("TargetName", name), ("TargetAddress", addr)]
        self.send(r, kvs(out))

    def ffp(self, bhs, data):
        op = bhs[0] & 0x3F
        if op != OP_DATA_OUT:
            self.cmd_sn(bhs)
        if op == OP_SCSI_CMD:
            self.scsi(bhs, data)
        elif op == OP_DATA_OUT:
            self.data_out(bhs, data)
        elif op == OP_NOP_OUT:
            if bhs[16:20] != b"\xff" * 4:
                r = bytearray(48)
                r[0], r[1] = OP_NOP_IN, 0x80
                r[8:16], r[16:20], r[20:24] = bhs[8:16], bhs[16:20], b"\xff" * 4
                self.sn_fields(r)
                self.send(r, data)
        elif op == OP_TMF:
            r = bytearray(48)
            r[0], r[1], r[2] = OP_TMF_RSP, 0x80, 0
            r[16:20] = bhs[16:20]
            self.sn_fields(r)
            self.send(r)
        elif op == OP_TEXT:
            self.text(bhs, data)
        elif op == OP_LOGOUT:
            r = bytearray(48)
            r[0], r[1] = OP_LOGOUT_RSP, 0x80
            r[16:20] = bhs[16:20]
            self.sn_fields(r)
            self.send(r)
            raise EOFError
        else:
            log("conn%d unexpected opcode 0x%02x" % (self.num, op))

    def run(self):
        try:
            while True:
                bhs, data = recv_pdu(self.s)
                op = bhs[0] & 0x3F
                log("conn%d recv op 0x%02x %s len %d" % (self.num, op, self.state, len(data)))
                if self.state == "LOGIN":
                    if op != OP_LOGIN:
                        break
                    self.login(bhs, data)
                else:
                    self.ffp(bhs, data)
        except (EOFError, OSError):
            pass
        finally:
            self.state = "CLOSED"
            log("conn%d closed" % self.num)
            try:
                self.s.close()
            except OSError:
                pass


def listen():
    """The listening socket; its port into --port-file once it listens."""
    ls = socket.socket(socket.AF_INET6 if ":" in OPT.addr else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((OPT.addr, OPT.port))
    ls.listen(16)
    OPT.port = ls.getsockname()[1]
    if OPT.port_file:
        with open(OPT.port_file + ".tmp", "w") as f:
            print(OPT.port, file=f)
        os.rename(OPT.port_file + ".tmp", OPT.port_file)
    return ls


def serve_target():
    global LUN, CONN_COUNT
    LUN = Lun(OPT)
    ls = listen()
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        CONN_COUNT += 1
        log("conn%d accepted" % CONN_COUNT)
        threading.Thread(target=Conn(c, CONN_COUNT).run, daemon=True).start()


# ---- proxy mode ------------------------------------------------------------------

class Relay:
    """One initiator connection relayed to the upstream target."""

    faults = ["shorten", "drop", "duplicate", "reorder"]
    done = 0  # reads corrupted, over all connections (mix takes turns)
    lock = threading.Lock()

    def __init__(self, ci, up, num):
        self.ci, self.up, self.num = ci, up, num
        self.held = {}  # ITT -> Data-In PDUs of a read being tampered with
        self.reads = 0
        self.seen = 0

    def upstream(self):
        try:
            while True:
                d = self.ci.recv(65536)
                if not d:
                    break
                self.up.sendall(d)
        except OSError:
            pass
        for s in (self.ci, self.up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def renumber(pdus):
        """DataSN 0, 1, 2... in sending order: only offsets or sizes lie."""
        out = []
        for i, raw in enumerate(pdus):
            b = bytearray(raw)
            struct.pack_into(">I", b, 36, i)
            out.append(bytes(b))
        return out

    def fault(self, pdus):
        """pdus: [raw PDU] of one read, the last with the S bit."""
        if len(pdus) < 4:
            return pdus
        f = OPT.fault
        with Relay.lock:
            if f == "mix":
                f = self.faults[Relay.done % len(self.faults)]
            Relay.done += 1
        log("relay%d fault %s on a read of %d PDUs" % (self.num, f, len(pdus)))
        if f == "shorten":
            # The last PDU (with GOOD status) carries half its data: offsets
            # and DataSNs are consistent, only the byte count is short.
            b = bytearray(pdus[-1][:48])
            dsl = int.from_bytes(b[5:8], "big")
            b[5:8] = (dsl // 2).to_bytes(3, "big")
            return pdus[:-1] + [bytes(b) + pad(pdus[-1][48:48 + dsl // 2])]
        if f == "drop":
            return self.renumber(pdus[:1] + pdus[2:])
        if f == "duplicate":
            return pdus[:2] + [pdus[1]] + pdus[2:]
        return self.renumber(pdus[:1] + [pdus[2], pdus[1]] + pdus[3:])

    def downstream(self):
        try:
            while True:
                bhs = recv_exact(self.up, 48)
                ahs = bhs[4] * 4
                dsl = int.from_bytes(bhs[5:8], "big")
                raw = bhs + recv_exact(self.up, ahs + ((dsl + 3) & ~3))
                op = bhs[0] & 0x3F
                if op != OP_DATA_IN:
                    self.ci.sendall(raw)
                    continue
                itt = bhs[16:20]
                last = bool(bhs[1] & 0x01)
                self.seen += dsl >= 4096
                if self.seen <= 8 and dsl >= 4096:
                    log("relay%d Data-In ITT %s offset %d length %d flags 0x%02x" % (
                        self.num, itt.hex(), struct.unpack(">I", bhs[40:44])[0], dsl, bhs[1]))
                if itt not in self.held:
                    if struct.unpack(">I", bhs[40:44])[0] != 0:
                        self.ci.sendall(raw)
                        continue
                    self.reads += 1
                    if self.reads % OPT.every != 0 or last:
                        self.held[itt] = None  # pass this read untouched
                    else:
                        self.held[itt] = []
                if self.held[itt] is None:
                    self.ci.sendall(raw)
                else:
                    self.held[itt].append(raw)
                    if last:
                        self.ci.sendall(b"".join(self.fault(self.held[itt])))
                if last:
                    del self.held[itt]
        except (EOFError, OSError):
            pass
        for s in (self.ci, self.up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_proxy():
    host, port = OPT.upstream.rsplit(":", 1)
    ls = listen()
    n = 0
    while True:
        ci, _ = ls.accept()
        n += 1
        try:
            up = socket.create_connection((host, int(port)), timeout=10)
            up.settimeout(None)
        except OSError:
            ci.close()
            continue
        for s in (ci, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        r = Relay(ci, up, n)
        log("relay%d connected" % n)
        threading.Thread(target=r.upstream, daemon=True).start()
        threading.Thread(target=r.downstream, daemon=True).start()


def main():
    global OPT, SCN
    p = argparse.ArgumentParser(description="scripted hostile iSCSI target")
    sub = p.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("target")
    t.add_argument("port", type=int)
    t.add_argument("scenario")
    t.add_argument("--addr", default="127.0.0.1")
    t.add_argument("--image")
    t.add_argument("--blocks", type=int, default=0)
    t.add_argument("--block-size", type=int, default=512)
    t.add_argument("--chunk", type=int, default=4096)
    t.add_argument("--flood", type=int, default=5000)
    t.add_argument("--target-mrdsl", type=int, default=262144)
    t.add_argument("--chap-user")
    t.add_argument("--chap-secret", default="")
    t.add_argument("--mutual-user")
    t.add_argument("--mutual-secret")
    t.add_argument("--target-name", default="iqn.2026-11.org.iscsi-nbd.test:hostile")
    t.add_argument("--redirect-to", default="10.255.255.1:3260")
    t.add_argument("--port-file")
    t.add_argument("--log")
    x = sub.add_parser("proxy")
    x.add_argument("port", type=int)
    x.add_argument("upstream")
    x.add_argument("fault", choices=["shorten", "drop", "duplicate", "reorder", "mix", "none"])
    x.add_argument("--every", type=int, default=7)
    x.add_argument("--addr", default="127.0.0.1")
    x.add_argument("--port-file")
    x.add_argument("--log")
    OPT = p.parse_args()
    if OPT.mode == "proxy":
        if OPT.fault == "none":
            OPT.every = 1 << 30
        serve_proxy()
    else:
        SCN = OPT.scenario
        serve_target()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
