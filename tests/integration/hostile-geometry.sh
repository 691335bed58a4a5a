#!/bin/sh
# Hostile target, geometry and untrusted text (issue 9 parts 1, 5, 6):
# READ CAPACITY answers that overflow, wrap, say "use READ CAPACITY(16)"
# without it, or give block length 0; INQUIRY data shorter than claimed;
# VPD and REPORT LUNS lengths far beyond the data; INQUIRY strings with
# terminal escapes and forged lines. Columns: see tests/hostile-lib.sh;
# rows are never skipped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/hostile-lib.sh"

hostile_requires readcap inquiry luns
hostile_setup
T='--timeout 10'

# name                 scenario           topts                 command          rc     max stderr            check
hrow control-readcap   none               ''                    "readcap @T $T"  0      10  -                 'stdout:size: 1048576 bytes'
hrow rc10-max          rc10-max           ''                    "readcap @T $T"  0      10  -                 'stdout:size: 1048576 bytes'
hrow no-rc16           no-rc16            ''                    "readcap @T $T"  0      10  -                 'stdout:size: 1048576 bytes'
hrow rc10-max-no-rc16  rc10-max-no-rc16   ''                    "readcap @T $T"  '5|6|8' 10  'capacity'        -
hrow rc16-wrap         rc16-wrap          ''                    "readcap @T $T"  '5|6|8' 10  'capacity|size|overflow' -
hrow rc16-huge         rc16-huge          ''                    "readcap @T $T"  '5|6|8' 10  'capacity|size|overflow' -
hrow rc16-short        rc16-short         ''                    "readcap @T $T"  '5|6|8' 10  -                 -
hrow bs-zero           bs-zero            ''                    "readcap @T $T"  '5|6|8' 10  -                 -
hrow big-lun-rc16      none               '--blocks 8589934592' "readcap @T $T"  0      10  -                 'stdout:size: 4398046511104 bytes'
hrow inquiry-short-good inquiry-short-good ''                   "inquiry @T $T"  '5|6'  10  -                 -
hrow inquiry-short-resid inquiry-short-resid ''                 "inquiry @T $T"  0      10  -                 'stdout:vendor: HOSTILE'
hrow vpd83-absurd      vpd83-absurd       ''                    "inquiry @T $T"  '0|6'  10  -                 'stdout:vendor: HOSTILE'
hrow report-luns-absurd report-luns-absurd ''                   "luns @T $T"     '0|6'  10  -                 -
hrow inquiry-escape    inquiry-escape     ''                    "inquiry @T $T"  0      10  -                 noforged
hostile_end
