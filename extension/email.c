/*
 * email.c
 *		What authoob takes for an email address (docs/decisions.md).
 */
#include "authoob.h"

/*
 * Email rules, documented in docs/decisions.md: ASCII only; local part of RFC
 * 5322 "atext" characters and single inner dots, 1-64 characters; domain of at
 * least two dot-separated labels of letters, digits and inner hyphens, each
 * 1-63 characters, the last one alphabetic; 254 characters in all.
 */
static bool
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool
is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-';
}

static bool
local_part_is_valid(const char *local, size_t len)
{
	if (len < 1 || len > 64 || local[0] == '.' || local[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
	{
		if (local[i] == '.')
		{
			if (local[i + 1] == '.')
				return false;
		}
		else if (!is_atext(local[i]))
			return false;
	}
	return true;
}

static bool
domain_is_valid(const char *domain, size_t len)
{
	size_t		label_start = 0;
	int			labels = 0;
	bool		last_label_alpha = true;

	for (size_t i = 0; i <= len; i++)
	{
		if (i == len || domain[i] == '.')
		{
			size_t		label_len = i - label_start;

			if (label_len < 1 || label_len > 63 ||
				domain[label_start] == '-' || domain[i - 1] == '-')
				return false;
			labels++;
			last_label_alpha = true;
			for (size_t j = label_start; j < i; j++)
				if (!((domain[j] >= 'a' && domain[j] <= 'z') ||
					  (domain[j] >= 'A' && domain[j] <= 'Z')))
					last_label_alpha = false;
			label_start = i + 1;
		}
		else if (!is_label_char(domain[i]))
			return false;
	}
	return labels >= 2 && last_label_alpha;
}

bool
authoob_email_is_valid(const char *email)
{
	size_t		len = strlen(email);
	const char *at = strchr(email, '@');

	if (len > 254 || at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	return local_part_is_valid(email, at - email) &&
		domain_is_valid(at + 1, len - (at - email) - 1);
}
