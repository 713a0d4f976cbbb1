/*
 * pgnode.h - what an error result says of the Postgres node that sent it,
 * the same for the blocking pool (pool.c) and the loops' connections
 * (pgasync.c).
 */
#ifndef AUTHOOB_PGNODE_H
#define AUTHOOB_PGNODE_H

#include <stdbool.h>
#include <libpq-fe.h>

/* Whether res failed with this SQLSTATE, or one of its class ("08"). */
bool		pgnode_has_sqlstate(const PGresult *res, const char *code);

/*
 * Whether res says its node no longer serves: it is going away (57P0x:
 * shutdown, crash, cannot connect now), its connection broke (08xxx), or
 * it takes no writes (25006: a primary demoted by a failover) though it
 * should (not is_standby, whose refusal is the statement's alone). Logged:
 * the connection is to be opened anew, the statement answered 503.
 */
bool		pgnode_gone(const PGresult *res, bool is_standby);

#endif
