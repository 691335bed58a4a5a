noinst_LIBRARIES += libutil.a
libutil_a_SOURCES = \
	src/util/bytes.h \
	src/util/cleanup.h \
	src/util/compiler.h \
	src/util/crc32c.c src/util/crc32c.h \
	src/util/escape.c src/util/escape.h \
	src/util/evdefer.h \
	src/util/list.h \
	src/util/log.c src/util/log.h src/util/statecheck.h \
	src/util/rdahead.h \
	src/util/uring.c src/util/uring.h
libutil_a_CFLAGS = $(AM_CFLAGS) $(ISAL_CFLAGS) $(LIBURING_CFLAGS)

check_PROGRAMS += tests/unit/test_util
TESTS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_util_LDADD = $(TEST_LIBS)

# The io_uring engine's ring: recv / sendmsg, one ring per loop, cancel.
check_PROGRAMS += tests/unit/test_uring
TESTS += tests/unit/test_uring
tests_unit_test_uring_SOURCES = tests/unit/test_uring.c
tests_unit_test_uring_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_uring_LDADD = $(TEST_LIBS)
