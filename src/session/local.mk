# session: library sources, unit tests and fuzz targets of this module.
# Keep each list one file per line, alphabetical.
noinst_LIBRARIES += libsession.a
libsession_a_SOURCES = \
	src/session/chap.c \
	src/session/chap.h \
	src/session/conn.c \
	src/session/conn.h \
	src/session/conn_int.h \
	src/session/conn_uring.c \
	src/session/control.c \
	src/session/discovery.c \
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
	src/session/session.c \
	src/session/session.h \
	src/session/task.c \
	src/session/task_rx.c \
	src/session/text.c \
	src/session/text.h
libsession_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)

# The peer half of the PDU codec (what a target sends and receives): only
# tests, fakes and fuzz targets link it (TEST_LIBS), never the daemon.
check_LIBRARIES += libsessiontest.a
libsessiontest_a_SOURCES = \
	src/session/pdu_peer.c
libsessiontest_a_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/unit/test_pdu
TESTS += tests/unit/test_pdu
tests_unit_test_pdu_SOURCES = tests/unit/test_pdu.c
tests_unit_test_pdu_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pdu_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_chap
TESTS += tests/unit/test_chap
tests_unit_test_chap_SOURCES = tests/unit/test_chap.c
tests_unit_test_chap_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_chap_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_param
TESTS += tests/unit/test_param
tests_unit_test_param_SOURCES = tests/unit/test_param.c
tests_unit_test_param_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_param_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_text
TESTS += tests/unit/test_text
tests_unit_test_text_SOURCES = tests/unit/test_text.c
tests_unit_test_text_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_text_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_login
TESTS += tests/unit/test_login
tests_unit_test_login_SOURCES = tests/unit/test_login.c
tests_unit_test_login_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_login_LDADD = $(TEST_LIBS)

# Session engine component tests: the engine against a scripted fake target.
check_PROGRAMS += tests/component/test_session
TESTS += tests/component/test_session
tests_component_test_session_SOURCES = tests/component/test_session.c \
	tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c tests/component/harness.h
tests_component_test_session_CFLAGS = $(TEST_CFLAGS)
tests_component_test_session_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/component/test_session_faults
TESTS += tests/component/test_session_faults
tests_component_test_session_faults_SOURCES = tests/component/test_session_faults.c \
	tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c tests/component/harness.h
tests_component_test_session_faults_CFLAGS = $(TEST_CFLAGS)
tests_component_test_session_faults_LDADD = $(TEST_LIBS)

# The two above again with --io-engine uring (the ring's cancel on close).
TESTS += tests/component/session-uring.sh
EXTRA_DIST += tests/component/session-uring.sh

# Data-In accounting: short, gapped, overlapping Data-In and lying residuals.
check_PROGRAMS += tests/component/test_session_accounting
TESTS += tests/component/test_session_accounting
tests_component_test_session_accounting_SOURCES = tests/component/test_session_accounting.c \
	tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c tests/component/harness.h
tests_component_test_session_accounting_CFLAGS = $(TEST_CFLAGS)
tests_component_test_session_accounting_LDADD = $(TEST_LIBS)

# The session engine's receive path, fed by the fuzzer after a real login.
FUZZERS += tests/fuzz/fuzz_session
tests_fuzz_fuzz_session_SOURCES = tests/fuzz/fuzz_session.c \
	tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c \
	src/session/conn.c \
	src/session/conn_uring.c \
	src/session/control.c \
	src/session/discovery.c \
	src/session/iscsi_name.c \
	src/session/iscsi_name.h \
	src/session/session.c \
	src/session/task.c \
	src/session/task_rx.c \
	$(FUZZ_DRIVER)
tests_fuzz_fuzz_session_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDADD = libsessiontest.a libsession.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS) $(LIBEV_LIBS) \
	$(LIBURING_LIBS)
EXTRA_DIST += tests/fuzz/corpus/session

# Data-In accounting: one READ answered by the fuzzer's Data-In / SCSI
# Response stream; a success must carry exactly the bytes received.
FUZZERS += tests/fuzz/fuzz_datain
tests_fuzz_fuzz_datain_SOURCES = tests/fuzz/fuzz_datain.c \
	tests/component/faketarget.c tests/component/faketarget.h \
	tests/component/faketarget_int.h tests/component/faketarget_login.c \
	src/session/conn.c \
	src/session/conn_uring.c \
	src/session/control.c \
	src/session/discovery.c \
	src/session/session.c \
	src/session/task.c \
	src/session/task_rx.c \
	$(FUZZ_DRIVER)
tests_fuzz_fuzz_datain_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_datain_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_datain_LDADD = libsessiontest.a libsession.a libscsi.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS) \
	$(LIBEV_LIBS) $(LIBURING_LIBS)
EXTRA_DIST += tests/fuzz/corpus/datain

# The session engine against tgtd: run by tests/integration/session-tgt.sh
# (tests/local.mk); by hand, see its header.
check_PROGRAMS += tests/component/tgt_smoke
tests_component_tgt_smoke_SOURCES = tests/component/tgt_smoke.c
tests_component_tgt_smoke_CFLAGS = $(TEST_CFLAGS)
tests_component_tgt_smoke_LDADD = $(TEST_LIBS)

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
tests_fuzz_fuzz_login_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_login_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_login_LDADD = libsessiontest.a libsession.a libutil.a $(CRYPTO_LIBS) $(ISAL_LIBS)
EXTRA_DIST += tests/fuzz/corpus/login
