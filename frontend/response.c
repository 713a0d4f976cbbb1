/*
 * response.c - HTTP responses of authoob-http.
 *
 * The front writes JSON only for errors (with jansson, so a message from
 * the database is always escaped right), in the shape of the route's family
 * (gotrue.c writes Supabase Auth's); success bodies are the jsonb text the
 * database returned, passed through untouched.
 */
#include "response.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gotrue.h"
#include "log.h"

static Reply
reply_json(unsigned int status, json_t *obj)
{
	Reply		reply = {.status = status};
	char	   *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (text == NULL)
		return reply;
	reply.response = MHD_create_response_from_buffer(strlen(text), text,
													 MHD_RESPMEM_MUST_FREE);
	if (reply.response == NULL)
		free(text);
	else
		MHD_add_response_header(reply.response, MHD_HTTP_HEADER_CONTENT_TYPE,
								"application/json");
	return reply;
}

Reply
reply_error(unsigned int status, const char *message)
{
	return reply_json(status, json_pack("{s:i, s:s}", "code", (int) status,
										"message", message));
}

/* An error in Supabase Auth's shape, its code in a header too */
static Reply
reply_gotrue_error(ErrorShape shape, unsigned int status, const char *message,
				   const char *error_code, json_t *weak_password)
{
	Reply		reply = reply_json(status, gotrue_error_json(shape, status, message,
															 &error_code, weak_password));

	if (reply.response != NULL)
		MHD_add_response_header(reply.response, GOTRUE_ERROR_CODE_HEADER, error_code);
	return reply;
}

Reply
reply_error_shaped(ErrorShape shape, unsigned int status, const char *message,
				   const char *error_code)
{
	if (shape == ERRORS_AUTHOOB)
		return reply_error(status, message);
	return reply_gotrue_error(shape, status, message, error_code, NULL);
}

Reply
reply_empty(unsigned int status)
{
	Reply		reply = {.status = status};

	reply.response = MHD_create_response_from_buffer(0, NULL,
													 MHD_RESPMEM_PERSISTENT);
	return reply;
}

/* "PT404" -> 404; 0 unless it is PT followed by an HTTP error status. */
static unsigned int
status_of_sqlstate(const char *sqlstate)
{
	unsigned int status = 0;

	if (sqlstate == NULL || strncmp(sqlstate, "PT", 2) != 0 ||
		strspn(sqlstate + 2, "0123456789") != 3 || sqlstate[5] != '\0')
		return 0;
	status = (unsigned int) atoi(sqlstate + 2);
	return status >= 400 && status <= 599 ? status : 0;
}

/*
 * Errors that mean "the database is not there right now". A cancelled
 * statement (57014: a hook past hook_timeout, statement_timeout) is not one
 * of them: it is the statement's fault, a 500; the statements the front
 * cancels itself at shutdown come back from the pool as unavailable.
 */
static bool
is_unavailable(const char *sqlstate)
{
	return sqlstate != NULL &&
		(strncmp(sqlstate, "08", 2) == 0 ||	/* connection exception */
		 strncmp(sqlstate, "57P0", 4) == 0 ||	/* shutdown, cannot connect now */
		 strcmp(sqlstate, "53300") == 0);	/* too many connections */
}

/*
 * An error's detail that is a JSON object with "headers" (as PostgREST's
 * errors carry them, and the extension writes a 429's wait) may add these
 * headers to the error response, and no other; a value that is not what the
 * header holds is dropped.
 */
static bool
is_seconds(const char *value)
{
	size_t		digits = strspn(value, "0123456789");

	/* ten digits are three centuries: more is not a wait, it is garbage */
	return digits > 0 && digits <= 10 && value[digits] == '\0';
}

static const struct
{
	const char *name;
	bool		(*valid) (const char *value);
}			error_headers[] = {
	{MHD_HTTP_HEADER_RETRY_AFTER, is_seconds},
};

static void
add_detail_headers(struct MHD_Response *response, json_t *obj)
{
	json_t	   *headers = json_object_get(obj, "headers");

	for (size_t i = 0; i < sizeof(error_headers) / sizeof(error_headers[0]); i++)
	{
		const char *value = json_string_value(json_object_get(headers, error_headers[i].name));

		if (value != NULL && error_headers[i].valid(value))
			MHD_add_response_header(response, error_headers[i].name, value);
	}
}

