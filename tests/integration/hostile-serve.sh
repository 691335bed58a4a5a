#!/bin/sh
# Hostile target behind `iscsi-nbd serve`, driven by a real NBD client
# (libnbd): a read the target cannot prove complete ends in EIO, never
# in wrong bytes or zeros; a silent, slow or flapping target costs a
# bounded time (--cmd-timeout, --no-path-retry) and then EIO; a dropped
# connection or an Async logout request is survived with the right data;
# floods of NOP-In or capacity-change events leave the daemon's memory
# flat; a block size NBD cannot express, or a capacity that wraps, makes
# serve refuse to start (issue 9 parts 1, 2, 6). Columns: see hserve in
# tests/hostile-lib.sh; rows are never skipped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/hostile-lib.sh"

hostile_requires serve status
hostile_requires_nbd
hostile_setup
# The bounds a row's EIO must come within: 2 s per command, 5 s without
# a path and, where serve has it, 10 s per request across all retries.
B='--cmd-timeout 2000 --no-path-retry 5'
if "$isn_bin" serve --help 2>&1 | grep -q -- --io-timeout; then
	B="$B --io-timeout 10"
fi

# name                  scenario              target options          serve options action want     max log
hserve control          none                  ''                      ''   read  ok       20  -
hserve control-write    none                  ''                      ''   write ok       20  -
hserve control-4k       none                  '--block-size 4096'     ''   read  ok       20  -
hserve datain-short-good datain-short-good    ''                      "$B" read  eio      30  -
hserve datain-none-good datain-none-good      ''                      "$B" read  eio      30  -
hserve datain-gap       datain-gap            ''                      "$B" read  eio      30  Data-In
hserve datain-reorder   datain-reorder        ''                      "$B" read  eio      30  Data-In
hserve datain-beyond-edtl datain-beyond-edtl  ''                      "$B" read  eio      30  Data-In
hserve resp-residual-disagree resp-residual-disagree ''               "$B" read  eio      30  -
hserve silent-start     silent                ''                      "$B --timeout 10" start refused 15 -
hserve cmdsn-closed     cmdsn-closed          ''                      "$B --timeout 10" start refused 15 -
hserve silent-io        silent-io             ''                      "$B" read  eio      30  -
hserve silent-writes    silent-writes         ''                      "$B" write eio      30  -
hserve slow             slow                  ''                      "$B" read  eio      30  -
hserve drop-once        drop-once             ''                      ''   read  ok       30  -
hserve drop-after-3     drop-after-3          ''                      "$B" read  'ok|eio' 60  -
hserve async-logout     async-logout          ''                      ''   read  ok       30  -
hserve async-logout-every async-logout-every  ''                      "$B" read  'ok|eio' 30  -
hserve cmdsn-absurd     cmdsn-absurd          ''                      ''   read  ok       30  -
hserve capacity-storm   async-capacity-storm  ''                      ''   rss   ok       30  -
hserve nop-flood        nop-flood             '--flood 20000'         ''   rss   ok       30  -
hserve bs-520           none                  '--block-size 520'      ''   start refused  20  'block size'
hserve bs-3             none                  '--block-size 3'        ''   start refused  20  'block size'
hserve bs-1m            none                  '--block-size 1048576'  ''   start refused  20  'block size'
hserve bs-zero          bs-zero               ''                      "$B --timeout 10" start refused 15 -
hserve rc16-huge        rc16-huge             ''                      ''   start refused  20  -
hserve rc10-max-no-rc16 rc10-max-no-rc16      ''                      ''   start refused  20  -
hostile_end
