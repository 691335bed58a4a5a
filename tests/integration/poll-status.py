#!/usr/bin/env python3
# The proof a --poll-us wrapper test asks of the daemon's `status --json`
# (a file, as the wrapped test saved it): polling was on, it spun, and
# some spins found an event. Exit 1 with the reason otherwise.
import json
import sys

t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
p = d.get("poll")
if not p:
    print("poll-status: polling is off in the status report", file=sys.stderr)
    sys.exit(1)
print("poll-status: up to %d us: %d spins, %d found an event, %.3f s spinning"
      % (p["max_us"], p["spins"], p["hits"], p["spin_seconds"]), file=sys.stderr)
if p["spins"] <= 0 or p["hits"] <= 0:
    print("poll-status: the daemon never spun, or no spin found an event", file=sys.stderr)
    sys.exit(1)
