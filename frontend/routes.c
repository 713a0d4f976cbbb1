/*
 * routes.c - the route table of authoob-http (docs/routes.md), and matching.
 *
 * Each row turns one HTTP request into one prepared statement. The database
 * decides everything else: the statement's result is the response body, its
 * SQLSTATE PTxxx the error status (response.c).
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

/*
 * One line a route. A 3xx route redirects to the "url" its statement returns.
 * A path segment that is a secret (a mailed token) is fed by ARG_SECRET_PATH
 * so that it never reaches the log. What can be guessed (passwords, mailed
 * tokens) goes through the procedure authoob_attempt: a function's failure
 * rolls back with it, and only a procedure can commit the record of a
 * failed guess before raising the error; its one column is the response.
 * Its arguments are the request's parts, apart: the body (or the mailed
 * token), the client's address, the query's grant_type and the client's
 * User-Agent (ARG_USER_AGENT, for the session to keep), which the
 * database joins to a sign-in's body as it parses it, once.
 * A route may read one query parameter (ARG_QUERY, named in its line); one
 * that requires it comes before the same path without it, which 0.1's
 * statement still serves (POST P/logout without ?scope=).
 * A REPLY_HEADERS route answers a proxy asking whether to let a request
 * through (forward auth): 200 with the answer's X-Auth-* members as headers
 * and no body, which is what nginx auth_request and the like read.
 * A READ_ONLY route's statement writes nothing (not even a session's last
 * use), so a standby may answer it.
 */
/* a route of authoob's own that reads no query parameter (and may write) */
#define NO_QUERY NULL, false, false, FAMILY_AUTHOOB
/* the same, whose statement writes nothing: --db-read standbys serve it */
#define READ_ONLY NULL, false, true, FAMILY_AUTHOOB

/*
 * A signed-in request that authoob_attempt runs, {"token", "body"}: a
 * password change, whose wrong reauthentication nonce counts
 */
#define TOKEN_REQUEST "pg_catalog.jsonb_build_object('token', $1::text, 'body', $2::text)::text"

