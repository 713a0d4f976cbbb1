/*
 * client_limits.c - per-client connection limit and request deadlines, enforced
 * beside libmicrohttpd (what PgBouncer's janitor.c does for its pooler).
 *
 * Every connection is registered when libmicrohttpd accepts it and forgotten
 * when it closes, under one mutex. A thread wakes every SWEEP_MS and shuts
 * down the sockets past their deadline; libmicrohttpd then sees the end of
 * the stream and closes them. libmicrohttpd tells of a close (the CLOSED
 * notification) before it closes the descriptor, and the entry goes then,
 * under the same mutex: a descriptor is never shut down after its reuse.
 */
#include "client_limits.h"

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
/* How often what the watcher thread did is summed up in the log. */
#define SUMMARY_MS 10000

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
	RequestPhase phase;
	bool		cut;			/* shut down: it only waits to be closed */
	int64_t		deadline_ms;	/* monotonic; 0: none */
} Watched;

/* What the watcher thread did since its last summary in the log. */
typedef struct ClientLimitsStats
{
	int			refused;		/* over the per-client limit */
	int			cut_header;
	int			cut_body;
	ClientKey	last_refused;
} ClientLimitsStats;

struct ClientLimits
{
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t stop;		/* signalled when stopping is set */
	pthread_t	thread;
	bool		running;
	bool		stopping;
	ClientLimitsConfig limits;
	Watched    *watched;		/* every open connection */
	void	   *clients;		/* tsearch() tree of ClientCount */
	ClientLimitsStats stats;
};

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t
deadline_of(const ClientLimits *client_limits, RequestPhase phase)
{
	switch (phase)
	{
		case PHASE_HEADER:
			return now_ms() + client_limits->limits.header_timeout_s * 1000L;
		case PHASE_BODY:
			return now_ms() + client_limits->limits.body_timeout_s * 1000L;
		case PHASE_STATEMENT:
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
client_add(ClientLimits *client_limits, const ClientKey *key)
{
	ClientCount *fresh = calloc(1, sizeof(ClientCount));
	ClientCount **found;

	if (fresh == NULL)
		return NULL;
	fresh->key = *key;
	found = tsearch(fresh, &client_limits->clients, compare_clients);
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
client_remove(ClientLimits *client_limits, ClientCount *client)
{
	if (--client->connections > 0)
		return;
	tdelete(client, &client_limits->clients, compare_clients);
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
watch(ClientLimits *client_limits, struct MHD_Connection *connection, void **context)
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
	watched->phase = PHASE_HEADER;
	watched->deadline_ms = deadline_of(client_limits, PHASE_HEADER);
	pthread_mutex_lock(&client_limits->lock);
	if (peer_info != NULL && client_key_of(peer_info->client_addr, &key) &&
		!proxies_trust_peer(client_limits->limits.trusted_proxies,
							peer_info->client_addr))
		watched->client = client_add(client_limits, &key);
	if (watched->client != NULL && client_limits->limits.max_client_connections > 0 &&
		watched->client->connections > client_limits->limits.max_client_connections)
	{
		cut(watched);
		metrics_count(METRIC_CLIENT_REFUSED);
		client_limits->stats.refused++;
		client_limits->stats.last_refused = key;
	}
	metrics_gauge_add(METRIC_CLIENT_CONNECTIONS, 1);
	watched->next = client_limits->watched;
	if (client_limits->watched != NULL)
		client_limits->watched->prev = watched;
	client_limits->watched = watched;
	pthread_mutex_unlock(&client_limits->lock);
	*context = watched;
}

static void
forget(ClientLimits *client_limits, Watched *watched)
{
	pthread_mutex_lock(&client_limits->lock);
	if (watched->prev != NULL)
		watched->prev->next = watched->next;
	else
		client_limits->watched = watched->next;
	if (watched->next != NULL)
		watched->next->prev = watched->prev;
	if (watched->client != NULL)
		client_remove(client_limits, watched->client);
	pthread_mutex_unlock(&client_limits->lock);
	metrics_gauge_add(METRIC_CLIENT_CONNECTIONS, -1);
	free(watched);
}

void
client_limits_notify_connection(void *cls, struct MHD_Connection *connection,
						  void **socket_context,
						  enum MHD_ConnectionNotificationCode code)
{
	ClientLimits    *client_limits = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		watch(client_limits, connection, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL)
	{
		/* Called before libmicrohttpd closes the descriptor. */
		forget(client_limits, *socket_context);
		*socket_context = NULL;
	}
}

void
client_limits_enter(ClientLimits *client_limits, struct MHD_Connection *connection,
			  RequestPhase phase)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	Watched    *watched = info != NULL ? info->socket_context : NULL;

	if (watched == NULL)
		return;
	pthread_mutex_lock(&client_limits->lock);
	if (!watched->cut)
	{
		watched->phase = phase;
		watched->deadline_ms = deadline_of(client_limits, phase);
	}
	pthread_mutex_unlock(&client_limits->lock);
}

/*
 * Cuts the connections past their deadline, except those with input waiting:
 * that is not a slow client but a loop that has not read it yet (busy).
 */
static void
sweep(ClientLimits *client_limits, int64_t now)
{
	for (Watched *w = client_limits->watched; w != NULL; w = w->next)
	{
		int			unread = 0;

		if (w->deadline_ms == 0 || w->deadline_ms > now)
			continue;
		if (ioctl(w->fd, FIONREAD, &unread) == 0 && unread > 0)
			continue;
		if (w->phase == PHASE_BODY)
			client_limits->stats.cut_body++;
		else
			client_limits->stats.cut_header++;
		metrics_count(w->phase == PHASE_BODY ? METRIC_CLIENT_CUT_BODY :
					  METRIC_CLIENT_CUT_HEADER);
		cut(w);
	}
}

static void
format_client(const ClientKey *key, char *out, size_t size)
{
	if (inet_ntop(key->family, key->addr, out, (socklen_t) size) == NULL)
		snprintf(out, size, "-");
}

/* One line per kind of trouble since the last summary, if any. */
static void
log_summary(const ClientLimitsStats *stats, const ClientLimitsConfig *limits)
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
}

/* The stats so far, and a fresh start for the next summary. */
static ClientLimitsStats
take_stats(ClientLimits *client_limits)
{
	ClientLimitsStats stats = client_limits->stats;

	memset(&client_limits->stats, 0, sizeof(client_limits->stats));
	return stats;
}

static void *
client_limits_main(void *arg)
{
	ClientLimits    *client_limits = arg;
	int64_t		summary_at = now_ms() + SUMMARY_MS;
	ClientLimitsStats stats;

	pthread_mutex_lock(&client_limits->lock);
	while (!client_limits->stopping)
	{
		int64_t		now = now_ms();
		struct timespec until = {.tv_sec = (now + SWEEP_MS) / 1000,
		.tv_nsec = ((now + SWEEP_MS) % 1000) * 1000000L};

		pthread_cond_timedwait(&client_limits->stop, &client_limits->lock, &until);
		if (client_limits->stopping)
			break;
		now = now_ms();
		sweep(client_limits, now);
		memset(&stats, 0, sizeof(stats));
		if (now >= summary_at)
		{
			stats = take_stats(client_limits);
			summary_at = now + SUMMARY_MS;
		}
		/* Logging without the lock: the loops wait on it. */
		pthread_mutex_unlock(&client_limits->lock);
		log_summary(&stats, &client_limits->limits);
		pthread_mutex_lock(&client_limits->lock);
	}
	stats = take_stats(client_limits);
	pthread_mutex_unlock(&client_limits->lock);
	log_summary(&stats, &client_limits->limits);	/* since the last one */
	return NULL;
}

ClientLimits *
client_limits_create(const ClientLimitsConfig *limits)
{
	ClientLimits    *client_limits = calloc(1, sizeof(ClientLimits));
	pthread_condattr_t attr;

	if (client_limits == NULL)
		return NULL;
	client_limits->limits = *limits;
	pthread_mutex_init(&client_limits->lock, NULL);
	/* Sweeps are timed on the monotonic clock, as deadlines are. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&client_limits->stop, &attr);
	pthread_condattr_destroy(&attr);
	return client_limits;
}

bool
client_limits_start(ClientLimits *client_limits)
{
	client_limits->running = pthread_create(&client_limits->thread, NULL, client_limits_main,
									  client_limits) == 0;
	if (!client_limits->running)
		log_error("cannot start the client limits thread");
	return client_limits->running;
}

void
client_limits_stop(ClientLimits *client_limits)
{
	if (client_limits == NULL)
		return;
	pthread_mutex_lock(&client_limits->lock);
	client_limits->stopping = true;
	pthread_cond_signal(&client_limits->stop);
	pthread_mutex_unlock(&client_limits->lock);
	if (client_limits->running)
		pthread_join(client_limits->thread, NULL);
	/* The daemon has closed every connection: both lists are empty. */
	pthread_cond_destroy(&client_limits->stop);
	pthread_mutex_destroy(&client_limits->lock);
	free(client_limits);
}
