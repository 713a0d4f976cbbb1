/*
 * server.c - the HTTP server of authoob-http.
 *
 * libmicrohttpd with a pool of threads, each running its own epoll loop; a
 * request's statement runs on the thread that read it, so --threads bounds
 * the statements in flight and a pool of as many connections never waits.
 * How many connections, and for how long, is client_limits.c's.
 */
#include "server.h"

#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "client_limits.h"
#include "log.h"
#include "request.h"

/*
 * Silent clients are dropped after this many seconds, whatever they are
 * doing: the deadlines of client_limits.c only cover receiving a request, this
 * also covers a client that does not read its answer.
 */
#define CONNECTION_TIMEOUT_S 30
/* After cancelling at shutdown, how long the answers may take to go out. */
#define CANCEL_GRACE_MS 2000

/*
 * Descriptors not for clients: stdio, the listen socket, the mailer (its
 * database connection, SMTP socket and wake-up pipe), name lookups and files,
 * with room to spare; then for each worker thread its epoll and wake-up
 * descriptors, for each pool connection itself and the one that cancels its
 * statement at shutdown.
 */
#define FDS_RESERVED 32
#define FDS_PER_THREAD 2
#define FDS_PER_POOL_CONNECTION 2
/*
 * Each connection may take a 32 kB memory pool in libmicrohttpd: a limit
 * derived from a hard limit of a million descriptors would allow 32 GB.
 */
#define MAX_CONNECTIONS_DERIVED 16384

struct Server
{
	struct MHD_Daemon *daemon;
	ClientLimits    *client_limits;
	RequestEnv	env;
	TrustedProxies trusted_proxies;
};

/* Resolves "host:port" or "[v6]:port" (numeric port, 0 for any). */
static bool
parse_listen(const char *listen, struct sockaddr_storage *addr)
{
	char		host[256];
	const char *port;
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	.ai_socktype = SOCK_STREAM};
	struct addrinfo *found;
	size_t		host_len;

	if (listen[0] == '[')
	{
		port = strstr(listen, "]:");
		host_len = port ? (size_t) (port - listen - 1) : 0;
		listen++, port = port ? port + 2 : NULL;
	}
	else
	{
		port = strrchr(listen, ':');
		host_len = port ? (size_t) (port - listen) : 0;
		port = port ? port + 1 : NULL;
	}
	if (port == NULL || *port == '\0' || host_len >= sizeof(host))
		return false;
	memcpy(host, listen, host_len);
	host[host_len] = '\0';
	if (getaddrinfo(host_len ? host : NULL, port, &hints, &found) != 0)
		return false;
	memcpy(addr, found->ai_addr, found->ai_addrlen);
	freeaddrinfo(found);
	return true;
}

/* The address actually bound, port 0 resolved. */
static bool
bound_address(struct MHD_Daemon *daemon, struct sockaddr_storage *addr,
			  socklen_t *len)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);

	*len = sizeof(*addr);
	return info != NULL &&
		getsockname(info->listen_fd, (struct sockaddr *) addr, len) == 0;
}

/* Tests read this line for the port. */
static void
log_listening(const struct sockaddr_storage *addr, socklen_t len)
{
	char		host[NI_MAXHOST],
				port[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *) addr, len, host, sizeof(host),
					port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	log_info("listening on %s%s%s:%s", addr->ss_family == AF_INET6 ? "[" : "",
			 host, addr->ss_family == AF_INET6 ? "]" : "", port);
}

/* libmicrohttpd's own messages (malformed requests, socket errors). */
static void
log_from_mhd(void *cls, const char *fmt, va_list args)
{
	char		message[512];
	size_t		len;

	(void) cls;
	vsnprintf(message, sizeof(message), fmt, args);
	len = strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		message[--len] = '\0';
	log_debug("http: %s", message);
}

/* The descriptor limit, its soft value raised to the hard one if it can be. */
static long
raise_descriptor_limit(void)
{
	struct rlimit fds;
	rlim_t		soft;

	if (getrlimit(RLIMIT_NOFILE, &fds) != 0)
		return 1024;
	soft = fds.rlim_cur;
	if (fds.rlim_cur < fds.rlim_max)
	{
		fds.rlim_cur = fds.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &fds) != 0)
			fds.rlim_cur = soft;
	}
	return fds.rlim_cur > INT_MAX ? INT_MAX : (long) fds.rlim_cur;
}

/*
 * How many connections may be open at once: what the descriptors left by
 * the pool, the threads and the rest allow (at most MAX_CONNECTIONS_DERIVED
 * unless --max-connections says more); 0 (logged) if not even one a thread.
 */
static int
connection_limit(const Options *options, long descriptors)
{
	long		room = descriptors - FDS_RESERVED -
		FDS_PER_THREAD * (long) options->threads -
		FDS_PER_POOL_CONNECTION * (long) options->pool_size;
	long		limit = options->max_connections;

	if (limit == 0)
		limit = room < MAX_CONNECTIONS_DERIVED ? room : MAX_CONNECTIONS_DERIVED;
	else if (limit > room)
	{
		log_warning("--max-connections=%ld is more than the descriptor limit "
					"(%ld) leaves room for: %ld", limit, descriptors, room);
		limit = room;
	}
	if (limit < options->threads)
	{
		log_error("the descriptor limit (%ld) leaves no room for connections: "
				  "raise it (ulimit -n, LimitNOFILE=)", descriptors);
		return 0;
	}
	return (int) limit;
}

/*
 * The access handler, as client_limits.c sees a request: its first call has the
 * header (the body's deadline starts), a later call without data is the end
 * of the body (the statement runs, with no deadline).
 */