static const Route route_table[] = {
/*   method  pattern           status  parameters ($1, $2)        statement, answer */
	{"POST", "/register",       200, {ARG_BODY, ARG_CLIENT_IP}, "SELECT authoob_register($1::text, $2::inet)", REPLY_BODY, NO_QUERY},
	{"POST", "/login",          200, {ARG_BODY, ARG_CLIENT_IP, ARG_USER_AGENT}, "CALL authoob_attempt('login', $1::text, $2::inet, NULL, $3::text, NULL)", REPLY_BODY, NO_QUERY},
	{"GET",  "/logout",         204, {ARG_TOKEN},               "SELECT authoob_logout($1::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/logout",         204, {ARG_TOKEN, ARG_QUERY},    "SELECT authoob_logout_scope($1::text, $2::text)", REPLY_BODY, "scope", true, false, FAMILY_AUTHOOB},
	{"POST", "/logout",         204, {ARG_TOKEN},               "SELECT authoob_logout($1::text)", REPLY_BODY, NO_QUERY},
	{"GET",  "/token",          200, {ARG_TOKEN},               "SELECT authoob_token($1::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/token",          200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY, ARG_USER_AGENT}, "CALL authoob_attempt('token', $1::text, $2::inet, $3::text, $4::text, NULL)", REPLY_BODY, "grant_type", false, false, FAMILY_AUTHOOB},
	{"GET",  "/sessions",       200, {ARG_TOKEN},               "SELECT authoob_sessions($1::text)", REPLY_BODY, NO_QUERY},
	{"DELETE", "/sessions/*",   204, {ARG_TOKEN, ARG_PATH},     "SELECT authoob_end_session($1::text, $2::text)", REPLY_BODY, NO_QUERY},
	{"GET",  "/profile",        200, {ARG_TOKEN},               "SELECT authoob_profile($1::text)", REPLY_BODY, READ_ONLY},
	{"GET",  "/profile/*",      200, {ARG_PATH},                "SELECT authoob_public_profile($1::text)", REPLY_BODY, READ_ONLY},
	{"PUT",  "/profile",        200, {ARG_TOKEN, ARG_BODY},     "SELECT authoob_update_profile($1::text, $2::text)", REPLY_BODY, NO_QUERY},
	{"PUT",  "/reset_password", 201, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('reset_password', " TOKEN_REQUEST ", $3::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"PUT",  "/password/reset", 201, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('reset_password', " TOKEN_REQUEST ", $3::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"POST", "/activate/*",     201, {ARG_SECRET_PATH, ARG_CLIENT_IP}, "CALL authoob_attempt('activate', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"GET",  "/activate/*",     302, {ARG_SECRET_PATH, ARG_CLIENT_IP}, "CALL authoob_attempt('activate_redirect', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"POST", "/password/ask",   204, {ARG_BODY, ARG_CLIENT_IP}, "SELECT authoob_password_ask($1::text, $2::inet)", REPLY_BODY, NO_QUERY},
	{"PUT",  "/password/reset/token", 204, {ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('password_reset_token', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"GET",  "/health",         200, {ARG_END},                 "SELECT '{\"status\": \"ok\"}'::pg_catalog.jsonb", REPLY_BODY, NO_QUERY},
	{"GET",  "/reauthenticate", 204, {ARG_TOKEN},               "SELECT authoob_gotrue_reauthenticate($1::text)", REPLY_BODY, NO_QUERY},
	{"GET",  "/verify",         200, {ARG_TOKEN},               "SELECT authoob_verify_headers($1::text)", REPLY_HEADERS, READ_ONLY},
	{"GET",  "/.well-known/jwks.json", 200, {ARG_END},          "SELECT authoob_jwks()", REPLY_PUBLIC_BODY, READ_ONLY},
/*
 * Second factors: a code is a guess, verified through authoob_attempt,
 * whose one argument the statement makes of the token, the factor's id
 * and the body (MFA_REQUEST).
 */
#define MFA_REQUEST(with_factor) \
	"pg_catalog.jsonb_build_object('token', $1::text, " with_factor "'body', $3::text)::text"
	{"GET",  "/mfa/factors",    200, {ARG_TOKEN},               "SELECT authoob_mfa_factors($1::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/mfa/factors",    200, {ARG_TOKEN, ARG_BODY},     "SELECT authoob_mfa_enroll($1::text, $2::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/mfa/factors/*/verify", 200, {ARG_TOKEN, ARG_PATH, ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('mfa_verify', " MFA_REQUEST("'factor_id', $2::text, ") ", $4::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
	{"DELETE", "/mfa/factors/*", 204, {ARG_TOKEN, ARG_PATH},     "SELECT authoob_mfa_unenroll($1::text, $2::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/mfa/recover",    200, {ARG_TOKEN, ARG_CLIENT_IP, ARG_BODY}, "CALL authoob_attempt('mfa_recover', " MFA_REQUEST("") ", $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
/*
 * Sign-in with an identity provider (docs/identity-providers.md): the
 * redirect to the provider and its way back. What the provider answers is
 * fetched by the database itself, never handed over by the front. Both
 * dialects' routes run the same functions.
 */
	{"GET",  "/authorize",      302, {ARG_QUERY_JSON, ARG_CLIENT_IP}, "SELECT authoob_oauth_authorize('authoob', $1::text, $2::inet)", REPLY_BODY, NO_QUERY},
	{"GET",  "/callback",       302, {ARG_QUERY_JSON, ARG_FLOW_COOKIE, ARG_CLIENT_IP}, "SELECT authoob_oauth_callback($1::text, $2::text, $3::inet)", REPLY_BODY, NO_QUERY},
/*
 * A signed-in user's identities at providers (manual_linking): link one
 * (its answer {"url"}, or a redirect there: REPLY_URL), unlink one
 */
	{"GET",  "/identities/authorize", 200, {ARG_TOKEN, ARG_QUERY_JSON, ARG_CLIENT_IP}, "SELECT authoob_link_identity('authoob', $1::text, $2::text, $3::inet)", REPLY_URL, NO_QUERY},
	{"DELETE", "/identities/*", 204, {ARG_TOKEN, ARG_PATH, ARG_CLIENT_IP}, "SELECT authoob_unlink_identity($1::text, $2::text, $3::inet)", REPLY_BODY, NO_QUERY},
/* passwordless sign-in: a magic link and a code by mail, either signs in once */
	{"POST", "/otp",            204, {ARG_BODY, ARG_CLIENT_IP}, "SELECT authoob_otp_ask($1::text, $2::inet)", REPLY_BODY, NO_QUERY},
	{"POST", "/otp/verify",     200, {ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('otp_verify', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},
/* an address change: asked signed in, confirmed by the new address's mail */
	{"PUT",  "/email",          204, {ARG_TOKEN, ARG_BODY},     "SELECT authoob_email_change($1::text, $2::text)", REPLY_BODY, NO_QUERY},
	{"POST", "/email/confirm",  200, {ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('email_change_confirm', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, NO_QUERY},

/*
 * Supabase Auth's protocol, under gotrue_prefix, for @supabase/auth-js: the
 * same functions underneath, answers in that client's shapes, errors as
 * {"code", "error_code", "msg"} (gotrue.c).
 */
#define GOTRUE NULL, false, false, FAMILY_GOTRUE
#define GOTRUE_READ_ONLY NULL, false, true, FAMILY_GOTRUE
/*
 * a route of what is not built yet: GoTrue's answer when the feature is
 * off (a 4xx in the client's shape, not a 404); AUTHENTICATED: a route
 * GoTrue serves a signed-in user only refuses a bad token first
 */
#define NOT_BUILT(what) 422, {ARG_END}, "SELECT authoob_gotrue_not_built('" what "')", REPLY_BODY, GOTRUE
#define AUTHENTICATED_NOT_BUILT(what) 422, {ARG_TOKEN}, "SELECT authoob_gotrue_not_built('" what "', $1::text)", REPLY_BODY, GOTRUE
/* a route that mails a link: where it leads is the query's redirect_to, if any */
#define GOTRUE_MAILED_LINK "redirect_to", false, false, FAMILY_GOTRUE
	{"POST", "/signup",         200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_signup($1::text, $2::inet, $3::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"POST", "/token",          200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY, ARG_USER_AGENT}, "CALL authoob_attempt('gotrue_token', $1::text, $2::inet, $3::text, $4::text, NULL)", REPLY_BODY, "grant_type", false, false, FAMILY_GOTRUE},
	{"GET",  "/user",           200, {ARG_TOKEN},               "SELECT authoob_gotrue_user($1::text)", REPLY_BODY, GOTRUE_READ_ONLY},
	{"PUT",  "/user",           200, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('gotrue_update_user', " TOKEN_REQUEST ", $3::inet, NULL, NULL, NULL)", REPLY_BODY, GOTRUE},
	{"POST", "/logout",         204, {ARG_TOKEN, ARG_QUERY},    "SELECT authoob_logout_scope($1::text, coalesce($2::text, 'global'))", REPLY_BODY, "scope", false, false, FAMILY_GOTRUE},
	{"POST", "/recover",        200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_recover($1::text, $2::inet, $3::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"POST", "/verify",         200, {ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('gotrue_verify', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, GOTRUE},
	{"GET",  "/verify",         303, {ARG_QUERY_JSON, ARG_CLIENT_IP}, "CALL authoob_attempt('gotrue_verify_link', $1::text, $2::inet, NULL, NULL, NULL)", REPLY_BODY, GOTRUE},
	{"POST", "/resend",         200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_resend($1::text, $2::inet, $3::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"GET",  "/settings",       200, {ARG_END},                 "SELECT authoob_gotrue_settings()", REPLY_BODY, GOTRUE},
	{"GET",  "/health",         200, {ARG_END},                 "SELECT '{\"name\": \"authoob\", \"version\": \"0.3\", \"description\": \"authoob speaks Supabase Auth''s protocol\"}'::pg_catalog.jsonb", REPLY_BODY, GOTRUE},
	{"GET",  "/.well-known/jwks.json", 200, {ARG_END},          "SELECT authoob_jwks()", REPLY_PUBLIC_BODY, GOTRUE_READ_ONLY},
/* the admin API: for the service_role token the owner signs, no other */
	{"POST", "/admin/users",    200, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP}, "SELECT authoob_gotrue_admin_create_user($1::text, $2::text, $3::inet)", REPLY_BODY, GOTRUE},
	{"GET",  "/admin/users",    200, {ARG_TOKEN, ARG_QUERY_JSON}, "SELECT authoob_gotrue_admin_users($1::text, $2::text)", REPLY_PAGE, GOTRUE},
	{"GET",  "/admin/users/*",  200, {ARG_TOKEN, ARG_PATH},     "SELECT authoob_gotrue_admin_user($1::text, $2::text)", REPLY_BODY, GOTRUE},
	{"PUT",  "/admin/users/*",  200, {ARG_TOKEN, ARG_PATH, ARG_BODY, ARG_CLIENT_IP}, "SELECT authoob_gotrue_admin_update_user($1::text, $2::text, $3::text, $4::inet)", REPLY_BODY, GOTRUE},
	{"DELETE", "/admin/users/*", 200, {ARG_TOKEN, ARG_PATH, ARG_CLIENT_IP}, "SELECT authoob_gotrue_admin_delete_user($1::text, $2::text, $3::inet)", REPLY_BODY, GOTRUE},
	{"POST", "/otp",            200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_otp($1::text, $2::inet, $3::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"POST", "/magiclink",      200, {ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_otp($1::text, $2::inet, $3::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"GET",  "/reauthenticate", 200, {ARG_TOKEN},               "SELECT authoob_gotrue_reauthenticate($1::text)", REPLY_BODY, GOTRUE},
	{"GET",  "/authorize",      302, {ARG_QUERY_JSON, ARG_CLIENT_IP}, "SELECT authoob_oauth_authorize('gotrue', $1::text, $2::inet)", REPLY_BODY, GOTRUE},
	{"POST", "/factors",        200, {ARG_TOKEN, ARG_BODY},     "SELECT authoob_gotrue_enroll_factor($1::text, $2::text)", REPLY_BODY, GOTRUE},
	{"POST", "/factors/*/challenge", 200, {ARG_TOKEN, ARG_PATH, ARG_CLIENT_IP}, "SELECT authoob_gotrue_challenge_factor($1::text, $2::text, $3::inet)", REPLY_BODY, GOTRUE},
	{"POST", "/factors/*/verify", 200, {ARG_TOKEN, ARG_PATH, ARG_BODY, ARG_CLIENT_IP}, "CALL authoob_attempt('gotrue_mfa_verify', " MFA_REQUEST("'factor_id', $2::text, ") ", $4::inet, NULL, NULL, NULL)", REPLY_BODY, GOTRUE},
	{"DELETE", "/factors/*",    200, {ARG_TOKEN, ARG_PATH},     "SELECT authoob_mfa_unenroll($1::text, $2::text)", REPLY_BODY, GOTRUE},
	{"GET",  "/user/identities/authorize", 200, {ARG_TOKEN, ARG_QUERY_JSON, ARG_CLIENT_IP}, "SELECT authoob_link_identity('gotrue', $1::text, $2::text, $3::inet)", REPLY_URL, GOTRUE},
	{"DELETE", "/user/identities/*", 200, {ARG_TOKEN, ARG_PATH, ARG_CLIENT_IP}, "SELECT authoob_unlink_identity($1::text, $2::text, $3::inet)", REPLY_BODY, GOTRUE},
	{"POST", "/sso",            NOT_BUILT("sso")},
	{"GET",  "/sso/saml/metadata", NOT_BUILT("sso")},
	{"POST", "/sso/saml/acs",   NOT_BUILT("sso")},
	{"GET",  "/admin/users/*/factors", 200, {ARG_TOKEN, ARG_PATH}, "SELECT authoob_gotrue_admin_factors($1::text, $2::text)", REPLY_BODY, GOTRUE},
	{"DELETE", "/admin/users/*/factors/*", 200, {ARG_TOKEN, ARG_PATH, ARG_PATH, ARG_CLIENT_IP}, "SELECT authoob_gotrue_admin_delete_factor($1::text, $2::text, $3::text, $4::inet)", REPLY_BODY, GOTRUE},
	{"GET",  "/admin/audit",    AUTHENTICATED_NOT_BUILT("admin")},
	{"POST", "/invite",         200, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_invite($1::text, $2::text, $3::inet, $4::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"POST", "/admin/generate_link", 200, {ARG_TOKEN, ARG_BODY, ARG_CLIENT_IP, ARG_QUERY}, "SELECT authoob_gotrue_admin_generate_link($1::text, $2::text, $3::inet, $4::text)", REPLY_BODY, GOTRUE_MAILED_LINK},
	{"GET",  "/callback",       302, {ARG_QUERY_JSON, ARG_FLOW_COOKIE, ARG_CLIENT_IP}, "SELECT authoob_oauth_callback($1::text, $2::text, $3::inet)", REPLY_BODY, GOTRUE},
};

#define ROUTE_COUNT ((int) (sizeof(route_table) / sizeof(route_table[0])))

static const char *route_sql[ROUTE_COUNT];

const Route *
routes_table(int *count)
{
	*count = ROUTE_COUNT;
	return route_table;
}

const char *const *
routes_statements(int *count)
{
	for (int i = 0; i < ROUTE_COUNT; i++)
		route_sql[i] = route_table[i].sql;
	*count = ROUTE_COUNT;
	return route_sql;
}

/*
 * Matches path (without the prefix) against pattern, segment by segment; a
 * '*' segment matches any non-empty segment and is recorded in match.
 */
static bool
pattern_matches(const char *pattern, const char *path, RouteMatch *match)
{
	match->nsegments = 0;
	while (*pattern == '/' && *path == '/')
	{
		size_t		plen,
					len;

		pattern++, path++;
		plen = strcspn(pattern, "/");
		len = strcspn(path, "/");
		if (plen == 1 && *pattern == '*')
		{
			if (len == 0 || match->nsegments == ROUTE_MAX_ARGS)
				return false;
			match->segments[match->nsegments] = path;
			match->segment_lens[match->nsegments++] = len;
		}
		else if (plen != len || strncmp(pattern, path, len) != 0)
			return false;
		pattern += plen, path += len;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Appends ", method" (or "method" first) to allow, if it fits. */
static void
allow_append(char *allow, size_t size, const char *method)
{
	size_t		used = strlen(allow);

	if (strstr(allow, method) == NULL)
		snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method);
}

RouteResult
routes_match(const RoutePrefix *prefixes, const char *method,
			 const char *url, RouteHasQuery has_query, void *has_query_cls,
			 RouteMatch *match, char *allow, size_t allow_size)
{
	RouteMatch	candidate;
	bool		path_known = false;

	/* HEAD is a GET without its body (RFC 9110 9.3.2) */
	const char *wanted = strcmp(method, "HEAD") == 0 ? "GET" : method;

	const char *rest[ROUTE_FAMILIES];
	size_t		family_len = 0;

	allow[0] = '\0';
	match->route = NULL;
	match->family = FAMILY_AUTHOOB;
	/* a family's prefix is followed by its routes' '/' (or a root prefix) */
	for (int f = 0; f < ROUTE_FAMILIES; f++)
	{
		rest[f] = NULL;
		if (prefixes[f].text != NULL &&
			strncmp(url, prefixes[f].text, prefixes[f].len) == 0 &&
			url[prefixes[f].len] == '/')
		{
			rest[f] = url + prefixes[f].len;
			/* the longest prefix that matches names the family of an unknown path */
			if (prefixes[f].len > family_len)
			{
				match->family = (RouteFamily) f;
				family_len = prefixes[f].len;
			}
		}
	}
	for (int i = 0; i < ROUTE_COUNT; i++)
	{
		if (rest[route_table[i].family] == NULL ||
			!pattern_matches(route_table[i].pattern, rest[route_table[i].family],
							 &candidate))
			continue;
		candidate.family = route_table[i].family;
		if (match->route == NULL)
			match->family = route_table[i].family;
		path_known = true;
		allow_append(allow, allow_size, route_table[i].method);
		if (strcmp(route_table[i].method, "GET") == 0)
			allow_append(allow, allow_size, "HEAD");
		if (route_table[i].query_required &&
			(has_query == NULL || !has_query(has_query_cls, route_table[i].query)))
			continue;
		if (match->route == NULL && strcmp(route_table[i].method, wanted) == 0)
		{
			*match = candidate;
			match->route = &route_table[i];
			match->index = i;
		}
	}
	if (match->route != NULL)
		return ROUTE_FOUND;
	return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

size_t
routes_append_printable(char *out, size_t used, size_t size, const char *src,
						size_t len)
{
	for (size_t i = 0; i < len && used + 1 < size; i++)
	{
		unsigned char c = (unsigned char) src[i];

		out[used++] = (c > 0x20 && c < 0x7f) ? (char) c : '?';
	}
	out[used] = '\0';
	return used;
}

/*
 * Fills the pattern's '*' with the request's segments; a segment that feeds
 * anything but a public ARG_PATH is written as '*'.
 */
static void
log_path_of_match(const RouteMatch *match, char *out, size_t used, size_t size)
{
	const Route *route = match->route;
	RouteArg	kinds[ROUTE_MAX_ARGS];
	int			nkinds = 0,
				segment = 0;

	for (int i = 0; i < ROUTE_MAX_ARGS && route->args[i] != ARG_END; i++)
		if (route->args[i] == ARG_PATH || route->args[i] == ARG_SECRET_PATH)
			kinds[nkinds++] = route->args[i];
	for (const char *p = route->pattern; *p != '\0'; p++)
	{
		if (*p == '*' && segment < match->nsegments)
		{
			if (segment < nkinds && kinds[segment] == ARG_PATH)
				used = routes_append_printable(out, used, size,
											   match->segments[segment],
											   match->segment_lens[segment]);
			else
				used = routes_append_printable(out, used, size, "*", 1);
			segment++;
		}
		else
			used = routes_append_printable(out, used, size, p, 1);
	}
}

void
routes_log_path(const RoutePrefix *prefixes, const char *url, const RouteMatch *match,
				char *out, size_t size)
{
	const char *prefix = prefixes[match->family].text ? prefixes[match->family].text : "";
	size_t		prefix_len = strlen(prefix);
	size_t		used,
				keep,
				len;

	if (match->route != NULL)
	{
		used = routes_append_printable(out, 0, size, prefix, prefix_len);
		log_path_of_match(match, out, used, size);
		return;
	}
	/* Unknown path: the prefix and one more segment at most. */
	keep = (strncmp(url, prefix, prefix_len) == 0 && url[prefix_len] == '/')
		? prefix_len : 0;
	len = strlen(url);
	if (keep < len)
		keep += 1 + strcspn(url + keep + 1, "/");
	used = routes_append_printable(out, 0, size, url, keep);
	routes_append_printable(out, used, size, "/...", keep < len ? 4 : 0);
}
