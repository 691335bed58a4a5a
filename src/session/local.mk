# session: library sources, unit tests and fuzz targets of this module.
noinst_LIBRARIES += libsession.a
libsession_a_SOURCES =
libsession_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
