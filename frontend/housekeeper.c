/*
 * housekeeper.c - the thread that calls authoob_housekeeping() every
 * --housekeeping seconds, with its own connection, its counts going to the
 * metrics (housekeeper.h).
 */
#include "housekeeper.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/* Rows of each kind one call removes at most: a short transaction. */
#define HOUSEKEEPING_BATCH "1000"
/* Calls one run makes at most, the backlog left for the next run. */
#define HOUSEKEEPING_MAX_CALLS 100

struct Housekeeper
{
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t	thread;
	bool		stopping;		/* under lock */
	int			period_s;		/* under lock */
	unsigned int seed;			/* the jitter's, this thread's only */
	char	   *conninfo;
	PGconn	   *conn;			/* NULL until the first run, or once broken */
};

/* Idle, a reload having set the period to 0: how often to look again. */
#define HOUSEKEEPING_IDLE_MS (60 * 1000L)

/* The period, a fifth more or less at random, in ms. */
static long
next_wait_ms(Housekeeper *housekeeper, int period_s)
{
	double		jitter = 0.8 + 0.4 * (double) rand_r(&housekeeper->seed) / RAND_MAX;

	return period_s == 0 ? HOUSEKEEPING_IDLE_MS : (long) (period_s * 1000.0 * jitter);
}

/* An open connection, opened if need be; false (logged) if it cannot. */
static bool
ensure_connected(Housekeeper *housekeeper)
{
	const char *const keywords[] = {"connect_timeout", "application_name",
	"dbname", NULL};
	const char *const values[] = {"5", "authoob-http housekeeping",
	housekeeper->conninfo, NULL};

	if (housekeeper->conn != NULL && PQstatus(housekeeper->conn) == CONNECTION_OK)
		return true;
	PQfinish(housekeeper->conn);
	housekeeper->conn = PQconnectdbParams(keywords, values, 1);
	if (PQstatus(housekeeper->conn) == CONNECTION_OK)
		return true;
	log_warning("housekeeping: cannot connect to Postgres: %s",
				PQerrorMessage(housekeeper->conn));
	PQfinish(housekeeper->conn);
	housekeeper->conn = NULL;
	return false;
}

/*
 * One call of authoob_housekeeping(); true if it says there is more.
 * A failure is logged and counted, and closes the connection when it was
 * the connection's (the next run reconnects, to a new primary if need be).
 */
static bool
run_batch(Housekeeper *housekeeper)
{
	const char *params[1] = {HOUSEKEEPING_BATCH};
	PGresult   *res = PQexecParams(housekeeper->conn,
									"SELECT authoob_housekeeping($1::integer)",
									1, NULL, params, NULL, NULL, 0);
	bool		more = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		metrics_count(METRIC_HOUSEKEEPING_ERRORS);
		log_warning("housekeeping: %s", PQerrorMessage(housekeeper->conn));
		if (PQstatus(housekeeper->conn) != CONNECTION_OK ||
			PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL ||
			strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "25006") == 0)
		{
			PQfinish(housekeeper->conn);
			housekeeper->conn = NULL;
		}
	}
	else
	{
		more = metrics_housekeeping(PQgetvalue(res, 0, 0)) == HOUSEKEEPING_MORE;
		log_debug("housekeeping: %s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return more;
}

/* Waits ms, or until stopping; false when stopping. Called with the lock. */
static bool
wait_ms(Housekeeper *housekeeper, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
	{
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!housekeeper->stopping &&
		   pthread_cond_timedwait(&housekeeper->wake, &housekeeper->lock,
								  &until) != ETIMEDOUT)
		;
	return !housekeeper->stopping;
}

static void *
housekeeper_main(void *arg)
{
	Housekeeper *housekeeper = arg;

	pthread_mutex_lock(&housekeeper->lock);
	while (wait_ms(housekeeper, next_wait_ms(housekeeper, housekeeper->period_s)))
	{
		bool		more = housekeeper->period_s > 0;

		/* the batches without the lock: a stop waits for one at most */
		for (int call = 0; more && call < HOUSEKEEPING_MAX_CALLS; call++)
		{
			pthread_mutex_unlock(&housekeeper->lock);
			more = ensure_connected(housekeeper) && run_batch(housekeeper);
			pthread_mutex_lock(&housekeeper->lock);
			if (housekeeper->stopping)
				break;
		}
	}
	pthread_mutex_unlock(&housekeeper->lock);
	return NULL;
}

Housekeeper *
housekeeper_start(const Options *options)
{
	Housekeeper *housekeeper = calloc(1, sizeof(Housekeeper));
	pthread_condattr_t attr;

	if (housekeeper == NULL || (housekeeper->conninfo = strdup(options->conninfo)) == NULL)
	{
		free(housekeeper);
		log_error("housekeeping: out of memory");
		return NULL;
	}
	pthread_mutex_init(&housekeeper->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&housekeeper->wake, &attr);
	pthread_condattr_destroy(&attr);
	housekeeper->period_s = options->housekeeping_seconds;
	housekeeper->seed = (unsigned int) time(NULL) ^ (unsigned int) getpid();
	if (pthread_create(&housekeeper->thread, NULL, housekeeper_main, housekeeper) != 0)
	{
		log_error("housekeeping: cannot start its thread");
		pthread_cond_destroy(&housekeeper->wake);
		pthread_mutex_destroy(&housekeeper->lock);
		free(housekeeper->conninfo);
		free(housekeeper);
		return NULL;
	}
	log_info("housekeeping every %d s (authoob_housekeeping())", options->housekeeping_seconds);
	return housekeeper;
}

void
housekeeper_set_period(Housekeeper *housekeeper, int seconds)
{
	if (housekeeper == NULL)
		return;
	pthread_mutex_lock(&housekeeper->lock);
	housekeeper->period_s = seconds;
	pthread_mutex_unlock(&housekeeper->lock);
}

void
housekeeper_stop(Housekeeper *housekeeper)
{
	if (housekeeper == NULL)
		return;
	pthread_mutex_lock(&housekeeper->lock);
	housekeeper->stopping = true;
	pthread_cond_signal(&housekeeper->wake);
	pthread_mutex_unlock(&housekeeper->lock);
	pthread_join(housekeeper->thread, NULL);
	PQfinish(housekeeper->conn);
	pthread_cond_destroy(&housekeeper->wake);
	pthread_mutex_destroy(&housekeeper->lock);
	free(housekeeper->conninfo);
	free(housekeeper);
}
