/*
 * options.c - parsing of the command-line flags of authoob-http, and of its
 * configuration file, whose lines are the same options (one parser).
 *
 * A bad flag is one line on stderr and exit status 2 (a bad line of the
 * file, a second line saying where), so that a typo in a service file is
 * obvious in the journal.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A configuration file is a few lines: anything larger is a mistake. */
#define CONFIG_MAX (64 * 1024)

static const char usage_text[] =
"authoob-http serves the authoob routes over HTTP from a PostgreSQL database\n"
"and delivers the mails of its outbox over SMTP.\n"
"\n"
"Usage: authoob-http [OPTION]...\n"
"\n"
"  --listen=HOST:PORT    address to listen on (default 127.0.0.1:8080;\n"
"                        [::1]:8080 for IPv6, port 0 for any free port)\n"
"  --db=CONNINFO         libpq connection string (PG* environment honoured);\n"
"                        several hosts with target_session_attrs=read-write\n"
"                        follow a failover (docs/scale-out.md)\n"
"  --db-read=CONNINFO    a standby for the read-only routes (profile, public\n"
"                        profile, verify, jwks); repeatable, used in turn;\n"
"                        --db serves them when no standby answers\n"
"  --db-read-max-lag=SECS  skip a standby whose replay is further behind\n"
"                        (checked each second; default 0: no limit)\n"
"  --threads=N           event loops, one thread each (default: 1 per CPU)\n"
"  --pool=N              Postgres connections for the routes, shared out\n"
"                        between the loops, one at least each (default:\n"
"                        2 per loop); as many again per --db-read\n"
"  --body-limit=BYTES    largest request body, k/M suffixes allowed\n"
"                        (default 64k)\n"
"  --max-connections=N   connections open at once, all clients together\n"
"                        (default: as many as the descriptor limit allows,\n"
"                        at most 16384); more wait in the listen queue\n"
"  --max-client-connections=N  connections one client address may hold;\n"
"                        more are closed at once (default 256: far above a\n"
"                        browser's 6, room for an office behind one NAT or\n"
"                        a load test from one host, yet one address cannot\n"
"                        take the service; 0 = no limit)\n"
"  --trusted-proxy=CIDR  a reverse proxy (an IPv4 or IPv6 address or\n"
"                        network; repeatable) whose X-Forwarded-For names\n"
"                        the client: the rightmost address in it that is\n"
"                        not a trusted proxy; a proxy's own connections are\n"
"                        not counted per client (default: none, the client\n"
"                        is the TCP peer)\n"
"  --header-timeout=SECS  time for a request's header, from connecting or\n"
"                        from the previous answer (default 10)\n"
"  --body-timeout=SECS   time for its body, from its header (default 10)\n"
"  --cors-origin=ORIGIN  origin allowed by CORS, or * for any without\n"
"                        credentials (default: the app_url setting)\n"
"  --drain-timeout=SECS  at SIGTERM, how long requests in flight may take\n"
"                        before their statements are cancelled (default 10)\n"
"  --log-level=LEVEL     error, warning, info (default) or debug\n"
"\n"
"  --smtp-url=URL        deliver the mail outbox to smtp://HOST:PORT or\n"
"                        smtps://HOST:PORT (a path sets the EHLO name);\n"
"                        without it mails stay queued in the database\n"
"  --smtp-user=USER      SMTP login; its password is read from\n"
"                        --smtp-password-file or $AUTHOOB_SMTP_PASSWORD\n"
"  --smtp-password-file=FILE  the file holding the SMTP password\n"
"  --smtp-tls            require STARTTLS on smtp:// (never send in clear)\n"
"  --mail-sweep=SECS     also look for due mails this often, for retries\n"
"                        and expired leases (default 5)\n"
"  --mailer-only         deliver mail and serve no HTTP\n"
"\n"
"  --metrics-listen=HOST:PORT  serve Prometheus metrics on GET /metrics\n"
"                        there (default: none)\n"
"  --housekeeping=SECS   run authoob_housekeeping() this often, give or\n"
"                        take a fifth (default 300; 0 = never, e.g. when\n"
"                        pg_cron runs it)\n"
"  --config=FILE         read options from FILE first, a line each\n"
"                        \"name = value\" (names of the options above,\n"
"                        without --); flags given here win over it\n"
"\n"
"  --help                show this help and exit\n"
"  --version             show the version and exit\n"
"\n"
"The route prefix, token header and app_url are read from the database\n"
"(authoob_settings()) at start and on SIGHUP, which also applies the\n"
"--log-level, --cors-origin and --housekeeping of FILE and the flags.\n";

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

