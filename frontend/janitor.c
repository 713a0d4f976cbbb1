/*
 * janitor.c - per-client connection limit and request deadlines, enforced
 * beside libmicrohttpd (in the spirit of PgBouncer's janitor).
 *
 * Every connection is registered when libmicrohttpd accepts it and forgotten
 * when it closes, under one mutex. A thread wakes every SWEEP_MS and shuts
 * down the sockets past their deadline; libmicrohttpd then sees the end of
 * the stream and closes them. libmicrohttpd tells of a close (the CLOSED
 * notification) before it closes the descriptor, and the entry goes then,
 * under the same mutex: a descriptor is never shut down after its reuse.
 */
#include "janitor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/* How often deadlines are looked at: a cut comes at most this late. */
#define SWEEP_MS 250
/* How often what the janitor did is summed up in the log. */
#define SUMMARY_MS 10000
/* Wake-up connections to our own listen socket, at most one this often. */
#define WAKE_EVERY_MS 1000

/*
 * Whom a connection is counted against: the TCP peer. A trusted proxy's
 * connections are not counted at all: all its clients share its address,
 * and the client it vouches for is known only from each request's header,
 * while a kept-alive connection from a proxy carries the requests of many
 * clients in turn; counting them would cut off everyone behind a busy
 * proxy, and the proxy itself is the place to limit its clients.
 */
typedef struct ClientKey
{
	sa_family_t family;
	unsigned char addr[16];
} ClientKey;

typedef struct ClientCount
{
	ClientKey	key;			/* first: the tree compares it */
	int			connections;
} ClientCount;

/* An open connection, from accept to close. */
typedef struct Watched
{
	struct Watched *prev;
	struct Watched *next;
	MHD_socket	fd;
	ClientCount *client;		/* NULL: not counted (not an IP, or a proxy) */
	JanitorPhase phase;
	bool		cut;			/* shut down: it only waits to be closed */
	int64_t		deadline_ms;	/* monotonic; 0: none */
} Watched;

/* What the janitor did since its last summary in the log. */
typedef struct JanitorStats
{
	int			refused;		/* over the per-client limit */
	int			cut_header;
	int			cut_body;
	int			wakeups;		/* of workers that left input unread */
	ClientKey	last_refused;
} JanitorStats;

struct Janitor
{
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t stop;		/* signalled when stopping is set */
	pthread_t	thread;
	bool		running;
	bool		stopping;
	JanitorLimits limits;
	Watched    *watched;		/* every open connection */
	void	   *clients;		/* tsearch() tree of ClientCount */
	struct sockaddr_storage listen_addr;
	socklen_t	listen_len;		/* 0: never connect to it */
	JanitorStats stats;
};

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t
deadline_of(const Janitor *janitor, JanitorPhase phase)
{
	switch (phase)
	{
		case JANITOR_HEADER:
			return now_ms() + janitor->limits.header_timeout_s * 1000L;
		case JANITOR_BODY:
			return now_ms() + janitor->limits.body_timeout_s * 1000L;
		case JANITOR_STATEMENT:
			break;
	}
	return 0;
}

static int
compare_clients(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(ClientKey));
}

