/*
 * attempt.c
 *		authoob_attempt(): the actions whose failures count against the
 *		brute-force limits, run so that a failure outlives its transaction.
 *
 * A failure must be remembered although the action that failed raises an
 * error and rolls back.  So the fronts call these actions through this
 * procedure: it runs the action in a subtransaction and, when it failed in
 * a way that counts, records the failure and COMMITs before raising the
 * action's own error.  The functions themselves (SELECT authoob_login...)
 * check the limits too, so no caller gets past a block, but only
 * authoob_attempt makes failures outlive their transaction.
 *
 * It comes in two forms.  0.2's takes the action's one argument as text: a
 * sign-in's body with the query string's grant_type and the User-Agent
 * written into it by authoob_sign_in_request, which the action then parsed
 * again, and a failure a third time for its email.  0.3's takes the
 * request's parts apart (the body, the query's grant_type, the
 * User-Agent): a sign-in's body is parsed here, once, the other two join
 * the parsed value, the action gets that value through its jsonb form and
 * a failure reads the email from it.  Both call the action directly
 * (authoob_call_as_caller), not through a statement.
 */
#include "authoob.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(authoob_attempt);
PG_FUNCTION_INFO_V1(authoob_attempt_0_3);
PG_FUNCTION_INFO_V1(authoob_attempt_outcome);
PG_FUNCTION_INFO_V1(authoob_attempt_outcome_0_3);

/* The actions authoob_attempt() runs, and which of their errors count */
typedef struct AttemptAction
{
	const char *name;
	const char *function;		/* function(arg text|jsonb, client_ip inet) */
	int			nargs;			/* 2, or 3: one more, left NULL */
	int			counted_error;	/* the SQLSTATE of a failure that counts */
	bool		sign_in;		/* arg is a body with an email and a password:
								 * 0.3's form parses it and calls the jsonb
								 * form; a failure counts against its email
								 * too, and so do its hashes */
	bool		by_grant;		/* ... only when its grant_type is "password" */
	int			code_error;		/* 0, or the SQLSTATE of a wrong mailed code:
								 * a failure that counts as a wrong password
								 * does, against the body's email too */
} AttemptAction;

static const AttemptAction attempt_actions[] = {
	{"login", "authoob_login", 2, AUTHOOB_STATUS('4', '0', '1'), true, false, 0},
	{"activate", "authoob_activate", 2, AUTHOOB_STATUS('4', '0', '4'), false, false, 0},
	{"activate_redirect", "authoob_activate_redirect", 2, AUTHOOB_STATUS('4', '0', '4'), false, false, 0},
	{"password_reset_token", "authoob_password_reset_token", 2, AUTHOOB_STATUS('4', '0', '4'), false, false, 0},
	/* a refresh token's failure is no guess at an account's password */
	{"token", "authoob_token_grant", 3, AUTHOOB_STATUS('4', '0', '1'), true, true, 0},
	/* the same, in Supabase Auth's protocol (authoob_gotrue_*) */
	{"gotrue_token", "authoob_gotrue_token", 2, AUTHOOB_STATUS('4', '0', '1'), true, true, 0},
	/* a mailed link's token, or a mail's code with its address */
	{"gotrue_verify", "authoob_gotrue_verify", 2, AUTHOOB_STATUS('4', '0', '4'), false, false,
	AUTHOOB_STATUS('4', '0', '3')},
	{"gotrue_verify_link", "authoob_gotrue_verify_link", 2, AUTHOOB_STATUS('4', '0', '4'), false, false, 0},
	/* a second factor's code: arg is {"token", "factor_id", "body"} (mfa.c) */
	{"mfa_verify", "authoob_mfa_verify", 2, AUTHOOB_STATUS('4', '2', '2'), false, false, 0},
	{"mfa_recover", "authoob_mfa_recover", 2, AUTHOOB_STATUS('4', '2', '2'), false, false, 0},
	{"gotrue_mfa_verify", "authoob_gotrue_verify_factor", 2, AUTHOOB_STATUS('4', '2', '2'), false, false, 0},
	/* password changes, {"token", "body"}: a wrong reauthentication nonce counts */
	{"gotrue_update_user", "authoob_gotrue_update_user_request", 2, AUTHOOB_STATUS('4', '2', '2'), false, false, 0},
	{"reset_password", "authoob_reset_password_request", 2, AUTHOOB_STATUS('4', '2', '2'), false, false, 0},
	/* a magic link's token, or its code with its address (P/otp/verify) */
	{"otp_verify", "authoob_otp_verify", 2, AUTHOOB_STATUS('4', '0', '4'), false, false,
	AUTHOOB_STATUS('4', '0', '3')},
	/* an address change's token, or its code with the new address (P/email/confirm) */
	{"email_change_confirm", "authoob_email_change_confirm", 2, AUTHOOB_STATUS('4', '0', '4'), false, false,
	AUTHOOB_STATUS('4', '0', '3')},
};

