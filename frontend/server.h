/*
 * server.h - the HTTP server of authoob-http: listening, worker threads,
 * and a graceful stop.
 */
#ifndef AUTHOOB_SERVER_H
#define AUTHOOB_SERVER_H

#include "options.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

typedef struct Server Server;

/* Resolves "host:port" or "[v6]:port" (numeric port, 0 for any). */
bool		server_parse_listen(const char *listen, struct sockaddr_storage *addr);

/*
 * Where daemon listens, its port 0 resolved, as "host:port" or
 * "[v6]:port" into out; false if it cannot be read.
 */
bool		server_listen_text(struct MHD_Daemon *daemon, char *out, size_t size);

/*
 * Listens and serves with options->threads event loops, each with its own
 * Postgres connections (pgasync.h); NULL (logged) on error.
 */
Server	   *server_start(const Options *options);

/*
 * Stops accepting, lets requests in flight finish for at most drain_ms,
 * then closes every connection and frees the server.
 */
void		server_stop(Server *server, int drain_ms);

#endif
