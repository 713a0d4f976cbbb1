/*
 * main.c - authoob-http: serves the authoob routes (docs/routes.md)
 * and delivers the mail outbox (docs/mail.md).
 *
 * Parses the flags and wires the parts: the connection pool, the settings
 * read from the database, the mailer, the HTTP server. The main thread then
 * only waits for signals: SIGHUP re-reads the settings, SIGTERM/SIGINT drain
 * and exit.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "mailer.h"
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

/* Returns when asked to stop; reloads the settings on SIGHUP meanwhile. */
static void
wait_for_stop(const sigset_t *set, Pool *pool, const Options *options)
{
	int			sig;

	while (sigwait(set, &sig) == 0)
	{
		if (sig != SIGHUP)
		{
			log_info("received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		if (pool == NULL)
			log_info("received SIGHUP: nothing to reload with --mailer-only");
		else
		{
			log_info("received SIGHUP, reloading settings");
			settings_load(pool, options->cors_origin);
		}
	}
}

static int
stop_early(Pool *pool, Mailer *mailer)
{
	mailer_stop(mailer);
	settings_clear();
	pool_destroy(pool);
	return EXIT_FAILURE;
}

/* The pool of the HTTP routes, with the settings read through it. */
static bool
open_pool(const Options *options, Pool **pool)
{
	const char *const *statements;
	int			nstatements;
	int			unprepared;

	statements = routes_statements(&nstatements);
	*pool = pool_create(options->conninfo, options->pool_size, statements,
						nstatements);
	for (int i = 0; *pool != NULL && i < options->n_db_read; i++)
	{
		if (!pool_add_standby(*pool, options->db_read[i],
							  options->db_read_max_lag_ms))
			return false;
	}
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
	Pool	   *pool = NULL;
	Mailer	   *mailer = NULL;
	Server	   *server = NULL;

	switch (options_parse(&options, argc, argv))
	{
		case OPTIONS_EXIT_OK:
			return EXIT_SUCCESS;
		case OPTIONS_EXIT_USAGE:
			return 2;
		case OPTIONS_RUN:
			break;
	}
	log_set_level(options.log_level);
	block_signals(&signals);

	if (!options.mailer_only && !open_pool(&options, &pool))
		return stop_early(pool, NULL);
	if (options.smtp_url == NULL)
		log_info("mail delivery is off (no --smtp-url): mails stay queued in "
				 "authoob.mail_outbox");
	else if ((mailer = mailer_start(&options)) == NULL)
		return stop_early(pool, NULL);
	if (!options.mailer_only &&
		(server = server_start(&options, pool)) == NULL)
		return stop_early(pool, mailer);

	wait_for_stop(&signals, pool, &options);
	/* the mailer finishes its mail in flight while requests drain */
	mailer_request_stop(mailer);
	if (server != NULL)
		server_stop(server, options.drain_seconds * 1000);
	mailer_stop(mailer);
	settings_clear();
	pool_destroy(pool);
	log_info("stopped");
	return EXIT_SUCCESS;
}
