#!/bin/sh
# CHAP against tgtd: one-way CHAP logs in; mutual CHAP logs in when the
# target answers with the right name and secret; a wrong secret, a missing
# CHAP configuration and a target proving itself with the wrong secret all
# fail with exit 4 (authentication) and a message that says so, and never
# print the secret.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn tur

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:chap
shm_file disk 1 zero
tgt_target_new "$ns" 1 "$iqn"
tgt_lun_new "$ns" 1 1 "$disk"
tgt_bind_all "$ns" 1
tgt_chap "$ns" 1 alice alicesecret12
tgt_target_new "$ns" 2 "$iqn-mutual"
tgt_lun_new "$ns" 2 1 "$disk"
tgt_bind_all "$ns" 2
tgt_chap "$ns" 2 bob bobsecret1234
tgt_chap_mutual "$ns" 2 tgtname tgtsecret1234

secret_file alice_ok alicesecret12
secret_file alice_bad wrongsecret12
secret_file bob_ok bobsecret1234
secret_file tgt_ok tgtsecret1234
secret_file tgt_bad tgtsecretXXXX

# One-way CHAP.
expect_rc 0 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1 \
	--chap-user alice --chap-secret-file "$alice_ok"
expect_rc 4 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1 \
	--chap-user alice --chap-secret-file "$alice_bad"
expect_stderr "auth|chap"
grep -q -e wrongsecret12 -e alicesecret12 "$isn_tmp/stderr" && fail "secret printed"
expect_rc 4 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1 \
	--chap-user mallory --chap-secret-file "$alice_ok"
expect_stderr "auth|chap"
# No CHAP at all against a target that demands it.
expect_rc 4 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1
expect_stderr "auth|chap"

# Mutual CHAP.
expect_rc 0 isn "$ns" tur -t "$iqn-mutual" -P 127.0.0.1 -l 1 \
	--chap-user bob --chap-secret-file "$bob_ok" \
	--mutual-user tgtname --mutual-secret-file "$tgt_ok"
expect_rc 0 isn "$ns" readcap -t "$iqn-mutual" -P 127.0.0.1 -l 1 \
	--chap-user bob --chap-secret-file "$bob_ok" \
	--mutual-user tgtname --mutual-secret-file "$tgt_ok"
expect_stdout "^size: $((1 << 20)) bytes$"
# The target proves itself with a secret we do not expect: refuse it.
expect_rc 4 isn "$ns" tur -t "$iqn-mutual" -P 127.0.0.1 -l 1 \
	--chap-user bob --chap-secret-file "$bob_ok" \
	--mutual-user tgtname --mutual-secret-file "$tgt_bad"
expect_stderr "auth|chap"
grep -q -e tgtsecret "$isn_tmp/stderr" && fail "secret printed"
exit 0
