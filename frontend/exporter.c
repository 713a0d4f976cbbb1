/*
 * exporter.c - GET /metrics on --metrics-listen: the counters of
 * metrics.c, then what the database tells of itself (authoob_metrics()).
 */
#include "exporter.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "options.h"
#include "routes.h"
#include "server.h"

/*
 * A number of an authoob_metrics() answer: an object, or through a proxy
 * the array of the partitions' objects, whose numbers are summed (max: the
 * largest is taken). found: whether any had it.
 */
static json_int_t
answer_number(json_t *answer, const char *key, bool max, bool *found)
{
	bool		partitions = json_is_array(answer);
	size_t		count = partitions ? json_array_size(answer) : 1;
	json_int_t	total = 0;

	*found = false;
	for (size_t i = 0; i < count; i++)
	{
		json_t	   *n = json_object_get(partitions ? json_array_get(answer, i) : answer, key);
		json_int_t	value;

		if (!json_is_integer(n))
			continue;
		value = json_integer_value(n);
		total = !*found ? value : max ? (value > total ? value : total) : total + value;
		*found = true;
	}
	return total;
}

/* What the database tells (authoob_metrics()): the outbox, the key's age. */
static void
write_database(MetricsText *text, Pool *pool)
{
	static const struct
	{
		const char *key;
		const char *name;
		const char *help;
		bool		max;
	}			figures[] = {
		{"mails_pending", "authoob_mail_queue_pending", "Mails waiting for delivery, due or not.", false},
		{"mails_due", "authoob_mail_queue_due", "Mails waiting whose time has come.", false},
		{"mails_sending", "authoob_mail_queue_sending", "Mails leased by a mailer now.", false},
		{"signing_key_age", "authoob_signing_key_age_seconds",
		"Age of the asymmetric key signing new tokens (absent under HS256).", true},
	};
	PGresult   *res = pool != NULL ? pool_query(pool, "SELECT authoob_metrics()") : NULL;
	json_t	   *answer = NULL;
	bool		ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
		PQntuples(res) == 1;

	if (ok)
		answer = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL);
	PQclear(res);
	metrics_header(text, "authoob_database_scrape_ok", "gauge",
				   "Whether authoob_metrics() answered this scrape.");
	metrics_printf(text, "authoob_database_scrape_ok %d\n", answer != NULL);
	for (size_t i = 0; answer != NULL && i < sizeof(figures) / sizeof(figures[0]); i++)
	{
		bool		found;
		json_int_t	n = answer_number(answer, figures[i].key, figures[i].max, &found);

		if (!found)
			continue;
		metrics_header(text, figures[i].name, "gauge", figures[i].help);
		metrics_printf(text, "%s %lld\n", figures[i].name, (long long) n);
	}
	json_decref(answer);
}

/* The whole exposition, malloc'd; NULL when out of memory. */
static char *
render(Pool *pool, size_t *len)
{
	MetricsText text = {.size = 16384};
	int			nroutes;
	const Route *routes = routes_table(&nroutes);

	text.data = malloc(text.size);
	if (text.data == NULL)
		return NULL;
	text.data[0] = '\0';
	metrics_write(&text, routes, nroutes);
	write_database(&text, pool);
	metrics_header(&text, "authoob_build_info", "gauge", "The version of authoob-http.");
	metrics_printf(&text, "authoob_build_info{version=\"%s\"} 1\n", AUTHOOB_HTTP_VERSION);
	if (text.failed)
	{
		free(text.data);
		return NULL;
	}
	*len = text.len;
	return text.data;
}

struct Exporter
{
	struct MHD_Daemon *daemon;
	Pool	   *pool;
};

static enum MHD_Result
serve_scrape(void *cls, struct MHD_Connection *connection, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_data_size, void **req_cls)
{
	Exporter *exporter = cls;
	struct MHD_Response *response;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char	   *body = NULL;
	size_t		len = 0;

	(void) version;
	(void) upload_data;
	(void) upload_data_size;
	(void) req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 || strcmp(url, "/metrics") != 0)
		status = MHD_HTTP_NOT_FOUND;
	else if ((body = render(exporter->pool, &len)) == NULL)
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	response = body != NULL ?
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) :
		MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
	{
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
							"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return ret;
}

Exporter *
exporter_start(const char *listen, Pool *pool)
{
	Exporter *exporter = calloc(1, sizeof(Exporter));
	struct sockaddr_storage addr = {0};
	char		where[NI_MAXHOST + NI_MAXSERV + 4];

	if (exporter == NULL)
		return NULL;
	exporter->pool = pool;
	if (!server_parse_listen(listen, &addr))
	{
		log_error("cannot resolve --metrics-listen address \"%s\"", listen);
		free(exporter);
		return NULL;
	}
	exporter->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
									  MHD_USE_AUTO |
									  (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
									  0, NULL, NULL, serve_scrape, exporter,
									  MHD_OPTION_SOCK_ADDR, &addr,
									  MHD_OPTION_CONNECTION_LIMIT, 16u,
									  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
									  MHD_OPTION_END);
	if (exporter->daemon == NULL)
	{
		log_error("cannot listen on %s for metrics", listen);
		free(exporter);
		return NULL;
	}
	/* tests read this line for the port; no "listening on", which is the server's */
	if (server_listen_text(exporter->daemon, where, sizeof(where)))
		log_info("metrics served at http://%s/metrics", where);
	return exporter;
}

void
exporter_stop(Exporter *exporter)
{
	if (exporter == NULL)
		return;
	MHD_stop_daemon(exporter->daemon);
	free(exporter);
}
