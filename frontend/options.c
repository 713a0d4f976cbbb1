/*
 * options.c - parsing of the command-line flags of authoob-http.
 *
 * A bad flag is one line on stderr and exit status 2, so that a typo in a
 * service file is obvious in the journal.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTHOOB_HTTP_VERSION "0.1.0"

static const char usage_text[] =
"authoob-http serves the authoob routes over HTTP from a PostgreSQL database.\n"
"\n"
"Usage: authoob-http [OPTION]...\n"
"\n"
"  --listen=HOST:PORT    address to listen on (default 127.0.0.1:8080;\n"
"                        [::1]:8080 for IPv6, port 0 for any free port)\n"
"  --db=CONNINFO         libpq connection string (PG* environment honoured)\n"
"  --threads=N           HTTP worker threads (default: 2 per CPU)\n"
"  --pool=N              Postgres connections (default: --threads)\n"
"  --body-limit=BYTES    largest request body, k/M suffixes allowed\n"
"                        (default 64k)\n"
"  --cors-origin=ORIGIN  origin allowed by CORS, or * for any without\n"
"                        credentials (default: the app_url setting)\n"
"  --drain-timeout=SECS  at SIGTERM, how long requests in flight may take\n"
"                        before their statements are cancelled (default 10)\n"
"  --log-level=LEVEL     error, warning, info (default) or debug\n"
"  --help                show this help and exit\n"
"  --version             show the version and exit\n"
"\n"
"The route prefix, token header and app_url are read from the database\n"
"(authoob_settings()) at start and on SIGHUP.\n";

/* Parses an integer in [min, max]; false if it is anything else. */
static bool
parse_int(const char *text, long min, long max, long *value)
{
	char	   *end;

	errno = 0;
	*value = strtol(text, &end, 10);
	return errno == 0 && end != text && *end == '\0' &&
		*value >= min && *value <= max;
}

/* Parses a byte count with an optional k or M suffix. */
static bool
parse_size(const char *text, size_t *value)
{
	char	   *end;
	unsigned long long n;
	unsigned long long unit = 1;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	if (*end == 'k' || *end == 'K')
		unit = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		unit = 1024 * 1024, end++;
	if (*end != '\0' || n == 0 || n > (1ULL << 30) / unit)
		return false;
	*value = (size_t) (n * unit);
	return true;
}

static OptionsResult
bad_value(const char *flag, const char *value)
{
	fprintf(stderr, "authoob-http: invalid value \"%s\" for --%s (try --help)\n",
			value, flag);
	return OPTIONS_EXIT_USAGE;
}

static void
set_defaults(Options *options)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	options->listen = "127.0.0.1:8080";
	options->conninfo = "";
	options->threads = (int) (cpus > 0 && cpus < 64 ? cpus * 2 : 4);
	options->pool_size = 0;		/* resolved to threads after parsing */
	options->body_limit = 64 * 1024;
	options->cors_origin = NULL;
	options->drain_seconds = 10;
	options->log_level = LOG_LEVEL_INFO;
}

OptionsResult
options_parse(Options *options, int argc, char **argv)
{
	enum { OPT_LISTEN = 256, OPT_DB, OPT_THREADS, OPT_POOL, OPT_BODY_LIMIT,
	OPT_CORS_ORIGIN, OPT_DRAIN_TIMEOUT, OPT_LOG_LEVEL, OPT_HELP, OPT_VERSION };
	static const struct option long_options[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"db", required_argument, NULL, OPT_DB},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"pool", required_argument, NULL, OPT_POOL},
		{"body-limit", required_argument, NULL, OPT_BODY_LIMIT},
		{"cors-origin", required_argument, NULL, OPT_CORS_ORIGIN},
		{"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0}
	};
	int			opt;
	long		n;

	set_defaults(options);
	opterr = 0;					/* our own one-line messages instead */
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1)
	{
		switch (opt)
		{
			case OPT_LISTEN:
				options->listen = optarg;
				break;
			case OPT_DB:
				options->conninfo = optarg;
				break;
			case OPT_THREADS:
				if (!parse_int(optarg, 1, 1024, &n))
					return bad_value("threads", optarg);
				options->threads = (int) n;
				break;
			case OPT_POOL:
				if (!parse_int(optarg, 1, 1024, &n))
					return bad_value("pool", optarg);
				options->pool_size = (int) n;
				break;
			case OPT_BODY_LIMIT:
				if (!parse_size(optarg, &options->body_limit))
					return bad_value("body-limit", optarg);
				break;
			case OPT_CORS_ORIGIN:
				options->cors_origin = optarg;
				break;
			case OPT_DRAIN_TIMEOUT:
				if (!parse_int(optarg, 0, 3600, &n))
					return bad_value("drain-timeout", optarg);
				options->drain_seconds = (int) n;
				break;
			case OPT_LOG_LEVEL:
				if (!log_parse_level(optarg, &options->log_level))
					return bad_value("log-level", optarg);
				break;
			case OPT_HELP:
				fputs(usage_text, stdout);
				return OPTIONS_EXIT_OK;
			case OPT_VERSION:
				puts("authoob-http " AUTHOOB_HTTP_VERSION);
				return OPTIONS_EXIT_OK;
			default:
				fprintf(stderr, "authoob-http: %s option %s (try --help)\n",
						optopt ? "missing value for" : "unknown",
						argv[optind - 1]);
				return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "authoob-http: unexpected argument \"%s\" (try --help)\n",
				argv[optind]);
		return OPTIONS_EXIT_USAGE;
	}
	if (options->pool_size == 0)
		options->pool_size = options->threads;
	return OPTIONS_RUN;
}
