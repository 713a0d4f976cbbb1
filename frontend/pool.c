/*
 * pool.c - a small blocking pool of libpq connections (pool.h).
 *
 * A thread borrows one connection for one statement. The pool is a
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "pgnode.h"

/* How long a request waits for a free connection before answering 503. */
#define POOL_WAIT_MS 5000
/* After a failed connect, requests get 503 at once for this long. */
#define POOL_RETRY_MS 250
/* Applied unless the conninfo says otherwise. */
#define POOL_CONNECT_TIMEOUT "5"

typedef struct PoolConn
{
	PGconn	   *conn;			/* NULL when closed */
	bool	   *prepared;		/* per statement */
	struct timespec retry_at;	/* no connect attempt before this */
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
};

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

static void
conn_close(Pool *pool, PoolConn *pc)
{
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
	const char *const values[] = {POOL_CONNECT_TIMEOUT, "authoob-http",
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
	return true;
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
	pthread_mutex_unlock(&pool->lock);
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
	pthread_mutex_lock(&pool->lock);
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

/*
 * A result that is no answer from a primary: the connection is closed and
 * the caller told the database is unavailable.
 */
static bool
is_no_answer(Pool *pool, PoolConn *pc, const PGresult *res)
{
	if (!pgnode_gone(res, false))
		return false;
	conn_close(pool, pc);
	return true;
}

/*
 * Runs sql on a borrowed connection. A result that comes back with the
 * connection broken is not an answer from the database: the connection is
 * closed and NULL returned.
 */
PGresult *
pool_query(Pool *pool, const char *sql)
{
	PoolConn   *pc = pool_acquire(pool);
	PGresult   *res = NULL;

	if (pc == NULL)
		return NULL;
	if (!conn_ensure(pool, pc))
		goto done;
	res = PQexec(pc->conn, sql);
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
done:
	pool_release(pool, pc);
	return res;
}

void
pool_destroy(Pool *pool)
{
	if (pool == NULL)
		return;
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
