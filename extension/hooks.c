/*
 * hooks.c
 *		Hooks: SQL functions (context jsonb) returns jsonb, registered by name
 *		in authoob.hooks and called inside the action's transaction.
 *
 * The registry is cached per backend (cache.c), so an action whose hooks
 * are not registered pays one array lookup per hook point and builds no
 * context at all.  A hook that raises undoes the whole action; what it
 * raised is what the caller sees (PTxxx: that HTTP status).
 *
 * Hooks are the application's code, fired from SECURITY DEFINER request
 * functions that any member of authoob_api may call.  So nothing that
 * caller controls may decide which code a hook runs or with which rights
 * (docs/security.md, "Hooks: who runs what"): a hook runs as the owner of its
 * function in an owner context (owner.c: a security-restricted operation,
 * a fixed search_path that puts pg_catalog first and pg_temp last), and
 * never in a session whose temporary tables could stand in for the tables
 * it names.
 */
#include "authoob.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"

/* Each hook's name and context keys, from the list of authoob.h */
#define AUTHOOB_HOOK_DEF(NAME, name, context_keys) [HOOK_##NAME] = {#name, context_keys},
static const struct
{
	const char *name;
	int			context;
}			hook_defs[AUTHOOB_N_HOOKS] = {
	AUTHOOB_HOOKS(AUTHOOB_HOOK_DEF)
};

/* The functions of each hook, in their order; cached */
typedef struct HookFunctions
{
	int			count;
	Oid		   *functions;
} HookFunctions;

static HookFunctions registry[AUTHOOB_N_HOOKS];

/*
 * The search_path every hook runs with: pg_catalog, the extension's schema
 * (where authoob_grant_role and its kin are), and pg_temp last.  A hook
 * that needs another schema names it, or says so with its own SET
 * search_path.  Cached with the registry.
 */
static char *hook_search_path;

static AuthoobQuery search_path_query = AUTHOOB_QUERY0(
	"SELECT pg_catalog.format('pg_catalog, %I, pg_temp', n.nspname)"
	" FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
	" WHERE e.extname = 'authoob'");

static AuthoobQuery registry_query = AUTHOOB_QUERY0(
	"SELECT hook, function::oid FROM authoob.hooks ORDER BY hook, run_order, function::text");

static int
hook_by_name(const char *name)
{
	for (int i = 0; i < AUTHOOB_N_HOOKS; i++)
		if (strcmp(hook_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* Fill the registry from authoob.hooks if it changed; connected to SPI */
static void
load_registry(void)
{
	MemoryContext cache_context = authoob_cache_begin_load(AUTHOOB_CACHE_HOOKS);
	uint64		nrows;

	if (cache_context == NULL)
		return;

	memset(registry, 0, sizeof(registry));
	if (authoob_run_latest(&search_path_query) != 1)
		elog(ERROR, "authoob: the extension is not installed");
	hook_search_path = MemoryContextStrdup(cache_context, authoob_result_text(1));
	nrows = authoob_run_latest(&registry_query);
	for (uint64 row = 0; row < nrows; row++)
	{
		bool		isnull;
		char	   *name = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1);
		Oid			function = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row],
															  SPI_tuptable->tupdesc, 2,
															  &isnull));
		int			hook = hook_by_name(name);
		HookFunctions *entry;

		if (hook < 0)
			continue;			/* the table's CHECK makes this impossible */
		entry = &registry[hook];
		if (entry->functions == NULL)
			entry->functions = MemoryContextAlloc(cache_context, sizeof(Oid) * nrows);
		entry->functions[entry->count++] = function;
	}
	authoob_cache_end_load(AUTHOOB_CACHE_HOOKS);
}

/* Whether any function is registered for hook; connected to SPI */
bool
authoob_hook_registered(AuthoobHook hook)
{
	load_registry();
	return registry[hook].count > 0;
}

/*
 * A hook may not hang the service: each call runs under a timer of
 * hook_timeout milliseconds that cancels it, as statement_timeout would.
 */
static TimeoutId hook_timeout_id = MAX_TIMEOUTS;
static volatile sig_atomic_t hook_timed_out = false;

