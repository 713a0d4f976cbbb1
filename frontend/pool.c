/*
 * pool.c - a fixed pool of libpq connections with prepared statements.
 *
 * A request thread borrows one connection for one statement. The pool is a
 * free list under a mutex; connecting and preparing happen outside the mutex,
 * by the thread that borrowed the connection, so one slow reconnect never
 * blocks the other threads.
 *
 * What a node answers decides whether the connection stays: one that no
 * longer takes writes (a primary demoted by a failover) or that says it is
 * going away is closed, and its caller told the database is unavailable
 * (HTTP 503) rather than given an error to pass on; the next use reconnects,
 * to the new primary when the conninfo names several hosts.
 */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

/* How long a request waits for a free connection before answering 503. */
#define POOL_WAIT_MS 5000
/* After a failed connect, requests get 503 at once for this long. */
#define POOL_RETRY_MS 250
/* How often a standby's replay lag is checked, per connection. */
#define POOL_LAG_CHECK_MS 1000
/* Applied unless the conninfo says otherwise. */
#define POOL_CONNECT_TIMEOUT "5"

typedef struct PoolConn
{
	PGconn	   *conn;			/* NULL when closed */
	PGcancel   *cancel;			/* for pool_cancel_all; under pool->lock */
	bool		busy;			/* borrowed; under pool->lock */
	bool	   *prepared;		/* per statement */
	struct timespec retry_at;	/* no connect attempt before this */
	struct timespec lag_checked_at; /* standby: when its lag was last read */
	bool		lagging;		/* standby: too far behind at that check */
	struct PoolConn *next_free;
} PoolConn;

struct Pool
{
	pthread_mutex_t lock;
	pthread_cond_t freed;
	PoolConn   *conns;
	PoolConn   *free_list;
	int			size;
	char	   *conninfo;
	const char *const *statements;
	int			nstatements;
	atomic_bool cancelled;		/* pool_cancel_all was called: shutting down */
	bool		is_standby;		/* for read-only statements; may lag */
	int			max_lag_ms;		/* standby: skipped when further behind; 0: never */
	Pool	  **standbys;		/* where read-only statements go first */
	int			nstandbys;
	atomic_uint next_standby;	/* the one to try first, in turn */
};

/*
 * The replay lag of a standby in milliseconds: 0 when it has replayed all it
 * received (or is a primary), infinite when it streams from no primary (its
 * data may be any age).  pg_stat_wal_receiver shows any role whether a
 * receiver runs (its pid), only privileged ones what it does.  Right after
 * a quiet spell on the primary, the first change received and not yet
 * replayed counts from the last one replayed: the standby is skipped for a
 * check or two too many, which errs on the side of the primary.
 */
static const char lag_sql[] =
"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
" WHEN NOT EXISTS (SELECT FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)"
" THEN 'Infinity'::float8"
" WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
" ELSE 1000 * extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
" END";

