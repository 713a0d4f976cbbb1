/*
 * options.h - command-line flags of authoob-http.
 *
 * Flags are only about the process (where to listen, which database, how many
 * threads, which mail server); what the service does is read from the
 * database (settings.h).
 */
#ifndef AUTHOOB_OPTIONS_H
#define AUTHOOB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "proxies.h"

/* How many --db-read a front takes. */
#define OPTIONS_MAX_DB_READ 16

typedef struct Options
{
	const char *listen;			/* host:port, [v6]:port; port 0 = any */
	const char *conninfo;		/* libpq conninfo; "" = PG* environment */
	const char *db_read[OPTIONS_MAX_DB_READ];	/* standbys for read-only routes */
	int			n_db_read;
	int			db_read_max_lag_ms;	/* a standby further behind is skipped; 0: none */
	int			threads;		/* HTTP worker threads */
	int			pool_size;		/* Postgres connections */
	size_t		body_limit;		/* bytes */
	int			max_connections;	/* 0: what the descriptor limit allows */
	int			max_client_connections; /* per client address; 0: none */
	int			header_timeout_s;	/* a request's header must be in by then */
	int			body_timeout_s; /* and its body this long after */
	TrustedProxies trusted_proxies;	/* whose X-Forwarded-For is believed */
	const char *cors_origin;	/* NULL = the origin of the app_url setting */
	int			drain_seconds;	/* at shutdown, for requests in flight */
	LogLevel	log_level;
	/* mail delivery (mailer.h): none without smtp_url */
	const char *smtp_url;
	const char *smtp_user;
	const char *smtp_password_file;	/* NULL: $AUTHOOB_SMTP_PASSWORD */
	bool		smtp_tls;		/* require STARTTLS */
	int			mail_sweep_seconds;
	bool		mailer_only;	/* deliver mail, serve no HTTP */
} Options;

typedef enum OptionsResult
{
	OPTIONS_RUN,				/* go on and serve */
	OPTIONS_EXIT_OK,			/* --help or --version was printed */
	OPTIONS_EXIT_USAGE			/* a one-line error was printed */
} OptionsResult;

OptionsResult options_parse(Options *options, int argc, char **argv);

#endif