/*
 * The actions that may answer an error of theirs, once it is recorded,
 * rather than raise it: function(arg text, sqlstate text, message text,
 * detail text) returns jsonb gives the answer, or NULL to raise the error
 */
typedef struct ErrorAnswer
{
	const char *action;
	const char *function;
} ErrorAnswer;

static const ErrorAnswer error_answers[] = {
	/* a mailed link's failure leads back to the app, as Supabase Auth's does */
	{"gotrue_verify_link", "authoob_gotrue_verify_link_error"},
};

/* One call of authoob_attempt: what it runs, and what came of it */
typedef struct Attempt
{
	const AttemptAction *action;
	Oid			namespace;		/* the extension's schema, the action's */
	bool		structured;		/* 0.3's form */
	Datum		arg;			/* the body, or a mailed token: text */
	bool		arg_isnull;
	Datum		client_ip;
	bool		ip_isnull;
	char	   *query_grant;	/* 0.3's form: what joins a sign-in's body */
	char	   *user_agent;
	bool		parse;			/* arg is parsed here (0.3's form, a sign-in) */
	bool		parsed;			/* ... and it was: it is JSON */
	Jsonb	   *body;			/* ... the object passed to the jsonb form */
	Datum		response;
	bool		response_isnull;
} Attempt;

/*
 * Run the action (in authoob_try's subtransaction).  With parse, the body
 * is parsed, and a JSON object (or no body, when something joins it) goes
 * to the action's jsonb form with the query's grant_type and the
 * User-Agent in it.  Anything else goes to its text form as it came,
 * which refuses what is not a JSON object in its own words (400 "Missing
 * data", or Supabase Auth's bad_json): a body that is not JSON at all
 * fails the parse here, and attempt() calls the text form for those words.
 */
static void
run_attempt(void *arg)
{
	Attempt    *attempt = arg;
	const AttemptAction *action = attempt->action;
	Oid			argtypes[] = {TEXTOID, INETOID, TEXTOID};
	Datum		args[] = {attempt->arg, attempt->client_ip, (Datum) 0};
	bool		nulls[] = {attempt->arg_isnull, attempt->ip_isnull, true};
	Oid			function;

	if (attempt->parse)
	{
		Jsonb	   *body = NULL;

		if (!attempt->arg_isnull)
		{
			Datum		parsed = CStringGetDatum(TextDatumGetCString(attempt->arg));

			authoob_parse_jsonb(&parsed);
			body = DatumGetJsonbP(parsed);
		}
		attempt->parsed = true;
		if (body == NULL || JB_ROOT_IS_OBJECT(body))
			attempt->body = authoob_sign_in_body(body, attempt->query_grant,
												 attempt->user_agent);
		if (attempt->body)
		{
			argtypes[0] = JSONBOID;
			args[0] = JsonbPGetDatum(attempt->body);
			nulls[0] = false;
		}
	}
	function = authoob_function_oid(attempt->namespace, action->function, action->nargs,
									argtypes);
	if (!OidIsValid(function))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("authoob: function %s.%s(%s, ...) does not exist",
						get_namespace_name(attempt->namespace), action->function,
						format_type_be(argtypes[0]))));
	attempt->response = authoob_call_as_caller(function, action->nargs, argtypes, args, nulls,
											   &attempt->response_isnull);
}

