/*
 * request.h - one HTTP request of authoob-http, from headers to response.
 *
 * libmicrohttpd calls request_handle for the headers, for each piece of the
 * body and once at the end; request_completed when the exchange is over,
 * whatever happened, which is where the access line is written.
 *
 * At the end of the body the request's statement goes to its loop's
 * connections (pgasync.h) and the connection is suspended; when the answer
 * comes, the connection is resumed and libmicrohttpd calls request_handle
 * once more, which sends the reply. No thread waits on a statement.
 */
#ifndef AUTHOOB_REQUEST_H
#define AUTHOOB_REQUEST_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "pgasync.h"
#include "proxies.h"

/* What every request shares; owned by server.c. */
typedef struct RequestShared
{
	size_t		body_limit;
	const TrustedProxies *trusted_proxies;	/* NULL: the client is the peer */
	atomic_bool draining;		/* shutting down: close after each response */
	atomic_int	in_flight;		/* requests begun and not completed */
} RequestShared;

/*
 * What the requests of one event loop share: the shared part, and the
 * loop's database connections. A request runs on its loop's thread only.
 */
typedef struct RequestEnv
{
	RequestShared *shared;
	DbLoop	   *db;
	struct Request *spare;		/* finished requests, to reuse (request.c) */
	int			nspare;
	bool		stopping;		/* the loop's last turns: 503, no statement */
} RequestEnv;

/* Frees the spare requests; the loop has stopped. */
void		request_env_free(RequestEnv *env);

enum MHD_Result request_handle(void *cls, struct MHD_Connection *connection,
							   const char *url, const char *method,
							   const char *version, const char *upload_data,
							   size_t *upload_data_size, void **req_cls);

void		request_completed(void *cls, struct MHD_Connection *connection,
							  void **req_cls,
							  enum MHD_RequestTerminationCode code);

/*
 * libmicrohttpd's unescaping of the path and of query values, refusing what
 * Postgres cannot take: one that decodes to a NUL byte or to invalid UTF-8
 * becomes REQUEST_UNDECODABLE, which matches no route, rather than the text
 * before the NUL (MHD_OPTION_UNESCAPE_CALLBACK).
 */
#define REQUEST_UNDECODABLE "\x7f"
size_t		request_unescape(void *cls, struct MHD_Connection *connection,
							 char *text);

#endif
