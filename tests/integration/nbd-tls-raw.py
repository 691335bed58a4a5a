#!/usr/bin/env python3
"""Scripted NBD clients for the STARTTLS stage (nbd-tls.sh), speaking the
fixed newstyle handshake byte by byte, so a test can see exactly what a
server in FORCEDTLS mode answers and what it does with hostile bytes.

    nbd-tls-raw.py HOST PORT plain-options
        OPT_GO, OPT_INFO, OPT_LIST and an unknown option before STARTTLS:
        each must be answered NBD_REP_ERR_TLS_REQD; STARTTLS with data
        NBD_REP_ERR_INVALID; then ABORT gets its ACK. Never any export data.
    nbd-tls-raw.py HOST PORT export-name
        NBD_OPT_EXPORT_NAME first: the server must close without sending
        the export's size (it cannot answer an error to that option).
    nbd-tls-raw.py HOST PORT garbage
        STARTTLS, then bytes that are no ClientHello: the server must close.
    nbd-tls-raw.py HOST PORT stall N SECONDS
        N clients that get the STARTTLS ACK, send half a TLS record header
        and stall; prints, after SECONDS, how many the server has closed.

    nbd-tls-raw.py HOST PORT flood N SECONDS
        Like stall, but N may exceed the server's client limit: prints how
        many got as far as the TLS handshake and how many the server
        turned away at once, then, after SECONDS, how many it closed.
    nbd-tls-raw.py HOST PORT x509 DIR TLSVERSION
        STARTTLS, then a TLS handshake (Python's ssl, OpenSSL) as a client
        presenting DIR/client-cert.pem whatever the server's CA list says
        (GnuTLS clients do not send a certificate the server's CA did not
        sign), at TLSVERSION 1.2 or 1.3, then OPT_GO. Prints "served" with
        the export size, or "refused: REASON"; exit 0 either way, 1 on a
        protocol error.

Exit status 0 when the server behaved, 1 otherwise (the reason on stderr).
"""
import socket
import struct
import sys
import time

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3E889045565A9
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS, OPT_INFO, OPT_GO = 1, 2, 3, 5, 6, 7
REP_ACK = 1
REP_ERR_INVALID = 0x80000003
REP_ERR_TLS_REQD = 0x80000005
FLAG_C_FIXED_NEWSTYLE = 1


def die(msg):
    print("nbd-tls-raw: " + msg, file=sys.stderr)
    sys.exit(1)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            print("nbd-tls-raw: server closed after %d of %d bytes" % (len(buf), n),
                  file=sys.stderr)
            sys.exit(1)
        buf += chunk
    return buf


def connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=10)
    magic, ihaveopt, _flags = struct.unpack(">QQH", recv_exact(s, 18))
    if magic != NBDMAGIC or ihaveopt != IHAVEOPT:
        die("not a newstyle greeting")
    s.sendall(struct.pack(">I", FLAG_C_FIXED_NEWSTYLE))
    return s


def send_opt(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)


def read_reply(s):
    magic, opt, rtype, length = struct.unpack(">QIII", recv_exact(s, 20))
    if magic != REPLY_MAGIC:
        die("bad option reply magic %#x" % magic)
    data = recv_exact(s, length) if length else b""
    return opt, rtype, data


def go_data(name=b"", infos=()):
    return struct.pack(">I", len(name)) + name + struct.pack(">H", len(infos)) + b"".join(
        struct.pack(">H", i) for i in infos)


def plain_options(host, port):
    s = connect(host, port)
    for opt, data, name in ((OPT_GO, go_data(infos=(3,)), "OPT_GO"),
                            (OPT_INFO, go_data(), "OPT_INFO"),
                            (OPT_LIST, b"", "OPT_LIST"),
                            (99, b"xyz", "unknown option 99")):
        send_opt(s, opt, data)
        ropt, rtype, rdata = read_reply(s)
        if ropt != opt or rtype != REP_ERR_TLS_REQD:
            die("%s before STARTTLS: reply type %#x, want NBD_REP_ERR_TLS_REQD" % (name, rtype))
        print("%s: NBD_REP_ERR_TLS_REQD" % name)
    send_opt(s, OPT_STARTTLS, b"x")
    _, rtype, _ = read_reply(s)
    if rtype != REP_ERR_INVALID:
        die("STARTTLS with data: reply type %#x, want NBD_REP_ERR_INVALID" % rtype)
    print("STARTTLS with data: NBD_REP_ERR_INVALID")
    send_opt(s, OPT_ABORT)
    _, rtype, _ = read_reply(s)
    if rtype != REP_ACK:
        die("ABORT: reply type %#x, want NBD_REP_ACK" % rtype)
    print("ABORT: NBD_REP_ACK")
    s.close()


