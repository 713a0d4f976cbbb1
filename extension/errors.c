/*
 * errors.c
 *		The contract's errors, each written once: its status (SQLSTATE PTxxx,
 *		PostgREST's convention, which the HTTP front maps back), its message,
 *		and the error code Supabase Auth's clients read (docs/supabase.md),
 *		decided here and re-derived nowhere downstream.  None of
 *		these returns.
 *
 * The detail of each is a JSON object that the front reads as data, never
 * as words: {"error_code": "...", "headers": {...}, "reason": "...",
 * "gotrue": {...}}, the code, the response headers the error asks for (a
 * 429's Retry-After, as PostgREST's errors carry them), why, in words, for
 * SQL callers and the server log, and how Supabase Auth (GoTrue) answers
 * the same failure where its status or message differ from authoob's: its
 * "status", its "msg" and, for a weak password, "weak_password" (each as
 * GoTrue's internal/api writes it; docs/supabase.md has the table).
 * authoob's own routes answer the message alone.
 */
#include "authoob.h"

#include "lib/stringinfo.h"
#include "utils/json.h"

/*
 * How Supabase Auth's dialect answers an error, where not as authoob's own
 * routes do: status 0 keeps authoob's; weak_password, the text of a JSON
 * object, or NULL.
 */
typedef struct GotrueAnswer
{
	int			status;
	const char *message;
	const char *weak_password;
} GotrueAnswer;

/* The same answer in both dialects */
static const GotrueAnswer same_answer = {0, NULL, NULL};

/*
 * The detail of a contract error: its error code; headers, the text of a
 * JSON object, or NULL; reason, or NULL; the dialect's answer.
 */
static int
errdetail_contract(const char *error_code, const char *headers, const char *reason,
				   GotrueAnswer gotrue)
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
	if (gotrue.status != 0)
	{
		appendStringInfo(&detail, ", \"gotrue\": {\"status\": %d, \"msg\": ", gotrue.status);
		escape_json(&detail, gotrue.message);
		if (gotrue.weak_password)
			appendStringInfo(&detail, ", \"weak_password\": %s", gotrue.weak_password);
		appendStringInfoChar(&detail, '}');
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
			 errdetail_contract("validation_failed", NULL, reason, same_answer)));
}

/* 400: no body, or one that is not a JSON object */
void
authoob_bad_body(const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Missing data"),
			 errdetail_contract("bad_json", NULL, reason, same_answer)));
}

/* 400: a field whose value cannot be taken */
void
authoob_invalid_value(const char *field, const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid value for %s", field),
			 errdetail_contract("validation_failed", NULL, reason, same_answer)));
}

/* 400: the two passwords of a registration differ */
void
authoob_mismatching_passwords(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Mismatching passwords"),
			 errdetail_contract("validation_failed", NULL, NULL, same_answer)));
}

/* 400: the two passwords of a password change differ (the seed's words) */
void
authoob_password_mismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Password mismatch"),
			 errdetail_contract("validation_failed", NULL, NULL, same_answer)));
}

/*
 * 400: a password the policy refuses: reason, the first rule it breaks;
 * to Supabase Auth's clients 422, every rule broken (message) and their
 * names (reasons, a JSON array), as its password.go lists them
 */
void
authoob_weak_password(const char *reason, const char *message, const char *reasons)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Passwords strength policy invalid"),
			 errdetail_contract("weak_password", NULL, reason,
								(GotrueAnswer) {422, message,
												psprintf("{\"reasons\": %s}", reasons)})));
}

/* 400: a password longer than the hash takes (GoTrue: not a weak one) */
void
authoob_password_too_long(int max_bytes)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Passwords strength policy invalid"),
			 errdetail_contract("validation_failed", NULL,
								psprintf("A password must not be longer than %d bytes.", max_bytes),
								(GotrueAnswer) {400, psprintf("Password cannot be longer than %d characters",
															  max_bytes), NULL})));
}

/* 400: an address that is not one */
void
authoob_invalid_email(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid email given"),
			 errdetail_contract("validation_failed", NULL, NULL,
								(GotrueAnswer) {400, "Unable to validate email address: invalid format", NULL})));
}

/* 401: the same answer for an unknown email and a wrong password */
void
authoob_authentication_failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("invalid_credentials", NULL, NULL,
								(GotrueAnswer) {400, "Invalid login credentials", NULL})));
}

