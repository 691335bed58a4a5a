#!/usr/bin/env python3
"""Replace the text between two marker comments of a file with a file's text.

    report-insert.py FILE NAME CONTENT

FILE must hold exactly one line "<!-- NAME:begin -->" and, after it, one
line "<!-- NAME:end -->"; the lines between them become CONTENT's, the rest
of FILE (the prose around the markers) stays as it is. The new FILE is
written beside the old one and renamed over it.
"""
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report-insert.py FILE NAME CONTENT")
    path, name, content = sys.argv[1:]
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    with open(path) as f:
        lines = f.read().split("\n")
    b = [i for i, l in enumerate(lines) if l.strip() == begin]
    e = [i for i, l in enumerate(lines) if l.strip() == end]
    if len(b) != 1 or len(e) != 1 or e[0] < b[0]:
        sys.exit(f"report-insert.py: {path} needs one '{begin}' line and one '{end}' line after it")
    with open(content) as f:
        new = f.read().rstrip("\n").split("\n")
    out = lines[:b[0] + 1] + new + lines[e[0]:]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
