# nbd: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libnbdbridge.a
libnbdbridge_a_SOURCES = \
	src/nbd/proto.c src/nbd/proto.h \
	src/nbd/handshake.c src/nbd/handshake.h \
	src/nbd/bufpool.c src/nbd/bufpool.h \
	src/nbd/server.c src/nbd/server.h src/nbd/server_int.h src/nbd/server_io.c src/nbd/server_state.c src/nbd/server_tls.c \
	src/nbd/server_uring.c \
	src/nbd/netlink.c src/nbd/netlink.h \
	src/nbd/listen.c src/nbd/listen.h src/nbd/listen_sock.c src/nbd/listen_sock.h \
	src/nbd/tls.c src/nbd/tls.h \
	src/nbd/geometry.c src/nbd/geometry.h \
	src/nbd/worker.c src/nbd/worker.h src/nbd/worker_int.h src/nbd/worker_loop.c

# test_nbd_server and test_nbd_listen serve a memory disk (MEMBDEV);
# test_nbd_geometry: the geometries an export refuses (kernel driver and
# NBD protocol limits).
C_TESTS += \
	tests/unit/test_nbd_proto \
	tests/unit/test_nbd_server \
	tests/unit/test_nbd_netlink \
	tests/unit/test_nbd_listen \
	tests/unit/test_nbd_geometry
MEMBDEV = tests/unit/membdev.c tests/unit/membdev.h
tests_unit_test_nbd_server_SOURCES = tests/unit/test_nbd_server.c $(MEMBDEV)
tests_unit_test_nbd_listen_SOURCES = tests/unit/test_nbd_listen.c $(MEMBDEV)
# test_nbd_server again with --io-engine uring.
TESTS += tests/unit/nbd-server-uring.sh
EXTRA_DIST += tests/unit/nbd-server-uring.sh

FUZZERS += tests/fuzz/fuzz_nbdreq tests/fuzz/fuzz_handshake
tests_fuzz_fuzz_nbdreq_SOURCES = tests/fuzz/fuzz_nbdreq.c tests/unit/membdev.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_nbdreq_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_nbdreq_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_nbdreq_LDADD = libnbdbridge.a libutil.a $(SSL_LIBS) $(CRYPTO_LIBS) $(ISAL_LIBS) \
	$(LIBEV_LIBS) $(LIBURING_LIBS)
tests_fuzz_fuzz_handshake_SOURCES = tests/fuzz/fuzz_handshake.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_handshake_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_handshake_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_handshake_LDADD = libnbdbridge.a libutil.a $(SSL_LIBS) $(CRYPTO_LIBS) $(ISAL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/nbdreq tests/fuzz/corpus/handshake

# End to end with real NBD clients (libnbd-bin) against a memory disk.
check_PROGRAMS += tests/unit/nbdsrv_mem
tests_unit_nbdsrv_mem_SOURCES = tests/unit/nbdsrv_mem.c $(MEMBDEV)
TESTS += tests/integration/nbd_clients_mem.sh
EXTRA_DIST += tests/integration/nbd_clients_mem.sh
# The same clients, several at once, on worker threads (--threads, nbd/worker.h).
TESTS += tests/integration/nbd-threads-mem.sh
EXTRA_DIST += tests/integration/nbd-threads-mem.sh
# The same server over TLS: PSK, X.509, refusals, stalled handshakes (issue 14).
TESTS += tests/integration/nbd-tls.sh
EXTRA_DIST += tests/integration/nbd-tls.sh tests/integration/nbd-tls-raw.py

# Kernel bridge against a real /dev/nbdN in User-Mode Linux (tests/uml).
check_PROGRAMS += tests/unit/nbdnl_mem
tests_unit_nbdnl_mem_SOURCES = tests/unit/nbdnl_mem.c $(MEMBDEV)
TESTS += tests/uml/t-nbdnl-mem.sh
EXTRA_DIST += tests/uml/t-nbdnl-mem.sh
