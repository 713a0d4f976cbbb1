/*
 * fake_db.c - the database seam of the request fuzzer: pgasync.c's and
 * pool.c's entry points and the libpq result accessors the front uses, over
 * canned answers.
 *
 * The fuzzer links this instead of pgasync.c, pool.c and libpq, so a PGresult here is
 * our own struct; the accessors abort on a use real libpq would answer with
 * garbage (a row or column out of range), to catch it in the front.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

const char	FUZZ_ECHO[] = "(echo)";

#define OK(name, value, expect) \
	{name, false, PGRES_TUPLES_OK, NULL, NULL, NULL, value, 1, 1, expect, 0}
#define ERR(name, sqlstate, message, detail, status) \
	{name, false, PGRES_FATAL_ERROR, sqlstate, message, detail, NULL, 0, 0, EXPECT_STATUS, status}

/* What the database may answer: success, PTxxx, RAISE, faults, garbage. */
static const CannedAnswer answers[] = {
	OK("token", "{\"token\": \"eyJhbGciOiJIUzI1NiJ9.e30.c2ln\"}", EXPECT_SUCCESS),
	OK("null", NULL, EXPECT_SUCCESS),
	{"no rows", false, PGRES_TUPLES_OK, NULL, NULL, NULL, NULL, 0, 1, EXPECT_SUCCESS, 0},
	{"two columns", false, PGRES_TUPLES_OK, NULL, NULL, NULL, "{}", 1, 2, EXPECT_SUCCESS, 0},
	OK("echo value", FUZZ_ECHO, EXPECT_SUCCESS),
	OK("redirect", "{\"url\": \"https://app.test/?validated_user=1\"}", EXPECT_SUCCESS),
	OK("redirect with CRLF", "{\"url\": \"https://app.test/\\r\\nSet-Cookie: a=b\"}", EXPECT_SUCCESS),
	OK("url not a string", "{\"url\": 1}", EXPECT_SUCCESS),
	OK("forward auth", "{\"X-Auth-User-Id\": \"1\", \"X-Auth-User-Roles\": \"\", "
	   "\"x-auth-aal\": \"aal1\", \"X-Auth-Evil\": \"a\\r\\nSet-Cookie: s=1\", "
	   "\"X-Auth-Tab\": \"a\\tb\", \"X-Auth-Bad Name\": \"x\", \"X-Auth-Count\": 2, "
	   "\"Set-Cookie\": \"s=1\", \"X-Auth-\": \"none\"}", EXPECT_SUCCESS),
	OK("forward auth not an object", "[\"X-Auth-User-Id\", \"1\"]", EXPECT_SUCCESS),
	ERR("PT401", "PT401", "Authentication failed", NULL, 401),
	ERR("PT429 with a wait", "PT429", "Too many attempts", "{\"headers\": {\"Retry-After\": \"42\"}}", 429),
	ERR("PT429 without detail", "PT429", "Too many attempts", NULL, 429),
	ERR("PT429 echo detail", "PT429", "Too many attempts", FUZZ_ECHO, 429),
	ERR("PT429 too long a wait", "PT429", "Too many attempts", "{\"headers\": {\"Retry-After\": \"99999999999\"}}", 429),
	ERR("PT429 signed wait", "PT429", "Too many attempts", "{\"headers\": {\"Retry-After\": \"+5\"}}", 429),
	ERR("PT404 echo", "PT404", FUZZ_ECHO, NULL, 404),
	ERR("PT409", "PT409", "Unable to activate", NULL, 409),
	ERR("PT503 echo detail", "PT503", "Maintenance", FUZZ_ECHO, 503),
	ERR("P0001 echo", "P0001", FUZZ_ECHO, NULL, 400),
	ERR("P0001 no message", "P0001", NULL, NULL, 400),
	ERR("division by zero", "22012", "division by zero", NULL, 500),
	ERR("hook timeout", "57014", "authoob: hook pre_login took longer than 300 ms", NULL, 500),
	ERR("connection failure", "08006", "connection failure", NULL, 503),
	ERR("admin shutdown", "57P01", "terminating connection", NULL, 503),
	ERR("too many connections", "53300", "too many clients", NULL, 503),
	{"connection lost", true, PGRES_FATAL_ERROR, NULL, NULL, NULL, NULL, 0, 0, EXPECT_STATUS, 503},
	ERR("PT200", "PT200", "not an error status", NULL, 500),
	ERR("PT600", "PT600", "past the statuses", NULL, 500),
	ERR("PT4", "PT4", "short", NULL, 500),
	ERR("PT4041", "PT4041", "long", NULL, 500),
	ERR("PTabc", "PTabc", "letters", NULL, 500),
	ERR("no sqlstate", NULL, "no sqlstate", NULL, 500),
	{"command ok", false, PGRES_COMMAND_OK, NULL, NULL, NULL, NULL, 0, 0, EXPECT_STATUS, 500},
};

struct pg_result
{
	ExecStatusType status;
	char	   *sqlstate;
	char	   *message;
	char	   *detail;
	char	   *value;
	int			ntuples;
	int			nfields;
	char	   *error_message;
};

/* pool.h's Pool and pgasync.h's DbLoop are opaque: handles are enough. */
struct Pool
{
	int			unused;
};

struct DbLoop
{
	int			unused;
};

static Pool the_pool;
static DbLoop the_loop;
static DbOp *submitted;			/* waiting for fuzz_db_answer */
static const CannedAnswer *next_answer;
static char *next_echo;
static char *settings_json;
FuzzDbCall	fuzz_db_call;

int
fuzz_answer_count(void)
{
	return (int) (sizeof(answers) / sizeof(answers[0]));
}

