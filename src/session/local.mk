# session: library sources, unit tests and fuzz targets of this module.
# Keep the source list one file per line, alphabetical.
noinst_LIBRARIES += libsession.a
libsession_a_SOURCES = \
	src/session/pdu.h
libsession_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
