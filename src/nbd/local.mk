# nbd: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libnbdbridge.a
libnbdbridge_a_SOURCES = \
	src/nbd/proto.c src/nbd/proto.h \
	src/nbd/handshake.c src/nbd/handshake.h \
	src/nbd/bufpool.c src/nbd/bufpool.h \
	src/nbd/server.c src/nbd/server.h src/nbd/server_int.h src/nbd/server_io.c src/nbd/server_state.c src/nbd/server_tls.c \
	src/nbd/netlink.c src/nbd/netlink.h \
	src/nbd/listen.c src/nbd/listen.h \
	src/nbd/tls.c src/nbd/tls.h \
	src/nbd/geometry.c src/nbd/geometry.h \
	src/nbd/worker.c src/nbd/worker.h src/nbd/worker_int.h src/nbd/worker_loop.c
libnbdbridge_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)

check_PROGRAMS += tests/unit/test_nbd_proto
TESTS += tests/unit/test_nbd_proto
tests_unit_test_nbd_proto_SOURCES = tests/unit/test_nbd_proto.c
tests_unit_test_nbd_proto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nbd_proto_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_nbd_server
TESTS += tests/unit/test_nbd_server
tests_unit_test_nbd_server_SOURCES = tests/unit/test_nbd_server.c \
	tests/unit/membdev.c tests/unit/membdev.h
tests_unit_test_nbd_server_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nbd_server_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_nbd_netlink
TESTS += tests/unit/test_nbd_netlink
tests_unit_test_nbd_netlink_SOURCES = tests/unit/test_nbd_netlink.c
tests_unit_test_nbd_netlink_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nbd_netlink_LDADD = $(TEST_LIBS)

FUZZERS += tests/fuzz/fuzz_nbdreq tests/fuzz/fuzz_handshake
tests_fuzz_fuzz_nbdreq_SOURCES = tests/fuzz/fuzz_nbdreq.c tests/unit/membdev.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_nbdreq_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_nbdreq_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_nbdreq_LDADD = libnbdbridge.a libutil.a $(SSL_LIBS) $(CRYPTO_LIBS) $(ISAL_LIBS) \
	$(LIBEV_LIBS)
tests_fuzz_fuzz_handshake_SOURCES = tests/fuzz/fuzz_handshake.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_handshake_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_handshake_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_handshake_LDADD = libnbdbridge.a libutil.a $(SSL_LIBS) $(CRYPTO_LIBS) $(ISAL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/nbdreq tests/fuzz/corpus/handshake

# End to end with real NBD clients (libnbd-bin) against a memory disk.
check_PROGRAMS += tests/unit/nbdsrv_mem
tests_unit_nbdsrv_mem_SOURCES = tests/unit/nbdsrv_mem.c tests/unit/membdev.c tests/unit/membdev.h
tests_unit_nbdsrv_mem_CFLAGS = $(TEST_CFLAGS)
tests_unit_nbdsrv_mem_LDADD = $(TEST_LIBS)
TESTS += tests/integration/nbd_clients_mem.sh
EXTRA_DIST += tests/integration/nbd_clients_mem.sh
# The same clients, several at once, on worker threads (--threads, nbd/worker.h).
TESTS += tests/integration/nbd-threads-mem.sh
EXTRA_DIST += tests/integration/nbd-threads-mem.sh
# The same server over TLS: PSK, X.509, refusals, stalled handshakes (issue 14).
TESTS += tests/integration/nbd-tls.sh
EXTRA_DIST += tests/integration/nbd-tls.sh tests/integration/nbd-tls-raw.py

check_PROGRAMS += tests/unit/test_nbd_listen
TESTS += tests/unit/test_nbd_listen
tests_unit_test_nbd_listen_SOURCES = tests/unit/test_nbd_listen.c \
	tests/unit/membdev.c tests/unit/membdev.h
tests_unit_test_nbd_listen_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nbd_listen_LDADD = $(TEST_LIBS)

# Kernel bridge against a real /dev/nbdN in User-Mode Linux (tests/uml).
check_PROGRAMS += tests/unit/nbdnl_mem
tests_unit_nbdnl_mem_SOURCES = tests/unit/nbdnl_mem.c tests/unit/membdev.c tests/unit/membdev.h
tests_unit_nbdnl_mem_CFLAGS = $(TEST_CFLAGS)
tests_unit_nbdnl_mem_LDADD = $(TEST_LIBS)
TESTS += tests/uml/t-nbdnl-mem.sh
EXTRA_DIST += tests/uml/t-nbdnl-mem.sh

# Geometries an export refuses (kernel driver and NBD protocol limits).
check_PROGRAMS += tests/unit/test_nbd_geometry
TESTS += tests/unit/test_nbd_geometry
tests_unit_test_nbd_geometry_SOURCES = tests/unit/test_nbd_geometry.c
tests_unit_test_nbd_geometry_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nbd_geometry_LDADD = $(TEST_LIBS)