const CannedAnswer *
fuzz_answer(int i)
{
	return &answers[i];
}

Pool *
fuzz_pool(void)
{
	return &the_pool;
}

DbLoop *
fuzz_db_loop(void)
{
	return &the_loop;
}

static char *
copy(const char *text)
{
	char	   *result;

	if (text == NULL)
		return NULL;
	result = strdup(text);
	if (result == NULL)
		abort();
	return result;
}

static char *
resolve(const char *field)
{
	return copy(field == FUZZ_ECHO ? next_echo : field);
}

void
fuzz_db_reset(void)
{
	for (int i = 0; i < ROUTE_MAX_ARGS; i++)
		free(fuzz_db_call.values[i]);
	memset(&fuzz_db_call, 0, sizeof(fuzz_db_call));
	if (submitted != NULL)
		abort();				/* a statement left unanswered */
}

void
fuzz_db_prepare(const CannedAnswer *answer, const char *echo,
				const char *settings)
{
	free(next_echo);
	free(settings_json);
	next_answer = answer;
	next_echo = copy(echo);
	settings_json = copy(settings);
}

static PGresult *
make_result(ExecStatusType status, const char *sqlstate, const char *message,
			const char *detail, const char *value, int ntuples, int nfields)
{
	PGresult   *res = calloc(1, sizeof(PGresult));
	size_t		size;

	if (res == NULL)
		abort();
	res->status = status;
	res->sqlstate = resolve(sqlstate);
	res->message = resolve(message);
	res->detail = resolve(detail);
	res->value = resolve(value);
	res->ntuples = ntuples;
	res->nfields = nfields;
	size = strlen(res->message ? res->message : "") + 16;
	res->error_message = malloc(size);
	if (res->error_message == NULL)
		abort();
	snprintf(res->error_message, size, "ERROR:  %s\n", res->message ? res->message : "");
	return res;
}

void
pgasync_submit(DbLoop *db, DbOp *op)
{
	int			count;

	if (db != &the_loop || op == NULL || op->done == NULL ||
		op->nparams < 0 || op->nparams > ROUTE_MAX_ARGS ||
		op->stmt < 0 || (routes_statements(&count), op->stmt >= count) ||
		fuzz_db_call.called || submitted != NULL)
		abort();				/* the front must submit once, to its own loop */
	if (!fuzz_response.suspended)
		abort();				/* the answer would find the connection running */
	fuzz_db_call.called = true;
	fuzz_db_call.stmt = op->stmt;
	fuzz_db_call.nparams = op->nparams;
	for (int i = 0; i < op->nparams; i++)
		fuzz_db_call.values[i] = copy(op->values[i]);
	submitted = op;
}

bool
fuzz_db_answer(void)
{
	DbOp	   *op = submitted;
	PGresult   *res = NULL;

	if (op == NULL)
		return false;
	submitted = NULL;
	/* the values must still be there when the statement is sent */
	for (int i = 0; i < op->nparams; i++)
		if ((op->values[i] == NULL) != (fuzz_db_call.values[i] == NULL) ||
			(op->values[i] != NULL && strcmp(op->values[i], fuzz_db_call.values[i]) != 0))
			abort();
	if (!next_answer->lost)
		res = make_result(next_answer->result_status, next_answer->sqlstate,
						  next_answer->message, next_answer->detail,
						  next_answer->value, next_answer->ntuples,
						  next_answer->nfields);
	op->done(op->arg, res);
	return true;
}

/* The front's only plain query reads the settings. */
PGresult *
pool_query(Pool *pool, const char *sql)
{
	if (pool != &the_pool || strcmp(sql, "SELECT authoob_settings()") != 0)
		abort();
	return make_result(PGRES_TUPLES_OK, NULL, NULL, NULL, settings_json, 1, 1);
}

ExecStatusType
PQresultStatus(const PGresult *res)
{
	return res ? res->status : PGRES_FATAL_ERROR;
}

char *
PQresultErrorMessage(const PGresult *res)
{
	return res ? res->error_message : "";
}

char *
PQresultErrorField(const PGresult *res, int fieldcode)
{
	if (res == NULL || res->status == PGRES_TUPLES_OK)
		return NULL;
	switch (fieldcode)
	{
		case PG_DIAG_SQLSTATE:
			return res->sqlstate;
		case PG_DIAG_MESSAGE_PRIMARY:
			return res->message;
		case PG_DIAG_MESSAGE_DETAIL:
			return res->detail;
		default:
			return NULL;
	}
}

int
PQntuples(const PGresult *res)
{
	return res ? res->ntuples : 0;
}

int
PQnfields(const PGresult *res)
{
	return res ? res->nfields : 0;
}

/* Out of range, real libpq answers garbage quietly: here it is a crash. */
static void
check_cell(const PGresult *res, int row, int column)
{
	if (res == NULL || res->status != PGRES_TUPLES_OK || row < 0 ||
		row >= res->ntuples || column < 0 || column >= res->nfields)
		abort();
}

int
PQgetisnull(const PGresult *res, int row, int column)
{
	check_cell(res, row, column);
	return column == 0 && res->value == NULL;
}

char *
PQgetvalue(const PGresult *res, int row, int column)
{
	check_cell(res, row, column);
	/* libpq gives "" for a NULL; the front must not take it for a value. */
	return column == 0 && res->value != NULL ? res->value : "";
}

void
PQclear(PGresult *res)
{
	if (res == NULL)
		return;
	free(res->sqlstate);
	free(res->message);
	free(res->detail);
	free(res->value);
	free(res->error_message);
	free(res);
}