/*
 * The lower-cased email of a sign-in's body (or of a wrong code's, when
 * code_failed), or NULL; with by_grant, only that of a body whose
 * grant_type is "password" (the token endpoint's sign-in).  0.3's form
 * read a sign-in's body already; the others are parsed now.
 */
static char *
failure_email(const Attempt *attempt, bool code_failed)
{
	Jsonb	   *body = attempt->body;
	char	   *grant;
	char	   *email;

	if (!attempt->action->sign_in && !code_failed)
		return NULL;
	if (body == NULL && !attempt->arg_isnull)
	{
		Datum		parsed = CStringGetDatum(TextDatumGetCString(attempt->arg));

		/* the body was valid JSON, or the action would have said 400 */
		if (authoob_try(authoob_parse_jsonb, &parsed) != NULL)
			return NULL;
		body = DatumGetJsonbP(parsed);
	}
	if (body == NULL)
		return NULL;
	grant = authoob_jsonb_get_string(body, "grant_type");
	if (attempt->action->by_grant && (grant == NULL || strcmp(grant, "password") != 0))
		return NULL;
	email = authoob_jsonb_get_string(body, "email");
	return email ? authoob_throttle_key(email) : NULL;
}

/*
 * A failed sign-in's record in the audit log (docs/security.md, "Audit
 * log"): the address tried and the client's, the account's uuid when
 * there is one (as actor and target, as its successful sign-ins), never
 * the password
 */
static AuthoobQuery audit_failure = AUTHOOB_QUERY(
	"INSERT INTO authoob.audit_log (actor, action, target, ip_address, outcome, payload)"
	" SELECT coalesce(u.uuid::text, 'anonymous'), 'login', u.uuid, $2, 'failure',"
	"  jsonb_build_object('user_email', $1::text)"
	" FROM (SELECT) AS one LEFT JOIN authoob.users u ON lower(u.email) = $1",
	2, TEXTOID, INETOID);

/*
 * What a failed attempt leaves once its error has rolled it back: when
 * counted, the failure counted against the address and the client (and a
 * sign-in's or a mailed code's written in the audit log); when
 * hashed (a sign-in that spent hash work, whatever its error), the hash
 * counted against their hash budget, as the sign-in would have if it had
 * not rolled back; and the end of the session whose refresh token it
 * found replayed (sessions.c), if any.  As the owner of the procedure (the
 * extension's), in an owner context (owner.c): the callers of
 * authoob_attempt (authoob_api) may not record failures of their own
 * choosing, which could lock any account out, and choose nothing of what
 * runs for them.
 */
static void
record_failures(const Attempt *attempt, Oid procedure, bool counted, bool code_failed,
				bool hashed)
{
	char	   *email = failure_email(attempt, code_failed);
	AuthoobOwnerContext owner;
	AuthoobSettings *settings;

	authoob_enter_owner_context(authoob_function_owner(procedure), AUTHOOB_SEARCH_PATH, &owner);
	settings = authoob_load_settings();
	if (counted && email)
		authoob_record_throttle("login", email, settings);
	if (counted && email && settings->audit)
	{
		Datum		args[2] = {CStringGetTextDatum(email), attempt->client_ip};
		char		nulls[2] = {' ', attempt->ip_isnull ? 'n' : ' '};

		authoob_run(&audit_failure, args, nulls, false);
	}
	if (counted && !attempt->ip_isnull)
		authoob_record_throttle(attempt->action->sign_in || code_failed ? "ip" : "token",
								authoob_client_key(attempt->client_ip, settings), settings);
	if (hashed)
		authoob_count_hash(email, attempt->client_ip, attempt->ip_isnull, settings);
	authoob_record_mfa_failure(counted, settings);
	authoob_record_nonce_failure(counted, settings);
	authoob_end_reused_session(true);
	authoob_leave_owner_context(&owner);
}

/*
 * Whether the action answers its error (error_answers, run as the caller,
 * as the action was), and the answer (*response); false when it raises
 * the error after all, or when the schema has no such function yet (an
 * earlier version's, which raised it).
 */
