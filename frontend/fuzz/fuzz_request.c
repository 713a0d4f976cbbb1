/*
 * fuzz_request.c - libFuzzer harness of authoob-http's request handling.
 *
 * One input is one request, answered by the front's own request.c, routes.c,
 * response.c, cors.c and settings.c, with the connection and the database faked
 * (fake_mhd.c, fake_db.c). The harness checks the answer against the contract
 * (docs/http-api.md) and aborts on any breach, so that libFuzzer keeps the
 * input that shows it.
 *
 * An input: four control bytes, then a request as text.
 *   [settings] [database answer] [body chunk size] [flags]
 * (flags: peer, body limit, whether the body goes on after the answer,
 * whether the peer is a trusted proxy)
 *   METHOD SP PATH LF
 *   Name: value LF ...        (CR before LF ignored)
 *   LF
 *   body, any bytes
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "log.h"
#include "proxies.h"
#include "request.h"
#include "settings.h"

#define CHECK(cond, ...) \
	do { if (!(cond)) fail(__LINE__, #cond, __VA_ARGS__); } while (0)

/* The longest path request.c logs (its log_path buffer, less the NUL). */
#define FRONT_LOG_PATH_MAX 255

/* Longer echoes add nothing: messages are escaped the same at any length. */
#define ECHO_MAX 512

static const size_t body_limits[] = {16, 1024, 64 * 1024, 1024 * 1024};

/* The service settings a request may run under (docs/settings.md). */
typedef struct SettingsVariant
{
	const char *prefix;
	const char *token_header;
	const char *app_url;		/* CORS origin unless cors_flag */
	const char *cors_flag;		/* --cors-origin */
} SettingsVariant;

static const SettingsVariant settings_variants[] = {
	{"/authoob", "Authentication-Token", "https://app.test/path", NULL},
	{"", "X-Auth", NULL, NULL},
	{"/", "Authentication-Token", NULL, "*"},
	{"/api/v1/", "Authorization", NULL, "https://a.test, https://b.test"},
	{NULL, NULL, NULL, NULL},	/* from the request's X-Fuzz-* headers */
};
#define SETTINGS_COUNT ((int) (sizeof(settings_variants) / sizeof(settings_variants[0])))

typedef struct FuzzInput
{
	int			settings;
	const CannedAnswer *answer;
	size_t		chunk;			/* 0: the body in one piece */
	size_t		body_limit;
	bool		call_after_queue;	/* go on feeding the body once answered */
	bool		behind_proxy;	/* the front trusts the fuzz proxies */
	char	   *method;
	char	   *url;
	FuzzConnection conn;
	const char *body;
	size_t		body_len;
	char	   *echo;			/* the body as valid UTF-8: the DB's texts */
} FuzzInput;

/* What the front logged of the request (log.c is not linked). */
static struct
{
	int			calls;
	char		method[64];
	char		path[512];
	int			status;
	char		client[64];
} access_line;

static FuzzInput *current_input;

static void
fail(int line, const char *cond, const char *fmt,...)
{
	va_list		args;

	fprintf(stderr, "fuzz_request.c:%d: %s: ", line, cond);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	if (current_input != NULL)
		fprintf(stderr, "\n  request: %s %s; answer \"%s\"; response %u",
				current_input->method, current_input->url,
				current_input->answer->name, fuzz_response.status);
	fprintf(stderr, "\n");
	abort();
}

/* log.h, for the front: formatted (to catch format bugs), then dropped. */
void
log_msg(LogLevel level, const char *fmt,...)
{
	char		line[1024];
	va_list		args;

	(void) level;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
}

/* nothing buffered here */
void
log_flush(void)
{
}

void
log_access(const char *method, const char *path, int status, long usec,
		   const char *client)
{
	(void) usec;
	access_line.calls++;
	snprintf(access_line.client, sizeof(access_line.client), "%s", client);
	snprintf(access_line.method, sizeof(access_line.method), "%s", method);
	snprintf(access_line.path, sizeof(access_line.path), "%s", path);
	access_line.status = status;
}

