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
	src/path/pick.c \
	src/path/policy.c src/path/policy.h \
	src/path/probe.c src/path/probe.h \
	src/path/request.c \
	src/path/transport.h \
	src/path/transport_sess.c \
	src/path/verdict.c src/path/verdict.h
libpath_a_SOURCES += src/path/devresv.c src/path/reserve.c src/path/reserve.h

# test_path_resv: persistent-reservation sequences of one path, over a
# scripted transport; the others run paths over fake sessions (FAKESESS).
C_TESTS += \
	tests/unit/test_path_device \
	tests/unit/test_path_policy \
	tests/unit/test_path_probe \
	tests/unit/test_path_bound \
	tests/unit/test_path_resv \
	tests/unit/test_path_resvfence
FAKESESS = tests/unit/fakesess.c tests/unit/fakesess.h
tests_unit_test_path_probe_SOURCES = tests/unit/test_path_probe.c $(FAKESESS)
tests_unit_test_path_device_SOURCES = tests/unit/test_path_device.c $(FAKESESS)
tests_unit_test_path_bound_SOURCES = tests/unit/test_path_bound.c $(FAKESESS)
tests_unit_test_path_resvfence_SOURCES = tests/unit/test_path_resvfence.c $(FAKESESS)

# Needs a real target: the integration tests path-tgt.sh and
# path-failover.sh (tests/local.mk) run it against tgtd.
check_PROGRAMS += tests/component/path_tgt
