/*
 * spi_util.c
 *		Statements run through SPI with plans prepared once per backend.
 *
 * Every request runs a handful of fixed statements; planning them on each
 * call would cost more than executing them, so each AuthoobQuery keeps its
 * plan (SPI_keepplan) and the plan cache revalidates it after DDL.
 */
#include "authoob.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
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

/* The query's plan, made on first use and kept */
static void
prepare_plan(AuthoobQuery *query)
{
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

static void
prepare(AuthoobQuery *query)
{
	require_fixed_search_path(query->sql);
	prepare_plan(query);
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
 * Run a statement as the caller, with the caller's search_path: the action
 * authoob_attempt() runs for its caller, a call of a function named with
 * its schema, which takes the owner's rights and its own search_path by
 * itself (SECURITY DEFINER).  Only the caller's rights are at stake here.
 */
uint64
authoob_run_as_caller(AuthoobQuery *query, Datum *values, const char *nulls)
{
	int			rc;

	prepare_plan(query);
	rc = SPI_execute_plan(query->plan, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "authoob: \"%s\" failed: %s",
			 query->sql, SPI_result_code_string(rc));
	return SPI_processed;
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