/* Length of the valid UTF-8 character at s (no NUL), or 0. */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len;

	if (n == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	len = s[0] >= 0xF8 ? 0 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		(len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		(cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static bool
utf8_valid(const char *text, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_char((const unsigned char *) text + i, len - i)) == 0)
			return false;
	return true;
}

/* The body as the database would echo it: valid UTF-8, '?' for the rest. */
static char *
echo_of(const char *body, size_t len)
{
	char	   *echo = malloc(ECHO_MAX + 1);
	size_t		used = 0;

	if (echo == NULL)
		abort();
	for (size_t i = 0, n; i < len && used + 4 <= ECHO_MAX; i += n ? n : 1)
	{
		n = utf8_char((const unsigned char *) body + i, len - i);
		if (n == 0)
			echo[used++] = '?';
		else
			memcpy(echo + used, body + i, n), used += n;
	}
	echo[used] = '\0';
	return echo;
}

static char *
strndup_or_die(const char *s, size_t n)
{
	char	   *copy = strndup(s, n);

	if (copy == NULL)
		abort();
	return copy;
}

/* "Name: value" into conn, trimmed as libmicrohttpd trims it. */
static void
add_header(FuzzConnection *conn, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	const char *value;
	size_t		value_len;

	if (colon == NULL || colon == line || conn->nheaders == FUZZ_MAX_HEADERS)
		return;
	value = colon + 1;
	value_len = len - (size_t) (value - line);
	while (value_len > 0 && (*value == ' ' || *value == '\t'))
		value++, value_len--;
	while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
		value_len--;
	conn->headers[conn->nheaders].name = strndup_or_die(line, (size_t) (colon - line));
	conn->headers[conn->nheaders++].value = strndup_or_die(value, value_len);
}

/* The next line of [*pos, end), without CR LF; false at the end. */
static bool
next_line(const char **pos, const char *end, const char **line, size_t *len)
{
	const char *lf;

	if (*pos >= end)
		return false;
	lf = memchr(*pos, '\n', (size_t) (end - *pos));
	*line = *pos;
	*len = (size_t) ((lf ? lf : end) - *pos);
	*pos = lf ? lf + 1 : end;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

static bool
parse_input(const uint8_t *data, size_t size, FuzzInput *in)
{
	const char *pos = (const char *) data + 4;
	const char *end = (const char *) data + size;
	const char *line,
			   *space;
	size_t		len;

	if (size < 4)
		return false;
	memset(in, 0, sizeof(*in));
	in->settings = data[0] % SETTINGS_COUNT;
	in->answer = fuzz_answer(data[1] % fuzz_answer_count());
	in->chunk = data[2];
	in->conn.peer = (FuzzPeer) ((data[3] & 3) % PEER_COUNT);
	in->body_limit = body_limits[(data[3] >> 2) & 3];
	in->call_after_queue = (data[3] & 16) != 0;
	in->behind_proxy = (data[3] & 32) != 0;
	if (!next_line(&pos, end, &line, &len))
		line = "GET /", len = 5;
	space = memchr(line, ' ', len);
	in->method = strndup_or_die(line, space ? (size_t) (space - line) : len);
	in->url = space ? strndup_or_die(space + 1, len - (size_t) (space + 1 - line))
		: strndup_or_die("/", 1);
	while (next_line(&pos, end, &line, &len) && len > 0)
		add_header(&in->conn, line, len);
	in->body = pos;
	in->body_len = (size_t) (end - pos);
	in->echo = echo_of(in->body, in->body_len);
	return true;
}

static void
free_input(FuzzInput *in)
{
	for (int i = 0; i < in->conn.nheaders; i++)
	{
		free(in->conn.headers[i].name);
		free(in->conn.headers[i].value);
	}
	free(in->method);
	free(in->url);
	free(in->echo);
}

/* Publishes v through settings.c, as a reload would; false if refused. */
static bool
publish_settings(SettingsVariant v, const FuzzInput *in)
{
	/* s? is null for NULL; invalid UTF-8 (which Postgres never sends) fails. */
	json_t	   *obj = json_pack("{s:s?, s:s?, s:s?}", "prefix", v.prefix,
								"token_header", v.token_header, "app_url", v.app_url);
	char	   *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	bool		loaded;

	json_decref(obj);
	if (text == NULL)
		return false;
	fuzz_db_prepare(in->answer, in->echo, text);
	free(text);
	loaded = settings_load(fuzz_pool(), v.cors_flag);
	fuzz_db_prepare(in->answer, in->echo, NULL);
	return loaded;
}

/*
 * The input's settings; when refused (a prefix without '/'), the first
 * variant rather than the last input's, so that a crash replays alone.
 */
static void
load_settings(const FuzzInput *in)
{
	SettingsVariant v = settings_variants[in->settings];

	if (v.prefix == NULL)
	{
		v.prefix = fuzz_header(&in->conn, "X-Fuzz-Prefix");
		v.token_header = fuzz_header(&in->conn, "X-Fuzz-Token-Header");
		v.cors_flag = fuzz_header(&in->conn, "X-Fuzz-Cors");
	}
	if (!publish_settings(v, in) && !publish_settings(settings_variants[0], in))
		abort();
}

/* Drives request_handle as libmicrohttpd does: headers, body pieces, end. */
static enum MHD_Result
run_request(RequestEnv *env, FuzzInput *in)
{
	struct MHD_Connection *connection = (struct MHD_Connection *) &in->conn;
	void	   *req_cls = NULL;
	size_t		upload = 0;
	enum MHD_Result result;

	result = request_handle(env, connection, in->url, in->method, "HTTP/1.1",
							NULL, &upload, &req_cls);
	CHECK(req_cls != NULL || result == MHD_NO, "no request state");
	for (size_t off = 0; result == MHD_YES && off < in->body_len;)
	{
		size_t		piece = in->chunk ? in->chunk : in->body_len;

		if (fuzz_response.queued && !in->call_after_queue)
			break;
		upload = piece < in->body_len - off ? piece : in->body_len - off;
		result = request_handle(env, connection, in->url, in->method, "HTTP/1.1",
								in->body + off, &upload, &req_cls);
		CHECK(upload == 0, "%zu bytes of body left unread: an endless loop", upload);
		off += piece;
	}
	if (result == MHD_YES && (!fuzz_response.queued || in->call_after_queue))
	{
		upload = 0;
		result = request_handle(env, connection, in->url, in->method, "HTTP/1.1",
								NULL, &upload, &req_cls);
	}
	/* its statement sent, the connection waits; the answer resumes it */
	CHECK(!fuzz_response.suspended || (fuzz_db_call.called && result == MHD_YES),
		  "suspended %d with a statement sent %d", fuzz_response.suspended,
		  fuzz_db_call.called);
	if (result == MHD_YES && fuzz_db_answer())
	{
		CHECK(!fuzz_response.suspended, "the answer did not resume the connection");
		upload = 0;
		result = request_handle(env, connection, in->url, in->method, "HTTP/1.1",
								NULL, &upload, &req_cls);
	}
	request_completed(env, connection, &req_cls,
					  result == MHD_YES ? MHD_REQUEST_TERMINATED_COMPLETED_OK
					  : MHD_REQUEST_TERMINATED_WITH_ERROR);
	CHECK(req_cls == NULL, "request state not freed");
	return result;
}

/*
 * The trusted proxies of an input with behind_proxy: every fuzz peer is one
 * (192.0.2.10, 2001:db8::1, ::ffff:192.0.2.10), and so is 10.0.0.0/8.
 */
static const char *const fuzz_proxies[] = {"192.0.2.0/24", "2001:db8::/32", "10.0.0.0/8"};
static TrustedProxies trusted_proxies;

/* Whether the text is an address in one of fuzz_proxies, and its family. */
static bool
model_address(const char *text, unsigned char bytes[16], int *family)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, text, bytes + 12) == 1)
	{
		memcpy(bytes, mapped, 12);
		*family = AF_INET;
		return true;
	}
	*family = AF_INET6;
	return inet_pton(AF_INET6, text, bytes) == 1;
}

