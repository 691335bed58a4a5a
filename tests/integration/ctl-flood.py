#!/usr/bin/env python3
"""Hostile local clients of a daemon's control socket (tests/integration/ctl-stall.sh).

ctl-flood.py SOCKET SECONDS [N]

For SECONDS, in waves: one client sends "status" and never reads its
answer, then N (default 100) clients connect and stay silent. Every
socket is held open until the end (the daemon must close them on its
own). A connect that would block (the listen backlog is full) is
retried a little later: this side never blocks. Prints one summary line:
how many connections were made, and how many of them the daemon answered
with an error line (over its client limit) or closed.
"""
import errno
import socket
import sys
import time


def try_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNREFUSED):
            return None
        raise
    return s


def main():
    path, seconds = sys.argv[1], float(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    end = time.monotonic() + seconds
    held = []
    made = waves = 0
    while time.monotonic() < end:
        waves += 1
        wave_end = min(end, time.monotonic() + 3.0)
        want = n + 1
        got = 0
        while got < want and time.monotonic() < wave_end:
            s = try_connect(path)
            if s is None:
                time.sleep(0.01)
                continue
            if got == 0:
                s.send(b"status\n")  # and never read the answer
            held.append(s)
            got += 1
            made += 1
        while time.monotonic() < wave_end:
            time.sleep(0.05)
    # What did the daemon do with them? An error line, or a close.
    answered = closed = 0
    for s in held:
        try:
            data = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            closed += 1
            continue
        if data.startswith(b"error"):
            answered += 1
        else:
            closed += 1
        s.close()
    print("waves=%d connections=%d error_lines=%d closed=%d" % (waves, made, answered, closed))


if __name__ == "__main__":
    main()
