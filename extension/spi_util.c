/*
 * spi_util.c
 *		Statements run through SPI with plans prepared once per backend,
 *		and the one function authoob calls for its caller.
 *
 * Every request runs a handful of fixed statements; planning them on each
 * call would cost more than executing them, so each AuthoobQuery keeps its
 * plan (SPI_keepplan) and the plan cache revalidates it after DDL.
 */
#include "authoob.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

/*
 * A statement runs only under AUTHOOB_SEARCH_PATH: the SET clause of the
 * SECURITY DEFINER function that runs it, or an owner context (owner.c).
 * A plan is made again under whatever search_path is current when it
 * runs, so a statement run under the caller's would let the caller choose
 * its operators and functions; this refuses instead, and no entry point
 * can forget.
 */
static void
require_fixed_search_path(const char *sql)
{
	if (namespace_search_path == NULL ||
		strcmp(namespace_search_path, AUTHOOB_SEARCH_PATH) != 0)
		elog(ERROR, "authoob: \"%s\" may run only with search_path %s, not %s",
			 sql, AUTHOOB_SEARCH_PATH,
			 namespace_search_path ? namespace_search_path : "(none)");
}

/* The query's plan, made on first use and kept; under the fixed search_path */
static void
prepare(AuthoobQuery *query)
{
	require_fixed_search_path(query->sql);
	if (query->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(query->sql, query->nargs, (Oid *) query->argtypes);

		if (plan == NULL)
			elog(ERROR, "authoob: could not prepare \"%s\": %s",
				 query->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "authoob: could not keep plan of \"%s\"", query->sql);
		query->plan = plan;
	}
}

/*
 * Run a statement inside the caller's SPI connection; returns the number of
 * rows processed (results stay in SPI_tuptable).  An unexpected SPI failure
 * is an internal error, not a user's mistake.
 */
uint64
authoob_run(AuthoobQuery *query, Datum *values, const char *nulls,
			bool read_only)
{
	int			rc;

	prepare(query);
	rc = SPI_execute_plan(query->plan, values, nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "authoob: \"%s\" failed: %s",
			 query->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Call a function as the caller, as a statement "SELECT f($1, ...)" would
 * call it but without the statement (nothing parsed, planned or executed
 * for it): the action authoob_attempt() runs for its caller.  As the
 * executor does: the caller's right to execute it checked; the argument
 * types known to it (fn_expr: a function with a text and a jsonb form,
 * such as authoob_login, tells them apart so); on a snapshot of its own
 * taken as SPI takes one for a statement that may write (the caller, a
 * procedure, may have none); counted in pg_stat_user_functions.  A
 * SECURITY DEFINER function takes its owner's rights and its own
 * search_path by itself (fmgr_security_definer), as in a statement: only
 * the caller's rights are at stake here, and no name is looked up.
 */
Datum
authoob_call_as_caller(Oid function, int nargs, const Oid *argtypes, const Datum *args,
					   const bool *nulls, bool *isnull)
{
	FmgrInfo	flinfo;
	FunctionCallInfo fcinfo = palloc0(SizeForFunctionCallInfo(nargs));
	List	   *params = NIL;
	Oid			collation = InvalidOid;
	AclResult	rights = pg_proc_aclcheck(function, GetUserId(), ACL_EXECUTE);
	PgStat_FunctionCallUsage usage;
	Datum		result;

	if (rights != ACLCHECK_OK)
		aclcheck_error(rights, OBJECT_FUNCTION, get_func_name(function));
	InvokeFunctionExecuteHook(function);
	fmgr_info(function, &flinfo);
	for (int i = 0; i < nargs; i++)
	{
		Param	   *param = makeNode(Param);

		param->paramkind = PARAM_EXTERN;
		param->paramid = i + 1;
		param->paramtype = argtypes[i];
		param->paramtypmod = -1;
		param->paramcollid = get_typcollation(argtypes[i]);
		param->location = -1;
		/* the input collation a statement would give: its arguments' */
		if (OidIsValid(param->paramcollid))
			collation = param->paramcollid;
		params = lappend(params, param);
	}
	fmgr_info_set_expr((Node *) makeFuncExpr(function, get_func_rettype(function), params,
											 InvalidOid, collation, COERCE_EXPLICIT_CALL),
					   &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, collation, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls[i];
		if (nulls[i] && flinfo.fn_strict)
		{
			*isnull = true;
			return (Datum) 0;
		}
	}

	/* an error pops the snapshot with the (sub)transaction it aborts */
	PushActiveSnapshot(GetTransactionSnapshot());
	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();
	pgstat_init_function_usage(fcinfo, &usage);
	result = FunctionCallInvoke(fcinfo);
	pgstat_end_function_usage(&usage, true);
	PopActiveSnapshot();
	/* what it did is seen by what follows, as after a statement */
	CommandCounterIncrement();
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * Run a statement made for this call (whose text depends on it: the
 * columns an UPDATE sets, the schema a function is in) without keeping its
 * plan; as authoob_run otherwise.
 */
uint64
authoob_run_sql(const char *sql, int nargs, Oid *argtypes, Datum *values,
				const char *nulls, bool read_only)
{
	int			rc;

	require_fixed_search_path(sql);
	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "authoob: \"%s\" failed: %s", sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Run a read-only statement without arguments on the latest committed data
 * (and the current transaction's own changes), whatever the isolation level:
 * what a cache is filled with must not be older than the invalidations the
 * backend has already received.
 */
uint64
authoob_run_latest(AuthoobQuery *query)
{
	int			rc;

	prepare(query);
	rc = SPI_execute_snapshot(query->plan, NULL, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc < 0)
		elog(ERROR, "authoob: \"%s\" failed: %s",
			 query->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/* Column (1-based) of the first result row */
Datum
authoob_result_datum(int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
						 column, isnull);
}

/* Column (1-based) of the first result row as text, NULL when SQL NULL */
char *
authoob_result_text(int column)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column);
}

void
authoob_connect_spi(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "authoob: SPI_connect failed");
}

/* Finish SPI, handing a result made inside it to the caller */
Datum
authoob_finish_spi(Datum result, bool isnull)
{
	if (!isnull)
		result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	return result;
}

/*
 * Run fn(arg) in a subtransaction: NULL when it succeeded, else the error
 * it raised (and whatever it did undone).  For the few errors the server
 * can only report by raising, that a request must turn into a 400.
 */
ErrorData *
authoob_try(void (*fn) (void *), void *arg)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	ErrorData  *volatile error = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_context);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller_context);
	CurrentResourceOwner = caller_owner;
	return error;
}

/* The schema of a function: authoob's, for the function of a request */
char *
authoob_function_schema(Oid function)
{
	return get_namespace_name(get_func_namespace(function));
}

/*
 * The function name(argtypes) of a schema, InvalidOid if there is none:
 * found by its exact signature, so that no search_path takes part
 */
Oid
authoob_function_oid(Oid namespace, const char *name, int nargs, const Oid *argtypes)
{
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
						   PointerGetDatum(buildoidvector(argtypes, nargs)),
						   ObjectIdGetDatum(namespace));
}

/* The owner of a function, InvalidOid when it no longer exists */
Oid
authoob_function_owner(Oid function)
{
	HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	Oid			owner;

	if (!HeapTupleIsValid(proc))
		return InvalidOid;
	owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);
	return owner;
}
