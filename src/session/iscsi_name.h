/*
 * iSCSI names (RFC 7143 4.2.7, RFC 3722): the checks a target name must
 * pass before we send it, print it or connect to it.
 *
 *   iqn.YYYY-MM.reversed.domain[:anything]   type "iqn." (4.2.7.1)
 *   eui.<16 hex digits>                      type "eui." (4.2.7.2)
 *   naa.<16 or 32 hex digits>                type "naa." (4.2.7.3)
 *
 * At most 223 bytes (4.2.7). Characters: RFC 7143 4.2.7 allows ASCII
 * letters, digits, '-', '.', ':' and, after RFC 3722 stringprep, non-ASCII
 * Unicode. We accept the ASCII set only: we compare and print names as
 * bytes and do no stringprep, and a byte outside that set is what lets a
 * hostile name carry control characters or forge output. Upper-case ASCII
 * is accepted (stringprep would fold it; tgt and LIO compare as given).
 *
 * Contract: no allocation, no I/O, no logging. Returns 0 or -EINVAL with
 * *why (if why is not NULL) set to a static sentence naming the offence.
 */
#ifndef ISN_SESSION_ISCSI_NAME_H
#define ISN_SESSION_ISCSI_NAME_H

#include <stddef.h>

/* RFC 7143 4.2.7: an iSCSI name is at most 223 bytes (UTF-8). */
#define ISCSI_NAME_MAX 223

int iscsi_name_check(const char *name, size_t len, const char **why);

/*
 * A TargetAddress value (RFC 7143 13.8): domainname[:port][,portal-group-tag]
 * with a DNS name, an IPv4 address or a bracketed IPv6 address (with an
 * optional %zone). Checks the characters and the length only (letters,
 * digits and .-:[],%_; 1..255 bytes); the caller parses the parts. Same
 * return convention as iscsi_name_check().
 */
int iscsi_address_check(const char *addr, size_t len, const char **why);

#endif
