/*
 * gotrue.c - Supabase Auth's dialect in authoob-http: errors as
 * {"code", "error_code", "msg"}, and the API version of its clients.
 *
 * The error code is the database's: the extension decides it where it
 * raises the error and writes it in the error's detail (response.c reads
 * it); the front never derives it from a message.  What has none (the
 * front's own errors, a hook's, a lost database) is named by its status.
 */
#include "gotrue.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <string.h>

static const char *
code_of_status(unsigned int status)
{
	switch (status)
	{
		case 400:
		case 422:
			return "validation_failed";
		case 401:
			return "no_authorization";
		case 403:
			return "forbidden";
		case 404:
			return "not_found";
		case 405:
			return "method_not_allowed";
		case 409:
			return "conflict";
		case 413:
			return "request_too_large";
		case 429:
			return "over_request_rate_limit";
		default:
			return status >= 500 ? "unexpected_failure" : "bad_request";
	}
}

/* Whether text is written as a date is, YYYY-MM-DD */
static bool
is_date_text(const char *text)
{
	for (int i = 0; i < 10; i++)
	{
		if (i == 4 || i == 7 ? text[i] != '-' : !isdigit((unsigned char) text[i]))
			return false;
	}
	return text[10] == '\0';
}

/*
 * Supabase Auth's clients send the API version they read (2024-01-01 and
 * later: "code" is the error code); a date compares as its text does, and
 * what is not a date is no version at all.
 */
ErrorShape
gotrue_error_shape(const char *api_version)
{
	if (api_version != NULL && is_date_text(api_version) &&
		strcmp(api_version, GOTRUE_API_VERSION) >= 0)
		return ERRORS_GOTRUE_2024;
	return ERRORS_GOTRUE;
}

json_t *
gotrue_error_json(ErrorShape shape, unsigned int status, const char *message,
				  const char *error_code)
{
	if (error_code == NULL)
		error_code = code_of_status(status);
	if (shape == ERRORS_GOTRUE_2024)
		return json_pack("{s:s, s:s, s:s}", "code", error_code,
						 "error_code", error_code, "msg", message);
	return json_pack("{s:i, s:s, s:s}", "code", (int) status,
					 "error_code", error_code, "msg", message);
}

void
gotrue_add_headers(struct MHD_Response *response, ErrorShape shape)
{
	if (shape == ERRORS_GOTRUE_2024)
		MHD_add_response_header(response, GOTRUE_API_VERSION_HEADER,
								GOTRUE_API_VERSION);
}
