/*
 * Hex digits, both ways, for every layer that writes or reads them (iSCSI
 * hex-constants, escaped peer text, LUN identities, TLS PSK files): one
 * alphabet, lower case, and one decoder that takes either case.
 */
#ifndef ISN_UTIL_HEX_H
#define ISN_UTIL_HEX_H

/* The digit of the low four bits of v. */
static inline char hex_digit(unsigned int v)
{
	return "0123456789abcdef"[v & 15];
}

/* The value of hex digit c (either case), or -1 when c is none. Locale-free. */
static inline int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
