/*
 * options.h - command-line flags of authoob-http, and its configuration
 * file (--config), which takes the same options.
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

#define AUTHOOB_HTTP_VERSION "0.1.0"

/* How many --db-read a front takes. */
#define OPTIONS_MAX_DB_READ 16

typedef struct Options
{
	const char *listen;			/* host:port, [v6]:port; port 0 = any */
	const char *conninfo;		/* libpq conninfo; "" = PG* environment */
	const char *db_read[OPTIONS_MAX_DB_READ];	/* standbys for read-only routes */
	int			n_db_read;
	int			db_read_max_lag_ms;	/* a standby further behind is skipped; 0: none */
	int			threads;		/* event loops (server.c) */
	int			pool_size;		/* their Postgres connections, all loops */
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
	const char *metrics_listen; /* host:port of GET /metrics; NULL: none */
	int			housekeeping_seconds;	/* authoob_housekeeping() period; 0: never */
	char	   *config_text;	/* the --config file's, values point into it */
} Options;

typedef enum OptionsResult
{
	OPTIONS_RUN,				/* go on and serve */
	OPTIONS_EXIT_OK,			/* --help or --version was printed */
	OPTIONS_EXIT_USAGE			/* a one-line error was printed */
} OptionsResult;

/*
 * Reads the --config file, if any, then the flags (which win over it, and
 * add to its repeatable ones). Again at a reload: the values of a second
 * parse are its own. Free with options_free whatever the result.
 */
OptionsResult options_parse(Options *options, int argc, char **argv);
void		options_free(Options *options);

#endif