static void
timespec_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L)
	{
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool
timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
		(a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

Pool *
pool_create(const char *conninfo, int size, const char *const *statements,
			int nstatements)
{
	Pool	   *pool = calloc(1, sizeof(Pool));
	pthread_condattr_t attr;

	if (pool == NULL)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	/* Waits are timed on the monotonic clock: immune to clock changes. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &attr);
	pthread_condattr_destroy(&attr);
	pool->size = size;
	metrics_gauge_add(METRIC_POOL_SIZE, size);
	pool->conninfo = strdup(conninfo);
	pool->statements = statements;
	pool->nstatements = nstatements;
	pool->conns = calloc((size_t) size, sizeof(PoolConn));
	if (pool->conninfo == NULL || pool->conns == NULL)
	{
		pool_destroy(pool);
		return NULL;
	}
	for (int i = 0; i < size; i++)
	{
		pool->conns[i].prepared = calloc((size_t) nstatements + 1, sizeof(bool));
		if (pool->conns[i].prepared == NULL)
		{
			pool_destroy(pool);
			return NULL;
		}
		pool->conns[i].next_free = pool->free_list;
		pool->free_list = &pool->conns[i];
	}
	return pool;
}

/* The cancel handle is swapped under the lock: pool_cancel_all may use it. */
static void
conn_set_cancel(Pool *pool, PoolConn *pc, PGcancel *cancel)
{
	PGcancel   *old;

	pthread_mutex_lock(&pool->lock);
	old = pc->cancel;
	pc->cancel = cancel;
	pthread_mutex_unlock(&pool->lock);
	if (old != NULL)
		PQfreeCancel(old);
}

static void
conn_close(Pool *pool, PoolConn *pc)
{
	conn_set_cancel(pool, pc, NULL);
	if (pc->conn != NULL)
		PQfinish(pc->conn);
	pc->conn = NULL;
	memset(pc->prepared, 0, (size_t) pool->nstatements * sizeof(bool));
}

/*
 * Prepares statement i on pc. Returns NULL on success, else the failed result
 * (logged), which the caller frees or passes on as the answer.
 */
static PGresult *
conn_prepare(Pool *pool, PoolConn *pc, int i)
{
	char		name[32];
	PGresult   *res;

	snprintf(name, sizeof(name), "authoob_%d", i);
	res = PQprepare(pc->conn, name, pool->statements[i], 0, NULL);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		pc->prepared[i] = true;
		return NULL;
	}
	log_error("cannot prepare \"%s\": %s", pool->statements[i],
			  PQresultErrorMessage(res));
	return res;
}

/* Notices (and a server's last words) go to our log, not raw to stderr. */
static void
log_notice(void *arg, const char *message)
{
	(void) arg;
	log_debug("Postgres: %s", message);
}

/*
 * Opens pc's connection. Statements are prepared on their first use on it,
 * so that a reconnect costs one round trip, not one per route.
 */
static bool
conn_open(Pool *pool, PoolConn *pc)
{
	/* Earlier keywords are defaults the conninfo ("dbname") may override. */
	const char *const keywords[] = {"connect_timeout", "application_name",
	"dbname", "client_encoding", NULL};
	const char *const values[] = {POOL_CONNECT_TIMEOUT,
		pool->is_standby ? "authoob-http read" : "authoob-http",
	pool->conninfo, "UTF8", NULL};

	conn_close(pool, pc);
	pc->conn = PQconnectdbParams(keywords, values, 1);
	PQsetNoticeProcessor(pc->conn, log_notice, NULL);
	if (PQstatus(pc->conn) != CONNECTION_OK)
	{
		log_error("cannot connect to Postgres: %s", PQerrorMessage(pc->conn));
		metrics_count(METRIC_POOL_CONNECT_FAILURES);
		conn_close(pool, pc);
		clock_gettime(CLOCK_MONOTONIC, &pc->retry_at);
		timespec_add_ms(&pc->retry_at, POOL_RETRY_MS);
		return false;
	}
	conn_set_cancel(pool, pc, PQgetCancel(pc->conn));
	pc->lag_checked_at.tv_sec = 0;
	pc->lag_checked_at.tv_nsec = 0;
	return true;
}

/*
 * Whether a standby connection is close enough behind its primary, reading
 * its lag at most every POOL_LAG_CHECK_MS. A failed check counts as behind.
 */
static bool
conn_recent_enough(Pool *pool, PoolConn *pc)
{
	struct timespec now,
				next;
	PGresult   *res;

	if (pool->max_lag_ms <= 0)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	next = pc->lag_checked_at;
	timespec_add_ms(&next, POOL_LAG_CHECK_MS);
	if (pc->lag_checked_at.tv_sec != 0 && timespec_before(&now, &next))
		return !pc->lagging;
	res = PQexec(pc->conn, lag_sql);
	pc->lagging = PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		strtod(PQgetvalue(res, 0, 0), NULL) > (double) pool->max_lag_ms;
	if (pc->lagging)
		log_debug("standby skipped: replay lag %s ms",
				  PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ?
				  PQgetvalue(res, 0, 0) : "unknown");
	PQclear(res);
	pc->lag_checked_at = now;
	return !pc->lagging;
}

/*
 * An idle connection has nothing to read, unless the server is saying
 * goodbye (shutdown, terminated backend). Rather than parse what it said,
 * such a connection is opened anew before a statement goes into it.
 */
static bool
conn_is_alive(PGconn *conn)
{
	struct pollfd pfd = {.fd = PQsocket(conn),.events = POLLIN};

	return PQstatus(conn) == CONNECTION_OK && poll(&pfd, 1, 0) == 0;
}

/* Makes pc usable: reconnects if needed, unless a recent attempt failed. */
static bool
conn_ensure(Pool *pool, PoolConn *pc)
{
	struct timespec now;

	if (pc->conn != NULL && conn_is_alive(pc->conn))
		return true;
	if (pc->conn != NULL)
		log_warning("Postgres connection closed by the server, reconnecting");
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pc->conn == NULL && timespec_before(&now, &pc->retry_at))
		return false;
	return conn_open(pool, pc);
}

/* Borrows a connection, waiting at most POOL_WAIT_MS; NULL on timeout. */
static PoolConn *
pool_acquire(Pool *pool)
{
	struct timespec started,
				deadline,
				now;
	PoolConn   *pc;
	bool		waited = false;

	clock_gettime(CLOCK_MONOTONIC, &started);
	deadline = started;
	timespec_add_ms(&deadline, POOL_WAIT_MS);
	pthread_mutex_lock(&pool->lock);
	while (pool->free_list == NULL)
	{
		waited = true;
		if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT
			&& pool->free_list == NULL)
		{
			pthread_mutex_unlock(&pool->lock);
			metrics_count(METRIC_POOL_WAIT_TIMEOUTS);
			log_error("no free Postgres connection after %d ms", POOL_WAIT_MS);
			return NULL;
		}
	}
	pc = pool->free_list;
	pool->free_list = pc->next_free;
	pc->busy = true;
	pthread_mutex_unlock(&pool->lock);
	metrics_gauge_add(METRIC_POOL_BUSY, 1);
	if (waited)
	{
		/* only a wait reads the clock again: the common case stays cheap */
		clock_gettime(CLOCK_MONOTONIC, &now);
		metrics_pool_waited((now.tv_sec - started.tv_sec) * 1000000L +
							(now.tv_nsec - started.tv_nsec) / 1000);
	}
	return pc;
}

