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
 */
#include "authoob.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(authoob_attempt);
PG_FUNCTION_INFO_V1(authoob_attempt_outcome);

/* The actions authoob_attempt() runs, and which of their errors count */
typedef struct AttemptAction
{
	const char *name;
	const char *function;		/* called as function($1 text, $2 inet) */
	int			counted_error;	/* the SQLSTATE of a failure that counts */
	bool		by_email;		/* a sign-in: also count against payload.email,
								 * and count its hashes */
	bool		by_grant;		/* ... only when payload.grant_type is "password" */
} AttemptAction;

static const AttemptAction attempt_actions[] = {
	{"login", "authoob_login", AUTHOOB_STATUS('4', '0', '1'), true, false},
	{"activate", "authoob_activate", AUTHOOB_STATUS('4', '0', '4'), false, false},
	{"activate_redirect", "authoob_activate_redirect", AUTHOOB_STATUS('4', '0', '4'), false, false},
	{"password_reset_token", "authoob_password_reset_token", AUTHOOB_STATUS('4', '0', '4'), false, false},
	/* a refresh token's failure is no guess at an account's password */
	{"token", "authoob_token_grant", AUTHOOB_STATUS('4', '0', '1'), true, true},
	/* the same, in Supabase Auth's protocol (authoob_gotrue_*) */
	{"gotrue_token", "authoob_gotrue_token", AUTHOOB_STATUS('4', '0', '1'), true, true},
	{"gotrue_verify", "authoob_gotrue_verify", AUTHOOB_STATUS('4', '0', '4'), false, false},
	{"gotrue_verify_link", "authoob_gotrue_verify_link", AUTHOOB_STATUS('4', '0', '4'), false, false},
};

typedef struct Attempt
{
	AuthoobQuery *query;		/* SELECT <schema>.<function>($1, $2) */
	Datum		args[2];
	char		nulls[2];
	Datum		response;
	bool		response_isnull;
} Attempt;

/*
 * The statement of each action, "SELECT <schema>.<function>($1, $2)", its
 * plan kept as every query's (the plan cache follows the function if it
 * is replaced); made again if the schema changed.
 */
static AuthoobQuery action_query[lengthof(attempt_actions)];
static const Oid action_argtypes[2] = {TEXTOID, INETOID};

static void
run_attempt(void *arg)
{
	Attempt    *attempt = arg;

	if (authoob_run_as_caller(attempt->query, attempt->args, attempt->nulls) != 1)
		elog(ERROR, "authoob: attempt failed to run");
	attempt->response = authoob_result_datum(1, &attempt->response_isnull);
	if (!attempt->response_isnull)
		attempt->response = SPI_datumTransfer(attempt->response, false, -1);
}

/*
 * The lower-cased email of a login body, or NULL; with by_grant, only that
 * of a body whose grant_type is "password" (the token endpoint's sign-in).
 */
static char *
login_email(Datum body, bool by_grant)
{
	char	   *email = NULL;
	char	   *grant;
	ErrorData  *error;
	Datum		parsed = CStringGetDatum(TextDatumGetCString(body));

	/* the body was valid JSON, or the action would have said 400 */
	error = authoob_try(authoob_parse_jsonb, &parsed);
	if (error != NULL)
		return NULL;
	grant = authoob_jsonb_get_string(DatumGetJsonbP(parsed), "grant_type");
	if (by_grant && (grant == NULL || strcmp(grant, "password") != 0))
		return NULL;
	email = authoob_jsonb_get_string(DatumGetJsonbP(parsed), "email");
	return email ? authoob_throttle_key(email) : NULL;
}

/*
 * What a failed attempt leaves once its error has rolled it back: when
 * counted, the failure counted against the address and the client; when
 * hashed (a sign-in that spent hash work, whatever its error), the hash
 * counted against their hash budget, as the sign-in would have if it had
 * not rolled back; and the end of the session whose refresh token it
 * found replayed (sessions.c), if any.  As the extension's owner, in an
 * owner context (owner.c): the callers of authoob_attempt (authoob_api)
 * may not record failures of their own choosing, which could lock any
 * account out, and choose nothing of what runs for them.
 */
static void
record_failures(FunctionCallInfo fcinfo, const AttemptAction *action, const char *schema,
				bool counted, bool hashed)
{
	char	   *email = action->by_email && !PG_ARGISNULL(1) ?
		login_email(PG_GETARG_DATUM(1), action->by_grant) : NULL;
	AuthoobOwnerContext owner;
	AuthoobSettings *settings;

	authoob_enter_owner_context(authoob_function_owner(fcinfo->flinfo->fn_oid),
								AUTHOOB_SEARCH_PATH, &owner);
	settings = authoob_load_settings();
	if (counted && email)
		authoob_record_throttle(schema, "login", email);
	if (counted && !PG_ARGISNULL(2))
		authoob_record_throttle(schema, action->by_email ? "ip" : "token",
								authoob_client_key(PG_GETARG_DATUM(2), settings));
	if (hashed)
		authoob_count_hash(schema, email, PG_GETARG_DATUM(2), PG_ARGISNULL(2), settings);
	authoob_end_reused_session(true);
	authoob_leave_owner_context(&owner);
}

