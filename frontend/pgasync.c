/*
 * pgasync.c - the Postgres connections of one event loop, never blocking.
 *
 * Every connection is in libpq's pipeline mode: a statement is its Bind and
 * Execute followed by a Sync, so that each is its own transaction, as with
 * PQexecPrepared; a statement not yet prepared on the connection has its
 * Parse in the same segment, so preparing costs no round trip of its own.
 * Up to pipeline_depth statements may be in flight on one connection; the
 * loop always prefers the connection with the fewest (docs/benchmarks.md says
 * what depth pays). Only reads share a connection: a statement that writes
 * (a commit to flush, often a password hash, or a lock to wait for) holds
 * its connection alone until it is answered, so that nothing quick queues
 * behind it without bound; the others wait, bounded, for a connection, as
 * with the blocking pool.
 *
 * Each in-flight segment is an Entry of its connection's ring, answered in
 * order: its results are kept until its Sync comes back, then the op is
 * answered. A connection that breaks answers all its entries at once: NULL,
 * or for a read-only statement on a standby the next standby or the primary.
 *
 * Connections are opened with PQconnectStartParams / PQconnectPoll, driven
 * by the loop like any socket, so that a reconnect never stalls the requests
 * of the other connections; a failed attempt leaves the node alone for
 * POOL_RETRY_MS, during which its statements are answered 503 at once.
 */
#include "pgasync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "pgnode.h"

/* How long a statement waits for a connection with room before 503. */
#define POOL_WAIT_MS 5000
/* After a failed connect, statements get 503 at once for this long. */
#define POOL_RETRY_MS 250
/* How often a standby's replay lag is read, per connection. */
#define POOL_LAG_CHECK_MS 1000
/* A connect attempt (all the conninfo's hosts) gets this long. */
#define CONNECT_TIMEOUT_MS 5000

/*
 * The replay lag of a standby in milliseconds: 0 when it has replayed all it
 * received (or is a primary), infinite when it streams from no primary (its
 * data may be any age).  pg_stat_wal_receiver shows any role whether a
 * receiver runs (its pid), only privileged ones what it does.  Right after
 * a quiet spell on the primary, the first change received and not yet
 * replayed counts from the last one replayed: the standby is skipped for a
 * check or two too many, which errs on the side of the primary. One that
 * has replayed no transaction since it started is of unknown age: skipped.
 */
static const char lag_sql[] =
"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
" WHEN NOT EXISTS (SELECT FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)"
" THEN 'Infinity'::float8"
" WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
" ELSE coalesce(1000 * extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,"
" 'Infinity')"
" END";

typedef enum ConnState
{
	CONN_CLOSED,
	CONN_CONNECTING,
	CONN_READY
} ConnState;

/* One Sync-terminated segment in flight: an op's statement, or a lag check. */
typedef struct Entry
{
	DbOp	   *op;				/* NULL: the lag check */
	bool		prepare_pending;	/* its Parse's result is still to come */
	bool		settled;		/* answer is final: the rest is discarded */
	bool		unreplicated;	/* its commit did not wait for the standby */
	PGresult   *answer;
} Entry;

typedef struct DbTarget DbTarget;

typedef struct DbConn
{
	DbTarget   *target;
	PGconn	   *pg;				/* NULL when closed */
	int			fd;				/* registered in the loop's epoll; -1: none */
	uint32_t	events;			/* what it is registered for */
	ConnState	state;
	int64_t		retry_at_ms;	/* closed: no attempt before this */
	int64_t		connect_deadline_ms;
	bool	   *prepared;		/* per statement */
	Entry	   *ring;			/* pipeline_depth entries */
	int			head;
	int			count;			/* entries in flight */
	int			writes;			/* of which not read-only: it takes no more */
	PGcancel   *cancel;
	bool		doomed;			/* to close once its results are read */
	/* standby */
	int64_t		lag_checked_at_ms;	/* 0: never */
	bool		lagging;
	bool		lag_check_sent;
	DbOp	   *lag_waiters;	/* ops waiting for that check */
} DbConn;