/* The key of an IPv4 or IPv6 peer; false for anything else. */
static bool
client_key_of(const struct sockaddr *sa, ClientKey *key)
{
	memset(key, 0, sizeof(*key));	/* compared bytewise, padding included */
	if (sa == NULL)
		return false;
	key->family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(key->addr, &((const struct sockaddr_in *) sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
	{
		const struct in6_addr *addr = &((const struct sockaddr_in6 *) sa)->sin6_addr;

		/*
		 * An IPv4 client through a dual-stack socket is that IPv4 client;
		 * any other IPv6 client is its /64, as the database counts it (one
		 * host commonly owns a whole /64 and could take an address of it
		 * per connection).
		 */
		if (IN6_IS_ADDR_V4MAPPED(addr))
		{
			key->family = AF_INET;
			memcpy(key->addr, &addr->s6_addr[12], 4);
		}
		else
			memcpy(key->addr, addr, 8);
	}
	else
		return false;
	return true;
}

/* The count of key's connections, one more; NULL if out of memory. */
static ClientCount *
client_add(Janitor *janitor, const ClientKey *key)
{
	ClientCount *fresh = calloc(1, sizeof(ClientCount));
	ClientCount **found;

	if (fresh == NULL)
		return NULL;
	fresh->key = *key;
	found = tsearch(fresh, &janitor->clients, compare_clients);
	if (found == NULL)
	{
		free(fresh);
		return NULL;
	}
	if (*found != fresh)
		free(fresh);
	(*found)->connections++;
	return *found;
}

static void
client_remove(Janitor *janitor, ClientCount *client)
{
	if (--client->connections > 0)
		return;
	tdelete(client, &janitor->clients, compare_clients);
	free(client);
}

/* Ends the connection's stream: libmicrohttpd reads its end and closes it. */
static void
cut(Watched *watched)
{
	shutdown(watched->fd, SHUT_RDWR);
	watched->cut = true;
	watched->deadline_ms = 0;
}

static void
watch(Janitor *janitor, struct MHD_Connection *connection, void **context)
{
	const union MHD_ConnectionInfo *fd_info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *peer_info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	Watched    *watched = calloc(1, sizeof(Watched));
	ClientKey	key;

	/* Out of memory: unwatched, the idle timeout still applies. */
	if (watched == NULL || fd_info == NULL)
	{
		free(watched);
		return;
	}
	watched->fd = fd_info->connect_fd;
	watched->phase = JANITOR_HEADER;
	watched->deadline_ms = deadline_of(janitor, JANITOR_HEADER);
	pthread_mutex_lock(&janitor->lock);
	if (peer_info != NULL && client_key_of(peer_info->client_addr, &key) &&
		!proxies_trust_peer(janitor->limits.trusted_proxies,
							peer_info->client_addr))
		watched->client = client_add(janitor, &key);
	if (watched->client != NULL && janitor->limits.max_client_connections > 0 &&
		watched->client->connections > janitor->limits.max_client_connections)
	{
		cut(watched);
		metrics_count(METRIC_CLIENT_REFUSED);
		janitor->stats.refused++;
		janitor->stats.last_refused = key;
	}
	metrics_gauge_add(METRIC_CLIENT_CONNECTIONS, 1);
	watched->next = janitor->watched;
	if (janitor->watched != NULL)
		janitor->watched->prev = watched;
	janitor->watched = watched;
	pthread_mutex_unlock(&janitor->lock);
	*context = watched;
}

static void
forget(Janitor *janitor, Watched *watched)
{
	pthread_mutex_lock(&janitor->lock);
	if (watched->prev != NULL)
		watched->prev->next = watched->next;
	else
		janitor->watched = watched->next;
	if (watched->next != NULL)
		watched->next->prev = watched->prev;
	if (watched->client != NULL)
		client_remove(janitor, watched->client);
	pthread_mutex_unlock(&janitor->lock);
	metrics_gauge_add(METRIC_CLIENT_CONNECTIONS, -1);
	free(watched);
}

void
janitor_notify_connection(void *cls, struct MHD_Connection *connection,
						  void **socket_context,
						  enum MHD_ConnectionNotificationCode code)
{
	Janitor    *janitor = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		watch(janitor, connection, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL)
	{
		/* Called before libmicrohttpd closes the descriptor. */
		forget(janitor, *socket_context);
		*socket_context = NULL;
	}
}

void
janitor_enter(Janitor *janitor, struct MHD_Connection *connection,
			  JanitorPhase phase)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	Watched    *watched = info != NULL ? info->socket_context : NULL;

	if (watched == NULL)
		return;
	pthread_mutex_lock(&janitor->lock);
	if (!watched->cut)
	{
		watched->phase = phase;
		watched->deadline_ms = deadline_of(janitor, phase);
	}
	pthread_mutex_unlock(&janitor->lock);
}

/*
 * Cuts the connections past their deadline, except those with input waiting:
 * that is not a slow client but a worker that has not read it yet (busy with
 * a statement, or stalled). Returns how many were spared so.
 */
static int
sweep(Janitor *janitor, int64_t now)
{
	int			spared = 0;

	for (Watched *w = janitor->watched; w != NULL; w = w->next)
	{
		int			unread = 0;

		if (w->deadline_ms == 0 || w->deadline_ms > now)
			continue;
		if (ioctl(w->fd, FIONREAD, &unread) == 0 && unread > 0)
		{
			spared++;
			continue;
		}
		if (w->phase == JANITOR_BODY)
			janitor->stats.cut_body++;
		else
			janitor->stats.cut_header++;
		metrics_count(w->phase == JANITOR_BODY ? METRIC_CLIENT_CUT_BODY :
					  METRIC_CLIENT_CUT_HEADER);
		cut(w);
	}
	return spared;
}

/*
 * libmicrohttpd 0.9.75's epoll loop, when one epoll_wait() returns a full
 * batch (128 events), calls it again with the same timeout before handling
 * the batch: with no further event, the worker sleeps on up to 128 requests
 * until its idle timeout, and then closes them unanswered. A connection to
 * our own listen socket is an event for every worker: it ends such a sleep.
 */
static void
wake_workers(const struct sockaddr_storage *addr, socklen_t len)
{
	struct timeval patience = {.tv_sec = 1};
	int			fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof(patience));
	/* Connected means queued for accept: that is the event. */
	if (connect(fd, (const struct sockaddr *) addr, len) != 0)
		log_debug("janitor: cannot connect to wake the workers: %m");
	close(fd);
}

static void
format_client(const ClientKey *key, char *out, size_t size)
{
	if (inet_ntop(key->family, key->addr, out, (socklen_t) size) == NULL)
		snprintf(out, size, "-");
}

