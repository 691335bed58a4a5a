#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/portal.h"

static int parse_port(const char *p, unsigned int *port)
{
	char *end;
	unsigned long v;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (unsigned int)v;
	return 0;
}

int portal_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		 size_t errlen)
{
	char host[256];
	const char *portstr = NULL;
	unsigned int port = PORTAL_DEFAULT_PORT;
	size_t n;
	const char *comma;
	struct addrinfo hints, *res = NULL;
	int rc;

	if (!s || !*s) {
		snprintf(err, errlen,
			 "empty portal: give HOST[:PORT], e.g. 192.0.2.10 or [2001:db8::10]:3260");
		return -EINVAL;
	}
	/* Drop a ",TPGT" suffix: "10.0.0.1:3260,1". */
	comma = strchr(s, ',');
	n = comma ? (size_t)(comma - s) : strlen(s);
	if (comma && (comma[1] < '0' || comma[1] > '9' ||
		      strspn(comma + 1, "0123456789") != strlen(comma + 1))) {
		snprintf(err, errlen,
			 "bad portal '%s': only a numeric portal group tag may follow ','", s);
		return -EINVAL;
	}
	if (n >= sizeof(host)) {
		snprintf(err, errlen, "portal '%.40s...' is too long", s);
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = 0;

	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (!close) {
			snprintf(err, errlen, "bad portal '%s': missing ']' after the IPv6 address",
				 s);
			return -EINVAL;
		}
		*close = 0;
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1]) {
			snprintf(err, errlen, "bad portal '%s': expected ':PORT' after ']'", s);
			return -EINVAL;
		}
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		char *colon = strchr(host, ':');

		/* Two or more colons: a bare IPv6 address without a port. */
		if (colon && !strchr(colon + 1, ':')) {
			*colon = 0;
			portstr = colon + 1;
		}
	}
	if (!host[0]) {
		snprintf(err, errlen, "bad portal '%s': no host", s);
		return -EINVAL;
	}
	if (portstr && parse_port(portstr, &port) < 0) {
		snprintf(err, errlen, "bad port in portal '%s': give a number 1-65535", s);
		return -EINVAL;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides every address in a namespace with only
		 * loopback; literal addresses must still work there. */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, NULL, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve portal host '%s': %s", host,
			 gai_strerror(rc));
		return -ENOENT;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else {
		snprintf(err, errlen, "portal '%s' is neither IPv4 nor IPv6", s);
		return -EINVAL;
	}
	return 0;
}

void portal_format(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, buflen, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, buflen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, buflen, "(family %d)", sa->sa_family);
	}
}