static void
pool_release(Pool *pool, PoolConn *pc)
{
	metrics_gauge_add(METRIC_POOL_BUSY, -1);
	pthread_mutex_lock(&pool->lock);
	pc->busy = false;
	pc->next_free = pool->free_list;
	pool->free_list = pc;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

bool
pool_open(Pool *pool)
{
	for (int i = 0; i < pool->size; i++)
	{
		if (!conn_open(pool, &pool->conns[i]))
			return false;
	}
	return true;
}

int
pool_prepare_all(Pool *pool)
{
	PoolConn   *pc = pool_acquire(pool);
	int			failed = 0;

	if (pc == NULL || !conn_ensure(pool, pc))
		failed = pool->nstatements;
	for (int i = 0; failed == 0 && i < pool->nstatements; i++)
	{
		PGresult   *res = conn_prepare(pool, pc, i);

		failed += res != NULL;
		PQclear(res);
	}
	if (pc != NULL)
		pool_release(pool, pc);
	return failed;
}

/* Whether res failed with this SQLSTATE, or one of its class ("08"). */
static bool
has_sqlstate(const PGresult *res, const char *code)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return sqlstate != NULL && strncmp(sqlstate, code, strlen(code)) == 0;
}

/*
 * A result that is no answer from a primary: the connection is closed
 * (except a standby's conflict, which is the statement's alone) and the
 * caller told the database is unavailable.
 */
static bool
is_no_answer(Pool *pool, PoolConn *pc, const PGresult *res)
{
	bool		gone = has_sqlstate(res, "08") ||	/* connection exception */
		has_sqlstate(res, "57P0");	/* shutdown, crash, cannot connect now */
	bool		read_only = has_sqlstate(res, "25006");

	if (gone || (read_only && !pool->is_standby))
	{
		if (read_only)
			log_warning("Postgres node is read-only (no longer the primary?), "
						"reconnecting");
		else
			log_warning("Postgres node going away (%s), reconnecting",
						PQresultErrorField(res, PG_DIAG_SQLSTATE));
		conn_close(pool, pc);
		return true;
	}
	/* a standby: a write (a hook's), or cancelled to replay (40001) */
	return pool->is_standby && (read_only || has_sqlstate(res, "40001"));
}

/*
 * Runs stmt (a statement index, or -1 for the plain sql) on a borrowed
 * connection. A result that comes back with the connection broken is not an
 * answer from the database: the connection is closed and NULL returned.
 */