/*
 * 401 for an access token that cannot be read or verified, why in the
 * reason; to Supabase Auth's clients 403 bad_jwt, as GoTrue's auth.go
 * answers a token it cannot parse or verify
 */
void
authoob_token_refused(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("bad_jwt", NULL, psprintf("The token %s.", why),
								(GotrueAnswer) {403, psprintf("invalid JWT: unable to parse or verify signature, the token %s",
															  why), NULL})));
}

/* 401 for no access token at all (GoTrue's extractBearerToken) */
void
authoob_token_missing(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("no_authorization", NULL, "The token is missing.",
								(GotrueAnswer) {401, "This endpoint requires a valid Bearer token", NULL})));
}

/*
 * 401 for a valid access token whose session is over (signed out, ended,
 * expired): session_not_found, which Supabase Auth's clients read as
 * "signed out", with GoTrue's 403
 */
void
authoob_session_ended(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract("session_not_found", NULL, "The token is no longer valid.",
								(GotrueAnswer) {403, "Session from session_id claim in JWT does not exist", NULL})));
}

/*
 * 401 for a refresh token: one spent earlier, or one that matches nothing;
 * GoTrue's 400 and words (its tokens/service.go)
 */
void
authoob_refresh_token_refused(bool already_used)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_contract(already_used ? "refresh_token_already_used" :
								"refresh_token_not_found", NULL, NULL,
								(GotrueAnswer) {400, already_used ? "Invalid Refresh Token: Already Used" :
												"Invalid Refresh Token: Refresh Token Not Found", NULL})));
}

/* 403, with require_activation: a user who has not followed the mailed link */
void
authoob_not_activated(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Account not activated"),
			 errdetail_contract("email_not_confirmed", NULL,
								"Follow the link of the activation mail first.",
								(GotrueAnswer) {400, "Email not confirmed", NULL})));
}

/* 403: a verified token on an admin route that is no service credential */
void
authoob_not_admin(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("User not allowed"),
			 errdetail_contract("not_admin", NULL,
								"The token needs the role service_role (authoob_service_token()).",
								same_answer)));
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
			 errdetail_contract("user_banned", NULL, NULL, same_answer)));
}

/*
 * 404: a mailed token that is unknown, spent or expired; to Supabase
 * Auth's clients what GoTrue's verify.go answers a token_hash it does not
 * find
 */
void
authoob_no_token_match(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("No token match"),
			 errdetail_contract("otp_expired", NULL, NULL,
								(GotrueAnswer) {403, "Email link is invalid or has expired", NULL})));
}

/*
 * 403: a mailed code that is not the newest code of that address and
 * type, or is spent or expired, as Supabase Auth answers it
 */
void
authoob_wrong_code(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Token has expired or is invalid"),
			 errdetail_contract("otp_expired", NULL, NULL,
								(GotrueAnswer) {403, "Token has expired or is invalid", NULL})));
}

/*
 * 400: a link type authoob makes no link of, in Supabase Auth's words
 * (its generate_link)
 */
void
authoob_bad_link_type(const char *type)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid email action link type requested: %s", type ? type : ""),
			 errdetail_contract("validation_failed", NULL, NULL, same_answer)));
}

/* 404: no such active user */
void
authoob_user_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("User not found"),
			 errdetail_contract("user_not_found", NULL, NULL, same_answer)));
}

/* 404: no such session of the user */
void
authoob_session_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("Session not found"),
			 errdetail_contract("session_not_found", NULL, NULL, same_answer)));
}

/* 409: an address that has an account already, whatever its case */
void
authoob_already_registered(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_CONFLICT),
			 errmsg("User already registered"),
			 errdetail_contract("user_already_exists", NULL, NULL,
								(GotrueAnswer) {422, "User already registered", NULL})));
}

/* 409: a new address that is another account's, whatever its case */
void
authoob_email_taken(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_CONFLICT),
			 errmsg("Email address already in use"),
			 errdetail_contract("email_exists", NULL, NULL,
								(GotrueAnswer) {422, "A user with this email address has already been registered", NULL})));
}

/*
 * 422: in a sharded deployment, a new address that routes to another
 * partition than its user's (docs/scale-out.md)
 */
