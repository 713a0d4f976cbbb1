/*
 * routes.h - the route table of authoob-http, and matching against it.
 *
 * A route is data: method, path pattern, the SQL statement it runs, where the
 * statement's parameters come from, the status of success, and whether its
 * answer is a body or headers. The front has
 * no handler per route; adding one is a line in routes.c.
 */
#ifndef AUTHOOB_ROUTES_H
#define AUTHOOB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "response.h"

#define ROUTE_MAX_ARGS 4
/* Room for a path's methods: "GET, POST, PUT, DELETE, PATCH". */
#define ROUTE_ALLOW_SIZE 64

/* Where a statement parameter comes from, in $1, $2... order. */
typedef enum RouteArg
{
	ARG_END = 0,				/* ends the list */
	ARG_BODY,					/* the JSON body as text, NULL if none */
	ARG_TOKEN,					/* the auth token, NULL if none */
	ARG_CLIENT_IP,				/* the peer address */
	ARG_PATH,					/* the next '*' segment of the pattern */
	ARG_SECRET_PATH,			/* same, but a secret: never logged */
	ARG_QUERY,					/* the query parameter the route names, NULL if none */
	ARG_QUERY_JSON,				/* every query parameter, as a JSON object of strings */
	ARG_USER_AGENT,				/* the User-Agent header, printable ASCII cut to
								 * ROUTE_USER_AGENT_MAX bytes; NULL if none */
	ARG_FLOW_COOKIE				/* the cookie FLOW_COOKIE (a secret), NULL if none */
} RouteArg;

/* The most of a User-Agent header a route passes on (a session keeps it) */
#define ROUTE_USER_AGENT_MAX 255

/*
 * A family of routes lives under its own prefix and answers its errors in
 * its own dialect: authoob's own routes, and those that speak Supabase
 * Auth's protocol (gotrue_prefix) to its clients.
 */
typedef enum RouteFamily
{
	FAMILY_AUTHOOB = 0,
	FAMILY_GOTRUE,
	ROUTE_FAMILIES
} RouteFamily;

/* A family's prefix: "" or "/x..." without a trailing slash; NULL: off */
typedef struct RoutePrefix
{
	const char *text;
	size_t		len;
} RoutePrefix;

typedef struct Route
{
	const char *method;
	const char *pattern;		/* after the prefix; '*' = one segment */
	int			success_status;	/* a 3xx redirects to the body's "url" */
	RouteArg	args[ROUTE_MAX_ARGS];
	const char *sql;
	ReplyShape	shape;			/* REPLY_BODY unless said */
	const char *query;			/* the query parameter ARG_QUERY reads */
	bool		query_required;	/* matched only when the query has it */
	bool		read_only;		/* writes nothing: a standby may run it */
	RouteFamily family;			/* FAMILY_AUTHOOB unless said */
} Route;

/* A matched request: the route and its '*' segments (pointers into the url). */
typedef struct RouteMatch
{
	const Route *route;
	int			index;			/* in the table: the prepared statement */
	const char *segments[ROUTE_MAX_ARGS];
	size_t		segment_lens[ROUTE_MAX_ARGS];
	int			nsegments;
	RouteFamily family;			/* whose prefix the url has, even if no route */
} RouteMatch;

typedef enum RouteResult
{
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,
	ROUTE_BAD_METHOD			/* the path exists for other methods */
} RouteResult;

/* The SQL of every route, by index, for the pool to prepare. */
const char *const *routes_statements(int *count);

/* The route table itself, by the same index (the metrics name routes). */
const Route *routes_table(int *count);

/* Whether the request's query string has the parameter name. */
typedef bool (*RouteHasQuery) (void *cls, const char *name);

/*
 * Matches url (the decoded path) under the families' prefixes; a route that requires a
 * query parameter matches only if has_query (NULL: none) says it is there.
 * On ROUTE_BAD_METHOD (and on ROUTE_FOUND) allow receives the path's
 * methods, e.g. "GET, PUT".
 */
RouteResult routes_match(const RoutePrefix *prefixes,
						 const char *method, const char *url,
						 RouteHasQuery has_query, void *has_query_cls,
						 RouteMatch *match, char *allow, size_t allow_size);

/*
 * Appends len bytes of src to out, which holds used bytes of size, as
 * printable ASCII with any other byte as '?', cut to fit with its NUL;
 * returns the new length. Whatever a client sent goes through it on its way
 * to the log, so that no control byte (a terminal escape sequence, a line
 * break) can reach a terminal or forge a line.
 */
size_t		routes_append_printable(char *out, size_t used, size_t size,
									const char *src, size_t len);

/*
 * The path as it may be logged: the prefix and pattern with public segments
 * filled in and secret ones as "*"; for an unknown path only its first
 * segment after the prefix, since a mistyped URL may still carry a secret.
 */
void		routes_log_path(const RoutePrefix *prefixes, const char *url,
							const RouteMatch *match, char *out, size_t size);

#endif
