/*
 * janitor.h - what one client may hold of authoob-http, and for how long.
 *
 * libmicrohttpd only closes a connection that has been silent for its idle
 * timeout: a client that sends a header byte every few seconds keeps its
 * connection for ever, and one address may open them all. The janitor counts
 * each client's connections, refuses those over the limit, and cuts a
 * connection whose request header or body is not in by its deadline.
 */
#ifndef AUTHOOB_JANITOR_H
#define AUTHOOB_JANITOR_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "proxies.h"

typedef struct JanitorLimits
{
	int			max_client_connections;	/* per client address; 0: none */
	const TrustedProxies *trusted_proxies;	/* not counted; NULL: none */
	int			header_timeout_s;	/* from connecting or the last answer */
	int			body_timeout_s; /* from the end of the header */
} JanitorLimits;

/* Where a connection is in its request; each phase has its own deadline. */
typedef enum JanitorPhase
{
	JANITOR_HEADER,				/* waiting for a request's header */
	JANITOR_BODY,				/* header in, body on its way */
	JANITOR_STATEMENT			/* request in: no deadline, the answer is ours */
} JanitorPhase;

typedef struct Janitor Janitor;

/* Before the daemon starts: it needs janitor_notify_connection. */
Janitor    *janitor_create(const JanitorLimits *limits);

/*
 * Starts the thread that cuts connections past their deadline. listen_addr
 * is where the daemon listens, for the janitor to wake its workers (see
 * janitor.c); false (logged) if the thread cannot start.
 */
bool		janitor_start(Janitor *janitor,
						  const struct sockaddr_storage *listen_addr,
						  socklen_t listen_len);

/* MHD_OPTION_NOTIFY_CONNECTION: counts, refuses and forgets connections. */
void		janitor_notify_connection(void *cls,
									  struct MHD_Connection *connection,
									  void **socket_context,
									  enum MHD_ConnectionNotificationCode code);

/* The connection's request has reached phase: its deadline moves. */
void		janitor_enter(Janitor *janitor, struct MHD_Connection *connection,
						  JanitorPhase phase);

/* The listen socket is closed (draining): never connect to it again. */
void		janitor_quiesce(Janitor *janitor);

/* After the daemon has stopped (every connection closed): stop and free. */
void		janitor_stop(Janitor *janitor);

#endif
