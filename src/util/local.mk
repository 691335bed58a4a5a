noinst_LIBRARIES += libutil.a
libutil_a_SOURCES = \
	src/util/bytes.h \
	src/util/cleanup.h \
	src/util/compiler.h \
	src/util/crc32c.c src/util/crc32c.h \
	src/util/escape.c src/util/escape.h \
	src/util/evdefer.h \
	src/util/hex.h \
	src/util/hpoll.c src/util/hpoll.h \
	src/util/list.h \
	src/util/log.c src/util/log.h src/util/statecheck.h \
	src/util/rdahead.h \
	src/util/uring.c src/util/uring.h

# test_uring: the io_uring engine's ring (recv / sendmsg, one ring per loop, cancel).
C_TESTS += tests/unit/test_util tests/unit/test_hpoll tests/unit/test_uring
