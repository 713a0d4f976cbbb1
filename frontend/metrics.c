/*
 * metrics.c - the counters of authoob-http, and their text in Prometheus'
 * exposition format (exporter.c serves it).
 *
 * Every counter is a slot of a static table, moved with relaxed atomics:
 * a request costs a few atomic adds and no lock (docs/operations.md).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Statuses counted one by one; 0 stands for "no answer was sent". */
#define STATUS_SLOTS 600
/* Routes counted one by one (429s); the table has far fewer. */
#define ROUTE_SLOTS 128

/* Upper bounds of the latency buckets, in microseconds. */
static const long bucket_usec[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
#define BUCKETS ((int) (sizeof(bucket_usec) / sizeof(bucket_usec[0])))

typedef struct FamilyCounters
{
	atomic_uint_fast64_t by_status[STATUS_SLOTS];
	atomic_uint_fast64_t buckets[BUCKETS];	/* not cumulative: one a request */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t usec;
} FamilyCounters;

static struct
{
	FamilyCounters families[ROUTE_FAMILIES];
	atomic_uint_fast64_t throttled[ROUTE_SLOTS];
	atomic_uint_fast64_t events[METRIC_EVENTS];
	atomic_int_fast64_t gauges[METRIC_GAUGES];
	atomic_uint_fast64_t pool_wait_usec;
	atomic_uint_fast64_t removed[METRIC_HOUSEKEEPING_KINDS];
} counters;

static const char *const family_names[ROUTE_FAMILIES] = {"authoob", "gotrue"};

/* authoob_housekeeping()'s keys, in the order of counters.removed */
static const char *const removed_kinds[METRIC_HOUSEKEEPING_KINDS] = {
	"sessions", "refresh_tokens", "mail_tokens", "flow_states", "mails",
	"throttle", "audit_log"
};

/*
 * How each event is exposed: a metric name, with a label that tells the
 * events of one name apart. Events of one name are adjacent.
 */
typedef struct EventDef
{
	const char *name;
	const char *label;			/* NULL: none */
	const char *help;			/* on the first event of a name */
} EventDef;

static const EventDef event_defs[METRIC_EVENTS] = {
	[METRIC_POOL_WAITS] = {"authoob_pool_waits_total", NULL,
	"Statements that waited for a free Postgres connection."},
	[METRIC_POOL_WAIT_TIMEOUTS] = {"authoob_pool_wait_timeouts_total", NULL,
	"Statements that found no free Postgres connection in time (503)."},
	[METRIC_POOL_CONNECT_FAILURES] = {"authoob_pool_connect_failures_total", NULL,
	"Failed attempts to open a Postgres connection."},
	[METRIC_CLIENT_REFUSED] = {"authoob_http_connections_cut_total",
	"reason=\"client_limit\"",
	"Client connections closed by the limits: over --max-client-connections, "
	"header or body not in by its deadline."},
	[METRIC_CLIENT_CUT_HEADER] = {"authoob_http_connections_cut_total",
	"reason=\"header_timeout\"", NULL},
	[METRIC_CLIENT_CUT_BODY] = {"authoob_http_connections_cut_total",
	"reason=\"body_timeout\"", NULL},
	[METRIC_MAIL_SENT] = {"authoob_mail_deliveries_total", "outcome=\"sent\"",
	"Mails this front tried to deliver, by outcome."},
	[METRIC_MAIL_RETRY] = {"authoob_mail_deliveries_total", "outcome=\"retry\"", NULL},
	[METRIC_MAIL_FAILED] = {"authoob_mail_deliveries_total", "outcome=\"failed\"", NULL},
	[METRIC_HOUSEKEEPING_RUNS] = {"authoob_housekeeping_runs_total",
	"outcome=\"done\"",
	"Calls of authoob_housekeeping() by this front, by outcome."},
	[METRIC_HOUSEKEEPING_BUSY] = {"authoob_housekeeping_runs_total",
	"outcome=\"busy\"", NULL},
	[METRIC_HOUSEKEEPING_ERRORS] = {"authoob_housekeeping_runs_total",
	"outcome=\"error\"", NULL},
};

static const EventDef gauge_defs[METRIC_GAUGES] = {
	[METRIC_CLIENT_CONNECTIONS] = {"authoob_http_connections", NULL,
	"Client connections open."},
	[METRIC_POOL_BUSY] = {"authoob_pool_connections_busy", NULL,
	"Postgres connections running a statement."},
	[METRIC_POOL_SIZE] = {"authoob_pool_connections", NULL,
	"Postgres connections of the pool, its standbys' included."},
};

void
metrics_count(MetricEvent event)
{
	atomic_fetch_add_explicit(&counters.events[event], 1, memory_order_relaxed);
}

void
metrics_gauge_add(MetricGauge gauge, int64_t delta)
{
	atomic_fetch_add_explicit(&counters.gauges[gauge], delta, memory_order_relaxed);
}

void
metrics_request(RouteFamily family, int route, unsigned int status, long usec)
{
	FamilyCounters *f = &counters.families[family];
	int			bucket = 0;

	if (status >= STATUS_SLOTS)
		status = 0;
	while (bucket < BUCKETS && usec > bucket_usec[bucket])
		bucket++;
	atomic_fetch_add_explicit(&f->by_status[status], 1, memory_order_relaxed);
	if (bucket < BUCKETS)
		atomic_fetch_add_explicit(&f->buckets[bucket], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&f->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&f->usec, (uint_fast64_t) (usec > 0 ? usec : 0),
							  memory_order_relaxed);
	if (status == 429 && route >= 0 && route < ROUTE_SLOTS)
		atomic_fetch_add_explicit(&counters.throttled[route], 1, memory_order_relaxed);
}

void
metrics_pool_waited(long usec)
{
	metrics_count(METRIC_POOL_WAITS);
	atomic_fetch_add_explicit(&counters.pool_wait_usec,
							  (uint_fast64_t) (usec > 0 ? usec : 0),
							  memory_order_relaxed);
}

/* One partition's answer into the counters. */
static HousekeepingAnswer
add_removed(json_t *answer)
{
	if (json_is_true(json_object_get(answer, "busy")))
		return HOUSEKEEPING_BUSY;
	for (int i = 0; i < METRIC_HOUSEKEEPING_KINDS; i++)
	{
		json_t	   *n = json_object_get(answer, removed_kinds[i]);

		if (json_is_integer(n) && json_integer_value(n) > 0)
			atomic_fetch_add_explicit(&counters.removed[i],
									  (uint_fast64_t) json_integer_value(n),
									  memory_order_relaxed);
	}
	return json_is_true(json_object_get(answer, "more")) ?
		HOUSEKEEPING_MORE : HOUSEKEEPING_DONE;
}

HousekeepingAnswer
metrics_housekeeping(const char *answer)
{
	json_t	   *json = json_loads(answer, JSON_DECODE_ANY, NULL);
	HousekeepingAnswer result = HOUSEKEEPING_BUSY;
	size_t		i;
	json_t	   *partition;

	if (json_is_array(json))
	{
		/* more if any partition has more; busy only if all were */
		json_array_foreach(json, i, partition)
		{
			HousekeepingAnswer one = add_removed(partition);

			if (one != HOUSEKEEPING_BUSY && result != HOUSEKEEPING_MORE)
				result = one;
		}
	}
	else
		result = add_removed(json);
	json_decref(json);
	metrics_count(result == HOUSEKEEPING_BUSY ? METRIC_HOUSEKEEPING_BUSY :
				  METRIC_HOUSEKEEPING_RUNS);
	return result;
}

/* --- the exposition */

void
metrics_printf(MetricsText *text, const char *fmt,...)
{
	va_list		args;
	int			n;

	if (text->failed)
		return;
	for (;;)
	{
		va_start(args, fmt);
		n = vsnprintf(text->data + text->len, text->size - text->len, fmt, args);
		va_end(args);
		if (n < 0)
		{
			text->failed = true;
			return;
		}
		if ((size_t) n < text->size - text->len)
		{
			text->len += (size_t) n;
			return;
		}
		text->size = 2 * (text->len + (size_t) n + 1);
		text->data = realloc(text->data, text->size);
		if (text->data == NULL)
		{
			text->failed = true;
			return;
		}
	}
}

static uint64_t
load(atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

void
metrics_header(MetricsText *text, const char *name, const char *type, const char *help)
{
	metrics_printf(text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The events (or gauges) of a table, a header before each new name. */
static void
write_table(MetricsText *text, const EventDef *defs, int n, const char *type,
			bool gauges)
{
	for (int i = 0; i < n; i++)
	{
		long long	value = gauges ?
			(long long) atomic_load_explicit(&counters.gauges[i], memory_order_relaxed) :
			(long long) load(&counters.events[i]);

		if (defs[i].help != NULL)
			metrics_header(text, defs[i].name, type, defs[i].help);
		metrics_printf(text, "%s%s%s%s %lld\n", defs[i].name,
					defs[i].label ? "{" : "", defs[i].label ? defs[i].label : "",
					defs[i].label ? "}" : "", value);
	}
}

static void
write_requests(MetricsText *text)
{
	metrics_header(text, "authoob_http_requests_total", "counter",
				   "HTTP requests answered, by route family and status (code \"none\": "
				   "the client went before an answer).");
	for (int f = 0; f < ROUTE_FAMILIES; f++)
		for (int s = 0; s < STATUS_SLOTS; s++)
		{
			uint64_t	n = load(&counters.families[f].by_status[s]);
			char		code[8];

			if (n == 0)
				continue;
			snprintf(code, sizeof(code), "%d", s);
			metrics_printf(text, "authoob_http_requests_total{family=\"%s\",code=\"%s\"} %llu\n",
						family_names[f], s == 0 ? "none" : code,
						(unsigned long long) n);
		}
	metrics_header(text, "authoob_http_request_duration_seconds", "histogram",
				   "Time from a request's header to its completion, by route family.");
	for (int f = 0; f < ROUTE_FAMILIES; f++)
	{
		FamilyCounters *fc = &counters.families[f];
		uint64_t	cumulative = 0;
		uint64_t	count = load(&fc->count);

		for (int b = 0; b < BUCKETS; b++)
		{
			cumulative += load(&fc->buckets[b]);
			/* counted apart: a bucket may run ahead of the count, never past it */
			metrics_printf(text, "authoob_http_request_duration_seconds_bucket"
						"{family=\"%s\",le=\"%g\"} %llu\n", family_names[f],
						bucket_usec[b] / 1e6,
						(unsigned long long) (cumulative < count ? cumulative : count));
		}
		metrics_printf(text, "authoob_http_request_duration_seconds_bucket"
					"{family=\"%s\",le=\"+Inf\"} %llu\n", family_names[f],
					(unsigned long long) count);
		metrics_printf(text, "authoob_http_request_duration_seconds_sum{family=\"%s\"} %.6f\n",
					family_names[f], load(&fc->usec) / 1e6);
		metrics_printf(text, "authoob_http_request_duration_seconds_count{family=\"%s\"} %llu\n",
					family_names[f], (unsigned long long) count);
	}
}

/* 429s by route: which limit refused is the database's, the route says what was asked. */
static void
write_throttled(MetricsText *text, const Route *routes, int nroutes)
{
	metrics_header(text, "authoob_http_throttled_total", "counter",
				   "Requests refused by the brute-force limits or the budget of "
				   "password hashes (429), by route.");
	for (int r = 0; r < nroutes && r < ROUTE_SLOTS; r++)
	{
		uint64_t	n = load(&counters.throttled[r]);

		if (n > 0)
			metrics_printf(text, "authoob_http_throttled_total{family=\"%s\",route=\"%s %s\"} %llu\n",
						family_names[routes[r].family], routes[r].method,
						routes[r].pattern, (unsigned long long) n);
	}
}

static void
write_housekeeping(MetricsText *text)
{
	metrics_header(text, "authoob_housekeeping_removed_total", "counter",
				   "Rows authoob_housekeeping() removed when this front ran it, by kind.");
	for (int i = 0; i < METRIC_HOUSEKEEPING_KINDS; i++)
		metrics_printf(text, "authoob_housekeeping_removed_total{kind=\"%s\"} %llu\n",
					removed_kinds[i], (unsigned long long) load(&counters.removed[i]));
}


void
metrics_write(MetricsText *text, const Route *routes, int nroutes)
{
	write_requests(text);
	write_throttled(text, routes, nroutes);
	write_table(text, event_defs, METRIC_EVENTS, "counter", false);
	metrics_header(text, "authoob_pool_wait_seconds_total", "counter",
				   "Time statements spent waiting for a free Postgres connection.");
	metrics_printf(text, "authoob_pool_wait_seconds_total %.6f\n",
				   load(&counters.pool_wait_usec) / 1e6);
	write_table(text, gauge_defs, METRIC_GAUGES, "gauge", true);
	write_housekeeping(text);
}
