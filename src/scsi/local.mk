# scsi: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libscsi.a
libscsi_a_SOURCES =
libscsi_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