/*
 * Run an action as authoob_attempt() does: the answer (a jsonb, or NULL)
 * when it succeeded; else NULL with *error set, a failure that counts
 * recorded (and committed when nonatomic).  The caller is connected to SPI.
 */
static Datum
attempt(FunctionCallInfo fcinfo, bool nonatomic, bool *isnull, ErrorData **error)
{
	char	   *schema = authoob_function_schema(fcinfo->flinfo->fn_oid);
	const AttemptAction *action = NULL;
	char	   *name = authoob_text_arg(fcinfo, 0);
	Attempt		attempt;
	char	   *sql;
	uint64		hashes_before;

	for (int i = 0; name && i < (int) lengthof(attempt_actions); i++)
		if (strcmp(attempt_actions[i].name, name) == 0)
			action = &attempt_actions[i];
	if (action == NULL)
	{
		StringInfoData known;

		initStringInfo(&known);
		for (int i = 0; i < (int) lengthof(attempt_actions); i++)
			appendStringInfo(&known, "%s%s", i ? ", " : "", attempt_actions[i].name);
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
				 errmsg("unknown action %s", name ? name : "NULL"),
				 errdetail("Actions: %s.", known.data)));
	}

	sql = psprintf("SELECT %s.%s($1, $2)", quote_identifier(schema), action->function);
	attempt.query = &action_query[action - attempt_actions];
	if (attempt.query->sql == NULL || strcmp(attempt.query->sql, sql) != 0)
	{
		if (attempt.query->plan != NULL)
			SPI_freeplan(attempt.query->plan);
		if (attempt.query->sql != NULL)
			pfree((char *) attempt.query->sql);
		*attempt.query = (AuthoobQuery) {
			.sql = MemoryContextStrdup(TopMemoryContext, sql),
			.nargs = 2,
			.argtypes = action_argtypes,
		};
	}
	attempt.args[0] = PG_GETARG_DATUM(1);
	attempt.nulls[0] = PG_ARGISNULL(1) ? 'n' : ' ';
	attempt.args[1] = PG_GETARG_DATUM(2);
	attempt.nulls[1] = PG_ARGISNULL(2) ? 'n' : ' ';

	authoob_end_reused_session(false);
	hashes_before = authoob_hashes_computed();
	*error = authoob_try(run_attempt, &attempt);
	if (*error)
	{
		bool		counted = (*error)->sqlerrcode == action->counted_error;
		bool		hashed = action->by_email && authoob_hashes_computed() != hashes_before;

		if (counted || hashed)
		{
			record_failures(fcinfo, action, schema, counted, hashed);
			if (nonatomic)
				SPI_commit();
		}
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = attempt.response_isnull;
	return attempt.response;
}

/*
 * SQL procedure: authoob_attempt(action text, arg text, client_ip inet,
 *									INOUT response jsonb)
 *
 * CALL it with "login", "activate", "activate_redirect",
 * "password_reset_token" or "token" and the argument the function takes
 * (the body, or the mailed token): the answer is the function's, and a
 * failure that counts (a wrong password, a token that matches nothing) is
 * recorded and committed before the error is raised; so is the hash of a
 * sign-in that failed, whatever its error (it counts against the hash
 * budget), and the end of a session whose refresh token was replayed.
 * Inside a transaction block it cannot commit: it then behaves as the
 * function does.
 */
Datum
authoob_attempt(PG_FUNCTION_ARGS)
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
	response = attempt(fcinfo, nonatomic, &isnull, &error);
	if (error)
		ReThrowError(error);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "authoob_attempt: expected a composite result");
	tupdesc = BlessTupleDesc(tupdesc);
	tuple = heap_form_tuple(tupdesc, &response, &isnull);
	PG_RETURN_DATUM(authoob_finish_spi(HeapTupleGetDatum(tuple), false));
}

/*
 * SQL function: authoob_attempt_outcome(action text, arg text,
 *										 client_ip inet) returns jsonb
 *
 * authoob_attempt() for a caller that cannot CALL a procedure: a PL/Proxy
 * function, which runs it on a partition in a transaction of its own.  The
 * action's error is not raised but returned, {"error": {"sqlstate",
 * "message", "detail", "hint"}}, so that the failure recorded is committed
 * with that transaction; a success is {"response": the answer}.  The
 * caller raises the error again (the proxy's authoob_attempt does).
 */
Datum
authoob_attempt_outcome(PG_FUNCTION_ARGS)
{
	static const char *const keys[] = {"sqlstate", "message", "detail", "hint"};
	ErrorData  *error;
	Datum		response;
	bool		isnull;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	authoob_connect_spi();
	response = attempt(fcinfo, false, &isnull, &error);
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
	PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(JsonbValueToJsonb(result)), false));
}
