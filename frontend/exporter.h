/*
 * exporter.h - serves the metrics of authoob-http (metrics.h) to
 * Prometheus: GET /metrics on --metrics-listen.
 *
 * A libmicrohttpd daemon of its own, one thread apart from the workers, so
 * that a scrape never queues behind requests, nor a request behind a
 * scrape.
 */
#ifndef AUTHOOB_EXPORTER_H
#define AUTHOOB_EXPORTER_H

#include "pool.h"

typedef struct Exporter Exporter;

/*
 * Serves on listen ("host:port"); the database's own figures
 * (authoob_metrics()) are read through pool at each scrape, pool NULL:
 * none (--mailer-only). NULL (logged) if it cannot listen.
 */
Exporter   *exporter_start(const char *listen, Pool *pool);

/* Stops serving and frees; NULL is ignored. */
void		exporter_stop(Exporter *exporter);

#endif
