/*
 * server.c - the HTTP server of authoob-http: one event loop per thread.
 *
 * Each loop thread has its own libmicrohttpd daemon, run from outside
 * (MHD_USE_EPOLL without its own thread: MHD_run when its epoll descriptor
 * is ready or its timeout is due), and its own non-blocking Postgres
 * connections (pgasync.h), both in one epoll set. A request whose body is
 * in sends its statement and its connection is suspended; the answer resumes
 * it. No thread waits on a statement, so --threads is the cores to use, not
 * the statements in flight; --pool says how many connections the loops
 * share out. All daemons accept from one listen socket, made here (so that
 * port 0 is one port), which the stop takes back from each (quiesce).
 * How many connections, and for how long, is client_limits.c's.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "client_limits.h"
#include "log.h"
#include "request.h"
#include "routes.h"

/*
 * Silent clients are dropped after this many seconds, whatever they are
 * doing: the deadlines of client_limits.c only cover receiving a request, this
 * also covers a client that does not read its answer.
 */
#define CONNECTION_TIMEOUT_S 30
/* After cancelling at shutdown, how long the answers may take to go out. */
#define CANCEL_GRACE_MS 2000
/* How long the loops may take to stop accepting at shutdown. */
#define QUIESCE_WAIT_MS 10000

/*
 * Descriptors not for clients: stdio, the listen socket, the mailer (its
 * database connection, SMTP socket and wake-up pipe), name lookups and files,
 * with room to spare; then for each loop thread its two epoll descriptors,
 * libmicrohttpd's wake-up pipe and ours, for each pool connection itself and
 * the one that cancels its statement at shutdown.
 */
#define FDS_RESERVED 32
#define FDS_PER_THREAD 4
#define FDS_PER_POOL_CONNECTION 2
/*
 * Each connection may take a 32 kB memory pool in libmicrohttpd: a limit
 * derived from a hard limit of a million descriptors would allow 32 GB.
 */
#define MAX_CONNECTIONS_DERIVED 16384
/*
 * Reads in flight on one Postgres connection (libpq's pipeline mode; a
 * write holds its connection alone, pgasync.c). Eight pays
 * (docs/benchmarks.md): GET P/profile went from 9,476 to 13,889 req/s, the
 * backend reading several statements a read.
 */
#define PIPELINE_DEPTH 8
/* At most this many turns answer what is left when a loop stops. */
#define LAST_TURNS 16
/* epoll events taken per wait */
#define LOOP_EVENTS 64

typedef struct Server Server;

/* One event loop: a thread, its daemon, its connections to Postgres. */
typedef struct Loop
{
	Server	   *server;
	pthread_t	thread;
	bool		started;
	struct MHD_Daemon *daemon;
	int			epoll_fd;
	int			wake_fd;		/* eventfd: the stop's requests below */
	DbLoop	   *db;
	RequestEnv	env;
	/* epoll_data.ptr of the daemon's and the wake-up's descriptors */
	char		daemon_tag;
	char		wake_tag;
	/* asked by server_stop, done by the loop's thread */
	atomic_bool quiesce;
	atomic_bool quiesced;
	atomic_bool cancel;
	atomic_bool stop;
} Loop;

struct Server
{
	ClientLimits *client_limits;
	RequestShared shared;
	TrustedProxies trusted_proxies;
	int			listen_fd;
	Loop	   *loops;
	int			nloops;
};

bool
server_parse_listen(const char *listen, struct sockaddr_storage *addr)
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