/* Parses seconds with up to 3 decimals ("0.5") as milliseconds in [0, max_s]. */
static bool
parse_ms(const char *text, long max_s, int *ms)
{
	char	   *end;
	double		seconds;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	seconds = strtod(text, &end);
	if (errno != 0 || *end != '\0' || seconds > (double) max_s)
		return false;
	*ms = (int) (seconds * 1000.0 + 0.5);
	return true;
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
	options->n_db_read = 0;
	options->db_read_max_lag_ms = 0;
	/* a loop never waits on a statement: one per core keeps them all busy */
	options->threads = (int) (cpus > 0 && cpus < 64 ? cpus : 4);
	options->pool_size = 0;		/* resolved to 2 per loop after parsing */
	options->body_limit = 64 * 1024;
	options->max_connections = 0;	/* resolved by the server at start */
	options->max_client_connections = 256;
	options->header_timeout_s = 10;
	options->body_timeout_s = 10;
	options->trusted_proxies.count = 0;
	options->cors_origin = NULL;
	options->drain_seconds = 10;
	options->log_level = LOG_LEVEL_INFO;
	options->smtp_url = NULL;
	options->smtp_user = NULL;
	options->smtp_password_file = NULL;
	options->smtp_tls = false;
	options->mail_sweep_seconds = 5;
	options->mailer_only = false;
	options->metrics_listen = NULL;
	options->housekeeping_seconds = 300;
	options->config_text = NULL;
}

/*
 * smtp:// or smtps://, a host, and no credentials: a password does not
 * belong on a command line, where ps and the journal show it.
 */
static OptionsResult
check_smtp_url(const char *url)
{
	const char *authority = strstr(url, "://");
	size_t		len = 0;

	if (authority != NULL)
	{
		authority += 3;
		len = strcspn(authority, "/?#");
		if (memchr(authority, '@', len) != NULL)
		{
			fprintf(stderr, "authoob-http: --smtp-url must not hold credentials: "
					"use --smtp-user and --smtp-password-file\n");
			return OPTIONS_EXIT_USAGE;
		}
	}
	if ((strncasecmp(url, "smtp://", 7) != 0 && strncasecmp(url, "smtps://", 8) != 0) ||
		len == 0 || authority[0] == ':')
		return bad_value("smtp-url", url);
	return OPTIONS_RUN;
}

/* Mail flags that only make sense together. */
static OptionsResult
check_mail_options(const Options *options)
{
	const char *needs_url = options->mailer_only ? "mailer-only" :
		options->smtp_user ? "smtp-user" :
		options->smtp_password_file ? "smtp-password-file" :
		options->smtp_tls ? "smtp-tls" : NULL;

	if (options->smtp_url == NULL && needs_url != NULL)
	{
		fprintf(stderr, "authoob-http: --%s needs --smtp-url (try --help)\n", needs_url);
		return OPTIONS_EXIT_USAGE;
	}
	if (options->smtp_password_file != NULL && options->smtp_user == NULL)
	{
		fprintf(stderr, "authoob-http: --smtp-password-file needs --smtp-user "
				"(try --help)\n");
		return OPTIONS_EXIT_USAGE;
	}
	return options->smtp_url ? check_smtp_url(options->smtp_url) : OPTIONS_RUN;
}

/* Every option, for getopt_long and for the configuration file alike. */
enum
{
	OPT_LISTEN = 256, OPT_DB, OPT_DB_READ, OPT_DB_READ_MAX_LAG, OPT_THREADS,
	OPT_POOL, OPT_BODY_LIMIT, OPT_MAX_CONNECTIONS, OPT_MAX_CLIENT_CONNECTIONS,
	OPT_TRUSTED_PROXY, OPT_HEADER_TIMEOUT, OPT_BODY_TIMEOUT, OPT_CORS_ORIGIN,
	OPT_DRAIN_TIMEOUT, OPT_LOG_LEVEL, OPT_SMTP_URL, OPT_SMTP_USER,
	OPT_SMTP_PASSWORD_FILE, OPT_SMTP_TLS, OPT_MAIL_SWEEP, OPT_MAILER_ONLY,
	OPT_METRICS_LISTEN, OPT_HOUSEKEEPING, OPT_CONFIG, OPT_HELP, OPT_VERSION
};

