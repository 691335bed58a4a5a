# Shell-level tests (integration against tgtd, UML kernel tests) and the
# shared fuzz driver. Module unit tests live in src/*/local.mk (C_TESTS).

# The one main() of the check(1) programs (tests/checkmain.c), through
# TEST_LIBS; built before the tests only (check_LIBRARIES).
check_LIBRARIES += libcheckmain.a
libcheckmain_a_SOURCES = tests/checkmain.c tests/checkmain.h

# Kernel tests in User-Mode Linux (tests/uml/README.md). Each t-*.sh runs
# on the host and re-runs itself inside a UML guest through tests/uml/run.sh;
# without /usr/bin/linux.uml they skip. Logs: tests/uml/logs/NAME/.
UML_TESTS = \
	tests/uml/t-boot.sh \
	tests/uml/t-tgtd-2net.sh \
	tests/uml/t-lio-2net.sh \
	tests/uml/t-cable-silent.sh \
	tests/uml/t-nbd-qemu.sh \
	tests/uml/t-nbd-kernel.sh \
	tests/uml/t-nbd-restart.sh \
	tests/uml/t-nbd-poll-restart.sh \
	tests/uml/t-nbd-lio.sh \
	tests/uml/t-nbd-errors.sh \
	tests/uml/t-nbd-resize.sh \
	tests/uml/t-nbd-two-luns.sh \
	tests/uml/t-nbd-geometry.sh \
	tests/uml/t-nbd-cablepulls.sh \
	tests/uml/t-nbd-cablepulls-uring.sh \
	tests/uml/t-nbd-restart-uring.sh \
	tests/uml/t-nbd-cablepulls-threads.sh \
	tests/uml/t-nbd-restart-threads.sh \
	tests/uml/t-nbd-hostile-relay.sh \
	tests/uml/t-nbd-detach.sh \
	tests/uml/t-nbd-pr-lio.sh \
	tests/uml/t-nbd-pr-lio-holderpull.sh \
	tests/uml/t-nbd-pr-fence-lio.sh \
	tests/uml/t-nbd-pr-preempt-lio.sh \
	tests/uml/t-root.sh \
	tests/uml/demo-guest.sh
TESTS += $(UML_TESTS)
EXTRA_DIST += $(UML_TESTS) tests/uml/run.sh tests/uml/init.sh tests/uml/lib.sh \
	tests/uml/README.md tests/uml/xstate-shim.c
clean-local: clean-local-uml
clean-local-uml:
	-rm -rf tests/uml/logs tests/uml/overlay-probe.*
.PHONY: clean-local-uml

# Integration tests against tgtd in private network namespaces; each one
# sources tests/functions.sh and skips (77) what the machine or the current
# state of iscsi-nbd cannot do.
EXTRA_DIST += tests/functions.sh tests/integration/pdu-sniff.py \
	tests/integration/fake-discovery.py \
	tests/integration/fake-hostile-login.py
EXTRA_DIST += tests/integration/fake-scsi.py \
	tests/integration/ctl-flood.py
EXTRA_DIST += tests/skip.sh tests/skip-report.sh
INTEGRATION_TESTS = \
	tests/integration/chap.sh \
	tests/integration/chap-restart.sh \
	tests/integration/chap-hostile.sh \
	tests/integration/cli-usage.sh \
	tests/integration/cli-valgrind.sh \
	tests/integration/digests.sh \
	tests/integration/discovery-fake.sh \
	tests/integration/discovery-hostile.sh \
	tests/integration/discovery.sh \
	tests/integration/errors.sh \
	tests/integration/geometry.sh \
	tests/integration/harness-cleanup.sh \
	tests/integration/harness-libiscsi.sh \
	tests/integration/harness-skips.sh \
	tests/integration/login.sh \
	tests/integration/rw.sh \
	tests/integration/serve-clients.sh \
	tests/integration/poll-serve-clients.sh \
	tests/integration/serve-clients-uring.sh \
	tests/integration/serve-tls.sh \
	tests/integration/short-answers.sh \
	tests/integration/status-hostile.sh \
	tests/integration/two-networks.sh \
	tests/integration/unmap.sh \
	tests/integration/ctl-stall.sh \
	tests/integration/lun-lock.sh \
	tests/integration/ctl-names.sh
