#!/bin/sh
# tests/unit/test_nbd_server (requests, replies, rejected requests kept in
# sync, EOF mid-payload, backpressure on slots and buffers, a client that
# stops reading dropped by the stall timer, shutdown draining) again with
# the connection's socket I/O through io_uring (--io-engine uring). EOF and
# the dropped client close a connection with a receive in flight, and the
# payload tests receive straight into pool buffers: in the sanitizer tier
# this is the check that a close never leaves the kernel a freed buffer
# nor a late completion a freed connection.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

prog=${top_builddir:-.}/tests/unit/test_nbd_server
requires_built "$prog"
ISN_TEST_IO_ENGINE=uring "$prog" || fail "test_nbd_server failed with the io_uring engine"
info "ok"