bool
server_listen_text(struct MHD_Daemon *daemon, char *out, size_t size)
{
	struct sockaddr_storage addr;
	socklen_t	len;
	char		host[NI_MAXHOST],
				port[NI_MAXSERV];

	if (!bound_address(daemon, &addr, &len) ||
		getnameinfo((const struct sockaddr *) &addr, len, host, sizeof(host),
					port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return false;
	snprintf(out, size, "%s%s%s:%s", addr.ss_family == AF_INET6 ? "[" : "",
			 host, addr.ss_family == AF_INET6 ? "]" : "", port);
	return true;
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

/* libmicrohttpd gives up (an API misuse): say where before the abort. */
static void
panic_from_mhd(void *cls, const char *file, unsigned int line, const char *reason)
{
	(void) cls;
	log_error("libmicrohttpd: fatal error at %s:%u: %s", file ? file : "?", line,
			  reason ? reason : "");
	log_flush();
	abort();
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
	/* each loop opens one connection per node at least */
	long		per_node = options->pool_size > options->threads ?
		options->pool_size : options->threads;
	long		room = descriptors - FDS_RESERVED -
		FDS_PER_THREAD * (long) options->threads -
		FDS_PER_POOL_CONNECTION * per_node * (1 + (long) options->n_db_read) -
		FDS_PER_POOL_CONNECTION;	/* the blocking pool's one (main.c) */
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
	Loop	   *loop = cls;

	if (*req_cls == NULL)
		client_limits_enter(loop->server->client_limits, connection, PHASE_BODY);
	else if (*upload_data_size == 0)
		client_limits_enter(loop->server->client_limits, connection, PHASE_STATEMENT);
	return request_handle(&loop->env, connection, url, method, version,
						  upload_data, upload_data_size, req_cls);
}

/* A request is over: on a kept-alive connection, the next header's deadline. */
static void
end_request(void *cls, struct MHD_Connection *connection, void **req_cls,
			enum MHD_RequestTerminationCode code)
{
	Loop	   *loop = cls;

	request_completed(&loop->env, connection, req_cls, code);
	client_limits_enter(loop->server->client_limits, connection, PHASE_HEADER);
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

/* The listen socket all loops accept from; -1 (logged) on error. */
static int
open_listen_socket(const struct sockaddr_storage *addr)
{
	socklen_t	len = addr->ss_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int			fd = socket(addr->ss_family,
							SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int			on = 1;

	if (fd < 0)
		return -1;
	/* as libmicrohttpd would: rebind at once after a restart; v6 only v6 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
		(addr->ss_family == AF_INET6 &&
		 setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
		bind(fd, (const struct sockaddr *) addr, len) != 0 ||
		listen(fd, SOMAXCONN) != 0)
	{
		log_error("cannot listen: %m");
		close(fd);
		return -1;
	}
	return fd;
}

static bool
loop_watch(Loop *loop, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN,.data.ptr = tag};

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

/*
 * One turn: wait for a socket or a timeout, read the Postgres answers and
 * resume their requests, then let libmicrohttpd read, call the handlers
 * and write. The access lines of the turn go out in one write.
 */
static void
loop_turn(Loop *loop, struct epoll_event *events)
{
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	int			timeout = pgasync_timeout(loop->db);
	bool		run_daemon = false;
	int			n;

	if (MHD_get_timeout(loop->daemon, &mhd_ms) == MHD_YES &&
		(timeout < 0 || mhd_ms < (MHD_UNSIGNED_LONG_LONG) timeout))
		timeout = mhd_ms > INT_MAX ? INT_MAX : (int) mhd_ms;
	if (timeout != 0)
		log_flush();
	n = epoll_wait(loop->epoll_fd, events, LOOP_EVENTS, timeout);
	if (n <= 0)
		run_daemon = true;		/* a timeout: libmicrohttpd's, or ours */
	for (int i = 0; i < n; i++)
	{
		void	   *source = events[i].data.ptr;

		if (source == &loop->daemon_tag)
			run_daemon = true;
		else if (source == &loop->wake_tag)
		{
			uint64_t	count;

			if (read(loop->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				log_warning("cannot read a loop's wake-up: %m");
			run_daemon = true;
		}
		else
			pgasync_event(loop->db, source, events[i].events);
	}
	if (atomic_load(&loop->cancel))
		pgasync_cancel(loop->db);
	if (pgasync_deliver(loop->db) > 0)
		run_daemon = true;		/* resumed connections have answers to send */
	if (atomic_load(&loop->quiesce) && !atomic_load(&loop->quiesced))
	{
		/* the listen socket is the server's: closed once all let it go */
		MHD_quiesce_daemon(loop->daemon);
		atomic_store(&loop->quiesced, true);
	}
	if (run_daemon)
		MHD_run(loop->daemon);
}

static void *
loop_main(void *arg)
{
	Loop	   *loop = arg;
	struct epoll_event events[LOOP_EVENTS];

	log_buffer_access(true);
	while (!atomic_load(&loop->stop))
		loop_turn(loop, events);
	/*
	 * Statements still out get NULL (503), their connections are resumed and
	 * given last turns to answer. A request read meanwhile on a kept-alive
	 * connection is answered 503 at once (request_handle, stopping): no
	 * connection may stay suspended when the daemon stops.
	 */
	loop->env.stopping = true;
	pgasync_close_all(loop->db);
	for (int turn = 0; turn < LAST_TURNS; turn++)
	{
		pgasync_deliver(loop->db);
		MHD_run(loop->daemon);
		if (pgasync_pending(loop->db) == 0)
			break;
	}
	log_flush();
	return NULL;
}

static void
loop_wake(Loop *loop)
{
	uint64_t	one = 1;

	if (write(loop->wake_fd, &one, sizeof(one)) < 0)
		log_warning("cannot wake a loop: %m");
}

/* Frees what loop_init made; the thread has ended. */
static void
loop_free(Loop *loop)
{
	/* quiesced, the daemon leaves the shared listen socket open */
	if (loop->daemon != NULL && !atomic_load(&loop->quiesced))
		MHD_quiesce_daemon(loop->daemon);
	if (loop->daemon != NULL)
		MHD_stop_daemon(loop->daemon);
	loop->daemon = NULL;
	request_env_free(&loop->env);
	pgasync_destroy(loop->db);
	loop->db = NULL;
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
}

static bool
loop_init(Server *server, Loop *loop, const Options *options, int index,
		  int max_connections)
{
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	DbConfig	db = {
		.conninfo = options->conninfo,
		.standbys = options->db_read,
		.nstandbys = options->n_db_read,
		.max_lag_ms = options->db_read_max_lag_ms,
		/* --pool shared out, one at least each */
		.connections = options->pool_size / options->threads +
		(index < options->pool_size % options->threads),
		.pipeline_depth = PIPELINE_DEPTH,
	};
	/* the daemons share the limit out as libmicrohttpd's own pool did */
	unsigned int limit = (unsigned int) (max_connections / options->threads +
										 (index < max_connections % options->threads));

	loop->server = server;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->epoll_fd < 0 || loop->wake_fd < 0 ||
		!loop_watch(loop, loop->wake_fd, &loop->wake_tag))
		return false;
	if (db.connections < 1)
		db.connections = 1;
	db.statements = routes_statements(&db.nstatements);
	if ((loop->db = pgasync_create(&db, loop->epoll_fd)) == NULL)
		return false;
	loop->env.shared = &server->shared;
	loop->env.db = loop->db;
	if (options->listen[0] == '[')
		flags |= MHD_USE_IPv6;
	loop->daemon = MHD_start_daemon(flags, 0, NULL, NULL,
									serve_request, loop,
									MHD_OPTION_LISTEN_SOCKET, server->listen_fd,
									MHD_OPTION_CONNECTION_LIMIT, limit,
									MHD_OPTION_CONNECTION_TIMEOUT,
									(unsigned int) CONNECTION_TIMEOUT_S,
									MHD_OPTION_NOTIFY_CONNECTION,
									client_limits_notify_connection, server->client_limits,
									MHD_OPTION_NOTIFY_COMPLETED,
									end_request, loop,
									MHD_OPTION_UNESCAPE_CALLBACK,
									request_unescape, NULL,
									MHD_OPTION_EXTERNAL_LOGGER,
									log_from_mhd, NULL,
									MHD_OPTION_END);
	if (loop->daemon == NULL)
		return false;
	info = MHD_get_daemon_info(loop->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	return info != NULL && loop_watch(loop, info->epoll_fd, &loop->daemon_tag);
}

static Server *
start_failed(Server *server)
{
	for (int i = 0; i < server->nloops; i++)
	{
		Loop	   *loop = &server->loops[i];

		if (loop->started)
		{
			atomic_store(&loop->stop, true);
			loop_wake(loop);
			pthread_join(loop->thread, NULL);
		}
		loop_free(loop);
	}
	free(server->loops);
	/* quiesced or never given to a daemon: ours to close */
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	client_limits_stop(server->client_limits);
	free(server);
	return NULL;
}

Server *
server_start(const Options *options)
{
	Server	   *server = calloc(1, sizeof(Server));
	struct sockaddr_storage addr = {0};
	long		descriptors = raise_descriptor_limit();
	char		where[NI_MAXHOST + NI_MAXSERV + 4];
	int			max_connections = connection_limit(options, descriptors);

	if (server == NULL)
		return NULL;
	MHD_set_panic_func(panic_from_mhd, NULL);
	server->listen_fd = -1;
	if (!server_parse_listen(options->listen, &addr))
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
	server->shared.body_limit = options->body_limit;
	server->shared.trusted_proxies = &server->trusted_proxies;
	if ((server->listen_fd = open_listen_socket(&addr)) < 0)
	{
		log_error("cannot listen on %s", options->listen);
		return start_failed(server);
	}
	server->loops = calloc((size_t) options->threads, sizeof(Loop));
	if (server->loops == NULL)
		return start_failed(server);
	for (int i = 0; i < options->threads; i++)
	{
		Loop	   *loop = &server->loops[i];

		loop->epoll_fd = loop->wake_fd = -1;
		server->nloops++;
		if (!loop_init(server, loop, options, i, max_connections))
		{
			log_error("cannot start an event loop: %m");
			return start_failed(server);
		}
	}
	for (int i = 0; i < server->nloops; i++)
	{
		Loop	   *loop = &server->loops[i];

		loop->started = pthread_create(&loop->thread, NULL, loop_main, loop) == 0;
		if (!loop->started)
		{
			log_error("cannot start an event loop thread");
			return start_failed(server);
		}
	}
	if (!client_limits_start(server->client_limits))
		return start_failed(server);
	/* tests read this line for the port */
	if (server_listen_text(server->loops[0].daemon, where, sizeof(where)))
		log_info("listening on %s, %d event loops sharing %d Postgres "
				 "connections", where, server->nloops,
				 options->pool_size > server->nloops ?
				 options->pool_size : server->nloops);
	return server;
}

/* Waits until no request is in flight, at most ms; true if none is. */
static bool
wait_idle(Server *server, int ms)
{
	struct timespec pause = {.tv_nsec = 10 * 1000000L};

	for (int waited = 0; atomic_load(&server->shared.in_flight) > 0; waited += 10)
	{
		if (waited >= ms)
			return false;
		nanosleep(&pause, NULL);
	}
	return true;
}

/* Asks every loop to set flag (one of its own) at its next turn. */
static void
ask_loops(Server *server, size_t flag)
{
	for (int i = 0; i < server->nloops; i++)
	{
		atomic_store((atomic_bool *) ((char *) &server->loops[i] + flag), true);
		loop_wake(&server->loops[i]);
	}
}

/*
 * Every daemon lets the shared listen socket go (MHD_quiesce_daemon, on its
 * loop's thread); true when all have, within QUIESCE_WAIT_MS.
 */
static bool
quiesce_loops(Server *server)
{
	struct timespec pause = {.tv_nsec = 1000000L};
	int			waited = 0;

	ask_loops(server, offsetof(Loop, quiesce));
	for (int i = 0; i < server->nloops; i++)
		while (!atomic_load(&server->loops[i].quiesced))
		{
			if (waited++ >= QUIESCE_WAIT_MS)
				return false;
			nanosleep(&pause, NULL);
		}
	return true;
}

void
server_stop(Server *server, int drain_ms)
{
	atomic_store(&server->shared.draining, true);
	/*
	 * Closed once no daemon watches it: a daemon that still did would
	 * find its number reused. A loop that does not answer leaves it open
	 * to the exit.
	 */
	if (quiesce_loops(server))
		close(server->listen_fd);
	else
		log_warning("an event loop did not stop accepting within %d ms",
					QUIESCE_WAIT_MS);
	server->listen_fd = -1;
	if (!wait_idle(server, drain_ms))
	{
		/* Requests still wait on Postgres: cancel their statements, */
		log_warning("%d requests still in flight after %d ms, cancelling",
					atomic_load(&server->shared.in_flight), drain_ms);
		ask_loops(server, offsetof(Loop, cancel));
		/* and give their 503s a moment to leave. */
		wait_idle(server, CANCEL_GRACE_MS);
	}
	for (int i = 0; i < server->nloops; i++)
	{
		Loop	   *loop = &server->loops[i];

		atomic_store(&loop->stop, true);
		loop_wake(loop);
		pthread_join(loop->thread, NULL);
		loop->started = false;
		loop_free(loop);
	}
	free(server->loops);
	/* Kept to the end: its deadlines also bound the drain. */
	client_limits_stop(server->client_limits);
	free(server);
}