static bool
model_trusted(const unsigned char bytes[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool		v4 = memcmp(bytes, mapped, 12) == 0;

	return (v4 && bytes[12] == 192 && bytes[13] == 0 && bytes[14] == 2) ||
		(v4 && bytes[12] == 10) ||
		(!v4 && bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8);
}

/*
 * The client the front must name (docs/http-api.md, trusted proxies): the peer,
 * or behind a trusted proxy the rightmost X-Forwarded-For element, over
 * all its lines joined, that is no trusted proxy (the leftmost if all are);
 * the peer again if that element is no address, or past eight lines.
 */
static const char *
expected_client(const FuzzInput *in, char *out, size_t size)
{
	char		joined[FUZZ_MAX_HEADERS * 256] = "";
	char	   *elements[FUZZ_MAX_HEADERS * 128];
	int			nelements = 0,
				lines = 0;
	const char *client = NULL;

	if (!in->behind_proxy || in->conn.peer == PEER_UNKNOWN)
		return fuzz_peer_text(in->conn.peer);
	for (int i = 0; i < in->conn.nheaders; i++)
	{
		if (strcasecmp(in->conn.headers[i].name, "X-Forwarded-For") != 0)
			continue;
		if (++lines > 8 || strlen(joined) + strlen(in->conn.headers[i].value) + 2 > sizeof(joined))
			return fuzz_peer_text(in->conn.peer);
		strcat(joined, lines > 1 ? "," : "");
		strcat(joined, in->conn.headers[i].value);
	}
	if (lines == 0)
		return fuzz_peer_text(in->conn.peer);
	for (char *p = joined, *comma;; p = comma + 1)
	{
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		elements[nelements++] = p;
		if (comma == NULL)
			break;
	}
	for (int i = nelements - 1; i >= 0; i--)
	{
		char	   *e = elements[i] + strspn(elements[i], " \t");
		size_t		len = strlen(e);
		unsigned char bytes[16];
		int			family;

		while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t'))
			e[--len] = '\0';
		if (!model_address(e, bytes, &family))
			return fuzz_peer_text(in->conn.peer);
		client = inet_ntop(family, family == AF_INET ? bytes + 12 : bytes, out, (socklen_t) size);
		if (!model_trusted(bytes))
			break;
	}
	return client;
}

/* The token the front must find: the setting's header, else Bearer. */
static const char *
expected_token(const FuzzConnection *conn, const Settings *s)
{
	const char *token = fuzz_header(conn, s->token_header);

	if (token == NULL || *token == '\0')
	{
		const char *auth = fuzz_header(conn, "Authorization");

		if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
			return NULL;
		token = auth + 7 + strspn(auth + 7, " ");
	}
	return *token != '\0' && utf8_valid(token, strlen(token)) ? token : NULL;
}

/* The User-Agent header as printable ASCII, '?' for any other byte, cut to fit. */
static const char *
expected_user_agent(const FuzzConnection *conn, char *out)
{
	const char *agent = fuzz_header(conn, "User-Agent");
	size_t		len;

	if (agent == NULL || *agent == '\0')
		return NULL;
	len = strnlen(agent, ROUTE_USER_AGENT_MAX);
	for (size_t i = 0; i < len; i++)
		out[i] = ((unsigned char) agent[i] >= 0x20 && (unsigned char) agent[i] < 0x7f)
			? agent[i] : '?';
	out[len] = '\0';
	return out;
}

/* application/json, any parameters, any case, spaces around. */
static bool
is_json_type(const char *type)
{
	size_t		len;

	if (type == NULL)
		return false;
	type += strspn(type, " \t");
	len = strcspn(type, ";");
	while (len > 0 && (type[len - 1] == ' ' || type[len - 1] == '\t'))
		len--;
	return len == 16 && strncasecmp(type, "application/json", 16) == 0;
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Each statement parameter is what the route table says it is. */
static void
check_parameters(const FuzzInput *in, const Settings *s, const RouteMatch *match)
{
	const Route *route = match->route;
	int			segment = 0,
				nargs = 0;
	bool		json = is_json_type(fuzz_header(&in->conn, "Content-Type"));
	char		client[INET6_ADDRSTRLEN];
	char		agent[ROUTE_USER_AGENT_MAX + 1];

	CHECK(fuzz_db_call.stmt == match->index, "statement %d for route %d",
		  fuzz_db_call.stmt, match->index);
	while (nargs < ROUTE_MAX_ARGS && route->args[nargs] != ARG_END)
		nargs++;
	CHECK(fuzz_db_call.nparams == nargs, "%d parameters for %d", fuzz_db_call.nparams, nargs);
	for (int i = 0; i < nargs; i++)
	{
		const char *value = fuzz_db_call.values[i];
		char	   *seg = NULL;
		const char *expected = NULL;

		CHECK(value == NULL || utf8_valid(value, strlen(value)), "parameter $%d not UTF-8", i + 1);
		switch (route->args[i])
		{
			case ARG_BODY:
				expected = json && in->body_len > 0 ? in->body : NULL;
				CHECK(expected == NULL ? value == NULL
					  : value != NULL && strlen(value) == in->body_len &&
					  memcmp(value, in->body, in->body_len) == 0,
					  "$%d is not the JSON body", i + 1);
				continue;
			case ARG_TOKEN:
				expected = expected_token(&in->conn, s);
				break;
			case ARG_CLIENT_IP:
				expected = expected_client(in, client, sizeof(client));
				break;
			case ARG_PATH:
			case ARG_SECRET_PATH:
				seg = strndup_or_die(match->segments[segment], match->segment_lens[segment]);
				segment++;
				expected = seg;
				break;
			case ARG_QUERY:
				/* the faked connection has no query string */
				expected = NULL;
				break;
			case ARG_QUERY_JSON:
				expected = "{}";
				break;
			case ARG_USER_AGENT:
				expected = expected_user_agent(&in->conn, agent);
				break;
			case ARG_FLOW_COOKIE:
				/* the faked connection has no cookie */
				expected = NULL;
				break;
			case ARG_END:
				break;
		}
		CHECK(same_text(value, expected), "$%d is \"%s\", not \"%s\"", i + 1,
			  value ? value : "NULL", expected ? expected : "NULL");
		free(seg);
	}
}

/* A Location libmicrohttpd can send: not empty, one line. */
static bool
sendable_url(const char *body)
{
	json_t	   *obj = json_loads(body, 0, NULL);
	const char *url = json_string_value(json_object_get(obj, "url"));
	bool		ok = url != NULL && *url != '\0' && strpbrk(url, "\r\n") == NULL;

	json_decref(obj);
	return ok;
}

/* RFC 9110 token characters, as a header name needs. */
static bool
token_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || strchr("!#$%&'*+-.^_`|~", *c)))
			return false;
	return true;
}