static bool
answer_error(const Attempt *attempt, const ErrorData *error, Datum *response)
{
	const char *name = NULL;
	Oid			argtypes[] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[] = {attempt->arg, CStringGetTextDatum(unpack_sql_state(error->sqlerrcode)),
		CStringGetTextDatum(error->message ? error->message : ""),
	error->detail ? CStringGetTextDatum(error->detail) : (Datum) 0};
	bool		nulls[] = {attempt->arg_isnull, false, false, error->detail == NULL};
	Oid			function = InvalidOid;
	bool		isnull;

	for (int i = 0; i < (int) lengthof(error_answers); i++)
		if (strcmp(error_answers[i].action, attempt->action->name) == 0)
			name = error_answers[i].function;
	if (name)
		function = authoob_function_oid(attempt->namespace, name, lengthof(argtypes), argtypes);
	if (!OidIsValid(function))
		return false;
	*response = authoob_call_as_caller(function, lengthof(argtypes), argtypes, args, nulls,
									   &isnull);
	return !isnull;
}

/* The action named, or 400 with the list of those there are */
static const AttemptAction *
find_action(const char *name)
{
	StringInfoData known;

	for (int i = 0; name && i < (int) lengthof(attempt_actions); i++)
		if (strcmp(attempt_actions[i].name, name) == 0)
			return &attempt_actions[i];
	initStringInfo(&known);
	for (int i = 0; i < (int) lengthof(attempt_actions); i++)
		appendStringInfo(&known, "%s%s", i ? ", " : "", attempt_actions[i].name);
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("unknown action %s", name ? name : "NULL"),
			 errdetail("Actions: %s.", known.data)));
}

/*
 * Run an action as authoob_attempt() does, for either form (structured:
 * 0.3's, whose arguments 3 and 4 are the query's grant_type and the
 * User-Agent): the answer (a jsonb, or NULL) when it succeeded; else NULL
 * with *error set, a failure that counts recorded (and committed when
 * nonatomic).  The caller is connected to SPI.
 */
static Datum
attempt(FunctionCallInfo fcinfo, bool structured, bool nonatomic, bool *isnull,
		ErrorData **error)
{
	Attempt		attempt = {
		.action = find_action(authoob_text_arg(fcinfo, 0)),
		.namespace = get_func_namespace(fcinfo->flinfo->fn_oid),
		.structured = structured,
		.arg = PG_GETARG_DATUM(1),
		.arg_isnull = PG_ARGISNULL(1),
		.client_ip = PG_GETARG_DATUM(2),
		.ip_isnull = PG_ARGISNULL(2),
	};
	const AttemptAction *action = attempt.action;
	uint64		hashes_before;

	if (structured)
	{
		attempt.query_grant = authoob_text_arg(fcinfo, 3);
		attempt.user_agent = authoob_text_arg(fcinfo, 4);
		attempt.parse = action->sign_in;
	}

	authoob_end_reused_session(false);
	authoob_record_mfa_failure(false, NULL);
	authoob_record_nonce_failure(false, NULL);
	hashes_before = authoob_hashes_computed();
	*error = authoob_try(run_attempt, &attempt);
	if (*error && attempt.parse && !attempt.parsed)
	{
		/* not JSON: the text form says so in its own words (nothing counts) */
		FreeErrorData(*error);
		attempt.parse = false;
		*error = authoob_try(run_attempt, &attempt);
	}
	if (*error)
	{
		bool		code_failed = action->code_error != 0 &&
			(*error)->sqlerrcode == action->code_error;
		bool		counted = (*error)->sqlerrcode == action->counted_error || code_failed;
		bool		hashed = action->sign_in && authoob_hashes_computed() != hashes_before;

		if (counted || hashed)
		{
			record_failures(&attempt, fcinfo->flinfo->fn_oid, counted, code_failed, hashed);
			if (nonatomic)
				SPI_commit();
		}
		if (answer_error(&attempt, *error, &attempt.response))
		{
			FreeErrorData(*error);
			*error = NULL;
			*isnull = false;
			return attempt.response;
		}
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = attempt.response_isnull;
	return attempt.response;
}

/* The procedure, either form: the answer as its INOUT column, or the error */
static Datum
attempt_procedure(FunctionCallInfo fcinfo, bool structured)
{
	bool		nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	ErrorData  *error;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	Datum		response;
	bool		isnull;

	if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
		elog(ERROR, "authoob: SPI_connect failed");
	response = attempt(fcinfo, structured, nonatomic, &isnull, &error);
	if (error)
		ReThrowError(error);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "authoob_attempt: expected a composite result");
	tupdesc = BlessTupleDesc(tupdesc);
	tuple = heap_form_tuple(tupdesc, &response, &isnull);
	return authoob_finish_spi(HeapTupleGetDatum(tuple), false);
}

