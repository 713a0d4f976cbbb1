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
 * (the README's "Hooks: who runs what"): a hook runs as the owner of its
 * function, inside a security-restricted operation, with a fixed
 * search_path that puts pg_catalog first and pg_temp last, and never in a
 * session whose temporary tables could stand in for the tables it names.
 */
#include "authoob.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"

/* What a context may hold, in the order its keys are written */
#define CTX_USER		(1 << 0)
#define CTX_PAYLOAD		(1 << 1)
#define CTX_RESPONSE	(1 << 2)
#define CTX_TOKEN		(1 << 3)
#define CTX_USER_ID		(1 << 4)
#define CTX_APP_URL		(1 << 5)
#define CTX_LINK		(1 << 6)

/* Each hook's name and context keys, exactly those of SPEC.md §6 */
static const struct
{
	const char *name;
	int			context;
}			hook_defs[AUTHOOB_N_HOOKS] = {
	[HOOK_PRE_REGISTER] = {"pre_register", CTX_PAYLOAD},
	[HOOK_POST_REGISTER] = {"post_register", CTX_USER | CTX_PAYLOAD},
	[HOOK_PRE_LOGIN] = {"pre_login", CTX_PAYLOAD},
	[HOOK_BEFORE_LOGIN] = {"before_login", CTX_PAYLOAD | CTX_USER},
	[HOOK_POST_LOGIN] = {"post_login", CTX_USER | CTX_PAYLOAD},
	[HOOK_PRE_PROFILE] = {"pre_profile", CTX_USER},
	[HOOK_POST_PROFILE] = {"post_profile", CTX_USER | CTX_RESPONSE},
	[HOOK_PRE_USER_PROFILE] = {"pre_user_profile", CTX_USER_ID},
	[HOOK_POST_USER_PROFILE] = {"post_user_profile", CTX_USER | CTX_RESPONSE},
	[HOOK_PRE_TOKEN] = {"pre_token", CTX_USER},
	[HOOK_POST_TOKEN] = {"post_token", CTX_USER | CTX_RESPONSE},
	[HOOK_PRE_ACTIVATE] = {"pre_activate", CTX_TOKEN},
	[HOOK_POST_ACTIVATE] = {"post_activate", CTX_USER},
	[HOOK_ALREADY_ACTIVATED] = {"already_activated", CTX_USER},
	[HOOK_MAIL_ACTIVATE_REDIRECT] = {"mail_activate_redirect", CTX_USER | CTX_APP_URL},
	[HOOK_PRE_RESET_AUTH] = {"pre_reset_auth", CTX_PAYLOAD | CTX_USER},
	[HOOK_POST_RESET_AUTH] = {"post_reset_auth", CTX_PAYLOAD | CTX_USER},
	[HOOK_PRE_ASK_RESET] = {"pre_ask_reset", CTX_PAYLOAD},
	[HOOK_POST_ASK_RESET] = {"post_ask_reset", CTX_PAYLOAD | CTX_USER},
	[HOOK_PRE_RESET_TOKEN] = {"pre_reset_token", CTX_TOKEN},
	[HOOK_POST_RESET_TOKEN] = {"post_reset_token", CTX_USER | CTX_TOKEN},
	[HOOK_PRE_UPDATE_PROFILE] = {"pre_update_profile", CTX_USER | CTX_PAYLOAD},
	[HOOK_POST_UPDATE_PROFILE] = {"post_update_profile", CTX_USER | CTX_PAYLOAD | CTX_RESPONSE},
	[HOOK_PRE_LOGOUT] = {"pre_logout", CTX_USER},
	[HOOK_POST_LOGOUT] = {"post_logout", 0},
	[HOOK_MAIL_REGISTER] = {"mail_register", CTX_USER | CTX_LINK},
	[HOOK_MAIL_ASK_RESET_PASSWORD] = {"mail_ask_reset_password", CTX_USER | CTX_LINK},
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
 * (where authoob_grant_role and its kin are), public, and pg_temp last.
 * A hook that needs another one says so with its own SET search_path.
 * Cached with the registry.
 */
static char *hook_search_path;

static AuthoobQuery search_path_query = AUTHOOB_QUERY0(
	"SELECT CASE WHEN e.extnamespace = 'public'::pg_catalog.regnamespace"
	" THEN 'pg_catalog, public, pg_temp'"
	" ELSE pg_catalog.format('pg_catalog, %I, public, pg_temp', n.nspname) END"
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

/* Whether the calling session holds temporary relations */
static AuthoobQuery temporary_relations = AUTHOOB_QUERY0(
	"SELECT 1 FROM pg_catalog.pg_class"
	" WHERE relnamespace = pg_catalog.pg_my_temp_schema() LIMIT 1");

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
				 errmsg("authoob: hooks do not run in a session that has temporary tables"),
				 errdetail("A temporary table could stand in for a table a hook names."),
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
 * Call one hook function as its owner, in a security-restricted operation
 * (no temporary tables, no SET ROLE): the rights of whoever owns the code,
 * never those of the request function's definer.  On error the
 * (sub)transaction's abort gives the user id back.
 */
static Jsonb *
call_hook_function(Oid function, Jsonb *context, AuthoobHook hook, int timeout_ms)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;
	Oid			saved_user;
	int			saved_security_context;
	Oid			owner = hook_function_owner(function, hook);

	GetUserIdAndSecContext(&saved_user, &saved_security_context);
	SetUserIdAndSecContext(owner, saved_security_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	fmgr_info(function, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(context);
	fcinfo->args[0].isnull = false;
	result = invoke_with_timeout(fcinfo, hook, timeout_ms);
	SetUserIdAndSecContext(saved_user, saved_security_context);
	if (fcinfo->isnull)
		return NULL;
	return DatumGetJsonbP(result);
}

/*
 * Call every function of hook with context, in order.  Returns what the
 * last one that answered a JSON object answered, or NULL.  The caller is
 * connected to SPI, and has taken what it needs from SPI_tuptable.
 */
Jsonb *
authoob_call_hook(AuthoobHook hook, Jsonb *context)
{
	Jsonb	   *answer = NULL;
	int			timeout_ms = authoob_load_settings()->hook_timeout;
	int			guc_level;

	load_registry();
	refuse_temporary_relations();
	guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", hook_search_path,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	for (int i = 0; i < registry[hook].count; i++)
	{
		Jsonb	   *result = call_hook_function(registry[hook].functions[i], context,
												hook, timeout_ms);

		if (result && JB_ROOT_IS_OBJECT(result) && !JB_ROOT_IS_SCALAR(result))
			answer = result;
	}
	AtEOXact_GUC(true, guc_level);
	return answer;
}

/* The context of hook, with the keys SPEC.md §6 gives it and no other */
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
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

/*
 * Fire hook: when functions are registered for it, build its context from
 * args and call them.  Returns the answer as authoob_call_hook does; NULL
 * when nothing is registered, at the cost of one array lookup.
 */
Jsonb *
authoob_fire_hook(AuthoobHook hook, const AuthoobHookArgs *args)
{
	if (!authoob_hook_registered(hook))
		return NULL;
	return authoob_call_hook(hook, hook_context(hook, args));
}

/* A post hook's object answer, if any, replaces the response */
Datum
authoob_hook_response(Jsonb *answer, Datum response)
{
	return answer ? JsonbPGetDatum(answer) : response;
}