def export_name(host, port):
    s = connect(host, port)
    send_opt(s, OPT_EXPORT_NAME, b"lun0")
    got = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        die("server kept the connection open after EXPORT_NAME without TLS")
    if got:
        die("server sent %d bytes after EXPORT_NAME without TLS" % len(got))
    print("EXPORT_NAME without TLS: closed, no data")


def starttls(host, port):
    s = connect(host, port)
    send_opt(s, OPT_STARTTLS)
    _, rtype, _ = read_reply(s)
    if rtype != REP_ACK:
        die("STARTTLS: reply type %#x, want NBD_REP_ACK" % rtype)
    return s


def garbage(host, port):
    s = starttls(host, port)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 4)
    try:
        data = s.recv(4096)
        while data:
            data = s.recv(4096)  # a TLS alert may come first
    except socket.timeout:
        die("server kept a connection that sent garbage instead of a ClientHello")
    except ConnectionResetError:
        pass
    print("garbage after STARTTLS: closed")


def stall(host, port, n, seconds):
    socks = []
    for _ in range(int(n)):
        s = starttls(host, port)
        s.sendall(b"\x16\x03\x01")  # half of a TLS record header
        s.setblocking(False)
        socks.append(s)
    print("%d clients stalled in the TLS handshake" % len(socks))
    sys.stdout.flush()
    time.sleep(float(seconds))
    closed = 0
    for s in socks:
        try:
            if s.recv(4096) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
        s.close()
    print("closed by the server: %d" % closed)


def flood(host, port, n, seconds):
    socks, refused = [], 0
    for _ in range(int(n)):
        try:
            s = socket.create_connection((host, int(port)), timeout=5)
            s.settimeout(5)
            hello = s.recv(18)
            if len(hello) < 18:
                raise ConnectionResetError
            s.sendall(struct.pack(">I", FLAG_C_FIXED_NEWSTYLE))
            send_opt(s, OPT_STARTTLS)
            if len(s.recv(20)) < 20:
                raise ConnectionResetError
            s.sendall(b"\x16\x03\x01")
            s.setblocking(False)
            socks.append(s)
        except (ConnectionResetError, BrokenPipeError, socket.timeout, OSError):
            refused += 1
    print("half-open in the TLS handshake: %d, turned away: %d" % (len(socks), refused))
    sys.stdout.flush()
    time.sleep(float(seconds))
    closed = 0
    for s in socks:
        try:
            if s.recv(4096) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
        s.close()
    print("closed by the server: %d" % closed)


def x509(host, port, cdir, version):
    import ssl
    s = starttls(host, port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cdir + "/ca-cert.pem")
    ctx.load_cert_chain(cdir + "/client-cert.pem", cdir + "/client-key.pem")
    v = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = v
    try:
        t = ctx.wrap_socket(s, server_hostname=host)
        send_opt(t, OPT_GO, go_data())
        _, rtype, data = read_reply(t)
        if rtype != 3:  # NBD_REP_INFO with NBD_INFO_EXPORT
            die("OPT_GO over TLS: reply type %#x" % rtype)
        size = struct.unpack(">HQH", data[:12])[1]
        print("served %s %s size %d" % (t.version(), t.cipher()[0], size))
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        print("refused: %s" % e)
    except SystemExit:
        print("refused: closed")


def main():
    if len(sys.argv) < 4:
        die(__doc__)
    host, port, what = sys.argv[1:4]
    if what == "plain-options":
        plain_options(host, port)
    elif what == "export-name":
        export_name(host, port)
    elif what == "garbage":
        garbage(host, port)
    elif what == "flood":
        flood(host, port, sys.argv[4], sys.argv[5])
    elif what == "x509":
        x509(host, port, sys.argv[4], sys.argv[5])
    elif what == "stall":
        stall(host, port, sys.argv[4], sys.argv[5])
    else:
        die("unknown scenario " + what)


if __name__ == "__main__":
    main()
