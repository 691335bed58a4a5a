/* iSCSI name syntax (RFC 7143 4.2.7); see iscsi_name.h. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "session/iscsi_name.h"

static int name_fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_name_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
	       c == '.' || c == ':';
}

/* eui. and naa.: the type, then only hex digits, as many as allowed. */
static int check_hex_name(const char *s, size_t len, size_t n1, size_t n2, const char **why)
{
	size_t digits = len - 4;

	for (size_t i = 4; i < len; i++)
		if (!is_hex(s[i]))
			return name_fail(why, "eui. and naa. names take hex digits only");
	if (digits != n1 && digits != n2)
		return name_fail(why, n1 == n2 ? "an eui. name has exactly 16 hex digits"
					       : "a naa. name has 16 or 32 hex digits");
	return 0;
}

/* iqn.YYYY-MM.reversed.domain[:unique] (RFC 7143 4.2.7.1). */
static int check_iqn(const char *s, size_t len, const char **why)
{
	size_t i = 4, label = 0;

	/* "yyyy-mm." : the month the naming authority owned the domain. */
	if (len < 12 || !is_digit(s[4]) || !is_digit(s[5]) || !is_digit(s[6]) || !is_digit(s[7]) ||
	    s[8] != '-' || !is_digit(s[9]) || !is_digit(s[10]) || s[11] != '.')
		return name_fail(why, "an iqn. name starts iqn.YYYY-MM. (a year and month)");
	if ((s[9] - '0') * 10 + (s[10] - '0') < 1 || (s[9] - '0') * 10 + (s[10] - '0') > 12)
		return name_fail(why, "the month in an iqn. name is 01 to 12");
	/* The reversed domain name: labels of letters, digits and '-'. */
	for (i = 12; i < len && s[i] != ':'; i++) {
		if (s[i] == '.') {
			if (!label)
				return name_fail(why, "empty label in the iqn. name's domain");
			label = 0;
			continue;
		}
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '-')
			return name_fail(why, "the iqn. name's domain allows letters, digits, '-' "
					      "and '.' only");
		label++;
	}
	if (!label)
		return name_fail(why, "an iqn. name needs a reversed domain name after the date");
	return 0;
}

int iscsi_name_check(const char *name, size_t len, const char **why)
{
	if (!name || !len)
		return name_fail(why, "empty iSCSI name");
	if (len > ISCSI_NAME_MAX)
		return name_fail(why, "longer than 223 bytes (RFC 7143 4.2.7)");
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(name[i]))
			return name_fail(why, "characters other than letters, digits, '-', '.' and "
					      "':' (RFC 7143 4.2.7)");
	/*
	 * Names compare without case (RFC 7143 4.2.7: the stringprep profile
	 * of RFC 3722 maps upper case to lower), so "IQN." is the same type.
	 */
	if (len >= 4 && !strncasecmp(name, "iqn.", 4))
		return check_iqn(name, len, why);
	if (len >= 4 && !strncasecmp(name, "eui.", 4))
		return check_hex_name(name, len, 16, 16, why);
	if (len >= 4 && !strncasecmp(name, "naa.", 4))
		return check_hex_name(name, len, 16, 32, why);
	return name_fail(why, "not an iqn., eui. or naa. name (RFC 7143 4.2.7)");
}

int iscsi_address_check(const char *a, size_t len, const char **why)
{
	if (!a || !len || len > 255)
		return name_fail(why, "empty or longer than 255 bytes");
	for (size_t i = 0; i < len; i++) {
		char c = a[i];

		if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c && strchr(".-:[],%_", c)))
			return name_fail(why, "characters other than letters, digits and .-:[],%_ "
					      "(RFC 7143 13.8)");
	}
	return 0;
}