struct DbTarget
{
	DbLoop	   *db;
	const char *conninfo;
	bool		is_standby;
	DbConn	   *conns;
	int			nconns;
	DbOp	   *waiting;		/* for a connection with room, in order */
	DbOp	   *waiting_tail;
};

struct DbLoop
{
	DbConfig	config;
	int			epoll_fd;
	DbTarget	primary;
	DbTarget   *standbys;
	int			nstandbys;
	unsigned int next_standby;
	DbOp	   *answered;		/* to deliver, in order */
	DbOp	   *answered_tail;
	int			pending;
	bool		cancelled;
	int			connecting;		/* connections in CONN_CONNECTING */
};

static void dispatch(DbLoop *db, DbOp *op);
static void conn_lost(DbConn *c, const char *why);

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
queue_push(DbOp **head, DbOp **tail, DbOp *op)
{
	op->next = NULL;
	if (*head == NULL)
		*head = op;
	else
		(*tail)->next = op;
	*tail = op;
}

static DbOp *
queue_pop(DbOp **head, DbOp **tail)
{
	DbOp	   *op = *head;

	if (op != NULL)
	{
		*head = op->next;
		if (*head == NULL)
			*tail = NULL;
		op->next = NULL;
	}
	return op;
}

/* op is answered; delivered by pgasync_deliver, in order. */
static void
answer(DbLoop *db, DbOp *op, PGresult *res)
{
	op->res = res;
	queue_push(&db->answered, &db->answered_tail, op);
}

/*
 * The socket's registration follows what libpq waits for, and its changes.
 * While connecting, libpq may close its socket and open another (the next
 * host), often under the same number: the closed one left the epoll set
 * with it, so each step registers anew (recheck) rather than trust the
 * number.
 */
