/*
 * request.c - one HTTP request of authoob-http, from headers to response.
 *
 * The route table says which statement to run and where its parameters come
 * from; this file gathers them (body, token, client address, path segments),
 * refuses what cannot travel to Postgres as text, and sends the reply.
 */
#include "request.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "cors.h"
#include "gotrue.h"
#include "log.h"
#include "metrics.h"
#include "response.h"
#include "routes.h"
#include "settings.h"

/*
 * A chunked body over the limit is read and dropped to answer 413; past
 * this many bytes the client is cut off instead.
 */
#define DISCARD_MAX (16 * 1024 * 1024)

/* Finished requests a loop keeps to reuse, rather than one calloc each */
#define SPARE_MAX 64

typedef struct Request
{
	struct timespec started;
	Settings   *settings;		/* the snapshot this request runs under */
	RouteMatch	match;
	char		method[16];		/* printable, as log_path */
	char		log_path[256];
	char		client[INET6_ADDRSTRLEN];
	bool		body_is_json;	/* Content-Type says so: else no body */
	bool		too_large;
	char	   *body;			/* NUL-terminated */
	size_t		body_len;
	size_t		body_size;		/* allocated */
	size_t		received;		/* bytes of body seen, kept or not */
	unsigned int status;		/* 0 until a response is queued */
	bool		close;			/* answer with Connection: close */
	Reply		early;			/* decided from the headers, sent at the end */
	ErrorShape	errors;			/* how the route's family writes errors */
	char	   *query_json;		/* ARG_QUERY_JSON's text, to free */
	/* the statement, while the connection is suspended for its answer */
	struct MHD_Connection *connection;
	DbOp		op;
	const char *values[ROUTE_MAX_ARGS];
	char	   *segments[ROUTE_MAX_ARGS];
	char		user_agent[ROUTE_USER_AGENT_MAX + 1];
	bool		submitted;		/* the statement is sent: wait for its answer */
	bool		answered;		/* and it came: result is it (NULL: 503) */
	PGresult   *result;
	struct Request *next_spare;
} Request;

static void
release_early(Request *req)
{
	if (req->early.response != NULL)
		MHD_destroy_response(req->early.response);
	req->early.response = NULL;
}

/* Content-Type is application/json, parameters (charset...) allowed. */
static bool
is_json_content_type(const char *type)
{
	if (type == NULL)
		return false;
	type += strspn(type, " \t");
	if (strncasecmp(type, "application/json", 16) != 0)
		return false;
	type += 16;
	type += strspn(type, " \t");
	return *type == '\0' || *type == ';';
}