static void
hook_timeout_handler(void)
{
	hook_timed_out = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

static Datum
invoke_with_timeout(FunctionCallInfo fcinfo, AuthoobHook hook, int timeout_ms)
{
	MemoryContext caller_context = CurrentMemoryContext;
	volatile Datum result = (Datum) 0;

	if (hook_timeout_id == MAX_TIMEOUTS)
		hook_timeout_id = RegisterTimeout(USER_TIMEOUT, hook_timeout_handler);
	hook_timed_out = false;
	enable_timeout_after(hook_timeout_id, timeout_ms);
	PG_TRY();
	{
		result = FunctionCallInvoke(fcinfo);
	}
	PG_CATCH();
	{
		disable_timeout(hook_timeout_id, false);
		if (!hook_timed_out)
			PG_RE_THROW();
		MemoryContextSwitchTo(caller_context);
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("authoob: hook %s took longer than %d ms", hook_defs[hook].name,
						timeout_ms),
				 errhint("Make the hook faster, or raise the hook_timeout setting.")));
	}
	PG_END_TRY();
	disable_timeout(hook_timeout_id, false);
	/* the timer went off just as the hook returned: nothing to cancel */
	if (hook_timed_out)
		QueryCancelPending = false;
	return result;
}

/*
 * Whether the calling session holds temporary relations or types (type
 * names are looked up in pg_temp too, functions and operators never)
 */
static AuthoobQuery temporary_relations = AUTHOOB_QUERY0(
	"SELECT 1 FROM pg_catalog.pg_class"
	" WHERE relnamespace = pg_catalog.pg_my_temp_schema()"
	" UNION ALL SELECT 1 FROM pg_catalog.pg_type"
	" WHERE typnamespace = pg_catalog.pg_my_temp_schema() LIMIT 1");

/*
 * pg_temp comes last in a hook's search_path, so a temporary table never
 * hides a table of the same name; but it would still stand in for a name
 * the hook's schemas lack, with triggers of the caller's choosing.  A
 * session with temporary tables therefore runs no hook.  Connected to SPI.
 */
static void
refuse_temporary_relations(void)
{
	Oid			temp_namespace;
	Oid			temp_toast_namespace;

	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	if (OidIsValid(temp_namespace) &&
		authoob_run(&temporary_relations, NULL, NULL, true) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("authoob: hooks do not run in a session that has temporary tables or types"),
				 errdetail("A temporary table or type could stand in for one a hook names."),
				 errhint("Call authoob from a session without temporary tables (DISCARD TEMP).")));
}

/* The owner of a hook's function; an operator's error if it was dropped */
static Oid
hook_function_owner(Oid function, AuthoobHook hook)
{
	Oid			owner = authoob_function_owner(function);

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("authoob: function %u of hook %s no longer exists",
						function, hook_defs[hook].name),
				 errhint("SELECT authoob_remove_hook('%s', %u)", hook_defs[hook].name, function)));
	return owner;
}

/*
 * Call one hook function as its owner, in an owner context (owner.c: a
 * security-restricted operation, no temporary tables, no SET ROLE, the
 * hooks' search_path): the rights of whoever owns the code, never those
 * of the request function's definer.  On error the (sub)transaction's
 * abort gives the user id and the search_path back.
 */
static Jsonb *
call_hook_function(Oid function, Jsonb *context, AuthoobHook hook, int timeout_ms)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;
	AuthoobOwnerContext owner;

	authoob_enter_owner_context(hook_function_owner(function, hook), hook_search_path,
								&owner);
	fmgr_info(function, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(context);
	fcinfo->args[0].isnull = false;
	result = invoke_with_timeout(fcinfo, hook, timeout_ms);
	authoob_leave_owner_context(&owner);
	if (fcinfo->isnull)
		return NULL;
	return DatumGetJsonbP(result);
}

/*
 * Call every function of hook with context, in order.  Returns what the
 * last one that answered a JSON object answered, or NULL.  The caller is
 * connected to SPI, and has taken what it needs from SPI_tuptable.
 */
static Jsonb *
call_hook(AuthoobHook hook, Jsonb *context)
{
	Jsonb	   *answer = NULL;
	int			timeout_ms = authoob_load_settings()->hook_timeout;

	load_registry();
	refuse_temporary_relations();
	for (int i = 0; i < registry[hook].count; i++)
	{
		Jsonb	   *result = call_hook_function(registry[hook].functions[i], context,
												hook, timeout_ms);

		if (result && JB_ROOT_IS_OBJECT(result) && !JB_ROOT_IS_SCALAR(result))
			answer = result;
	}
	return answer;
}

