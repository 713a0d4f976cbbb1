/*
 * main.c - authoob-http: serves the authoob routes (SPEC §4) over HTTP.
 *
 * Parses the flags and wires the parts: the connection pool, the settings
 * read from the database, the HTTP server. The main thread then only waits
 * for signals: SIGHUP re-reads the settings, SIGTERM/SIGINT drain and exit.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
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
		log_info("received SIGHUP, reloading settings");
		settings_load(pool, options->cors_origin);
	}
}

static int
stop_early(Pool *pool)
{
	settings_clear();
	pool_destroy(pool);
	return EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	Options		options;
	sigset_t	signals;
	const char *const *statements;
	int			nstatements;
	Pool	   *pool;
	Server	   *server;
	int			unprepared;

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

	statements = routes_statements(&nstatements);
	pool = pool_create(options.conninfo, options.pool_size, statements,
					   nstatements);
	/* Settings first: they tell whether the extension is there at all. */
	if (pool == NULL || !pool_open(pool) ||
		!settings_load(pool, options.cors_origin))
		return stop_early(pool);
	unprepared = pool_prepare_all(pool);
	if (unprepared > 0)
		log_warning("%d statements refused: their routes answer 500 until the "
					"extension provides them", unprepared);
	server = server_start(&options, pool);
	if (server == NULL)
		return stop_early(pool);

	wait_for_stop(&signals, pool, &options);
	server_stop(server, options.drain_seconds * 1000);
	settings_clear();
	pool_destroy(pool);
	log_info("stopped");
	return EXIT_SUCCESS;
}
