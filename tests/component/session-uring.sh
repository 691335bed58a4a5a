#!/bin/sh
# The session component tests (tests/component/test_session and
# test_session_faults: logins, reads and writes with and without digests,
# many commands in flight, R2T sequences, target faults that kill the
# connection mid-transfer) again with the connection's socket I/O through
# io_uring (--io-engine uring). Every fault test closes a connection with a
# receive in flight, so in the sanitizer tier this is also the "close under
# load" check that no late completion touches a freed connection.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

for t in test_session test_session_faults; do
	requires_built "${top_builddir:-.}/tests/component/$t"
done
for t in test_session test_session_faults; do
	info "$t with ISN_TEST_IO_ENGINE=uring"
	ISN_TEST_IO_ENGINE=uring "${top_builddir:-.}/tests/component/$t" ||
		fail "$t failed with the io_uring engine"
done
info "ok"
