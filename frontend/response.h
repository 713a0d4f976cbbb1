/*
 * response.h - HTTP responses of authoob-http: the database's answer turned
 * into a status and body, and the front's own JSON errors.
 *
 * SQLSTATE PTxxx is HTTP status xxx with the error's message (PostgREST's
 * convention), and a detail {"headers": {...}} adds the headers it may (a
 * 429's Retry-After); P0001 (a plain RAISE) is 400, a lost database is 503
 * and anything else 500 with the details only in the log.
 */
#ifndef AUTHOOB_RESPONSE_H
#define AUTHOOB_RESPONSE_H

#include <libpq-fe.h>

struct MHD_Response;

typedef struct Reply
{
	unsigned int status;
	struct MHD_Response *response;	/* NULL only if out of memory */
} Reply;

/* What a route makes of its statement's JSON answer. */
typedef enum ReplyShape
{
	REPLY_BODY = 0,				/* the body, as it is */
	REPLY_PUBLIC_BODY,			/* the same, and caches may keep it a while */
	REPLY_HEADERS,				/* its "X-Auth-*" members as headers, no body */
	REPLY_PAGE,					/* {"body", "headers"}: a page of a list, its
								 * X-Total-Count and Link headers */
	REPLY_URL					/* {"url"}: a 302 there when it says
								 * "redirect": true, else the body */
} ReplyShape;

/*
 * How a family of routes writes its errors: authoob's {"code": status,
 * "message"}, or Supabase Auth's {"code": status, "error_code", "msg"};
 * a client that sends X-Supabase-Api-Version 2024-01-01 or later gets
 * {"code": error_code, "message"}, and the answer says that version.
 */
typedef enum ErrorShape
{
	ERRORS_AUTHOOB = 0,
	ERRORS_GOTRUE,
	ERRORS_GOTRUE_2024
} ErrorShape;

/* {"code": status, "message": message} */
Reply		reply_error(unsigned int status, const char *message);

/*
 * An error in shape; error_code is the database's (its detail's), NULL for
 * the front's own errors: Supabase Auth's shape then names the status's
 */
Reply		reply_error_shaped(ErrorShape shape, unsigned int status,
							   const char *message, const char *error_code);

/*
 * The cookie that binds a sign-in with an identity provider to the browser
 * that started it: a redirect's statement sets it ("cookie": the whole
 * Set-Cookie value), the callback's reads it (ARG_FLOW_COOKIE).
 */
#define FLOW_COOKIE "authoob_flow"

/* A response without body (204, preflight). */
Reply		reply_empty(unsigned int status);

/*
 * The answer of a route's statement: res is its result, NULL when the
 * database was unreachable; shape says what its success becomes.
 */
Reply		reply_from_result(const PGresult *res, unsigned int success_status,
							  ReplyShape shape, ErrorShape errors);

#endif
