/*
 * gotrue.c - Supabase Auth's dialect in authoob-http: errors as GoTrue's
 * errors.go writes them, and the API version of its clients.
 *
 * The error code, and the dialect's status and message where they are not
 * authoob's, are the database's: the extension decides them where it
 * raises the error and writes them in the error's detail (response.c
 * reads it); the front never derives them from a message.  What has none
 * (the front's own errors, a hook's, a lost database) is named by its
 * status.
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
				  const char **error_code, json_t *weak_password)
{
	json_t	   *error;

	if (*error_code == NULL)
		*error_code = code_of_status(status);
	if (shape == ERRORS_GOTRUE_2024)
		error = json_pack("{s:s, s:s}", "code", *error_code, "message", message);
	else
		error = json_pack("{s:i, s:s, s:s}", "code", (int) status,
						  "error_code", *error_code, "msg", message);
	if (error != NULL && weak_password != NULL)
		json_object_set(error, "weak_password", weak_password);
	return error;
}

/* {"reasons": [...]} with strings only, as auth-js reads it */
static bool
is_weak_password(json_t *weak_password)
{
	json_t	   *reasons = json_object_get(weak_password, "reasons");
	size_t		i;
	json_t	   *reason;

	if (!json_is_array(reasons) || json_object_size(weak_password) != 1)
		return false;
	json_array_foreach(reasons, i, reason)
	{
		if (!json_is_string(reason))
			return false;
	}
	return true;
}

json_t *
gotrue_detail_answer(json_t *detail, unsigned int *status, const char **message)
{
	json_t	   *answer = json_object_get(detail, "gotrue");
	json_int_t	wanted = json_integer_value(json_object_get(answer, "status"));
	const char *msg = json_string_value(json_object_get(answer, "msg"));
	json_t	   *weak_password = json_object_get(answer, "weak_password");

	/* an error answer, with its words, or none */
	if (wanted < 400 || wanted > 599 || msg == NULL)
		return NULL;
	*status = (unsigned int) wanted;
	*message = msg;
	return is_weak_password(weak_password) ? weak_password : NULL;
}

/* RFC 6749's error: printable ASCII but '"' and '\\' (its space too, GoTrue's "invalid request") */
static bool
is_oauth_error(const char *error)
{
	size_t		len = error ? strlen(error) : 0;

	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (error[i] < 0x20 || error[i] > 0x7e || error[i] == '"' || error[i] == '\\')
			return false;
	return true;
}

json_t *
gotrue_oauth_error_json(json_t *detail)
{
	json_t	   *answer = json_object_get(detail, "gotrue");
	const char *error = json_string_value(json_object_get(answer, "oauth_error"));
	const char *description = json_string_value(json_object_get(answer, "msg"));

	if (!is_oauth_error(error) || description == NULL)
		return NULL;
	return json_pack("{s:s, s:s}", "error", error, "error_description", description);
}

void
gotrue_add_headers(struct MHD_Response *response, ErrorShape shape,
				   unsigned int status)
{
	if (shape == ERRORS_GOTRUE_2024 && status >= 400)
		MHD_add_response_header(response, GOTRUE_API_VERSION_HEADER,
								GOTRUE_API_VERSION);
}
