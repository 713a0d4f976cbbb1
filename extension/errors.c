/*
 * errors.c
 *		The contract's errors, each written once: its status (SQLSTATE PTxxx,
 *		PostgREST's convention, which the HTTP front maps back) and its
 *		message.  None of these returns.
 */
#include "authoob.h"

/* 400: a body that is not a JSON object, or a required field it lacks */
void
authoob_missing_data(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Missing data"),
			 detail ? errdetail_internal("%s", detail) : 0));
}

/* 401: the same answer for an unknown email and a wrong password */
void
authoob_authentication_failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed")));
}

/* 401 for a token, with why only in the detail (the server log's) */
void
authoob_token_refused(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_internal("The token %s.", why)));
}

/*
 * 401 for a refresh token, with its error code (which Supabase Auth's
 * clients read) in the detail: refresh_token_not_found or
 * refresh_token_already_used
 */
void
authoob_refresh_token_refused(const char *error_code)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_internal("{\"error_code\": \"%s\"}", error_code)));
}

/* 403, with require_activation: a user who has not followed the mailed link */
void
authoob_not_activated(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Account not activated"),
			 errdetail("Follow the link of the activation mail first.")));
}

/* 404: a mailed token that is unknown, spent or expired */
void
authoob_no_token_match(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("No token match")));
}

/* 404: no such active user */
void
authoob_user_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("User not found")));
}

/*
 * 429, and when to come back.  The detail carries the response headers as
 * JSON, as PostgREST's errors do, so the front reads them without parsing
 * a sentence: {"headers": {"Retry-After": "<seconds>"}}.
 */
void
authoob_too_many_attempts(int seconds)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_TOO_MANY_REQUESTS),
			 errmsg("Too many attempts"),
			 errdetail_internal("{\"headers\": {\"Retry-After\": \"%d\"}}",
								seconds > 0 ? seconds : 1)));
}
