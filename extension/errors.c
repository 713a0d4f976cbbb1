/*
 * errors.c
 *		The contract's errors, each written once: its status (SQLSTATE PTxxx,
 *		PostgREST's convention, which the HTTP front maps back), its message,
 *		and the error code Supabase Auth's clients read (docs/supabase.md),
 *		decided here and re-derived nowhere downstream.  None of
 *		these returns.
 *
 * The detail of each is a JSON object that the front reads as data, never
 * as words: {"error_code": "...", "headers": {...}, "reason": "..."}, the
 * code, the response headers the error asks for (a 429's Retry-After, as
 * PostgREST's errors carry them) and why, in words, for SQL callers and the
 * server log.  authoob's own routes answer the message alone.
 */
#include "authoob.h"

#include "lib/stringinfo.h"
#include "utils/json.h"

/*
 * The detail of a contract error: its error code; headers, the text of a
 * JSON object, or NULL; reason, or NULL.
 */
static int
errdetail_contract(const char *error_code, const char *headers, const char *reason)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "{\"error_code\": ");
	escape_json(&detail, error_code);
	if (headers)
		appendStringInfo(&detail, ", \"headers\": %s", headers);
	if (reason)
	{
		appendStringInfoString(&detail, ", \"reason\": ");
		escape_json(&detail, reason);
	}
	appendStringInfoChar(&detail, '}');
	return errdetail_internal("%s", detail.data);
}

/* 400: a required field the body lacks, or one of the wrong type */
void
authoob_missing_data(const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Missing data"),
			 errdetail_contract("validation_failed", NULL, reason)));
}

/* 400: no body, or one that is not a JSON object */
void
authoob_bad_body(const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Missing data"),
			 errdetail_contract("bad_json", NULL, reason)));
}

/* 400: a field whose value cannot be taken */
void
authoob_invalid_value(const char *field, const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid value for %s", field),
			 errdetail_contract("validation_failed", NULL, reason)));
}

/* 400: the two passwords of a registration differ */
void
authoob_mismatching_passwords(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Mismatching passwords"),
			 errdetail_contract("validation_failed", NULL, NULL)));
}

/* 400: the two passwords of a password change differ (the seed's words) */
void
authoob_password_mismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Password mismatch"),
			 errdetail_contract("validation_failed", NULL, NULL)));
}

/* 400: a password the policy refuses, and which rule */
void
authoob_weak_password(const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Passwords strength policy invalid"),
			 errdetail_contract("weak_password", NULL, reason)));
}

/* 400: an address that is not one */
void
authoob_invalid_email(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid email given"),
			 errdetail_contract("email_address_invalid", NULL, NULL)));
}

/* 401: the same answer for an unknown email and a wrong password */
void
authoob_authentication_failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("invalid_credentials", NULL, NULL)));
}

/*
 * 401 for an access token, why in the reason: session_not_found, which
 * Supabase Auth's clients read as "signed out"
 */
void
authoob_token_refused(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("session_not_found", NULL,
								psprintf("The token %s.", why))));
}

/* 401 for a refresh token: one spent earlier, or one that matches nothing */
void
authoob_refresh_token_refused(bool already_used)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract(already_used ? "refresh_token_already_used" :
								"refresh_token_not_found", NULL, NULL)));
}

/* 403, with require_activation: a user who has not followed the mailed link */
void
authoob_not_activated(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Account not activated"),
			 errdetail_contract("email_not_confirmed", NULL,
								"Follow the link of the activation mail first.")));
}

/*
 * 403 for a token on an admin route, as Supabase Auth's requireAdmin
 * answers: one that does not verify (bad_jwt), or a verified one without
 * the service role (not_admin)
 */
void
authoob_bad_service_token(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("invalid JWT: unable to parse or verify signature, %s", why),
			 errdetail_contract("bad_jwt", NULL, NULL)));
}

void
authoob_not_admin(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("User not allowed"),
			 errdetail_contract("not_admin", NULL,
								"The token needs the role service_role (authoob_service_token()).")));
}

/*
 * 400: a user an admin banned (banned_until in the future) signs in or
 * refreshes; message as Supabase Auth's token endpoint words each
 */
void
authoob_user_banned_error(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("%s", message),
			 errdetail_contract("user_banned", NULL, NULL)));
}

/* 404: a mailed token that is unknown, spent or expired */
void
authoob_no_token_match(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("No token match"),
			 errdetail_contract("otp_expired", NULL, NULL)));
}

/* 404: no such active user */
void
authoob_user_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("User not found"),
			 errdetail_contract("user_not_found", NULL, NULL)));
}

/* 404: no such session of the user */
void
authoob_session_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("Session not found"),
			 errdetail_contract("session_not_found", NULL, NULL)));
}

/* 409: an address that has an account already, whatever its case */
void
authoob_already_registered(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_CONFLICT),
			 errmsg("User already registered"),
			 errdetail_contract("user_already_exists", NULL, NULL)));
}

/*
 * 409: the activation token of an account already active; to Supabase
 * Auth's clients a spent link, as a used one is
 */
void
authoob_already_active(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_CONFLICT),
			 errmsg("Unable to activate"),
			 errdetail_contract("otp_expired", NULL, "The account is already active.")));
}

/* 429, and when to come back, in seconds: the Retry-After header */
void
authoob_too_many_attempts(int seconds)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_TOO_MANY_REQUESTS),
			 errmsg("Too many attempts"),
			 errdetail_contract("over_request_rate_limit",
								psprintf("{\"Retry-After\": \"%d\"}", seconds > 0 ? seconds : 1),
								NULL)));
}
