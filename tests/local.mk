# Shell-level tests (integration against tgtd, UML kernel tests) and the
# shared fuzz driver. Module unit tests live in src/*/local.mk.
