/*
 * pool.h - a small blocking pool of libpq connections, for the parts that
 * may wait: the settings (settings.c), the metrics (exporter.c) and the
 * check at start that every statement prepares. The HTTP routes' statements
 * never come here: each event loop has its own non-blocking connections
 * (pgasync.h).
 *
 * Connections are opened at start and kept. A connection found broken
 * (Postgres restarted, network cut) is reopened on its next use; while that
 * fails, callers are told the database is unavailable. A connection whose
 * node stops being a primary (it answers read_only_sql_transaction, shuts
 * down, or goes away) is closed, and reopened with the same conninfo: given
 * several hosts and target_session_attrs=read-write, libpq finds the new
 * primary.
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

/* Opens every connection; false (and logged) if any fails. */
bool		pool_open(Pool *pool);

/*
 * Prepares every statement on one connection, to log at start the ones
 * Postgres refuses (an extension older than the route table); returns their
 * count. Other connections prepare each statement on its first use.
 */
int			pool_prepare_all(Pool *pool);

/*
 * Runs a plain SQL text without parameters (not prepared). Returns the
 * result (the caller PQclear()s it), which may hold an SQL error; NULL when
 * the database could not be reached or the connection broke (HTTP 503).
 */
PGresult   *pool_query(Pool *pool, const char *sql);

/*
 * Closes every connection and frees the pool; no call may be running.
 */
void		pool_destroy(Pool *pool);

#endif
