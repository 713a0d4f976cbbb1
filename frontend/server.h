/*
 * server.h - the HTTP server of authoob-http: listening, worker threads,
 * and a graceful stop.
 */
#ifndef AUTHOOB_SERVER_H
#define AUTHOOB_SERVER_H

#include "options.h"
#include "pool.h"

typedef struct Server Server;

/* Listens and serves with options->threads threads; NULL (logged) on error. */
Server	   *server_start(const Options *options, Pool *pool);

/*
 * Stops accepting, lets requests in flight finish for at most drain_ms,
 * then closes every connection and frees the server.
 */
void		server_stop(Server *server, int drain_ms);

#endif
