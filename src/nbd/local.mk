# nbd: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libnbdbridge.a
libnbdbridge_a_SOURCES =
libnbdbridge_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