/*
 * A member a forward-auth answer may turn into a header (docs/http-api.md,
 * forward auth): X-Auth- name, a non-empty text without control bytes.
 */
static bool
forwardable(const char *name, json_t *value)
{
	const char *text = json_string_value(value);

	if (strncasecmp(name, "X-Auth-", 7) != 0 || !token_name(name) ||
		strlen(name) > 64 || text == NULL || *text == '\0')
		return false;
	for (const unsigned char *c = (const unsigned char *) text; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static int
count_response_headers(const char *name, const char *value, size_t prefix_len)
{
	int			n = 0;

	for (int i = 0; i < fuzz_response.nheaders; i++)
		if (value == NULL
			? strncasecmp(fuzz_response.headers[i].name, name, prefix_len) == 0
			: strcmp(fuzz_response.headers[i].name, name) == 0 &&
			strcmp(fuzz_response.headers[i].value, value) == 0)
			n++;
	return n;
}

/* A header the front sets on its own, which an answer may name too. */
static bool
front_sets(const char *name)
{
	static const char *const own[] = {"Cache-Control", "Vary", "Connection",
	"WWW-Authenticate", "Content-Type", "Access-Control-"};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strncasecmp(name, own[i], strlen(own[i])) == 0)
			return true;
	return false;
}

/*
 * A REPLY_HEADERS route: an object answer is 200, no body, and its
 * forwardable members as headers, each once, and no other X-Auth- header;
 * anything else a 500, never a bare 200 that a proxy would take for a yes.
 */
static void
check_header_answer(const char *value)
{
	json_t	   *obj = value ? json_loads(value, 0, NULL) : NULL;
	const char *name;
	json_t	   *member;
	int			forwarded = 0;

	if (!json_is_object(obj))
	{
		CHECK(fuzz_response.status == 500, "forward auth of a non-object: %u",
			  fuzz_response.status);
		json_decref(obj);
		return;
	}
	CHECK(fuzz_response.status == 200 && fuzz_response.body_len == 0,
		  "forward auth: %u with a body of %zu", fuzz_response.status,
		  fuzz_response.body_len);
	json_object_foreach(obj, name, member)
	{
		if (!forwardable(name, member))
		{
			CHECK(front_sets(name) || !json_is_string(member) ||
				  count_response_headers(name, json_string_value(member), 0) == 0,
				  "member %s sent as a header", name);
			continue;
		}
		forwarded++;
		CHECK(count_response_headers(name, json_string_value(member), 0) == 1,
			  "member %s not sent as a header", name);
	}
	CHECK(count_response_headers("X-Auth-", NULL, 7) == forwarded,
		  "X-Auth- headers that the answer did not allow");
	json_decref(obj);
}

static const char *
resolved(const char *field, const FuzzInput *in)
{
	return field == FUZZ_ECHO ? in->echo : field;
}

/* The contract's mapping of the database's answer (docs/http-api.md). */
static void
check_answer(const FuzzInput *in, const Route *route, const char **message)
{
	const CannedAnswer *a = in->answer;
	unsigned int success = (unsigned int) route->success_status;
	const char *value = resolved(a->value, in);

	if (a->expect == EXPECT_STATUS)
	{
		CHECK(fuzz_response.status == a->status, "status %u, not %u",
			  fuzz_response.status, a->status);
		if (a->sqlstate != NULL && (strncmp(a->sqlstate, "PT", 2) == 0 ||
									strcmp(a->sqlstate, "P0001") == 0) && a->status != 500)
			*message = resolved(a->message, in) ? resolved(a->message, in) : "";
		return;
	}
	if (a->ntuples != 1 || a->nfields != 1)
		value = NULL;
	if (success >= 300 && success < 400)
	{
		CHECK(fuzz_response.status == (value && sendable_url(value) ? success : 500),
			  "a redirect to \"%s\" answered %u", value ? value : "NULL",
			  fuzz_response.status);
		return;
	}
	if (route->shape == REPLY_HEADERS)
	{
		check_header_answer(value);
		return;
	}
	if (value == NULL || success == 204)
	{
		CHECK(fuzz_response.status == success && fuzz_response.body_len == 0,
			  "no value: %u with a body of %zu", fuzz_response.status, fuzz_response.body_len);
		return;
	}
	CHECK(fuzz_response.status == success && fuzz_response.body_len == strlen(value) &&
		  memcmp(fuzz_response.body, value, fuzz_response.body_len) == 0,
		  "the database's body was not passed through");
}

/* An error is {"code": status, "message": text}, as JSON. */
static void
check_error_body(const char *message)
{
	json_error_t error;
	json_t	   *obj = json_loadb(fuzz_response.body ? fuzz_response.body : "",
								 fuzz_response.body_len, 0, &error);
	json_t	   *text = json_object_get(obj, "message");

	CHECK(json_is_object(obj) && json_object_size(obj) == 2, "error body not {code, message}: %s",
		  fuzz_response.body ? fuzz_response.body : "(none)");
	CHECK(json_integer_value(json_object_get(obj, "code")) == fuzz_response.status,
		  "code is not the status");
	CHECK(json_is_string(text), "message is not a string");
	CHECK(message == NULL || strcmp(json_string_value(text), message) == 0,
		  "message \"%s\", not \"%s\"", json_string_value(text), message);
	CHECK(same_text(fuzz_response_header("Content-Type"), "application/json"),
		  "error without Content-Type: application/json");
	json_decref(obj);
}

/*
 * What every response carries, whatever it answers: no-store, but for a 200
 * of a route whose answer is public (the public keys), kept five minutes.
 */
static void
check_headers(const FuzzInput *in, const RouteMatch *match)
{
	bool		public_answer = fuzz_response.status == 200 && match->route != NULL &&
		match->route->shape == REPLY_PUBLIC_BODY;

	unsigned int status = fuzz_response.status;
	const char *retry = fuzz_response_header("Retry-After");
	const char *allowed = fuzz_response_header("Access-Control-Allow-Origin");

	CHECK(status >= 200 && status <= 599, "status %u", status);
	CHECK(same_text(fuzz_response_header("Cache-Control"),
					public_answer ? "public, max-age=300" : "no-store"), "Cache-Control");
	CHECK(status != 401 || same_text(fuzz_response_header("WWW-Authenticate"), "Bearer"),
		  "401 without its challenge");
	CHECK(status != 405 || fuzz_response_header("Allow") != NULL, "405 without Allow");
	CHECK(status < 300 || status >= 400 || fuzz_response_header("Location") != NULL,
		  "redirect without Location");
	CHECK(retry == NULL || (status >= 400 && strspn(retry, "0123456789") == strlen(retry) &&
							*retry != '\0' && strlen(retry) <= 10),
		  "Retry-After \"%s\" on %u", retry ? retry : "", status);
	CHECK(allowed == NULL || strcmp(allowed, "*") == 0 ||
		  same_text(allowed, fuzz_header(&in->conn, "Origin")),
		  "CORS allows \"%s\"", allowed);
	CHECK(fuzz_response.body_len == 0 ||
		  same_text(fuzz_response_header("Content-Type"), "application/json"),
		  "a body that is not said to be JSON");
}

/*
 * A PTxxx error carries Retry-After exactly when its detail is a JSON object
 * whose "headers" has a "Retry-After" of 1 to 10 digits; nothing else does.
 */
static void
check_retry_after(const FuzzInput *in)
{
	const char *detail = resolved(in->answer->detail, in);
	json_t	   *obj = detail && detail[0] == '{' ? json_loads(detail, 0, NULL) : NULL;
	const char *digits = json_string_value(json_object_get(json_object_get(obj, "headers"),
														   "Retry-After"));
	bool		strict = digits != NULL && *digits != '\0' && strlen(digits) <= 10 &&
		strspn(digits, "0123456789") == strlen(digits);

	const char *sqlstate = in->answer->sqlstate;
	bool		database_status = sqlstate != NULL && strncmp(sqlstate, "PT", 2) == 0 &&
		fuzz_response.status == (unsigned int) in->answer->status;

	CHECK(same_text(fuzz_response_header("Retry-After"),
					database_status && strict ? digits : NULL),
		  "Retry-After for detail \"%s\"", detail ? detail : "NULL");
	json_decref(obj);
}

/* The access line: the request's status and client, never a mailed token. */
static void
check_access_log(const FuzzInput *in, const Settings *s, const RouteMatch *match)
{
	char		buffer[INET6_ADDRSTRLEN];
	const char *client = expected_client(in, buffer, sizeof(buffer));

	CHECK(access_line.calls == 1, "%d access lines", access_line.calls);
	CHECK(strcmp(access_line.client, client) == 0, "logged client %s, not %s",
		  access_line.client, client);
	CHECK(access_line.status == (int) fuzz_response.status, "logged %d", access_line.status);
	for (const char *p = access_line.path; *p; p++)
		CHECK(*p > 0x20 && *p < 0x7f, "unprintable byte in the logged path");
	for (int i = 0; match->route && i < ROUTE_MAX_ARGS && match->route->args[i]; i++)
	{
		size_t		path_len = strlen(access_line.path);
		size_t		pattern_len = strlen(match->route->pattern);

		/* request.c cuts the path: only a whole one shows the pattern. */
		if (match->route->args[i] != ARG_SECRET_PATH ||
			s->prefix_len + pattern_len > FRONT_LOG_PATH_MAX)
			continue;
		CHECK(path_len == s->prefix_len + pattern_len &&
			  strcmp(access_line.path + s->prefix_len, match->route->pattern) == 0,
			  "secret path logged as %s", access_line.path);
	}
}

/*
 * What the front must answer by itself, from the headers and the body's size;
 * 0 when the request goes on to its statement.
 */
static unsigned int
front_status(const FuzzInput *in, RouteResult found)
{
	const char *length = fuzz_header(&in->conn, "Content-Length");
	const char *coding = fuzz_header(&in->conn, "Transfer-Encoding");
	int			lengths = fuzz_header_count(&in->conn, "Content-Length");
	int			codings = fuzz_header_count(&in->conn, "Transfer-Encoding");

	/* RFC 9112 section 6.3: a length two parsers may read differently */
	if ((coding != NULL && (length != NULL || codings > 1 ||
							strcasecmp(coding, "chunked") != 0)) ||
		lengths > 1)
		return 400;
	if (in->body_len > in->body_limit)
		return 413;
	if (found == ROUTE_NOT_FOUND)
		return 404;
	if (strcmp(in->method, "OPTIONS") == 0)
		return 204;
	if (found == ROUTE_BAD_METHOD)
		return 405;
	if (length != NULL && strtoull(length, NULL, 10) > in->body_limit)
		return 413;
	return 0;
}

static void
check_response(const FuzzInput *in, enum MHD_Result result, const Settings *s)
{
	RouteMatch	match;
	char		allow[ROUTE_ALLOW_SIZE];
	RouteResult found = routes_match(s->prefixes, in->method, in->url,
									 NULL, NULL, &match, allow, sizeof(allow));
	unsigned int expected = front_status(in, found);
	const char *message = NULL;

	CHECK(result == MHD_YES && fuzz_response.queued == 1, "%d responses queued, result %d",
		  fuzz_response.queued, (int) result);
	CHECK((fuzz_response.status == 200 && match.route != NULL &&
		   match.route->shape == REPLY_HEADERS) ||
		  count_response_headers("X-Auth-", NULL, 7) == 0,
		  "X-Auth- headers on a %u", fuzz_response.status);
	check_headers(in, &match);
	if (expected == 0 && fuzz_db_call.called)
	{
		check_parameters(in, s, &match);
		check_answer(in, match.route, &message);
		check_retry_after(in);
	}
	else if (expected == 0)
		CHECK(fuzz_response.status == 400 || fuzz_response.status == 404,
			  "refused with %u", fuzz_response.status);
	else
		CHECK(fuzz_response.status == expected && !fuzz_db_call.called,
			  "%u, not %u from the front", fuzz_response.status, expected);
	if (fuzz_response.status == 500)
		message = "Internal error";
	else if (fuzz_response.status == 503 && message == NULL)
		message = "Service unavailable";
	if (fuzz_response.status >= 400)
		check_error_body(message);
	check_access_log(in, s, &match);
}

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FuzzInput	in = {.settings = 0,.answer = fuzz_answer(0),.echo = ""};

	(void) argc;
	(void) argv;
	load_settings(&in);			/* a snapshot must exist before requests */
	for (size_t i = 0; i < sizeof(fuzz_proxies) / sizeof(fuzz_proxies[0]); i++)
		if (!proxies_add(&trusted_proxies, fuzz_proxies[i]))
			abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static RequestShared shared;
	static RequestEnv env = {.shared = &shared};
	FuzzInput	in;
	Settings   *s;
	enum MHD_Result result;

	if (!parse_input(data, size, &in))
		return 0;
	current_input = &in;
	load_settings(&in);
	s = settings_acquire();
	env.db = fuzz_db_loop();
	shared.body_limit = in.body_limit;
	shared.trusted_proxies = in.behind_proxy ? &trusted_proxies : NULL;
	result = run_request(&env, &in);
	check_response(&in, result, s);
	CHECK(atomic_load(&shared.in_flight) == 0, "requests left in flight");
	CHECK(atomic_load(&s->refs) == 2, "settings referenced %d times", atomic_load(&s->refs));
	settings_release(s);
	fuzz_response_reset();
	fuzz_db_reset();
	memset(&access_line, 0, sizeof(access_line));
	current_input = NULL;
	free_input(&in);
	return 0;
}
