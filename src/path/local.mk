# path: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libpath.a
libpath_a_SOURCES = \
	src/path/deadline.c \
	src/path/devctl.c \
	src/path/device.c src/path/device.h \
	src/path/fence.c \
	src/path/internal.h \
	src/path/linkmon.c src/path/linkmon.h \
	src/path/path.c src/path/path.h \
	src/path/pathcheck.c \
	src/path/policy.c src/path/policy.h \
	src/path/probe.c src/path/probe.h \
	src/path/request.c \
	src/path/transport.h \
	src/path/transport_sess.c \
	src/path/verdict.c src/path/verdict.h
libpath_a_SOURCES += src/path/devresv.c src/path/reserve.c src/path/reserve.h
libpath_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)

PATH_UNIT_TESTS = \
	tests/unit/test_path_device \
	tests/unit/test_path_policy \
	tests/unit/test_path_probe \
	tests/unit/test_path_bound
check_PROGRAMS += $(PATH_UNIT_TESTS)
TESTS += $(PATH_UNIT_TESTS)
tests_unit_test_path_policy_SOURCES = tests/unit/test_path_policy.c
tests_unit_test_path_policy_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_policy_LDADD = $(TEST_LIBS)
tests_unit_test_path_probe_SOURCES = tests/unit/test_path_probe.c \
	tests/unit/fakesess.c tests/unit/fakesess.h
tests_unit_test_path_probe_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_probe_LDADD = $(TEST_LIBS)
tests_unit_test_path_device_SOURCES = tests/unit/test_path_device.c \
	tests/unit/fakesess.c tests/unit/fakesess.h
tests_unit_test_path_device_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_device_LDADD = $(TEST_LIBS)
tests_unit_test_path_bound_SOURCES = tests/unit/test_path_bound.c \
	tests/unit/fakesess.c tests/unit/fakesess.h
tests_unit_test_path_bound_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_bound_LDADD = $(TEST_LIBS)

# Needs a real target: the integration tests path-tgt.sh and
# path-failover.sh (tests/local.mk) run it against tgtd.
check_PROGRAMS += tests/unit/test_path_tgt
tests_unit_test_path_tgt_SOURCES = tests/unit/test_path_tgt.c
tests_unit_test_path_tgt_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_tgt_LDADD = $(TEST_LIBS)

# Persistent-reservation sequences of one path, over a scripted transport.
check_PROGRAMS += tests/unit/test_path_resv
TESTS += tests/unit/test_path_resv
tests_unit_test_path_resv_SOURCES = tests/unit/test_path_resv.c
tests_unit_test_path_resv_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_resv_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_path_resvfence
TESTS += tests/unit/test_path_resvfence
tests_unit_test_path_resvfence_SOURCES = tests/unit/test_path_resvfence.c \
	tests/unit/fakesess.c tests/unit/fakesess.h
tests_unit_test_path_resvfence_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_path_resvfence_LDADD = $(TEST_LIBS)