/* The context of hook, with the keys docs/sql-api.md gives it and no other */
static Jsonb *
hook_context(AuthoobHook hook, const AuthoobHookArgs *args)
{
	int			keys = hook_defs[hook].context;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (keys & CTX_USER)
	{
		authoob_push_key(&state, "user");
		authoob_push_jsonb(&state, args->user_id > 0 ?
				   DatumGetJsonbP(authoob_private_user_json(args->user_id)) : NULL);
	}
	if (keys & CTX_PAYLOAD)
	{
		authoob_push_key(&state, "payload");
		authoob_push_jsonb(&state, args->payload);
	}
	if (keys & CTX_RESPONSE)
	{
		authoob_push_key(&state, "response");
		authoob_push_jsonb(&state, args->response);
	}
	if (keys & CTX_TOKEN)
	{
		authoob_push_key(&state, "token");
		authoob_push_string(&state, args->token);
	}
	if (keys & CTX_USER_ID)
	{
		JsonbValue	v;

		authoob_push_key(&state, "user_id");
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric,
															Int64GetDatum(args->user_id)));
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	if (keys & CTX_APP_URL)
	{
		authoob_push_key(&state, "app_url");
		authoob_push_string(&state, args->app_url);
	}
	if (keys & CTX_LINK)
	{
		authoob_push_key(&state, "link");
		authoob_push_string(&state, args->link);
	}
	if (keys & CTX_CLAIMS)
	{
		authoob_push_key(&state, "claims");
		authoob_push_jsonb(&state, args->claims);
	}
	if (keys & CTX_FACTOR)
	{
		authoob_push_key(&state, "factor");
		authoob_push_jsonb(&state, args->factor);
	}
	if (keys & CTX_VALID)
	{
		authoob_push_key(&state, "valid");
		pushJsonbValue(&state, WJB_VALUE, &(JsonbValue) {.type = jbvBool, .val.boolean = args->valid});
	}
	if (keys & CTX_PROVIDER)
	{
		authoob_push_key(&state, "provider");
		authoob_push_string(&state, args->provider);
	}
	if (keys & CTX_IDENTITY)
	{
		authoob_push_key(&state, "identity");
		authoob_push_jsonb(&state, args->identity);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

/*
 * Fire hook: when functions are registered for it, build its context from
 * args and call them.  Returns the answer as call_hook does; NULL
 * when nothing is registered, at the cost of one array lookup.
 */
Jsonb *
authoob_fire_hook(AuthoobHook hook, const AuthoobHookArgs *args)
{
	if (!authoob_hook_registered(hook))
		return NULL;
	return call_hook(hook, hook_context(hook, args));
}

/* A post hook's object answer, if any, replaces the response */
Datum
authoob_hook_response(Jsonb *answer, Datum response)
{
	return answer ? JsonbPGetDatum(answer) : response;
}

/*
 * SQL function: authoob_fire_oauth_hook(hook text, user_id bigint, provider text,
 *                                       claims jsonb, identity jsonb) returns void
 *
 * The hooks of a sign-in with an identity provider, for the callback
 * written in SQL (authoob_oauth_callback): pre_oauth_signin {provider,
 * claims}, which may refuse it by raising, and post_oauth_signin {user,
 * identity}.  Only those two.  Owner only.
 */
PG_FUNCTION_INFO_V1(authoob_fire_oauth_hook);

Datum
authoob_fire_oauth_hook(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AuthoobHookArgs args = {0};
	AuthoobHook hook;

	if (strcmp(name, "pre_oauth_signin") == 0)
		hook = HOOK_PRE_OAUTH_SIGNIN;
	else if (strcmp(name, "post_oauth_signin") == 0)
		hook = HOOK_POST_OAUTH_SIGNIN;
	else
		elog(ERROR, "authoob: %s is not a hook of a sign-in with a provider", name);
	args.user_id = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	args.provider = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	args.claims = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	args.identity = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	authoob_connect_spi();
	authoob_fire_hook(hook, &args);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * SQL function: authoob_hook_names() returns setof text
 *
 * The hook names, in their order: the install script fills the table of
 * hook names that authoob.hooks references from it, so the list is written
 * once, in authoob.h.
 */
PG_FUNCTION_INFO_V1(authoob_hook_names);

Datum
authoob_hook_names(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
		funcctx = SRF_FIRSTCALL_INIT();
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr < AUTHOOB_N_HOOKS)
	{
		/* before SRF_RETURN_NEXT, which counts the call first */
		Datum		name = CStringGetTextDatum(hook_defs[funcctx->call_cntr].name);

		SRF_RETURN_NEXT(funcctx, name);
	}
	SRF_RETURN_DONE(funcctx);
}
