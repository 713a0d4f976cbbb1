/*
 * options.h - command-line flags of authoob-http.
 *
 * Flags are only about the process (where to listen, which database, how many
 * threads); what the service does is read from the database (settings.h).
 */
#ifndef AUTHOOB_OPTIONS_H
#define AUTHOOB_OPTIONS_H

#include <stddef.h>

#include "log.h"

typedef struct Options
{
	const char *listen;			/* host:port, [v6]:port; port 0 = any */
	const char *conninfo;		/* libpq conninfo; "" = PG* environment */
	int			threads;		/* HTTP worker threads */
	int			pool_size;		/* Postgres connections */
	size_t		body_limit;		/* bytes */
	const char *cors_origin;	/* NULL = the origin of the app_url setting */
	int			drain_seconds;	/* at shutdown, for requests in flight */
	LogLevel	log_level;
} Options;

typedef enum OptionsResult
{
	OPTIONS_RUN,				/* go on and serve */
	OPTIONS_EXIT_OK,			/* --help or --version was printed */
	OPTIONS_EXIT_USAGE			/* a one-line error was printed */
} OptionsResult;

OptionsResult options_parse(Options *options, int argc, char **argv);

#endif