/* The detail's "error_code", if it is one: lower-case letters, digits and '_' (web3_...) */
static const char *
detail_error_code(json_t *obj)
{
	const char *code = json_string_value(json_object_get(obj, "error_code"));

	if (code == NULL || *code == '\0' || strlen(code) > 64 ||
		strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(code))
		return NULL;
	return code;
}

/*
 * A PTxxx error: that status and message (in Supabase Auth's dialect, the
 * ones its detail gives for it), and the headers its detail asks for.
 */
static Reply
reply_from_status(const PGresult *res, unsigned int status, const char *message,
				  ErrorShape errors)
{
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	json_t	   *obj = detail && detail[0] == '{' ? json_loads(detail, 0, NULL) : NULL;
	Reply		reply;

	if (errors == ERRORS_AUTHOOB)
		reply = reply_error(status, message);
	else
	{
		json_t	   *weak_password = gotrue_detail_answer(obj, &status, &message);
		json_t	   *oauth_error = gotrue_oauth_error_json(obj);

		/* GoTrue's OAuthError: its own shape, whatever the API version, no error code */
		reply = oauth_error ? reply_json(status, oauth_error) :
			reply_gotrue_error(errors, status, message, detail_error_code(obj),
							   weak_password);
	}

	if (reply.response != NULL)
		add_detail_headers(reply.response, obj);
	json_decref(obj);
	return reply;
}

static Reply
reply_from_error(const PGresult *res, ErrorShape errors)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	unsigned int status = status_of_sqlstate(sqlstate);

	if (message == NULL)
		message = "";
	if (status != 0)
		return reply_from_status(res, status, message, errors);
	if (sqlstate != NULL && strcmp(sqlstate, "P0001") == 0)
		return reply_error_shaped(errors, 400, message, NULL);
	if (is_unavailable(sqlstate))
	{
		log_warning("database unavailable: %s: %s", sqlstate, message);
		return reply_error_shaped(errors, 503, "Service unavailable", NULL);
	}
	log_error("statement failed: %s", PQresultErrorMessage(res));
	return reply_error_shaped(errors, 500, "Internal error", NULL);
}

static bool is_one_line(const char *value);

/*
 * A 3xx route answers a redirect: the statement returns {"url": ...} (as
 * the mail_activate_redirect hook does) and no body is sent. No value, or a
 * URL that cannot be a header (empty, or a line break that a hook let in),
 * is the statement's fault: a redirect without Location would strand the
 * user. A "cookie" member sets FLOW_COOKIE and no other.
 */