/* Strict UTF-8 (no overlongs, surrogates or NUL), as Postgres requires. */
static bool
is_valid_utf8(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;
	const unsigned char *end = s + len;

	while (s < end)
	{
		unsigned char c = *s;
		size_t		n;
		unsigned int cp;

		/* eight ASCII bytes, none NUL, at a time (tokens and bodies mostly are) */
		while (end - s >= 8)
		{
			uint64_t	w;

			memcpy(&w, s, 8);
			if ((w & 0x8080808080808080ULL) != 0 ||
				((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0)
				break;
			s += 8;
		}
		if (s == end)
			break;
		c = *s;
		if (c == 0)
			return false;
		if (c < 0x80)
		{
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if ((size_t) (end - s) <= n)
			return false;
		for (size_t i = 1; i <= n; i++)
		{
			if ((s[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
			(n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		s += n + 1;
	}
	return true;
}

size_t
request_unescape(void *cls, struct MHD_Connection *connection, char *text)
{
	size_t		len = MHD_http_unescape(text);

	(void) cls;
	(void) connection;
	/*
	 * an invalid text has a byte at least: its buffer holds the marker; so
	 * does one with a NUL, which would cut it short unseen
	 */
	if (!is_valid_utf8(text, len) || memchr(text, '\0', len) != NULL)
	{
		strcpy(text, REQUEST_UNDECODABLE);
		return strlen(REQUEST_UNDECODABLE);
	}
	return len;
}

/* Whether the request's query string has the parameter name (routes.h). */
static bool
has_query(void *connection, const char *name)
{
	return MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name) != NULL;
}

/* The token from the settings' header, else from "Authorization: Bearer". */
static const char *
token_of(struct MHD_Connection *connection, const Settings *settings)
{
	const char *token = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
													settings->token_header);

	if (token == NULL || *token == '\0')
	{
		const char *auth = MHD_lookup_connection_value(connection,
													   MHD_HEADER_KIND,
													   MHD_HTTP_HEADER_AUTHORIZATION);

		if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
			return NULL;
		token = auth + 7 + strspn(auth + 7, " ");
	}
	/* A token Postgres cannot even read is no token: the DB answers 401. */
	if (*token == '\0' || !is_valid_utf8(token, strlen(token)))
		return NULL;
	return token;
}

/* How many Content-Length and Transfer-Encoding fields a request has */
typedef struct FramingHeaders
{
	int			content_lengths;
	int			transfer_encodings;
} FramingHeaders;

static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
	FramingHeaders *framing = cls;

	(void) kind;
	(void) value;
	if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		framing->content_lengths++;
	else if (strcasecmp(name, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		framing->transfer_encodings++;
	return MHD_YES;
}

/*
 * What makes the request's length ambiguous, or NULL: Content-Length beside
 * Transfer-Encoding, Content-Length twice (libmicrohttpd reads the first),
 * or a transfer coding libmicrohttpd cannot frame (it knows chunked only;
 * two Transfer-Encoding fields are one list that ends in another coding).
 * A proxy in front may have framed such a request otherwise and sent the
 * next one inside it: RFC 9112 section 6.3 says to refuse it and close the
 * connection, so that nothing after it is read.
 */
static const char *
ambiguous_length(struct MHD_Connection *connection)
{
	FramingHeaders framing = {0};
	const char *coding;

	MHD_get_connection_values(connection, MHD_HEADER_KIND, count_framing, &framing);
	if (framing.transfer_encodings == 0)
		return framing.content_lengths > 1 ? "Content-Length given more than once" : NULL;
	if (framing.content_lengths > 0)
		return "Content-Length and Transfer-Encoding together";
	coding = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
										 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	/* two fields are one list, "chunked, gzip": its last coding is not chunked */
	if (framing.transfer_encodings > 1 || strcasecmp(coding, "chunked") != 0)
		return "Transfer-Encoding other than chunked";
	return NULL;
}

/*
 * A trusted proxy's X-Forwarded-For lines, in the order received; more
 * than this many is no proxy chain we believe: the client is then the peer.
 */
#define FORWARDED_LINES_MAX 8

typedef struct ForwardedLines
{
	const char *lines[FORWARDED_LINES_MAX];
	int			count;				/* FORWARDED_LINES_MAX + 1: too many */
} ForwardedLines;

static enum MHD_Result
collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	ForwardedLines *forwarded = cls;

	(void) kind;
	if (strcasecmp(key, "X-Forwarded-For") != 0 || value == NULL)
		return MHD_YES;
	if (forwarded->count == FORWARDED_LINES_MAX)
	{
		forwarded->count++;
		return MHD_NO;
	}
	forwarded->lines[forwarded->count++] = value;
	return MHD_YES;
}

/*
 * The client: the TCP peer, or, when the peer is a trusted proxy, the
 * address its X-Forwarded-For vouches for (proxies.h), if it vouches for
 * one. It is what the database counts failures against and the log shows.
 */
static void
client_address(struct MHD_Connection *connection,
			   const TrustedProxies *proxies, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	ForwardedLines forwarded = {0};

	snprintf(out, size, "-");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out,
				  (socklen_t) size);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, out,
				  (socklen_t) size);
	if (!proxies_trust_peer(proxies, sa))
		return;
	MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_forwarded,
							  &forwarded);
	if (forwarded.count <= FORWARDED_LINES_MAX)
		proxies_forwarded_client(proxies, forwarded.lines, forwarded.count,
								 out, size);
}

/* Queues reply with the headers every response carries; frees it. */
static enum MHD_Result
send_reply(RequestEnv *env, struct MHD_Connection *connection, Request *req,
		   Reply reply)
{
	enum MHD_Result ret;

	if (reply.response == NULL)
		return MHD_NO;			/* out of memory: drop the connection */
	/*
	 * Answers are the user's own, never to be cached; public keys are
	 * anybody's, and verifiers may keep them five minutes (they fetch them
	 * again when a token names a kid they do not know).
	 */
	MHD_add_response_header(reply.response, MHD_HTTP_HEADER_CACHE_CONTROL,
							reply.status == MHD_HTTP_OK && req->match.route != NULL &&
							req->match.route->shape == REPLY_PUBLIC_BODY ?
							"public, max-age=300" : "no-store");
	cors_add_headers(reply.response, req->settings,
					 MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
												 MHD_HTTP_HEADER_ORIGIN),
					 req->match.family);
	gotrue_add_headers(reply.response, req->errors, reply.status);
	if (reply.status == MHD_HTTP_UNAUTHORIZED)	/* RFC 9110 wants a challenge */
		MHD_add_response_header(reply.response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
								"Bearer");
	if (req->close || atomic_load(&env->shared->draining))
		MHD_add_response_header(reply.response, MHD_HTTP_HEADER_CONNECTION,
								"close");
	ret = MHD_queue_response(connection, reply.status, reply.response);
	MHD_destroy_response(reply.response);
	req->status = reply.status;
	return ret;
}

/* An error of the front's own, in the shape of the request's family */
static Reply
request_error(const Request *req, unsigned int status, const char *message)
{
	return reply_error_shaped(req->errors, status, message, NULL);
}

static Reply
reply_too_large(const Request *req)
{
	return request_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "Payload too large");
}

/* How errors are written for a request under prefix family */
static ErrorShape
error_shape(struct MHD_Connection *connection, RouteFamily family)
{
	if (family != FAMILY_GOTRUE)
		return ERRORS_AUTHOOB;
	return gotrue_error_shape(MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
														  GOTRUE_API_VERSION_HEADER));
}

