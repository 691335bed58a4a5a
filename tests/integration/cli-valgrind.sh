#!/bin/sh
# The one-shot commands under valgrind against tgtd: no invalid access, no
# use of uninitialised memory, no definite leak, on the success paths
# (CHAP login, inquiry, write and read of 1 MiB with both digests,
# unmap, discover, pr) and the failure paths (target not found, SCSI error,
# usage error). valgrind's own exit code 99 marks an error it found.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires valgrind
requires_isn inquiry read write unmap discover readcap pr
# valgrind cannot run an ASan binary; the sanitizer tier checks the same
# paths with ASan itself (every other integration test runs there) and
# leaves this test out (SANITIZER_EXCLUDED_TESTS in Makefile.am).
if grep -qa __asan_init "$isn_bin"; then
	skip_na "iscsi-nbd is an ASan build: valgrind and ASan cannot run together"
fi
ISN_TEST_TIMEOUT=180

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:valgrind
shm_file disk 4
tgt_simple "$ns" "$iqn" "$disk" thin
tgt_chap "$ns" 1 alice alicesecret12
tgt_param "$ns" 1 HeaderDigest CRC32C,None
tgt_param "$ns" 1 DataDigest CRC32C,None
secret_file sec alicesecret12

vg() {
	want=$1
	shift
	expect_rc "$want" t_run "$ns" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$isn_bin" "$@"
}
T="-t $iqn -P 127.0.0.1 -l 1 --chap-user alice --chap-secret-file $sec"
D="--header-digest crc32c --data-digest crc32c"

vg 0 inquiry $T
expect_stdout "^identity: "
random_file "$isn_tmp/w" 1048576
vg 0 write $T $D --offset 512 --input "$isn_tmp/w"
vg 0 read $T $D --offset 512 --length 1M --output "$isn_tmp/r"
cmp "$isn_tmp/w" "$isn_tmp/r" || fail "read under valgrind differs"
vg 0 unmap $T --offset 512 --length 1M
vg 0 discover 127.0.0.1
vg 3 tur -t "$iqn-nosuch" -P 127.0.0.1 -l 1
vg 5 readcap -t "$iqn" -P 127.0.0.1 -l 7 --chap-user alice --chap-secret-file "$sec"
vg 1 read $T --offset 100 --length 512
# Persistent reservations by hand (pr): JSON output, a refused PREEMPT AND
# ABORT (tgtd lacks it), a usage error.
vg 0 pr reserve $T
vg 0 pr keys --json $T
expect_stdout '"this_host": *true'
vg 0 pr reservation --json $T
expect_stdout '"type_name": *"Write Exclusive - Registrants Only"'
vg 0 pr caps --json $T
vg 5 pr preempt --victim 0x1234 $T
vg 0 pr clear $T
vg 1 pr frobnicate $T
exit 0
