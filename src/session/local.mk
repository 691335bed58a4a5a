# session: library sources, unit tests and fuzz targets of this module.
# Keep each list one file per line, alphabetical.

# The session engine (one session on one connection): in the library, and
# compiled again into the two fuzz targets that drive it (below).
SESSION_ENGINE = \
	src/session/conn.c \
	src/session/conn_int.h \
	src/session/conn_uring.c \
	src/session/control.c \
	src/session/discovery.c \
	src/session/session.c \
	src/session/task.c \
	src/session/task_rx.c

noinst_LIBRARIES += libsession.a
libsession_a_SOURCES = $(SESSION_ENGINE) \
	src/session/chap.c \
	src/session/chap.h \
	src/session/conn.h \
	src/session/iscsi_name.c \
	src/session/iscsi_name.h \
	src/session/login.c \
	src/session/login.h \
	src/session/login_chap.c \
	src/session/login_int.h \
	src/session/param.c \
	src/session/param.h \
	src/session/param_keys.c \
	src/session/param_keys.h \
	src/session/pdu.c \
	src/session/pdu.h \
	src/session/pdu_bhs.h \
	src/session/pdu_codec.c \
	src/session/pdu_gen.h \
	src/session/pdu_wire.h \
	src/session/sess_int.h \
	src/session/session.h \
	src/session/text.c \
	src/session/text.h

# The peer half of the PDU codec (what a target sends and receives): only
# tests, fakes and fuzz targets link it (TEST_LIBS), never the daemon.
check_LIBRARIES += libsessiontest.a
libsessiontest_a_SOURCES = \
	src/session/pdu_peer.c

# Unit tests of the codecs, the key negotiation, CHAP and login.
C_TESTS += \
	tests/unit/test_pdu \
	tests/unit/test_chap \
	tests/unit/test_param \
	tests/unit/test_text \
	tests/unit/test_login

# The scripted fake target the component tests and the session fuzzers run against.
FAKETARGET = tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c
noinst_HEADERS += tests/component/harness.h

# Session engine component tests: the engine against a scripted fake target;
# test_session_accounting: short, gapped, overlapping Data-In and lying residuals.
C_TESTS += \
	tests/component/test_session \
	tests/component/test_session_faults \
	tests/component/test_session_accounting
tests_component_test_session_SOURCES = tests/component/test_session.c $(FAKETARGET)
tests_component_test_session_faults_SOURCES = tests/component/test_session_faults.c $(FAKETARGET)
# The two above again with --io-engine uring (the ring's cancel on close).
TESTS += tests/component/session-uring.sh
EXTRA_DIST += tests/component/session-uring.sh
tests_component_test_session_accounting_SOURCES = tests/component/test_session_accounting.c \
	$(FAKETARGET)

# The session engine's receive path, fed by the fuzzer after a real login.
FUZZERS += tests/fuzz/fuzz_session
tests_fuzz_fuzz_session_SOURCES = tests/fuzz/fuzz_session.c $(FAKETARGET) $(SESSION_ENGINE) \
	src/session/iscsi_name.c src/session/iscsi_name.h $(FUZZ_DRIVER)
tests_fuzz_fuzz_session_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDADD = libsessiontest.a libsession.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS) $(LIBEV_LIBS) \
	$(LIBURING_LIBS)
EXTRA_DIST += tests/fuzz/corpus/session

# Data-In accounting: one READ answered by the fuzzer's Data-In / SCSI
# Response stream; a success must carry exactly the bytes received.
FUZZERS += tests/fuzz/fuzz_datain
tests_fuzz_fuzz_datain_SOURCES = tests/fuzz/fuzz_datain.c $(FAKETARGET) $(SESSION_ENGINE) \
	$(FUZZ_DRIVER)
tests_fuzz_fuzz_datain_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_datain_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_datain_LDADD = libsessiontest.a libsession.a libscsi.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS) \
	$(LIBEV_LIBS) $(LIBURING_LIBS)
EXTRA_DIST += tests/fuzz/corpus/datain

# The session engine against tgtd: run by tests/integration/session-tgt.sh
# (tests/local.mk); by hand, see its header.
check_PROGRAMS += tests/component/tgt_smoke

# The codec sources are compiled into the fuzz targets themselves so that
# libFuzzer's coverage instrumentation ($(FUZZ_FLAGS)) reaches them; the
# convenience libraries are built without it.
FUZZERS += tests/fuzz/fuzz_pdu tests/fuzz/fuzz_text
tests_fuzz_fuzz_pdu_SOURCES = tests/fuzz/fuzz_pdu.c \
	src/session/pdu.c \
	src/session/pdu_codec.c \
	src/session/pdu_peer.c \
	$(FUZZ_DRIVER)
tests_fuzz_fuzz_pdu_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pdu_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pdu_LDADD = libutil.a $(ISAL_LIBS)
tests_fuzz_fuzz_text_SOURCES = tests/fuzz/fuzz_text.c \
	src/session/text.c \
	$(FUZZ_DRIVER)
tests_fuzz_fuzz_text_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_text_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_text_LDADD = libutil.a
EXTRA_DIST += tests/fuzz/corpus/pdu tests/fuzz/corpus/text

FUZZERS += tests/fuzz/fuzz_login
tests_fuzz_fuzz_login_SOURCES = tests/fuzz/fuzz_login.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_login_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_login_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_login_LDADD = libsessiontest.a libsession.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/login