/*
 * SQL procedure (0.2): authoob_attempt(action text, arg text, client_ip inet,
 *										INOUT response jsonb)
 *
 * CALL it with "login", "activate", "activate_redirect",
 * "password_reset_token", "token" (or Supabase Auth's "gotrue_token",
 * "gotrue_verify", "gotrue_verify_link") and the argument the function
 * takes (the body, or the mailed token): the answer is the function's, and
 * a failure that counts (a wrong password, a token that matches nothing)
 * is recorded and committed before the error is raised; so is the hash of
 * a sign-in that failed, whatever its error (it counts against the hash
 * budget), and the end of a session whose refresh token was replayed.
 * Inside a transaction block it cannot commit: it then behaves as the
 * function does.
 */
Datum
authoob_attempt(PG_FUNCTION_ARGS)
{
	return attempt_procedure(fcinfo, false);
}

/*
 * SQL procedure (0.3): authoob_attempt(action text, body text,
 *										client_ip inet, query_grant text,
 *										user_agent text, INOUT response jsonb)
 *
 * The same, with the parts of the request apart: body (or the mailed
 * token), the query string's grant_type and the User-Agent header, which
 * join a sign-in's body (the body's own grant_type wins, the header's
 * User-Agent wins), and which the other actions do not read.
 */
Datum
authoob_attempt_0_3(PG_FUNCTION_ARGS)
{
	return attempt_procedure(fcinfo, true);
}

/*
 * authoob_attempt() for a caller that cannot CALL a procedure, either
 * form: a PL/Proxy function, which runs it on a partition in a transaction
 * of its own.  The action's error is not raised but returned, {"error":
 * {"sqlstate", "message", "detail", "hint"}}, so that the failure recorded
 * is committed with that transaction; a success is {"response": the
 * answer}.  The caller raises the error again (the proxy's authoob_attempt
 * does).
 */
static Datum
attempt_outcome(FunctionCallInfo fcinfo, bool structured)
{
	static const char *const keys[] = {"sqlstate", "message", "detail", "hint"};
	ErrorData  *error;
	Datum		response;
	bool		isnull;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	authoob_connect_spi();
	response = attempt(fcinfo, structured, false, &isnull, &error);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (error)
	{
		const char *values[] = {unpack_sql_state(error->sqlerrcode), error->message,
		error->detail, error->hint};

		authoob_push_key(&state, "error");
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < (int) lengthof(keys); i++)
		{
			if (values[i] == NULL)
				continue;
			authoob_push_key(&state, keys[i]);
			authoob_push_string(&state, values[i]);
		}
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	else if (!isnull)
	{
		authoob_push_key(&state, "response");
		authoob_push_jsonb(&state, DatumGetJsonbP(response));
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return authoob_finish_spi(JsonbPGetDatum(JsonbValueToJsonb(result)), false);
}

/*
 * SQL function (0.2): authoob_attempt_outcome(action text, arg text,
 *											   client_ip inet) returns jsonb
 */
Datum
authoob_attempt_outcome(PG_FUNCTION_ARGS)
{
	return attempt_outcome(fcinfo, false);
}

/*
 * SQL function (0.3): authoob_attempt_outcome(action text, body text,
 *											   client_ip inet, query_grant text,
 *											   user_agent text) returns jsonb
 */
Datum
authoob_attempt_outcome_0_3(PG_FUNCTION_ARGS)
{
	return attempt_outcome(fcinfo, true);
}
