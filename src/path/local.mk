# path: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libpath.a
libpath_a_SOURCES = src/path/bdev.h
libpath_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
