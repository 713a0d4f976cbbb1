/*
 * pgnode.c - what an error result says of the Postgres node that sent it.
 */
#include "pgnode.h"

#include <string.h>

#include "log.h"

bool
pgnode_has_sqlstate(const PGresult *res, const char *code)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return sqlstate != NULL && strncmp(sqlstate, code, strlen(code)) == 0;
}

bool
pgnode_gone(const PGresult *res, bool is_standby)
{
	if (pgnode_has_sqlstate(res, "08") || pgnode_has_sqlstate(res, "57P0"))
	{
		log_warning("Postgres node going away (%s), reconnecting",
					PQresultErrorField(res, PG_DIAG_SQLSTATE));
		return true;
	}
	if (!is_standby && pgnode_has_sqlstate(res, "25006"))
	{
		log_warning("Postgres node is read-only (no longer the primary?), "
					"reconnecting");
		return true;
	}
	return false;
}
