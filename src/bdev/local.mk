# bdev: the block-device contract between src/nbd (its user) and src/path
# (its implementation; tests/unit/membdev.c implements it over memory).
# A header only: it includes src/util and nothing else.
noinst_HEADERS += src/bdev/bdev.h