INTEGRATION_TESTS += tests/integration/pr-exclusive.sh tests/integration/pr-runtime.sh \
	tests/integration/pr-takeover.sh tests/integration/pr-unsupported.sh
# Tests of one layer against tgtd, through a C driver of check_PROGRAMS:
# the path layer (tests/component/path_tgt), the session engine
# (tests/component/tgt_smoke).
INTEGRATION_TESTS += tests/integration/path-tgt.sh tests/integration/path-failover.sh \
	tests/integration/session-tgt.sh
TESTS += $(INTEGRATION_TESTS)

# The hostile-target suite (issue 9): a scripted misbehaving target
# (hostile-target.py) and a table of scenarios per test, each with its
# required outcome; tests/hostile-lib.sh runs the rows.
EXTRA_DIST += tests/hostile-lib.sh tests/integration/hostile-target.py
HOSTILE_TESTS = \
	tests/integration/hostile-login.sh \
	tests/integration/hostile-data.sh \
	tests/integration/hostile-geometry.sh \
	tests/integration/hostile-serve.sh \
	tests/integration/mp-hostile-relay.sh
TESTS += $(HOSTILE_TESTS)
EXTRA_DIST += $(HOSTILE_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)

# Unit tests of the command line's input parsing (portal strings, secret files).
C_TESTS += tests/unit/test_cli
tests_unit_test_cli_SOURCES = tests/unit/test_cli.c src/cli/portal.c src/cli/secret.c

# Multipath host tests: `iscsi-nbd serve` over two or three veth networks
# to one tgtd, driven by fio (nbd engine, crc32c verify) or nbdsh, with
# cable pulls, silent loss, flapping, a tgtd restart, a wrong LUN, the
# ghost write and the daemon itself stopped (tests/mp-lib.sh has their
# common helpers).
EXTRA_DIST += tests/mp-lib.sh tests/integration/poll-status.py
MP_TESTS = \
	tests/integration/mp-cable-pull.sh \
	tests/integration/mp-no-path.sh \
	tests/integration/mp-flap.sh \
	tests/integration/mp-silent.sh \
	tests/integration/mp-three-paths.sh \
	tests/integration/mp-ghost-write.sh \
	tests/integration/mp-wrong-lun.sh \
	tests/integration/mp-tgtd-restart.sh \
	tests/integration/mp-medium-error.sh \
	tests/integration/mp-busy-link.sh \
	tests/integration/mp-reinstate.sh \
	tests/integration/mp-slow-target.sh \
	tests/integration/mp-daemon-stall.sh \
	tests/integration/poll-cable-pull.sh \
	tests/integration/poll-tgtd-restart.sh
# The same scenarios with --io-engine uring (ISN_SERVE_ARGS, tests/mp-lib.sh).
MP_TESTS += tests/integration/mp-cable-pull-uring.sh \
	tests/integration/mp-tgtd-restart-uring.sh \
	tests/integration/mp-daemon-stall-uring.sh
TESTS += $(MP_TESTS)
EXTRA_DIST += $(MP_TESTS)

# --threads (issue 11, scale with cores): the NBD sockets on worker
# threads, checked with data (several clients at once), a cable pull and
# a target restart under load, and a detach under load.
THREADS_TESTS = \
	tests/integration/serve-threads.sh \
	tests/integration/mp-cable-pull-threads.sh \
	tests/integration/mp-tgtd-restart-threads.sh
TESTS += $(THREADS_TESTS)
EXTRA_DIST += $(THREADS_TESTS)

# The Debian package built, installed, used and purged on this machine
# (README's "Install"): not in TESTS, as it installs into the system;
# run-tests.sh runs it as its own tier ("package"), through make check
# TESTS=tests/package/deb.sh.
EXTRA_DIST += tests/package/deb.sh