/* One line per kind of trouble since the last summary, if any. */
static void
log_summary(const JanitorStats *stats, const JanitorLimits *limits)
{
	char		client[INET6_ADDRSTRLEN];

	if (stats->refused > 0)
	{
		format_client(&stats->last_refused, client, sizeof(client));
		log_warning("refused %d connections from clients already holding %d "
					"(last from %s)", stats->refused,
					limits->max_client_connections, client);
	}
	if (stats->cut_header + stats->cut_body > 0)
		log_warning("closed %d connections whose header took over %d s, %d "
					"whose body took over %d s", stats->cut_header,
					limits->header_timeout_s, stats->cut_body,
					limits->body_timeout_s);
	if (stats->wakeups > 0)
		log_warning("woke the workers %d times: requests waited unread past "
					"their deadline (a worker busy in a statement, or stalled)",
					stats->wakeups);
}

/* The stats so far, and a fresh start for the next summary. */
static JanitorStats
take_stats(Janitor *janitor)
{
	JanitorStats stats = janitor->stats;

	memset(&janitor->stats, 0, sizeof(janitor->stats));
	return stats;
}

static void *
janitor_main(void *arg)
{
	Janitor    *janitor = arg;
	int64_t		summary_at = now_ms() + SUMMARY_MS;
	int64_t		wake_at = 0;
	JanitorStats stats;

	pthread_mutex_lock(&janitor->lock);
	while (!janitor->stopping)
	{
		int64_t		now = now_ms();
		struct timespec until = {.tv_sec = (now + SWEEP_MS) / 1000,
		.tv_nsec = ((now + SWEEP_MS) % 1000) * 1000000L};
		struct sockaddr_storage listen_addr = {0};
		socklen_t	listen_len = 0;

		pthread_cond_timedwait(&janitor->stop, &janitor->lock, &until);
		if (janitor->stopping)
			break;
		now = now_ms();
		if (sweep(janitor, now) > 0 && janitor->listen_len > 0 && now >= wake_at)
		{
			listen_addr = janitor->listen_addr;
			listen_len = janitor->listen_len;
			wake_at = now + WAKE_EVERY_MS;
			janitor->stats.wakeups++;
		}
		memset(&stats, 0, sizeof(stats));
		if (now >= summary_at)
		{
			stats = take_stats(janitor);
			summary_at = now + SUMMARY_MS;
		}
		/* Socket calls and logging without the lock: workers wait on it. */
		pthread_mutex_unlock(&janitor->lock);
		if (listen_len > 0)
			wake_workers(&listen_addr, listen_len);
		log_summary(&stats, &janitor->limits);
		pthread_mutex_lock(&janitor->lock);
	}
	stats = take_stats(janitor);
	pthread_mutex_unlock(&janitor->lock);
	log_summary(&stats, &janitor->limits);	/* since the last one */
	return NULL;
}

Janitor *
janitor_create(const JanitorLimits *limits)
{
	Janitor    *janitor = calloc(1, sizeof(Janitor));
	pthread_condattr_t attr;

	if (janitor == NULL)
		return NULL;
	janitor->limits = *limits;
	pthread_mutex_init(&janitor->lock, NULL);
	/* Sweeps are timed on the monotonic clock, as deadlines are. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&janitor->stop, &attr);
	pthread_condattr_destroy(&attr);
	return janitor;
}

/* The listen address as a client reaches it: a wildcard is the loopback. */
static void
set_listen_address(Janitor *janitor, const struct sockaddr_storage *addr,
				   socklen_t len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *) &janitor->listen_addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &janitor->listen_addr;

	janitor->listen_addr = *addr;
	janitor->listen_len = len;
	if (addr->ss_family == AF_INET && in4->sin_addr.s_addr == htonl(INADDR_ANY))
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (addr->ss_family == AF_INET6 &&
			 IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		in6->sin6_addr = in6addr_loopback;
}

bool
janitor_start(Janitor *janitor, const struct sockaddr_storage *listen_addr,
			  socklen_t listen_len)
{
	pthread_mutex_lock(&janitor->lock);
	set_listen_address(janitor, listen_addr, listen_len);
	pthread_mutex_unlock(&janitor->lock);
	janitor->running = pthread_create(&janitor->thread, NULL, janitor_main,
									  janitor) == 0;
	if (!janitor->running)
		log_error("cannot start the janitor thread");
	return janitor->running;
}

void
janitor_quiesce(Janitor *janitor)
{
	pthread_mutex_lock(&janitor->lock);
	janitor->listen_len = 0;
	pthread_mutex_unlock(&janitor->lock);
}

void
janitor_stop(Janitor *janitor)
{
	if (janitor == NULL)
		return;
	pthread_mutex_lock(&janitor->lock);
	janitor->stopping = true;
	pthread_cond_signal(&janitor->stop);
	pthread_mutex_unlock(&janitor->lock);
	if (janitor->running)
		pthread_join(janitor->thread, NULL);
	/* The daemon has closed every connection: both lists are empty. */
	pthread_cond_destroy(&janitor->stop);
	pthread_mutex_destroy(&janitor->lock);
	free(janitor);
}
