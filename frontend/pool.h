/*
 * pool.h - a fixed pool of libpq connections with prepared statements.
 *
 * Connections are opened at start and kept. Each statement of the route table
 * is prepared once per connection, on its first use there. A connection found broken (Postgres
 * restarted, network cut) is reopened and its statements prepared again on its
 * next use; while that fails, callers are told the database is unavailable.
 *
 * High availability: a connection whose node stops being a primary (it
 * answers read_only_sql_transaction, shuts down, or goes away) is closed, and
 * reopened with the same conninfo: given several hosts and
 * target_session_attrs=read-write, libpq finds the new primary.
 *
 * Read replicas: a pool may have standby pools (pool_add_standby). Read-only
 * statements go to them in turn (pool_execute_read); when none can answer
 * (down, too far behind, in conflict with recovery) the pool itself does.
 */
#ifndef AUTHOOB_POOL_H
#define AUTHOOB_POOL_H

#include <stdbool.h>
#include <libpq-fe.h>

typedef struct Pool Pool;

/*
 * statements[i] is prepared as "authoob_<i>" on each connection; the array
 * must outlive the pool.
 */
Pool	   *pool_create(const char *conninfo, int size,
						const char *const *statements, int nstatements);

/*
 * Adds a standby the read-only statements may run on, with the same
 * statements and size; it connects on first use, so a standby down at start
 * delays nothing. max_lag_ms > 0: a standby whose replay is further behind
 * the WAL it received (checked at most once a second per connection) or
 * that streams from no primary is skipped. False if out of memory.
 */
bool		pool_add_standby(Pool *pool, const char *conninfo, int max_lag_ms);

/* Opens every connection; false (and logged) if any fails. */
bool		pool_open(Pool *pool);

/*
 * Prepares every statement on one connection, to log at start the ones
 * Postgres refuses (an extension older than the route table); returns their
 * count. Other connections prepare each statement on its first use.
 */
int			pool_prepare_all(Pool *pool);

/*
 * Runs prepared statement number stmt with text parameters. Returns the
 * result (the caller PQclear()s it), which may hold an SQL error; NULL when
 * the database could not be reached, the connection broke, or the statement
 * was cancelled by pool_cancel_all (HTTP 503).
 */
PGresult   *pool_execute(Pool *pool, int stmt, int nparams,
						 const char *const *values);

/*
 * Same, for a statement that writes nothing: on a standby if one answers,
 * else on the pool itself.
 */
PGresult   *pool_execute_read(Pool *pool, int stmt, int nparams,
							  const char *const *values);

/* Same for a plain SQL text without parameters (not prepared). */
PGresult   *pool_query(Pool *pool, const char *sql);

/*
 * Asks Postgres to cancel the statements running now (thread-safe): their
 * callers get NULL (unavailable) instead of waiting on. For shutdown: from
 * then on, any cancelled statement counts as the database going away.
 */
void		pool_cancel_all(Pool *pool);

/*
 * Closes every connection and frees the pool and its standbys; no call may
 * be running.
 */
void		pool_destroy(Pool *pool);

#endif
