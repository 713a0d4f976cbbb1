/*
 * client_limits.h - what one client may hold of authoob-http, and for how long.
 *
 * libmicrohttpd only closes a connection that has been silent for its idle
 * timeout: a client that sends a header byte every few seconds keeps its
 * connection for ever, and one address may open them all. This file counts
 * each client's connections, refuses those over the limit, and cuts a
 * connection whose request header or body is not in by its deadline.
 */
#ifndef AUTHOOB_CLIENT_LIMITS_H
#define AUTHOOB_CLIENT_LIMITS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "proxies.h"

typedef struct ClientLimitsConfig
{
	int			max_client_connections;	/* per client address; 0: none */
	const TrustedProxies *trusted_proxies;	/* not counted; NULL: none */
	int			header_timeout_s;	/* from connecting or the last answer */
	int			body_timeout_s; /* from the end of the header */
} ClientLimitsConfig;

/* Where a connection is in its request; each phase has its own deadline. */
typedef enum RequestPhase
{
	PHASE_HEADER,				/* waiting for a request's header */
	PHASE_BODY,				/* header in, body on its way */
	PHASE_STATEMENT			/* request in: no deadline, the answer is ours */
} RequestPhase;

typedef struct ClientLimits ClientLimits;

/* Before the daemon starts: it needs client_limits_notify_connection. */
ClientLimits    *client_limits_create(const ClientLimitsConfig *limits);

/*
 * Starts the thread that cuts connections past their deadline; false
 * (logged) if it cannot start.
 */
bool		client_limits_start(ClientLimits *client_limits);

/* MHD_OPTION_NOTIFY_CONNECTION: counts, refuses and forgets connections. */
void		client_limits_notify_connection(void *cls,
									  struct MHD_Connection *connection,
									  void **socket_context,
									  enum MHD_ConnectionNotificationCode code);

/* The connection's request has reached phase: its deadline moves. */
void		client_limits_enter(ClientLimits *client_limits, struct MHD_Connection *connection,
						  RequestPhase phase);

/* After the daemon has stopped (every connection closed): stop and free. */
void		client_limits_stop(ClientLimits *client_limits);

#endif