/* OPTIONS on a known path: its methods, and a CORS preflight answer. */
static Reply
reply_options(struct MHD_Connection *connection, const Settings *settings,
			  const char *allow, RouteFamily family)
{
	Reply		reply = reply_empty(MHD_HTTP_NO_CONTENT);
	char		methods[ROUTE_ALLOW_SIZE + 16];

	snprintf(methods, sizeof(methods), "%s, OPTIONS", allow);
	if (reply.response == NULL)
		return reply;
	MHD_add_response_header(reply.response, MHD_HTTP_HEADER_ALLOW, methods);
	if (MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
									"Access-Control-Request-Method") != NULL)
		cors_add_preflight_headers(reply.response, settings,
								   MHD_lookup_connection_value(connection,
															   MHD_HEADER_KIND,
															   MHD_HTTP_HEADER_ORIGIN),
								   allow, family);
	return reply;
}

/*
 * What can be answered from the headers alone: unknown route, wrong method,
 * OPTIONS, a declared body over the limit. reply.response stays NULL when
 * the request must go on to its statement.
 */
static Reply
early_reply(RequestEnv *env, struct MHD_Connection *connection, Request *req,
			RouteResult found, const char *allow)
{
	Reply		reply = {0};
	const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
													 MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (found == ROUTE_NOT_FOUND)
		return request_error(req, MHD_HTTP_NOT_FOUND, "Not found");
	if (strcmp(req->method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return reply_options(connection, req->settings, allow, req->match.family);
	if (found == ROUTE_BAD_METHOD)
	{
		reply = request_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed");
		if (reply.response != NULL)
			MHD_add_response_header(reply.response, MHD_HTTP_HEADER_ALLOW, allow);
		return reply;
	}
	if (length != NULL && strtoull(length, NULL, 10) > env->shared->body_limit)
		return reply_too_large(req);
	return reply;
}

/* First call, headers only: set the request up; answer now if we can. */
static enum MHD_Result
request_begin(RequestEnv *env, struct MHD_Connection *connection,
			  const char *url, const char *method, void **req_cls)
{
	Request    *req = env->spare;
	char		allow[ROUTE_ALLOW_SIZE];
	RouteResult found;
	Reply		reply;
	const char *ambiguity = ambiguous_length(connection);

	if (req != NULL)
	{
		env->spare = req->next_spare;
		env->nspare--;
		memset(req, 0, sizeof(*req));
	}
	else if ((req = calloc(1, sizeof(Request))) == NULL)
		return MHD_NO;
	atomic_fetch_add(&env->shared->in_flight, 1);
	*req_cls = req;
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	req->settings = settings_acquire();
	routes_append_printable(req->method, 0, sizeof(req->method), method,
							strlen(method));
	client_address(connection, env->shared->trusted_proxies, req->client,
				   sizeof(req->client));
	req->body_is_json = is_json_content_type(
		MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
									MHD_HTTP_HEADER_CONTENT_TYPE));
	found = routes_match(req->settings->prefixes, method, url, has_query,
						 connection, &req->match, allow, sizeof(allow));
	routes_log_path(req->settings->prefixes, url, &req->match, req->log_path,
					sizeof(req->log_path));
	req->errors = error_shape(connection, req->match.family);
	if (ambiguity != NULL)
	{
		req->close = true;
		return send_reply(env, connection, req,
						  request_error(req, MHD_HTTP_BAD_REQUEST, ambiguity));
	}
	reply = early_reply(env, connection, req, found, allow);
	if (reply.response == NULL)
		return MHD_YES;
	if (reply.status == MHD_HTTP_CONTENT_TOO_LARGE)
		return send_reply(env, connection, req, reply);	/* and close */
	/* Answered after the (bounded) body is read, to keep the connection. */
	req->early = reply;
	return MHD_YES;
}

/* A piece of body: kept if it is JSON and within the limit, else dropped. */
static enum MHD_Result
request_body(RequestEnv *env, Request *req, const char *data, size_t size)
{
	req->received += size;
	if (req->received > env->shared->body_limit)
	{
		req->too_large = true;
		return req->received > DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (!req->body_is_json || req->early.response != NULL)
		return MHD_YES;
	if (req->body_len + size + 1 > req->body_size)
	{
		size_t		grown = 2 * (req->body_len + size) + 1;
		char	   *body;

		if (grown > env->shared->body_limit + 1)
			grown = env->shared->body_limit + 1;
		body = realloc(req->body, grown);
		if (body == NULL)
			return MHD_NO;
		req->body = body;
		req->body_size = grown;
	}
	memcpy(req->body + req->body_len, data, size);
	req->body_len += size;
	req->body[req->body_len] = '\0';
	return MHD_YES;
}

static bool is_json(const char *text);
static char *query_as_json(struct MHD_Connection *connection);

/*
 * The User-Agent header into out (ROUTE_USER_AGENT_MAX + 1 bytes): printable
 * ASCII, any other byte as '?', cut to fit; NULL when there is none.
 */
static const char *
user_agent_of(struct MHD_Connection *connection, char *out)
{
	const char *agent = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
													MHD_HTTP_HEADER_USER_AGENT);
	size_t		len;

	if (agent == NULL || *agent == '\0')
		return NULL;
	len = strnlen(agent, ROUTE_USER_AGENT_MAX);
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) agent[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	out[len] = '\0';
	return out;
}

/*
 * Fills values[] from the route's parameter list; false, with the answer in
 * *refusal, when the request cannot go to Postgres (a body or a segment that
 * is not text). Segment copies go to segments[] for the caller to free; the
 * user agent to user_agent (ROUTE_USER_AGENT_MAX + 1 bytes).
 */
static bool
gather_params(struct MHD_Connection *connection, Request *req,
			  const char **values, char **segments, char *user_agent,
			  int *nparams, Reply *refusal)
{
	const Route *route = req->match.route;
	int			segment = 0;

	for (*nparams = 0; *nparams < ROUTE_MAX_ARGS && route->args[*nparams] != ARG_END;
		 (*nparams)++)
	{
		const char **value = &values[*nparams];

		switch (route->args[*nparams])
		{
			case ARG_BODY:
				*value = req->body_len > 0 ? req->body : NULL;
				if (*value != NULL && !is_valid_utf8(req->body, req->body_len))
				{
					*refusal = request_error(req, MHD_HTTP_BAD_REQUEST, "Missing data");
					return false;
				}
				/* Supabase Auth's clients are told apart bad JSON from bad values */
				if (*value != NULL && req->errors != ERRORS_AUTHOOB && !is_json(req->body))
				{
					*refusal = reply_error_shaped(req->errors, MHD_HTTP_BAD_REQUEST,
												  "Could not parse request body as JSON",
												  "bad_json");
					return false;
				}
				break;
			case ARG_TOKEN:
				*value = token_of(connection, req->settings);
				break;
			case ARG_CLIENT_IP:
				*value = req->client;
				break;
			case ARG_PATH:
			case ARG_SECRET_PATH:
				segments[segment] = strndup(req->match.segments[segment],
											req->match.segment_lens[segment]);
				*value = segments[segment++];
				if (*value == NULL || !is_valid_utf8(*value, strlen(*value)))
				{
					*refusal = request_error(req, MHD_HTTP_NOT_FOUND, "Not found");
					return false;
				}
				break;
			case ARG_QUERY:
				*value = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND,
													 route->query);
				if (*value != NULL && strcmp(*value, REQUEST_UNDECODABLE) == 0)
				{
					*refusal = request_error(req, MHD_HTTP_BAD_REQUEST, "Missing data");
					return false;
				}
				break;
			case ARG_QUERY_JSON:
				req->query_json = query_as_json(connection);
				*value = req->query_json;
				if (*value == NULL)
				{
					*refusal = request_error(req, MHD_HTTP_BAD_REQUEST, "Missing data");
					return false;
				}
				break;
			case ARG_USER_AGENT:
				*value = user_agent_of(connection, user_agent);
				break;
			case ARG_FLOW_COOKIE:
				*value = MHD_lookup_connection_value(connection, MHD_COOKIE_KIND,
													 FLOW_COOKIE);
				break;
			case ARG_END:
				break;
		}
	}
	return true;
}

