/*
 * Portal addresses as users type them: HOST[:PORT], IPv4, [IPv6][:PORT],
 * a bare IPv6 address, or a name resolved with getaddrinfo(). A trailing
 * ",TPGT" (as SendTargets prints portals) is accepted and ignored.
 * Default port 3260 (RFC 7143 13.2 well-known port).
 */
#ifndef ISN_CLI_PORTAL_H
#define ISN_CLI_PORTAL_H

#include <stddef.h>
#include <sys/socket.h>

#define PORTAL_DEFAULT_PORT 3260

/*
 * Parse and resolve. Returns 0, -EINVAL for bad syntax or -ENOENT for a
 * name that does not resolve; err (errlen bytes) then says what is wrong.
 */
int portal_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		 size_t errlen);

/* "192.0.2.1:3260" or "[2001:db8::1]:3260" into buf. */
void portal_format(const struct sockaddr *sa, char *buf, size_t buflen);

#endif
