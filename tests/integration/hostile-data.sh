#!/bin/sh
# Hostile target, data accounting and liveness of the one-shot commands
# (issue 9 parts 1 and 2): Data-In that is short, gapped, overlapping,
# duplicated, out of order or beyond the transfer length, residuals that
# disagree with the data, R2Ts that make no sense, sense data that lies
# about its length, unsolicited floods, a CmdSN window that never opens,
# silent and slow targets, a connection cut mid-PDU. A READ that cannot be
# proven complete must fail and must not write a byte the target did not
# send; a target that never answers costs at most --timeout. Columns: see
# tests/hostile-lib.sh; rows are never skipped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/hostile-lib.sh"

hostile_requires read write
hostile_setup
head -c 65536 /dev/urandom >"$isn_tmp/w64k"
R='read @T --offset 65536 --length 65536 --timeout 10'
R5='read @T --offset 65536 --length 65536 --timeout 5'
W="write @T --offset 65536 --input $isn_tmp/w64k --timeout 10"
F='[1-9][0-9]*'

# name                    scenario                 topts command rc     max  stderr          check
hrow control-read         none                     ''    "$R"    0      10   -               data
hrow control-write        none                     ''    "$W"    0      10   -               -
hrow datain-short-good    datain-short-good        ''    "$R"    '5|6'  10   -               nostale
hrow datain-none-good     datain-none-good         ''    "$R"    '5|6'  10   -               nostale
hrow datain-gap           datain-gap               ''    "$R"    '5|6'  10   -               nostale
hrow datain-overlap       datain-overlap           ''    "$R"    '5|6'  10   -               nostale
hrow datain-dup-datasn    datain-dup-datasn        ''    "$R"    '5|6'  10   -               nostale
hrow datain-reorder       datain-reorder           ''    "$R"    '5|6'  10   -               nostale
hrow datain-datasn-gap    datain-datasn-gap        ''    "$R"    '5|6'  10   -               nostale
hrow datain-residual-disagree datain-residual-disagree '' "$R"  '5|6'  10   -               nostale
hrow resp-residual-disagree resp-residual-disagree ''   "$R"    '5|6'  10   -               nostale
hrow datain-underflow     datain-underflow         ''    "$R"    '5|6'  10   -               nostale
hrow datain-u-and-o       datain-u-and-o           ''    "$R"    '5|6'  10   -               nostale
hrow datain-beyond-edtl   datain-beyond-edtl       ''    "$R"    '5|6'  10   -               nostale
hrow datain-over-mrdsl    datain-over-mrdsl        ''    "$R"    '5|6'  10   -               nostale
hrow r2t-for-read         r2t-for-read             ''    "$R"    '5|6'  10   -               nostale
hrow r2t-beyond-edtl      r2t-beyond-edtl          ''    "$W"    '5|6'  10   -               -
hrow datain-for-write     datain-for-write         ''    "$W"    '5|6'  10   -               -
hrow sense-medium         sense-medium             ''    "$R"    5      10   medium          nostale
hrow sense-truncated      sense-truncated          ''    "$R"    '5|6'  10   -               nostale
hrow sense-absurd         sense-absurd             ''    "$R"    '5|6'  10   -               nostale
hrow sense-none           sense-none               ''    "$R"    '5|6'  10   -               nostale
hrow sense-desc-bad       sense-desc-bad           ''    "$R"    '5|6'  10   -               nostale
hrow async-logout         async-logout             ''    "$R"    0      10   -               data
hrow async-logout-every   async-logout-every       ''    "$R"    0      10   -               data
hrow async-capacity-storm async-capacity-storm     ''    "$R"    0      15   -               data
hrow async-sense-absurd   async-sense-absurd       ''    "$R"    '0|6'  10   -               nostale
hrow nop-flood            nop-flood                ''    "$R"    0      15   -               data
hrow cmdsn-absurd         cmdsn-absurd             ''    "$R"    0      10   -               data
hrow cmdsn-closed         cmdsn-closed             ''    "$R5"   "$F"   8    -               nostale
hrow silent               silent                   ''    "$R5"   "$F"   8    -               nostale
hrow slow                 slow                     ''    "$R5"   "$F"   8    -               nostale
hrow drop-mid-pdu         drop-mid-pdu             ''    "$R"    "$F"   10   -               nostale
hostile_end