/* Last call, body complete: run the route's statement and answer. */
/* Whether text is one JSON value (jansson: a document, a scalar too) */
static bool
is_json(const char *text)
{
	json_t	   *value = json_loads(text, JSON_DECODE_ANY, NULL);

	json_decref(value);
	return value != NULL;
}

static enum MHD_Result
add_query_member(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	json_t	   *obj = cls;

	(void) kind;
	if (strcmp(key, REQUEST_UNDECODABLE) == 0 ||
		(value != NULL && strcmp(value, REQUEST_UNDECODABLE) == 0) ||
		json_object_set_new(obj, key, json_string(value ? value : "")) != 0)
	{
		json_object_set_new(obj, REQUEST_UNDECODABLE, json_true());
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * The query string as a JSON object of strings (the last of a repeated
 * name), malloc'd; NULL for one that is not text.
 */
static char *
query_as_json(struct MHD_Connection *connection)
{
	json_t	   *obj = json_object();
	char	   *text = NULL;

	if (obj == NULL)
		return NULL;
	MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, add_query_member, obj);
	if (json_object_get(obj, REQUEST_UNDECODABLE) == NULL)
		text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

static void
free_segments(Request *req)
{
	for (int i = 0; i < ROUTE_MAX_ARGS; i++)
	{
		free(req->segments[i]);
		req->segments[i] = NULL;
	}
}

/*
 * The statement's answer, on the loop's thread: kept for the call of
 * request_handle that libmicrohttpd makes once the connection is resumed.
 */
static void
request_answered(void *arg, PGresult *res)
{
	Request    *req = arg;

	req->result = res;
	req->answered = true;
	MHD_resume_connection(req->connection);
}

/* The statement has answered: the reply is built from its result. */
static enum MHD_Result
request_reply(RequestEnv *env, struct MHD_Connection *connection, Request *req)
{
	Reply		reply = reply_from_result(req->result,
										  (unsigned int) req->match.route->success_status,
										  req->match.route->shape, req->errors);

	PQclear(req->result);
	req->result = NULL;
	free_segments(req);
	return send_reply(env, connection, req, reply);
}

/*
 * Last call, body complete: send the route's statement and suspend the
 * connection until it answers (request_answered).
 */
static enum MHD_Result
request_finish(RequestEnv *env, struct MHD_Connection *connection,
			   Request *req)
{
	int			nparams;
	Reply		reply;

	if (req->answered)
		return request_reply(env, connection, req);
	if (req->submitted)
		return MHD_YES;			/* still waiting for its answer */
	if (req->too_large)
	{
		release_early(req);
		return send_reply(env, connection, req, reply_too_large(req));
	}
	if (req->early.response != NULL)
	{
		reply = req->early;
		req->early.response = NULL;
		return send_reply(env, connection, req, reply);
	}
	if (req->match.route == NULL)
		return MHD_NO;			/* its early answer could not be built */
	if (env->stopping)
	{
		/* the loop's last turns: a statement sent now would not be read */
		return send_reply(env, connection, req,
						  reply_from_result(NULL, 0, req->match.route->shape,
											req->errors));
	}
	if (!gather_params(connection, req, req->values, req->segments,
					   req->user_agent, &nparams, &reply))
	{
		free_segments(req);
		return send_reply(env, connection, req, reply);
	}
	req->op.stmt = req->match.index;
	req->op.read_only = req->match.route->read_only;
	req->op.nparams = nparams;
	req->op.values = req->values;
	req->op.done = request_answered;
	req->op.arg = req;
	req->connection = connection;
	req->submitted = true;
	/* suspended first: the answer never comes before pgasync_deliver */
	MHD_suspend_connection(connection);
	pgasync_submit(env->db, &req->op);
	return MHD_YES;
}

enum MHD_Result
request_handle(void *cls, struct MHD_Connection *connection, const char *url,
			   const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size,
			   void **req_cls)
{
	RequestEnv *env = cls;
	Request    *req = *req_cls;
	size_t		size = *upload_data_size;

	(void) version;
	if (req == NULL)
		return request_begin(env, connection, url, method, req_cls);
	if (req->status != 0)
	{
		*upload_data_size = 0;	/* answered early: nothing more to read */
		return MHD_YES;
	}
	if (size > 0)
	{
		*upload_data_size = 0;
		return request_body(env, req, upload_data, size);
	}
	return request_finish(env, connection, req);
}

void
request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
				  enum MHD_RequestTerminationCode code)
{
	RequestEnv *env = cls;
	Request    *req = *req_cls;
	struct timespec now;
	long		usec;

	(void) connection;
	(void) code;
	if (req == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	usec = (now.tv_sec - req->started.tv_sec) * 1000000L +
		(now.tv_nsec - req->started.tv_nsec) / 1000;
	log_access(req->method, req->log_path, (int) req->status, usec, req->client);
	metrics_request(req->match.family, req->match.route ? req->match.index : -1,
					req->status, usec);
	release_early(req);
	settings_release(req->settings);
	if (req->submitted && !req->answered)
	{
		/*
		 * libmicrohttpd ends no suspended connection. Were it to, the
		 * statement's answer would find a new request in this one's place,
		 * and its values, some in the connection's freed memory, might not
		 * be sent yet: stop rather than answer anyone wrongly.
		 */
		log_error("a request ended before its statement answered");
		log_flush();
		abort();
	}
	PQclear(req->result);
	free_segments(req);
	free(req->query_json);
	free(req->body);
	if (env->nspare < SPARE_MAX)
	{
		req->next_spare = env->spare;
		env->spare = req;
		env->nspare++;
	}
	else
		free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&env->shared->in_flight, 1);
}

void
request_env_free(RequestEnv *env)
{
	while (env->spare != NULL)
	{
		Request    *req = env->spare;

		env->spare = req->next_spare;
		free(req);
	}
	env->nspare = 0;
}