static const struct option long_options[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"db", required_argument, NULL, OPT_DB},
	{"db-read", required_argument, NULL, OPT_DB_READ},
	{"db-read-max-lag", required_argument, NULL, OPT_DB_READ_MAX_LAG},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"pool", required_argument, NULL, OPT_POOL},
	{"body-limit", required_argument, NULL, OPT_BODY_LIMIT},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"max-client-connections", required_argument, NULL,
	OPT_MAX_CLIENT_CONNECTIONS},
	{"trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
	{"cors-origin", required_argument, NULL, OPT_CORS_ORIGIN},
	{"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"smtp-url", required_argument, NULL, OPT_SMTP_URL},
	{"smtp-user", required_argument, NULL, OPT_SMTP_USER},
	{"smtp-password-file", required_argument, NULL, OPT_SMTP_PASSWORD_FILE},
	{"smtp-tls", no_argument, NULL, OPT_SMTP_TLS},
	{"mail-sweep", required_argument, NULL, OPT_MAIL_SWEEP},
	{"mailer-only", no_argument, NULL, OPT_MAILER_ONLY},
	{"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
	{"housekeeping", required_argument, NULL, OPT_HOUSEKEEPING},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}
};

/*
 * Applies option opt with its value (NULL for a flag without one), from
 * the command line or the configuration file: one parser for both.
 */
static OptionsResult
apply_option(Options *options, int opt, const char *value)
{
	long		n;

	switch (opt)
	{
	case OPT_LISTEN:
		options->listen = value;
		break;
	case OPT_DB:
		options->conninfo = value;
		break;
	case OPT_DB_READ:
		if (options->n_db_read == OPTIONS_MAX_DB_READ)
		{
			fprintf(stderr, "authoob-http: at most %d --db-read\n",
					OPTIONS_MAX_DB_READ);
			return OPTIONS_EXIT_USAGE;
		}
		options->db_read[options->n_db_read++] = value;
		break;
	case OPT_DB_READ_MAX_LAG:
		if (!parse_ms(value, 3600, &options->db_read_max_lag_ms))
			return bad_value("db-read-max-lag", value);
		break;
	case OPT_THREADS:
		if (!parse_int(value, 1, 1024, &n))
			return bad_value("threads", value);
		options->threads = (int) n;
		break;
	case OPT_POOL:
		if (!parse_int(value, 1, 1024, &n))
			return bad_value("pool", value);
		options->pool_size = (int) n;
		break;
	case OPT_BODY_LIMIT:
		if (!parse_size(value, &options->body_limit))
			return bad_value("body-limit", value);
		break;
	case OPT_MAX_CONNECTIONS:
		if (!parse_int(value, 1, 1000000, &n))
			return bad_value("max-connections", value);
		options->max_connections = (int) n;
		break;
	case OPT_MAX_CLIENT_CONNECTIONS:
		if (!parse_int(value, 0, 1000000, &n))
			return bad_value("max-client-connections", value);
		options->max_client_connections = (int) n;
		break;
	case OPT_TRUSTED_PROXY:
		if (!proxies_add(&options->trusted_proxies, value))
			return bad_value("trusted-proxy", value);
		break;
	case OPT_HEADER_TIMEOUT:
		if (!parse_int(value, 1, 3600, &n))
			return bad_value("header-timeout", value);
		options->header_timeout_s = (int) n;
		break;
	case OPT_BODY_TIMEOUT:
		if (!parse_int(value, 1, 3600, &n))
			return bad_value("body-timeout", value);
		options->body_timeout_s = (int) n;
		break;
	case OPT_CORS_ORIGIN:
		options->cors_origin = value;
		break;
	case OPT_DRAIN_TIMEOUT:
		if (!parse_int(value, 0, 3600, &n))
			return bad_value("drain-timeout", value);
		options->drain_seconds = (int) n;
		break;
	case OPT_LOG_LEVEL:
		if (!log_parse_level(value, &options->log_level))
			return bad_value("log-level", value);
		break;
	case OPT_SMTP_URL:
		options->smtp_url = value;
		break;
	case OPT_SMTP_USER:
		options->smtp_user = value;
		break;
	case OPT_SMTP_PASSWORD_FILE:
		options->smtp_password_file = value;
		break;
	case OPT_SMTP_TLS:
		options->smtp_tls = true;
		break;
	case OPT_MAIL_SWEEP:
		if (!parse_int(value, 1, 3600, &n))
			return bad_value("mail-sweep", value);
		options->mail_sweep_seconds = (int) n;
		break;
	case OPT_MAILER_ONLY:
		options->mailer_only = true;
		break;
	case OPT_METRICS_LISTEN:
		options->metrics_listen = value;
		break;
	case OPT_HOUSEKEEPING:
		if (!parse_int(value, 0, 7 * 24 * 3600, &n))
			return bad_value("housekeeping", value);
		options->housekeeping_seconds = (int) n;
		break;
	case OPT_HELP:
		fputs(usage_text, stdout);
		return OPTIONS_EXIT_OK;
	case OPT_VERSION:
		puts("authoob-http " AUTHOOB_HTTP_VERSION);
		return OPTIONS_EXIT_OK;
	case OPT_CONFIG:
		break;					/* read before any other (read_config) */
	}
	return OPTIONS_RUN;
}

/* The entry of a line's option name ("smtp-tls"); NULL if none. */
static const struct option *
option_named(const char *name, size_t len)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
	{
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

static OptionsResult
config_error(const char *path, int line, const char *what)
{
	fprintf(stderr, "authoob-http: %s:%d: %s\n", path, line, what);
	return OPTIONS_EXIT_USAGE;
}

/* The file's text, NUL-terminated, malloc'd; NULL (said) if unfit. */
static char *
read_text(const char *path)
{
	FILE	   *file = fopen(path, "r");
	char	   *text;
	size_t		size = 0;

	if (file == NULL)
	{
		fprintf(stderr, "authoob-http: cannot read %s: %s\n", path, strerror(errno));
		return NULL;
	}
	text = malloc(CONFIG_MAX + 1);
	if (text != NULL)
		size = fread(text, 1, CONFIG_MAX + 1, file);
	fclose(file);
	if (text == NULL || size > CONFIG_MAX || memchr(text, '\0', size) != NULL)
	{
		free(text);
		config_error(path, 0, "not a configuration file (binary, or over 64 kB)");
		return NULL;
	}
	text[size] = '\0';
	return text;
}

/*
 * One line of the configuration file, cut in place into its name and value
 * (NULL: none); false (said) when it names no option.
 */
static bool
split_line(char *line, const char *path, int number,
		   const struct option **option, char **value)
{
	char	   *name = line + strspn(line, " \t\r");
	char	   *end = name + strlen(name);

	while (end > name && strchr(" \t\r", end[-1]) != NULL)
		*--end = '\0';
	*value = strchr(name, '=');
	end = *value != NULL ? *value : name + strlen(name);
	while (end > name && strchr(" \t", end[-1]) != NULL)
		end--;
	*option = option_named(name, (size_t) (end - name));
	if (*option == NULL || (*option)->val == OPT_CONFIG ||
		(*option)->val == OPT_HELP || (*option)->val == OPT_VERSION)
	{
		config_error(path, number, "unknown option (the names are those of "
					 "the long options, without --)");
		return false;
	}
	if (*value != NULL)
		*value += 1 + strspn(*value + 1, " \t");
	return true;
}

/*
 * Reads the configuration file (docs/operations.md "Configuration file"):
 * a line each "name = value", names those of the long options; a line
 * starting with "#" is a comment; a flag without value is "name" alone or
 * "name = yes" ("no" leaves it off). The text is kept in
 * options->config_text, where the values point.
 */
static OptionsResult
read_config(Options *options, const char *path)
{
	char	   *line,
			   *next;
	int			number = 0;

	if ((options->config_text = read_text(path)) == NULL)
		return OPTIONS_EXIT_USAGE;
	for (line = options->config_text; line != NULL; line = next)
	{
		const struct option *option;
		char	   *value;
		OptionsResult result;

		number++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line += strspn(line, " \t\r");
		if (*line == '\0' || *line == '#')
			continue;
		if (!split_line(line, path, number, &option, &value))
			return OPTIONS_EXIT_USAGE;
		if (option->has_arg == no_argument)
		{
			if (value != NULL && strcmp(value, "no") == 0)
				continue;
			if (value != NULL && strcmp(value, "yes") != 0)
				return config_error(path, number, "this option takes yes or no");
			value = NULL;
		}
		else if (value == NULL || *value == '\0')
			return config_error(path, number, "missing value (name = value)");
		if ((result = apply_option(options, option->val, value)) != OPTIONS_RUN)
		{
			fprintf(stderr, "authoob-http: (%s, line %d)\n", path, number);
			return result;
		}
	}
	return OPTIONS_RUN;
}

/* The --config FILE of the command line, read before every other flag. */
static const char *
config_path(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
	{
		if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
	}
	return path;
}

OptionsResult
options_parse(Options *options, int argc, char **argv)
{
	const char *config = config_path(argc, argv);
	OptionsResult result;
	int			opt;

	set_defaults(options);
	if (config != NULL && (result = read_config(options, config)) != OPTIONS_RUN)
		return result;
	opterr = 0;					/* our own one-line messages instead */
	optind = 0;					/* from the start, at a reload too */
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1)
	{
		if (opt == '?' || opt == ':')
		{
			fprintf(stderr, "authoob-http: %s option %s (try --help)\n",
					optopt ? "missing value for" : "unknown",
					argv[optind - 1]);
			return OPTIONS_EXIT_USAGE;
		}
		if ((result = apply_option(options, opt, optarg)) != OPTIONS_RUN)
			return result;
	}
	if (optind < argc)
	{
		fprintf(stderr, "authoob-http: unexpected argument \"%s\" (try --help)\n",
				argv[optind]);
		return OPTIONS_EXIT_USAGE;
	}
	/*
	 * Two a loop: while one connection's statement runs, the loop reads the
	 * answer of the other and sends it its next (docs/benchmarks.md).
	 */
	if (options->pool_size == 0)
		options->pool_size = 2 * options->threads;
	return check_mail_options(options);
}

void
options_free(Options *options)
{
	free(options->config_text);
	options->config_text = NULL;
}