static enum MHD_Result
serve_request(void *cls, struct MHD_Connection *connection, const char *url,
			  const char *method, const char *version, const char *upload_data,
			  size_t *upload_data_size, void **req_cls)
{
	Server	   *server = cls;

	if (*req_cls == NULL)
		client_limits_enter(server->client_limits, connection, PHASE_BODY);
	else if (*upload_data_size == 0)
		client_limits_enter(server->client_limits, connection, PHASE_STATEMENT);
	return request_handle(&server->env, connection, url, method, version,
						  upload_data, upload_data_size, req_cls);
}

/* A request is over: on a kept-alive connection, the next header's deadline. */
static void
end_request(void *cls, struct MHD_Connection *connection, void **req_cls,
			enum MHD_RequestTerminationCode code)
{
	Server	   *server = cls;

	request_completed(&server->env, connection, req_cls, code);
	client_limits_enter(server->client_limits, connection, PHASE_HEADER);
}

static Server *
start_failed(Server *server)
{
	if (server->daemon != NULL)
		MHD_stop_daemon(server->daemon);
	client_limits_stop(server->client_limits);
	free(server);
	return NULL;
}

/* Whose connections and deadlines, with what limits: one line at start. */
static ClientLimits *
create_client_limits(const Options *options, const TrustedProxies *trusted_proxies,
			   int max_connections, long descriptors)
{
	ClientLimitsConfig limits = {
		.max_client_connections = options->max_client_connections,
		.trusted_proxies = trusted_proxies,
		.header_timeout_s = options->header_timeout_s,
		.body_timeout_s = options->body_timeout_s,
	};

	log_info("at most %d connections (descriptor limit %ld), %d per client "
			 "address%s; a header within %d s, a body within %d s",
			 max_connections, descriptors, options->max_client_connections,
			 options->max_client_connections == 0 ? " (no limit)" : "",
			 options->header_timeout_s, options->body_timeout_s);
	if (trusted_proxies->count > 0)
		log_info("X-Forwarded-For names the client behind %d trusted proxy "
				 "networks, whose connections are not counted per client",
				 trusted_proxies->count);
	return client_limits_create(&limits);
}

Server *
server_start(const Options *options, Pool *pool)
{
	Server	   *server = calloc(1, sizeof(Server));
	struct sockaddr_storage addr = {0};
	socklen_t	addr_len;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ITC | MHD_USE_ERROR_LOG;
	long		descriptors = raise_descriptor_limit();
	int			max_connections = connection_limit(options, descriptors);

	if (server == NULL)
		return NULL;
	if (!parse_listen(options->listen, &addr))
	{
		log_error("cannot resolve listen address \"%s\"", options->listen);
		return start_failed(server);
	}
	server->trusted_proxies = options->trusted_proxies;
	if (max_connections == 0 ||
		(server->client_limits = create_client_limits(options, &server->trusted_proxies,
										  max_connections,
										  descriptors)) == NULL)
		return start_failed(server);
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	server->env.pool = pool;
	server->env.body_limit = options->body_limit;
	server->env.trusted_proxies = &server->trusted_proxies;
	server->daemon = MHD_start_daemon(flags, 0, NULL, NULL,
									  serve_request, server,
									  MHD_OPTION_SOCK_ADDR, &addr,
									  MHD_OPTION_THREAD_POOL_SIZE,
									  (unsigned int) options->threads,
									  MHD_OPTION_CONNECTION_LIMIT,
									  (unsigned int) max_connections,
									  MHD_OPTION_CONNECTION_TIMEOUT,
									  (unsigned int) CONNECTION_TIMEOUT_S,
									  MHD_OPTION_NOTIFY_CONNECTION,
									  client_limits_notify_connection, server->client_limits,
									  MHD_OPTION_NOTIFY_COMPLETED,
									  end_request, server,
									  MHD_OPTION_UNESCAPE_CALLBACK,
									  request_unescape, NULL,
									  MHD_OPTION_EXTERNAL_LOGGER,
									  log_from_mhd, NULL,
									  MHD_OPTION_END);
	if (server->daemon == NULL)
	{
		log_error("cannot listen on %s", options->listen);
		return start_failed(server);
	}
	if (!bound_address(server->daemon, &addr, &addr_len))
	{
		log_error("cannot read the address listened on: %m");
		return start_failed(server);
	}
	if (!client_limits_start(server->client_limits, &addr, addr_len))
		return start_failed(server);
	log_listening(&addr, addr_len);
	return server;
}

/* Waits until no request is in flight, at most ms; true if none is. */
static bool
wait_idle(Server *server, int ms)
{
	struct timespec pause = {.tv_nsec = 10 * 1000000L};

	for (int waited = 0; atomic_load(&server->env.in_flight) > 0; waited += 10)
	{
		if (waited >= ms)
			return false;
		nanosleep(&pause, NULL);
	}
	return true;
}

void
server_stop(Server *server, int drain_ms)
{
	MHD_socket	listen_fd;

	atomic_store(&server->env.draining, true);
	listen_fd = MHD_quiesce_daemon(server->daemon);
	client_limits_quiesce(server->client_limits);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	if (!wait_idle(server, drain_ms))
	{
		/* Worker threads cannot be stopped inside libpq: cancel instead, */
		log_warning("%d requests still in flight after %d ms, cancelling",
					atomic_load(&server->env.in_flight), drain_ms);
		pool_cancel_all(server->env.pool);
		/* and give their 503s a moment to leave. */
		wait_idle(server, CANCEL_GRACE_MS);
	}
	MHD_stop_daemon(server->daemon);
	/* Kept to the end: its deadlines also bound the drain. */
	client_limits_stop(server->client_limits);
	free(server);
}
