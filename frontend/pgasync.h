/*
 * pgasync.h - the Postgres connections of one event loop (server.c), driven
 * without ever blocking: statements are sent with libpq's non-blocking calls
 * and their results read when the loop sees a socket readable.
 *
 * Each loop thread owns a DbLoop: its connections to the primary and to each
 * standby, and the statements waiting for one. Everything here runs on that
 * thread only, except pgasync_cancel's flag (see there).
 *
 * What the blocking pool (pool.h) promises, this keeps: a statement prepared
 * on its first use per connection; a connection found broken, or on a node
 * that stopped being the primary, closed and opened anew (libpq finds the
 * new primary among the conninfo's hosts); read-only statements on the
 * standbys in turn, skipping one too far behind (its lag read at most once
 * a second per connection); a wait for a free connection bounded; NULL (HTTP
 * 503) when the database cannot answer or a statement is cancelled for
 * shutdown. And one thing more: NULL for a statement whose commit stopped
 * waiting for the synchronous standby (committed on its node alone).
 */
#ifndef AUTHOOB_PGASYNC_H
#define AUTHOOB_PGASYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

typedef struct DbLoop DbLoop;

/* The answer to a statement: res (the callee PQclear()s it) or NULL (503). */
typedef void (*DbDone) (void *arg, PGresult *res);

/*
 * One statement to run. The caller fills the first fields and keeps the op,
 * and what values point to, until done is called; the rest is the loop's.
 * The op lives in the caller's request: submitting allocates nothing.
 */
typedef struct DbOp
{
	int			stmt;			/* index into the statements */
	bool		read_only;		/* may run on a standby */
	int			nparams;
	const char *const *values;
	DbDone		done;
	void	   *arg;

	/* the loop's */
	bool		out;			/* submitted, not yet delivered */
	struct DbOp *next;
	int64_t		waiting_since_ms;	/* 0 unless waiting for a connection */
	unsigned int first_standby; /* the standby tried first */
	unsigned int standbys_tried;
	PGresult   *res;			/* the answer, until delivered */
} DbOp;

/* The most statements in flight on one connection (DbConfig.pipeline_depth) */
#define PIPELINE_DEPTH_MAX 64

typedef struct DbConfig
{
	const char *conninfo;
	const char *const *standbys;	/* conninfos of the standbys */
	int			nstandbys;
	int			max_lag_ms;		/* a standby further behind is skipped; 0: never */
	int			connections;	/* per node, in this loop */
	int			pipeline_depth; /* statements in flight per connection */
	const char *const *statements;	/* prepared as "authoob_<i>" */
	int			nstatements;
} DbConfig;

/*
 * The loop's connections, registered in epoll_fd with their DbConn as
 * epoll_data.ptr (pgasync_event's source). They connect at once, in the
 * background. NULL if out of memory.
 */
DbLoop	   *pgasync_create(const DbConfig *config, int epoll_fd);

/*
 * Queues op: it is sent now if a connection has room, else when one has.
 * op->done is called later, from pgasync_deliver, never from here.
 */
void		pgasync_submit(DbLoop *db, DbOp *op);

/* epoll said source (a DbConn of db's) has events. */
void		pgasync_event(DbLoop *db, void *source, uint32_t events);

/* Milliseconds until pgasync_deliver has something timed to do; -1: none. */
int			pgasync_timeout(DbLoop *db);

/*
 * Ends the waits and connects that are out of time and calls done for every
 * op answered since the last call; returns how many.
 */
int			pgasync_deliver(DbLoop *db);

/*
 * For shutdown: the statements in flight are cancelled and answer NULL, as
 * does every op waiting or submitted from now on.
 */
void		pgasync_cancel(DbLoop *db);

/* Statements submitted and not yet delivered. */
int			pgasync_pending(const DbLoop *db);

/*
 * Closes every connection: the ops in flight are answered NULL (delivered
 * by the next pgasync_deliver).
 */
void		pgasync_close_all(DbLoop *db);

/* Frees db; nothing may be pending. */
void		pgasync_destroy(DbLoop *db);

#endif
