/*
 * metrics.h - what authoob-http counts, in Prometheus' text format
 * (exporter.h serves it on --metrics-listen; docs/operations.md "Metrics"
 * says what each means).
 *
 * Counting is a relaxed atomic add into a fixed table: no lock, no
 * allocation, cheap enough for every request. Only a scrape formats them.
 */
#ifndef AUTHOOB_METRICS_H
#define AUTHOOB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routes.h"

/* Events counted by the parts of the front, one counter each. */
typedef enum MetricEvent
{
	METRIC_POOL_WAITS,			/* a request found no free connection */
	METRIC_POOL_WAIT_TIMEOUTS,	/* and none came free in time: 503 */
	METRIC_POOL_CONNECT_FAILURES,	/* a connection could not be opened */
	METRIC_CLIENT_REFUSED,		/* over --max-client-connections */
	METRIC_CLIENT_CUT_HEADER,	/* header not in by --header-timeout */
	METRIC_CLIENT_CUT_BODY,		/* body not in by --body-timeout */
	METRIC_MAIL_SENT,
	METRIC_MAIL_RETRY,			/* not sent, tried again later */
	METRIC_MAIL_FAILED,			/* not sent, for good */
	METRIC_HOUSEKEEPING_RUNS,	/* calls of authoob_housekeeping() */
	METRIC_HOUSEKEEPING_BUSY,	/* that found another run under way */
	METRIC_HOUSEKEEPING_ERRORS,
	METRIC_EVENTS
} MetricEvent;

/* Gauges the parts move up and down. */
typedef enum MetricGauge
{
	METRIC_CLIENT_CONNECTIONS,	/* client connections open */
	METRIC_POOL_BUSY,			/* Postgres connections lent out */
	METRIC_POOL_SIZE,			/* Postgres connections, standbys' included */
	METRIC_GAUGES
} MetricGauge;

/* What authoob_housekeeping() answers it removed, by its key. */
#define METRIC_HOUSEKEEPING_KINDS 7

void		metrics_count(MetricEvent event);
void		metrics_gauge_add(MetricGauge gauge, int64_t delta);

/* A request answered: its family, route (-1: none) and status, and time. */
void		metrics_request(RouteFamily family, int route, unsigned int status,
							long usec);

/* How long a request waited for a pool connection, when it had to. */
void		metrics_pool_waited(long usec);

/* What an answer of authoob_housekeeping() says. */
typedef enum HousekeepingAnswer
{
	HOUSEKEEPING_DONE,
	HOUSEKEEPING_MORE,			/* a kind had more than a batch: call again */
	HOUSEKEEPING_BUSY			/* another run had the database (every partition) */
} HousekeepingAnswer;

/*
 * Counts one answer of authoob_housekeeping() (an object, or the array of
 * the partitions' objects through a proxy): the run, and the rows removed
 * by kind (unknown keys ignored).
 */
HousekeepingAnswer metrics_housekeeping(const char *answer);

/* A growing text; failed once out of memory (the scrape answers 500). */
typedef struct MetricsText
{
	char	   *data;
	size_t		len;
	size_t		size;
	bool		failed;
} MetricsText;

void		metrics_printf(MetricsText *text, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* The HELP and TYPE lines of a metric. */
void		metrics_header(MetricsText *text, const char *name, const char *type,
						   const char *help);

/* Every counter and gauge; routes name the route slots (429s). */
void		metrics_write(MetricsText *text, const Route *routes, int nroutes);

#endif