void
authoob_email_elsewhere(void)
{
	ereport(ERROR,
			(errcode(AUTHOOB_STATUS('4', '2', '2')),
			 errmsg("This address cannot be moved to in a sharded deployment"),
			 errdetail_contract("email_change_across_partitions", NULL, NULL,
								(GotrueAnswer) {422, "This address cannot be moved to in a sharded deployment", NULL})));
}

/*
 * 403, with disable_signup: no registration; to Supabase Auth's clients
 * GoTrue's signup.go answer
 */
void
authoob_signup_disabled(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Registration disabled"),
			 errdetail_contract("signup_disabled", NULL, NULL,
								(GotrueAnswer) {422, "Signups not allowed for this instance", NULL})));
}

/*
 * 403, with disable_signup: a magic link asked with create_user while
 * otp_signup is on, for any address; to Supabase Auth's clients GoTrue's
 * otp.go answer
 */
void
authoob_otp_signup_disabled(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Registration disabled"),
			 errdetail_contract("otp_disabled", NULL, NULL,
								(GotrueAnswer) {422, "Signups not allowed for otp", NULL})));
}

/*
 * 409: the activation token of an account already active; to Supabase
 * Auth's clients a spent link, as a used one is (GoTrue forgets the token
 * once confirmed)
 */
void
authoob_already_active(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_CONFLICT),
			 errmsg("Unable to activate"),
			 errdetail_contract("otp_expired", NULL, "The account is already active.",
								(GotrueAnswer) {403, "Email link is invalid or has expired", NULL})));
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
								NULL, (GotrueAnswer) {429, "Request rate limit reached", NULL})));
}

/* 404: no factor of this user has the id given, or it is no uuid */
void
authoob_factor_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("Factor not found"),
			 errdetail_contract("mfa_factor_not_found", NULL, NULL, same_answer)));
}

/*
 * What a session at aal1 may not do when its user has a verified factor,
 * with Supabase Auth's status and words for each
 */
void
authoob_insufficient_aal(AuthoobAalNeed need)
{
	static const struct
	{
		int			sqlstate;
		const char *message;
	}			needs[] = {
		[AAL_TO_ENROLL] = {ERRCODE_AUTHOOB_FORBIDDEN, "AAL2 required to enroll a new factor"},
		[AAL_TO_UNENROLL] = {AUTHOOB_STATUS('4', '2', '2'),
		"AAL2 required to unenroll verified factor"},
		[AAL_TO_CHANGE] = {ERRCODE_AUTHOOB_UNAUTHORIZED,
		"AAL2 session is required to update email or password when MFA is enabled."},
		[AAL_TO_USE] = {ERRCODE_AUTHOOB_UNAUTHORIZED,
		"AAL2 session is required: verify a second factor first."},
	};

	ereport(ERROR,
			(errcode(needs[need].sqlstate),
			 errmsg("%s", needs[need].message),
			 errdetail_contract("insufficient_aal", NULL, NULL, same_answer)));
}

/*
 * 422: a code that is not the factor's now (or was spent already), a
 * recovery code that is none of the user's unspent ones, a challenge that
 * does not hold (Supabase Auth's words for each)
 */
void
authoob_mfa_refused(const char *error_code, const char *message)
{
	ereport(ERROR,
			(errcode(AUTHOOB_STATUS('4', '2', '2')),
			 errmsg("%s", message),
			 errdetail_contract(error_code, NULL, NULL, same_answer)));
}

/*
 * 400: with secure_password_change, a password change in a session signed
 * in more than a day ago and no nonce (GoTrue's user.go)
 */
void
authoob_reauthentication_needed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Password update requires reauthentication"),
			 errdetail_contract("reauthentication_needed", NULL, NULL, same_answer)));
}

/* 422: a nonce that is not the user's newest, or is spent or expired */
void
authoob_invalid_nonce(void)
{
	ereport(ERROR,
			(errcode(AUTHOOB_STATUS('4', '2', '2')),
			 errmsg("Nonce has expired or is invalid"),
			 errdetail_contract("reauthentication_not_valid", NULL, NULL, same_answer)));
}

/* 403: what an anonymous user may not do (enrol a second factor) */
void
authoob_anonymous_refused(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_FORBIDDEN),
			 errmsg("Anonymous user not allowed to perform these actions"),
			 errdetail_contract("no_authorization", NULL, NULL, same_answer)));
}