static PGresult *
pool_run(Pool *pool, int stmt, const char *sql, int nparams,
		 const char *const *values)
{
	PoolConn   *pc = pool_acquire(pool);
	PGresult   *res = NULL;
	char		name[32];

	if (pc == NULL)
		return NULL;
	if (!conn_ensure(pool, pc) ||
		(pool->is_standby && !conn_recent_enough(pool, pc)))
		goto done;
	if (stmt < 0)
		res = PQexec(pc->conn, sql);
	else if (!pc->prepared[stmt] && (res = conn_prepare(pool, pc, stmt)) != NULL)
		;						/* the failed PREPARE is the answer */
	else
	{
		snprintf(name, sizeof(name), "authoob_%d", stmt);
		res = PQexecPrepared(pc->conn, name, nparams, values, NULL, NULL, 0);
	}
	if (PQstatus(pc->conn) != CONNECTION_OK)
	{
		log_error("Postgres connection lost: %s", PQerrorMessage(pc->conn));
		PQclear(res);
		res = NULL;
		conn_close(pool, pc);
	}
	else if (is_no_answer(pool, pc, res))
	{
		PQclear(res);
		res = NULL;
	}
	else if (atomic_load(&pool->cancelled) && has_sqlstate(res, "57014"))
	{
		/* We cut it short to shut down: the service is going, not broken. */
		PQclear(res);
		res = NULL;
	}
done:
	pool_release(pool, pc);
	return res;
}

PGresult *
pool_execute(Pool *pool, int stmt, int nparams, const char *const *values)
{
	return pool_run(pool, stmt, NULL, nparams, values);
}

PGresult *
pool_execute_read(Pool *pool, int stmt, int nparams, const char *const *values)
{
	unsigned int first = pool->nstandbys > 0 ?
		atomic_fetch_add(&pool->next_standby, 1) : 0;

	for (int i = 0; i < pool->nstandbys; i++)
	{
		Pool	   *standby = pool->standbys[(first + (unsigned int) i) %
											 (unsigned int) pool->nstandbys];
		PGresult   *res = pool_run(standby, stmt, NULL, nparams, values);

		if (res != NULL)
			return res;
	}
	return pool_run(pool, stmt, NULL, nparams, values);
}

bool
pool_add_standby(Pool *pool, const char *conninfo, int max_lag_ms)
{
	Pool	  **standbys = realloc(pool->standbys,
								   (size_t) (pool->nstandbys + 1) * sizeof(Pool *));
	Pool	   *standby;

	if (standbys == NULL)
		return false;
	pool->standbys = standbys;
	standby = pool_create(conninfo, pool->size, pool->statements, pool->nstatements);
	if (standby == NULL)
		return false;
	standby->is_standby = true;
	standby->max_lag_ms = max_lag_ms;
	pool->standbys[pool->nstandbys++] = standby;
	return true;
}

PGresult *
pool_query(Pool *pool, const char *sql)
{
	return pool_run(pool, -1, sql, 0, NULL);
}

void
pool_cancel_all(Pool *pool)
{
	char		error[256];

	for (int i = 0; i < pool->nstandbys; i++)
		pool_cancel_all(pool->standbys[i]);
	atomic_store(&pool->cancelled, true);
	pthread_mutex_lock(&pool->lock);
	for (int i = 0; i < pool->size; i++)
	{
		PoolConn   *pc = &pool->conns[i];

		if (pc->busy && pc->cancel != NULL &&
			!PQcancel(pc->cancel, error, sizeof(error)))
			log_warning("cannot cancel a statement: %s", error);
	}
	pthread_mutex_unlock(&pool->lock);
}

void
pool_destroy(Pool *pool)
{
	if (pool == NULL)
		return;
	metrics_gauge_add(METRIC_POOL_SIZE, -pool->size);
	for (int i = 0; i < pool->nstandbys; i++)
		pool_destroy(pool->standbys[i]);
	free(pool->standbys);
	for (int i = 0; pool->conns != NULL && i < pool->size; i++)
	{
		if (pool->conns[i].prepared != NULL)
			conn_close(pool, &pool->conns[i]);
		free(pool->conns[i].prepared);
	}
	free(pool->conns);
	free(pool->conninfo);
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