static void
conn_watch(DbConn *c, uint32_t events, bool recheck)
{
	int			fd = c->pg != NULL ? PQsocket(c->pg) : -1;
	struct epoll_event ev = {.events = events,.data.ptr = c};
	DbLoop	   *db = c->target->db;

	if (!recheck && fd == c->fd && events == c->events)
		return;
	if (c->fd >= 0 && fd != c->fd)
	{
		/* gone with its socket, or about to be: either way not ours */
		epoll_ctl(db->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
		c->fd = -1;
	}
	if (fd < 0)
		return;
	if (epoll_ctl(db->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
		(errno != ENOENT || epoll_ctl(db->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0))
		log_error("cannot watch a Postgres socket: %m");
	c->fd = fd;
	c->events = events;
}

/*
 * Closes c; its entries and lag waiters are returned to the caller to
 * answer (conn_lost), so that none is touched while c changes.
 */
static void
conn_close(DbConn *c)
{
	DbLoop	   *db = c->target->db;

	if (c->fd >= 0)
		epoll_ctl(db->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	c->fd = -1;
	c->events = 0;
	if (c->cancel != NULL)
		PQfreeCancel(c->cancel);
	c->cancel = NULL;
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	if (c->state == CONN_CONNECTING)
		db->connecting--;
	c->state = CONN_CLOSED;
	c->doomed = false;
	c->lag_check_sent = false;
	memset(c->prepared, 0, (size_t) db->config.nstatements * sizeof(bool));
}

/*
 * Notices (and a server's last words) go to our log, not raw to stderr.
 *
 * One says more: a commit whose wait for its synchronous standby was cut
 * short (a failover manager turning synchronous replication off cancels
 * the commits waiting for it, as pg_auto_failover does) is committed on
 * this node alone, and a failover may lose it. The statement whose Sync is
 * being read, the oldest in flight, is answered 503 rather than 200: the
 * outcome is unknown, never acknowledged. The notice is known by the
 * server function that raises it, whatever the server's language.
 */
static void
receive_notice(void *arg, const PGresult *notice)
{
	DbConn	   *c = arg;
	const char *function = PQresultErrorField(notice, PG_DIAG_SOURCE_FUNCTION);

	log_debug("Postgres: %s", PQresultErrorMessage(notice));
	if (function != NULL && strcmp(function, "SyncRepWaitForLSN") == 0 &&
		c->count > 0)
		c->ring[c->head].unreplicated = true;
}

static void
connect_failed(DbConn *c, const char *why)
{
	DbTarget   *t = c->target;

	log_error("cannot connect to Postgres: %s", why);
	metrics_count(METRIC_POOL_CONNECT_FAILURES);
	conn_close(c);
	c->retry_at_ms = now_ms() + POOL_RETRY_MS;
	/* its waiters try again: another connection, or 503 */
	if (t->waiting != NULL)
	{
		DbOp	   *op = t->waiting;

		t->waiting = t->waiting_tail = NULL;
		while (op != NULL)
		{
			DbOp	   *next = op->next;

			op->next = NULL;
			dispatch(t->db, op);
			op = next;
		}
	}
}

/* Starts opening c; false (logged, retry later) if it failed at once. */
static bool
conn_start(DbConn *c)
{
	DbTarget   *t = c->target;
	/* Earlier keywords are defaults the conninfo ("dbname") may override. */
	const char *const keywords[] = {"connect_timeout", "application_name",
	"dbname", "client_encoding", NULL};
	const char *const values[] = {"5",
		t->is_standby ? "authoob-http read" : "authoob-http",
	t->conninfo, "UTF8", NULL};

	conn_close(c);
	c->pg = PQconnectStartParams(keywords, values, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD)
	{
		connect_failed(c, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
		return false;
	}
	PQsetNoticeReceiver(c->pg, receive_notice, c);
	c->state = CONN_CONNECTING;
	t->db->connecting++;
	c->connect_deadline_ms = now_ms() + CONNECT_TIMEOUT_MS;
	/* libpq's first step is writing: PQconnectPoll waits on that */
	conn_watch(c, EPOLLOUT, true);
	return true;
}

/* Takes ops waiting on t, in order, while a connection of t has room. */
static void
pump(DbTarget *t)
{
	int			n = 0;

	for (DbOp *op = t->waiting; op != NULL; op = op->next)
		n++;
	/* each op is dispatched once: one that must wait again goes to the back */
	while (n-- > 0 && t->waiting != NULL)
	{
		DbOp	   *op = queue_pop(&t->waiting, &t->waiting_tail);

		dispatch(t->db, op);
	}
}

static void
conn_ready(DbConn *c)
{
	DbLoop	   *db = c->target->db;

	c->state = CONN_READY;
	db->connecting--;
	if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1)
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	c->cancel = PQgetCancel(c->pg);
	c->lag_checked_at_ms = 0;
	c->lagging = false;
	conn_watch(c, EPOLLIN, true);
	pump(c->target);
}

/* One step of opening c, when its socket is ready or at the start. */
static void
conn_connect_step(DbConn *c)
{
	switch (PQconnectPoll(c->pg))
	{
		case PGRES_POLLING_READING:
			conn_watch(c, EPOLLIN, true);
			break;
		case PGRES_POLLING_WRITING:
			conn_watch(c, EPOLLOUT, true);
			break;
		case PGRES_POLLING_OK:
			conn_ready(c);
			break;
		default:
			connect_failed(c, PQerrorMessage(c->pg));
			break;
	}
}

/* Sends what libpq has buffered; asks for EPOLLOUT while some is left. */
static bool
conn_flush(DbConn *c)
{
	int			left = PQflush(c->pg);

	if (left < 0)
		return false;
	conn_watch(c, left > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN, false);
	return true;
}

static Entry *
entry_push(DbConn *c, DbOp *op)
{
	int			depth = c->target->db->config.pipeline_depth;
	Entry	   *e = &c->ring[(c->head + c->count) % depth];

	memset(e, 0, sizeof(*e));
	e->op = op;
	c->count++;
	if (op != NULL && !op->read_only)
		c->writes++;
	metrics_gauge_add(METRIC_POOL_BUSY, 1);
	return e;
}

/* Sends op's statement on c (room checked by the caller). */
static void
conn_send(DbConn *c, DbOp *op)
{
	DbLoop	   *db = c->target->db;
	char		name[32];
	Entry	   *e = entry_push(c, op);
	bool		ok = true;

	snprintf(name, sizeof(name), "authoob_%d", op->stmt);
	if (!c->prepared[op->stmt])
	{
		ok = PQsendPrepare(c->pg, name, db->config.statements[op->stmt], 0, NULL);
		c->prepared[op->stmt] = true;	/* undone if Postgres refuses it */
		e->prepare_pending = true;
	}
	ok = ok && PQsendQueryPrepared(c->pg, name, op->nparams, op->values,
								   NULL, NULL, 0) &&
		PQpipelineSync(c->pg) && conn_flush(c);
	if (!ok)
		conn_lost(c, PQerrorMessage(c->pg));
}

static void
conn_send_lag_check(DbConn *c)
{
	entry_push(c, NULL);
	c->lag_check_sent = true;
	if (!PQsendQueryParams(c->pg, lag_sql, 0, NULL, NULL, NULL, NULL, 0) ||
		!PQpipelineSync(c->pg) || !conn_flush(c))
		conn_lost(c, PQerrorMessage(c->pg));
}

/*
 * The ready connection of t with the fewest in flight and room, and no
 * write among them; NULL: none.
 */
static DbConn *
pick(DbTarget *t)
{
	DbConn	   *best = NULL;
	int			depth = t->db->config.pipeline_depth;

	for (int i = 0; i < t->nconns; i++)
	{
		DbConn	   *c = &t->conns[i];

		if (c->state == CONN_READY && !c->doomed && c->count < depth &&
			c->writes == 0 && (best == NULL || c->count < best->count))
			best = c;
	}
	return best;
}

/*
 * Whether t can take op soon: a connection ready or opening, or one that
 * may be opened now (it is, as a side effect).
 */
static bool
target_reachable(DbTarget *t)
{
	int64_t		now = 0;

	for (int i = 0; i < t->nconns; i++)
		if (t->conns[i].state != CONN_CLOSED)
			return true;
	for (int i = 0; i < t->nconns; i++)
	{
		DbConn	   *c = &t->conns[i];

		if (now == 0)
			now = now_ms();
		if (c->retry_at_ms <= now && conn_start(c))
			return true;
	}
	return false;
}

static void
wait_on(DbTarget *t, DbOp *op)
{
	if (op->waiting_since_ms == 0)
		op->waiting_since_ms = now_ms();
	queue_push(&t->waiting, &t->waiting_tail, op);
}

/* A standby's try at op: true if op is sent or waits there. */
static bool
try_standby(DbTarget *t, DbOp *op)
{
	int			max_lag = t->db->config.max_lag_ms;
	DbConn	   *c;

	if (!target_reachable(t))
		return false;
	c = pick(t);
	if (c == NULL)
	{
		/* all busy: wait as on the primary, bounded, then the next node */
		for (int i = 0; i < t->nconns; i++)
			if (t->conns[i].state == CONN_READY && !t->conns[i].doomed)
			{
				wait_on(t, op);
				return true;
			}
		return false;			/* still connecting: not worth a wait */
	}
	if (max_lag <= 0)
	{
		conn_send(c, op);
		return true;
	}
	if (c->lag_checked_at_ms != 0 && now_ms() < c->lag_checked_at_ms + POOL_LAG_CHECK_MS)
	{
		if (c->lagging)
			return false;
		conn_send(c, op);
		return true;
	}
	/* the lag is unknown or old: read it first, op waits for the answer */
	op->next = c->lag_waiters;
	c->lag_waiters = op;
	if (!c->lag_check_sent)
		conn_send_lag_check(c);
	return true;
}

/* Sends op where it should go, or makes it wait, or answers it NULL. */
static void
dispatch(DbLoop *db, DbOp *op)
{
	DbConn	   *c;

	if (db->cancelled)
	{
		answer(db, op, NULL);
		return;
	}
	while (op->read_only && op->standbys_tried < (unsigned int) db->nstandbys)
	{
		DbTarget   *t = &db->standbys[(op->first_standby + op->standbys_tried) %
									  (unsigned int) db->nstandbys];

		if (try_standby(t, op))
			return;
		op->standbys_tried++;
		op->waiting_since_ms = 0;
	}
	if ((c = pick(&db->primary)) != NULL)
		conn_send(c, op);
	else if (target_reachable(&db->primary))
		wait_on(&db->primary, op);
	else
		answer(db, op, NULL);	/* the database cannot be reached */
}

/* op got no answer from where it ran: a standby passes it on, else 503. */
static void
no_answer(DbTarget *t, DbOp *op)
{
	if (t->is_standby)
	{
		op->standbys_tried++;
		op->waiting_since_ms = 0;
		dispatch(t->db, op);
	}
	else
		answer(t->db, op, NULL);
}

/*
 * c broke (or is closed for what its node said): every entry and lag
 * waiter is answered or passed on, and the next use reconnects.
 */
static void
conn_lost(DbConn *c, const char *why)
{
	DbTarget   *t = c->target;
	int			depth = t->db->config.pipeline_depth;
	DbOp	   *ops[PIPELINE_DEPTH_MAX];
	int			nops = 0;
	DbOp	   *waiters = c->lag_waiters;
	Entry	   *ring = c->ring;

	if (why != NULL)
		log_error("Postgres connection lost: %s", why);
	/* detach everything first: answering may send on other connections */
	for (int i = 0; i < c->count; i++)
	{
		Entry	   *e = &ring[(c->head + i) % depth];

		PQclear(e->answer);
		e->answer = NULL;
		if (e->op != NULL)
			ops[nops++] = e->op;
		metrics_gauge_add(METRIC_POOL_BUSY, -1);
	}
	c->count = 0;
	c->writes = 0;
	c->head = 0;
	c->lag_waiters = NULL;
	conn_close(c);
	c->retry_at_ms = 0;			/* the next use reconnects */
	for (int i = 0; i < nops; i++)
		no_answer(t, ops[i]);
	while (waiters != NULL)
	{
		DbOp	   *op = waiters;

		waiters = op->next;
		op->next = NULL;
		dispatch(t->db, op);
	}
	/* what waited for room on t opens a connection now, or is told 503 */
	pump(t);
}

/* A lag check came back: the ops that waited for it go on. */
static void
lag_checked(DbConn *c, PGresult *res)
{
	DbTarget   *t = c->target;
	DbOp	   *waiters = c->lag_waiters;
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	c->lagging = !ok ||
		strtod(PQgetvalue(res, 0, 0), NULL) > (double) t->db->config.max_lag_ms;
	if (c->lagging)
		log_debug("standby skipped: replay lag %s ms",
				  ok ? PQgetvalue(res, 0, 0) : "unknown");
	c->lag_checked_at_ms = now_ms();
	c->lag_check_sent = false;
	c->lag_waiters = NULL;
	PQclear(res);
	while (waiters != NULL)
	{
		DbOp	   *op = waiters;

		waiters = op->next;
		op->next = NULL;
		dispatch(t->db, op);
	}
}

/*
 * The Sync of c's oldest entry came back: its op is answered. What a node
 * says when it is no primary, or going away, is no answer: the connection
 * is closed once its results are read, and the op passed on or answered
 * NULL. A standby's conflict with recovery (40001) or refused write is the
 * statement's alone: the op is passed on, the connection kept.
 */
static void
entry_done(DbConn *c)
{
	DbTarget   *t = c->target;
	DbLoop	   *db = t->db;
	Entry		e = c->ring[c->head];
	PGresult   *res = e.answer;

	c->head = (c->head + 1) % db->config.pipeline_depth;
	c->count--;
	if (e.op != NULL && !e.op->read_only)
		c->writes--;
	metrics_gauge_add(METRIC_POOL_BUSY, -1);
	if (e.op == NULL)
	{
		lag_checked(c, res);
		return;
	}
	if (res == NULL)
		no_answer(t, e.op);
	else if (pgnode_gone(res, t->is_standby))
	{
		c->doomed = true;
		PQclear(res);
		no_answer(t, e.op);
	}
	else if (t->is_standby && (pgnode_has_sqlstate(res, "25006") ||
							   pgnode_has_sqlstate(res, "40001")))
	{
		PQclear(res);
		no_answer(t, e.op);
	}
	else if (e.unreplicated)
	{
		log_warning("a commit was not replicated to the synchronous standby "
					"(its wait was cancelled): answered as unavailable");
		PQclear(res);
		answer(db, e.op, NULL);
	}
	else if (db->cancelled && pgnode_has_sqlstate(res, "57014"))
	{
		/* We cut it short to shut down: the service is going, not broken. */
		PQclear(res);
		answer(db, e.op, NULL);
	}
	else
	{
		if (log_enabled(LOG_LEVEL_DEBUG))
			log_debug("statement %d answered by %s:%s (%s)", e.op->stmt,
					  PQhost(c->pg), PQport(c->pg), PQresStatus(PQresultStatus(res)));
		answer(db, e.op, res);
	}
}

/* One result of c's oldest entry. */
static void
entry_result(DbConn *c, PGresult *res)
{
	DbLoop	   *db = c->target->db;
	Entry	   *e = &c->ring[c->head];

	if (e->prepare_pending)
	{
		e->prepare_pending = false;
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
		{
			PQclear(res);
			return;
		}
		/* the failed PREPARE is the answer; the Execute after it aborted */
		log_error("cannot prepare \"%s\": %s", db->config.statements[e->op->stmt],
				  PQresultErrorMessage(res));
		c->prepared[e->op->stmt] = false;
		e->answer = res;
		e->settled = true;
		return;
	}
	if (e->settled)
	{
		PQclear(res);
		return;
	}
	PQclear(e->answer);
	e->answer = res;
}

/* Reads what c's node sent: results, or its last words. */
static void
conn_read(DbConn *c)
{
	int			nulls = 0;

	if (!PQconsumeInput(c->pg))
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	if (c->count == 0)
	{
		/*
		 * An idle connection has nothing to read, unless the server is
		 * saying goodbye (shutdown, terminated backend). Rather than parse
		 * what it said, such a connection is opened anew on its next use.
		 */
		log_warning("Postgres connection closed by the server, reconnecting");
		conn_lost(c, NULL);
		return;
	}
	while (c->count > 0 && !PQisBusy(c->pg))
	{
		PGresult   *res = PQgetResult(c->pg);

		if (res == NULL)
		{
			/* the end of one statement's results; two: nothing more now */
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			entry_done(c);
			if (c->state != CONN_READY)
				return;			/* answering it closed c (a failed send) */
		}
		else
			entry_result(c, res);
	}
	if (PQstatus(c->pg) != CONNECTION_OK)
		conn_lost(c, PQerrorMessage(c->pg));
	else if (c->doomed && c->count == 0)
		conn_lost(c, NULL);
	else if (!c->doomed)
		pump(c->target);
}

void
pgasync_event(DbLoop *db, void *source, uint32_t events)
{
	DbConn	   *c = source;

	(void) db;
	if (c->state == CONN_CONNECTING)
	{
		conn_connect_step(c);
		return;
	}
	if (c->state != CONN_READY)
		return;
	if ((events & EPOLLOUT) && !conn_flush(c))
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_read(c);
}

void
pgasync_submit(DbLoop *db, DbOp *op)
{
	if (op->out)
	{
		/* it is in a queue or a ring still: sending it again corrupts both */
		log_error("a statement submitted again before its answer");
		log_flush();
		abort();
	}
	op->out = true;
	op->next = NULL;
	op->res = NULL;
	op->waiting_since_ms = 0;
	op->standbys_tried = 0;
	if (op->read_only && db->nstandbys > 0)
		op->first_standby = db->next_standby++;
	db->pending++;
	dispatch(db, op);
}

/* The waits of t that are out of time: the next node, or 503. */
static void
expire_waits(DbTarget *t, int64_t now)
{
	while (t->waiting != NULL && t->waiting->waiting_since_ms + POOL_WAIT_MS <= now)
	{
		DbOp	   *op = queue_pop(&t->waiting, &t->waiting_tail);

		if (t->is_standby)
		{
			/* the next node starts its own wait */
			metrics_pool_waited((long) (now - op->waiting_since_ms) * 1000L);
			no_answer(t, op);
			continue;
		}
		metrics_count(METRIC_POOL_WAIT_TIMEOUTS);
		log_error("no free Postgres connection after %d ms", POOL_WAIT_MS);
		answer(t->db, op, NULL);	/* its wait is counted when delivered */
	}
}

static void
expire_connects(DbTarget *t, int64_t now)
{
	for (int i = 0; i < t->nconns; i++)
	{
		DbConn	   *c = &t->conns[i];

		if (c->state == CONN_CONNECTING && c->connect_deadline_ms <= now)
			connect_failed(c, "timeout expired");
	}
}

static int
target_timeout(const DbTarget *t, int64_t now, int timeout)
{
	int64_t		next = -1;

	if (t->waiting != NULL)
		next = t->waiting->waiting_since_ms + POOL_WAIT_MS;
	for (int i = 0; i < t->nconns; i++)
		if (t->conns[i].state == CONN_CONNECTING &&
			(next < 0 || t->conns[i].connect_deadline_ms < next))
			next = t->conns[i].connect_deadline_ms;
	if (next < 0)
		return timeout;
	next = next <= now ? 0 : next - now;
	return timeout < 0 || next < timeout ? (int) next : timeout;
}

int
pgasync_timeout(DbLoop *db)
{
	int			timeout = -1;
	int64_t		now;
	bool		any = db->primary.waiting != NULL || db->connecting > 0;

	for (int i = 0; !any && i < db->nstandbys; i++)
		any = db->standbys[i].waiting != NULL;
	if (db->answered != NULL)
		return 0;
	if (!any)
		return -1;
	now = now_ms();
	timeout = target_timeout(&db->primary, now, timeout);
	for (int i = 0; i < db->nstandbys; i++)
		timeout = target_timeout(&db->standbys[i], now, timeout);
	return timeout;
}

int
pgasync_deliver(DbLoop *db)
{
	int			delivered = 0;
	bool		any = db->primary.waiting != NULL || db->connecting > 0;
	DbOp	   *op;

	for (int i = 0; !any && i < db->nstandbys; i++)
		any = db->standbys[i].waiting != NULL;
	if (any)
	{
		int64_t		now = now_ms();

		for (int i = 0; i < db->nstandbys; i++)
		{
			expire_connects(&db->standbys[i], now);
			expire_waits(&db->standbys[i], now);
		}
		expire_connects(&db->primary, now);
		expire_waits(&db->primary, now);
	}
	while ((op = queue_pop(&db->answered, &db->answered_tail)) != NULL)
	{
		PGresult   *res = op->res;

		if (op->waiting_since_ms != 0)
			metrics_pool_waited((long) (now_ms() - op->waiting_since_ms) * 1000L);
		op->res = NULL;
		op->out = false;
		db->pending--;
		delivered++;
		op->done(op->arg, res);
	}
	return delivered;
}

static void
cancel_target(DbTarget *t)
{
	char		error[256];
	DbOp	   *op;

	while ((op = queue_pop(&t->waiting, &t->waiting_tail)) != NULL)
		answer(t->db, op, NULL);
	for (int i = 0; i < t->nconns; i++)
	{
		DbConn	   *c = &t->conns[i];

		if (c->count > 0 && c->cancel != NULL &&
			!PQcancel(c->cancel, error, sizeof(error)))
			log_warning("cannot cancel a statement: %s", error);
	}
}

void
pgasync_cancel(DbLoop *db)
{
	if (db->cancelled)
		return;
	db->cancelled = true;
	cancel_target(&db->primary);
	for (int i = 0; i < db->nstandbys; i++)
		cancel_target(&db->standbys[i]);
}

int
pgasync_pending(const DbLoop *db)
{
	return db->pending;
}

void
pgasync_close_all(DbLoop *db)
{
	db->cancelled = true;		/* nothing more is sent */
	for (int i = 0; i < db->nstandbys; i++)
		for (int j = 0; j < db->standbys[i].nconns; j++)
			conn_lost(&db->standbys[i].conns[j], NULL);
	for (int j = 0; j < db->primary.nconns; j++)
		conn_lost(&db->primary.conns[j], NULL);
	cancel_target(&db->primary);
	for (int i = 0; i < db->nstandbys; i++)
		cancel_target(&db->standbys[i]);
}

static bool
target_init(DbLoop *db, DbTarget *t, const char *conninfo, bool is_standby)
{
	t->db = db;
	t->conninfo = conninfo;
	t->is_standby = is_standby;
	t->nconns = db->config.connections;
	t->conns = calloc((size_t) t->nconns, sizeof(DbConn));
	if (t->conns == NULL)
		return false;
	for (int i = 0; i < t->nconns; i++)
	{
		DbConn	   *c = &t->conns[i];

		c->target = t;
		c->fd = -1;
		c->prepared = calloc((size_t) db->config.nstatements + 1, sizeof(bool));
		c->ring = calloc((size_t) db->config.pipeline_depth, sizeof(Entry));
		if (c->prepared == NULL || c->ring == NULL)
			return false;
	}
	metrics_gauge_add(METRIC_POOL_SIZE, t->nconns);
	return true;
}

DbLoop *
pgasync_create(const DbConfig *config, int epoll_fd)
{
	DbLoop	   *db = calloc(1, sizeof(DbLoop));
	bool		ok;

	if (db == NULL)
		return NULL;
	db->config = *config;
	if (db->config.pipeline_depth < 1)
		db->config.pipeline_depth = 1;
	if (db->config.pipeline_depth > PIPELINE_DEPTH_MAX)
		db->config.pipeline_depth = PIPELINE_DEPTH_MAX;
	db->epoll_fd = epoll_fd;
	db->nstandbys = config->nstandbys;
	db->standbys = calloc((size_t) db->nstandbys + 1, sizeof(DbTarget));
	ok = db->standbys != NULL && target_init(db, &db->primary, config->conninfo, false);
	for (int i = 0; ok && i < db->nstandbys; i++)
		ok = target_init(db, &db->standbys[i], config->standbys[i], true);
	if (!ok)
	{
		pgasync_destroy(db);
		return NULL;
	}
	/* all open now, in the background: a node down delays nothing */
	for (int i = 0; i < db->primary.nconns; i++)
		conn_start(&db->primary.conns[i]);
	for (int i = 0; i < db->nstandbys; i++)
		for (int j = 0; j < db->standbys[i].nconns; j++)
			conn_start(&db->standbys[i].conns[j]);
	return db;
}

static void
target_free(DbTarget *t)
{
	if (t->conns == NULL)
		return;
	for (int i = 0; i < t->nconns; i++)
	{
		if (t->conns[i].prepared != NULL && t->conns[i].ring != NULL)
			conn_close(&t->conns[i]);
		free(t->conns[i].prepared);
		free(t->conns[i].ring);
	}
	metrics_gauge_add(METRIC_POOL_SIZE, -t->nconns);
	free(t->conns);
}

void
pgasync_destroy(DbLoop *db)
{
	if (db == NULL)
		return;
	target_free(&db->primary);
	for (int i = 0; db->standbys != NULL && i < db->nstandbys; i++)
		target_free(&db->standbys[i]);
	free(db->standbys);
	free(db);
}
