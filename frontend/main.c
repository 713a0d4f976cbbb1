/*
 * main.c - authoob-http: serves the authoob routes (docs/routes.md)
 * and delivers the mail outbox (docs/mail.md).
 *
 * Parses the flags and wires the parts: the connection pool, the settings
 * read from the database, the mailer, the housekeeper, the metrics, the
 * HTTP server. The main thread then only waits for signals: SIGHUP reloads
 * (reload()), SIGTERM/SIGINT drain and exit; systemd hears of each
 * (notify.h).
 */
#include <signal.h>
#include <stdlib.h>

#include "exporter.h"
#include "housekeeper.h"
#include "log.h"
#include "mailer.h"
#include "notify.h"
#include "options.h"
#include "pool.h"
#include "routes.h"
#include "server.h"
#include "settings.h"

/* Blocks the signals we wait for, in this thread and all it creates. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	/* A client or server gone mid-write is an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);
}

/* What runs, for a reload and the stop. */
typedef struct Parts
{
	Pool	   *pool;
	Mailer	   *mailer;
	Housekeeper *housekeeper;
	Exporter   *exporter;
	Server	   *server;
} Parts;

/*
 * SIGHUP: what can change without a connection dropped. The flags and the
 * --config file are read again, and their log level, CORS origin and
 * housekeeping period applied; the settings are read again from the
 * database. The rest (addresses, pools, limits, trusted proxies) is the
 * running process's: it takes a restart (docs/operations.md "Reload").
 */
static void
reload(const Parts *parts, int argc, char **argv)
{
	Options		fresh;

	notify_systemd("RELOADING=1");
	if (options_parse(&fresh, argc, argv) != OPTIONS_RUN)
		log_error("received SIGHUP: the options are wrong (above), nothing reloaded");
	else
	{
		log_info("received SIGHUP, reloading the options' log level, CORS "
				 "origin and housekeeping period, and the settings");
		log_set_level(fresh.log_level);
		if (parts->housekeeper == NULL && fresh.housekeeping_seconds > 0)
			log_warning("housekeeping was off at start: turning it on takes a restart");
		housekeeper_set_period(parts->housekeeper, fresh.housekeeping_seconds);
		if (parts->pool != NULL)
			settings_load(parts->pool, fresh.cors_origin);
	}
	options_free(&fresh);
	notify_systemd("READY=1");
}

/* Returns when asked to stop; reloads on SIGHUP meanwhile. */
static void
wait_for_stop(const sigset_t *set, const Parts *parts, int argc, char **argv)
{
	int			sig;

	while (sigwait(set, &sig) == 0)
	{
		if (sig != SIGHUP)
		{
			log_info("received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			notify_systemd("STOPPING=1");
			return;
		}
		reload(parts, argc, argv);
	}
}

/* Stops what runs, the server first; each NULL when it does not run. */
static void
stop_parts(Parts *parts, int drain_seconds)
{
	/* the mailer finishes its mail in flight while requests drain */
	mailer_request_stop(parts->mailer);
	if (parts->server != NULL)
		server_stop(parts->server, drain_seconds * 1000);
	exporter_stop(parts->exporter);
	housekeeper_stop(parts->housekeeper);
	mailer_stop(parts->mailer);
	settings_clear();
	pool_destroy(parts->pool);
}

/* The parts besides the pool, in the order they start; false if one fails. */
static bool
start_parts(const Options *options, Parts *parts)
{
	if (options->smtp_url == NULL)
		log_info("mail delivery is off (no --smtp-url): mails stay queued in "
				 "authoob.mail_outbox");
	else if ((parts->mailer = mailer_start(options)) == NULL)
		return false;
	if (options->housekeeping_seconds > 0 &&
		(parts->housekeeper = housekeeper_start(options)) == NULL)
		return false;
	if (options->metrics_listen != NULL &&
		(parts->exporter = exporter_start(options->metrics_listen, parts->pool)) == NULL)
		return false;
	return options->mailer_only ||
		(parts->server = server_start(options)) != NULL;
}

/*
 * The blocking pool of the settings and the metrics, one connection: the
 * HTTP routes' statements go through the event loops' own connections
 * (server.c). It also checks at start that every statement prepares.
 */
static bool
open_pool(const Options *options, Pool **pool)
{
	const char *const *statements;
	int			nstatements;
	int			unprepared;

	statements = routes_statements(&nstatements);
	*pool = pool_create(options->conninfo, 1, statements, nstatements);
	if (options->n_db_read > 0)
		log_info("read-only routes go to %d standbys first%s", options->n_db_read,
				 options->db_read_max_lag_ms > 0 ?
				 ", skipping one too far behind" : "");
	/* Settings first: they tell whether the extension is there at all. */
	if (*pool == NULL || !pool_open(*pool) ||
		!settings_load(*pool, options->cors_origin))
		return false;
	unprepared = pool_prepare_all(*pool);
	if (unprepared > 0)
		log_warning("%d statements refused: their routes answer 500 until the "
					"extension provides them", unprepared);
	return true;
}

int
main(int argc, char **argv)
{
	Options		options;
	sigset_t	signals;
	Parts		parts = {0};

	switch (options_parse(&options, argc, argv))
	{
		case OPTIONS_EXIT_OK:
			options_free(&options);
			return EXIT_SUCCESS;
		case OPTIONS_EXIT_USAGE:
			options_free(&options);
			return 2;
		case OPTIONS_RUN:
			break;
	}
	log_set_level(options.log_level);
	block_signals(&signals);

	if ((!options.mailer_only && !open_pool(&options, &parts.pool)) ||
		!start_parts(&options, &parts))
	{
		stop_parts(&parts, 0);
		options_free(&options);
		return EXIT_FAILURE;
	}
	/* listening, and connected (the pool, or the mailer's connection) */
	notify_systemd("READY=1");

	wait_for_stop(&signals, &parts, argc, argv);
	stop_parts(&parts, options.drain_seconds);
	options_free(&options);
	log_info("stopped");
	return EXIT_SUCCESS;
}
