# scsi: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libscsi.a
libscsi_a_SOURCES = \
	src/scsi/caps.c src/scsi/caps.h \
	src/scsi/cdb.h \
	src/scsi/classify.c src/scsi/classify.h \
	src/scsi/sam.c src/scsi/sam.h \
	src/scsi/sbc.c src/scsi/sbc.h \
	src/scsi/sbc_vpd.c \
	src/scsi/sense.c src/scsi/sense.h \
	src/scsi/spc.c src/scsi/spc.h \
	src/scsi/spc_alua.c \
	src/scsi/spc_devid.c \
	src/scsi/spc_pr.c

C_TESTS += \
	tests/unit/test_scsi_spc \
	tests/unit/test_scsi_sbc \
	tests/unit/test_scsi_sense \
	tests/unit/test_scsi_tgt \
	tests/unit/test_scsi_short
noinst_HEADERS += tests/unit/test_scsi_vec.h

# The scsi sources are compiled into the fuzzer itself rather than linked
# from libscsi.a: only code built with $(FUZZ_FLAGS) carries the coverage
# instrumentation libFuzzer steers by, and the library is built without it.
FUZZERS += tests/fuzz/fuzz_sense
tests_fuzz_fuzz_sense_SOURCES = tests/fuzz/fuzz_sense.c $(libscsi_a_SOURCES) $(FUZZ_DRIVER)
tests_fuzz_fuzz_sense_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_sense_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_sense_LDADD = libutil.a
EXTRA_DIST += tests/fuzz/corpus/sense