static Reply
reply_redirect(const char *body, unsigned int status)
{
	json_t	   *obj = body ? json_loads(body, 0, NULL) : NULL;
	const char *location = json_string_value(json_object_get(obj, "url"));
	const char *cookie = json_string_value(json_object_get(obj, "cookie"));
	Reply		reply = reply_empty(status);

	if (reply.response != NULL &&
		(location == NULL ||
		 MHD_add_response_header(reply.response, MHD_HTTP_HEADER_LOCATION,
								 location) != MHD_YES))
	{
		log_error("redirect statement returned no usable \"url\"");
		MHD_destroy_response(reply.response);
		reply = reply_error(500, "Internal error");
	}
	else if (reply.response != NULL && cookie != NULL &&
			 strncmp(cookie, FLOW_COOKIE "=", strlen(FLOW_COOKIE "=")) == 0 &&
			 is_one_line(cookie))
		MHD_add_response_header(reply.response, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	json_decref(obj);
	return reply;
}

/*
 * RFC 9110's token characters: what a header name is made of.
 */
static bool
is_token(const char *name)
{
	return *name != '\0' &&
		strspn(name, "!#$%&'*+-.^_`|~0123456789"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == strlen(name);
}

/* No control byte: no line break to start a header or a body of its own. */
static bool
is_one_line(const char *value)
{
	for (const unsigned char *c = (const unsigned char *) value; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/*
 * A member of a REPLY_HEADERS answer that may go: an X-Auth- name and a
 * one-line text. An empty one (a user without roles) stays out, as
 * libmicrohttpd cannot send it: proxies read a missing header as empty.
 */
static bool
header_allowed(const char *name, const char *value)
{
	return strncasecmp(name, "X-Auth-", 7) == 0 && is_token(name) &&
		strlen(name) <= 64 && value != NULL && *value != '\0' &&
		is_one_line(value);
}

/*
 * A route that answers in headers (forward auth): a proxy lets the request
 * through on the 200 and copies the headers to it. Only the statement's
 * "X-Auth-" string members go, so that no answer (nor a profile field it
 * echoes) can set a cookie or split the response; the rest is dropped. An
 * answer that is not an object is the statement's fault, and a 500 rather
 * than a bare 200 that a proxy would take for a yes.
 */
static Reply
reply_headers(const char *body, unsigned int status)
{
	json_t	   *obj = body ? json_loads(body, 0, NULL) : NULL;
	Reply		reply = reply_empty(status);
	const char *name;
	json_t	   *value;

	if (!json_is_object(obj))
	{
		log_error("forward-auth statement returned no JSON object");
		if (reply.response != NULL)
			MHD_destroy_response(reply.response);
		json_decref(obj);
		return reply_error(500, "Internal error");
	}
	json_object_foreach(obj, name, value)
	{
		if (reply.response != NULL &&
			header_allowed(name, json_string_value(value)))
			MHD_add_response_header(reply.response, name, json_string_value(value));
	}
	json_decref(obj);
	return reply;
}

/*
 * A page of a list (Supabase Auth's admin listUsers): the answer's "body",
 * and of its "headers" only X-Total-Count (digits) and Link (one line), as
 * GoTrue's addPaginationHeaders sends them; an answer without a body is
 * the statement's fault.
 */
static Reply
reply_page(const char *body, unsigned int status)
{
	json_t	   *obj = body ? json_loads(body, 0, NULL) : NULL;
	json_t	   *headers = json_object_get(obj, "headers");
	const char *total = json_string_value(json_object_get(headers, "X-Total-Count"));
	const char *link = json_string_value(json_object_get(headers, "Link"));
	json_t	   *page = json_object_get(obj, "body");
	Reply		reply;

	if (!json_is_object(page))
	{
		log_error("page statement returned no \"body\"");
		json_decref(obj);
		return reply_error(500, "Internal error");
	}
	reply = reply_json(status, json_incref(page));
	/* a count is digits, as a wait in seconds is */
	if (reply.response != NULL && total != NULL && is_seconds(total))
		MHD_add_response_header(reply.response, "X-Total-Count", total);
	if (reply.response != NULL && link != NULL && is_one_line(link))
		MHD_add_response_header(reply.response, "Link", link);
	json_decref(obj);
	return reply;
}

/*
 * A REPLY_URL answer that asks for a redirect: Supabase Auth's
 * linkIdentity sends the browser on unless skip_http_redirect, which
 * auth-js sends to read the URL itself
 */
static bool
wants_redirect(const char *body)
{
	json_t	   *obj = body ? json_loads(body, 0, NULL) : NULL;
	bool		redirect = json_is_true(json_object_get(obj, "redirect"));

	json_decref(obj);
	return redirect;
}

Reply
reply_from_result(const PGresult *res, unsigned int success_status,
				  ReplyShape shape, ErrorShape errors)
{
	Reply		reply = {.status = success_status};
	const char *body;

	if (res == NULL)
		return reply_error_shaped(errors, 503, "Service unavailable", NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return reply_from_error(res, errors);
	body = PQntuples(res) == 1 && PQnfields(res) == 1 && !PQgetisnull(res, 0, 0)
		? PQgetvalue(res, 0, 0) : NULL;
	if (success_status >= 300 && success_status < 400)
		return reply_redirect(body, success_status);
	if (shape == REPLY_HEADERS)
		return reply_headers(body, success_status);
	if (shape == REPLY_PAGE)
		return reply_page(body, success_status);
	if (shape == REPLY_URL && wants_redirect(body))
		return reply_redirect(body, 302);
	if (body == NULL || success_status == 204)
		return reply_empty(success_status);
	reply.response = MHD_create_response_from_buffer(strlen(body),
													 (void *) body,
													 MHD_RESPMEM_MUST_COPY);
	if (reply.response != NULL)
		MHD_add_response_header(reply.response, MHD_HTTP_HEADER_CONTENT_TYPE,
								"application/json");
	return reply;
}
