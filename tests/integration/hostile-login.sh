#!/bin/sh
# Hostile target, login and text (issue 9 parts 5 and 7): login answers
# with bad status, redirect loops and garbage, missing / duplicate /
# garbage / huge keys, absurd MaxRecvDataSegmentLength, CHAP challenges
# that must be refused, target text with terminal escapes. One row per
# scenario of tests/integration/hostile-target.py (columns: see
# tests/hostile-lib.sh); every row has a required outcome and is never
# skipped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/hostile-lib.sh"

hostile_requires inquiry discover
hostile_setup
secret_file sec "hostile-secret-16b"
secret_file msec "target-secret-4321"
C="--chap-user alice --chap-secret-file $sec"
M="$C --mutual-user tgt --mutual-secret-file $msec"
TC="--chap-user alice --chap-secret hostile-secret-16b"
TM="$TC --mutual-user tgt --mutual-secret target-secret-4321"
F='[1-9][0-9]*'

# name               scenario           target options  command                        rc    max  stderr           check
hrow control          none               ''    'inquiry @T --timeout 10'                 0     10   -                stdout:HOSTILE
hrow control-chap     none               "$TM" "inquiry @T --timeout 10 $M"              0     10   -                stdout:HOSTILE
hrow login-reject     login-reject       ''    'inquiry @T --timeout 10'                 3     10   -                -
hrow login-target-error login-target-error '' 'inquiry @T --timeout 10'                 3     10   -                -
hrow redirect-loop    redirect-loop      ''    'inquiry @T --timeout 10'                 "$F"  12   -                -
hrow redirect-garbage redirect-garbage   ''    'inquiry @T --timeout 10'                 "$F"  12   -                noesc
hrow redirect-forged  redirect-forged    "--redirect-to $h_unreach" 'inquiry @T --timeout 5'                 "$F"  8    -                -
hrow login-missing-keys login-missing-keys '' 'inquiry @T --timeout 10'                 '0|3|6' 10 -                -
hrow login-no-tsih    login-no-tsih      ''    'inquiry @T --timeout 10'                 '3|6' 10   -                -
hrow mrdsl-zero       mrdsl-zero         ''    'inquiry @T --timeout 10'                 '3|6' 10   MaxRecvDataSegmentLength -
hrow mrdsl-huge       mrdsl-huge         ''    'inquiry @T --timeout 10'                 '3|6' 10   MaxRecvDataSegmentLength -
hrow mrdsl-garbage    mrdsl-garbage      ''    'inquiry @T --timeout 10'                 '3|6' 10   MaxRecvDataSegmentLength -
hrow keys-garbage     keys-garbage       ''    'inquiry @T --timeout 10'                 '3|6' 10   -                noesc
hrow keys-duplicate   keys-duplicate     ''    'inquiry @T --timeout 10'                 '3|6' 10   MaxBurstLength   -
hrow keys-huge-value  keys-huge-value    ''    'inquiry @T --timeout 10'                 '3|6' 10   -                -
hrow keys-no-nul      keys-no-nul        ''    'inquiry @T --timeout 10'                 '3|6' 10   -                -
hrow login-wrong-opcode login-wrong-opcode '' 'inquiry @T --timeout 10'                 '3|6' 10   -                -
hrow drop-mid-login   drop-mid-login     ''    'inquiry @T --timeout 10'                 '2|3|6' 10 -                -
hrow silent-login     silent-login       ''    'inquiry @T --timeout 5'                  "$F"  8    -                -
hrow slow-login       slow-login         ''    'inquiry @T --timeout 5'                  "$F"  8    -                -
hrow chap-1byte       chap-1byte         "$TC" "inquiry @T --timeout 10 $C"              4     10   challenge        -
hrow chap-no-challenge chap-no-challenge "$TC" "inquiry @T --timeout 10 $C"              '3|4|6' 10   'challenge|CHAP_C' -
hrow chap-bad-alg     chap-bad-alg       "$TC" "inquiry @T --timeout 10 $C"              '4|6' 10   'CHAP_A|algorithm' -
hrow chap-garbage     chap-garbage       "$TC" "inquiry @T --timeout 10 $C"              '3|4|6' 10   'challenge|CHAP_C' -
hrow chap-reflect     chap-reflect       "$TM" "inquiry @T --timeout 10 $M"              4     10   -                -
hrow alias-escape     alias-escape       ''    '-v inquiry @T --timeout 10'              0     10   -                noesc
hrow discover-escape  discover-escape    ''    'discover @P --timeout 10'                '0|6' 10   -                noforged
hostile_end
