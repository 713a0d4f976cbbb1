/*
 * fake_mhd.c - the HTTP connection seam of the request fuzzer.
 *
 * The front talks to its connection through seven libmicrohttpd functions;
 * the harness is linked with -Wl,--wrap for them, so these __wrap_ versions
 * serve headers and the peer address from a FuzzConnection, and record what
 * is queued. Responses themselves are real libmicrohttpd objects: their
 * headers are read back with MHD_get_response_headers, and their bodies are
 * remembered when created, since libmicrohttpd has no getter for them.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

/* Responses made during one request: a handful at most. */
#define MAX_BODIES 8

typedef struct Body
{
	const struct MHD_Response *response;
	char	   *text;
	size_t		len;
} Body;

static Body bodies[MAX_BODIES];
static int nbodies;
FuzzResponse fuzz_response;

struct MHD_Response *__real_MHD_create_response_from_buffer(size_t size, void *buffer,
															enum MHD_ResponseMemoryMode mode);
struct MHD_Response *__wrap_MHD_create_response_from_buffer(size_t size, void *buffer,
															enum MHD_ResponseMemoryMode mode);
const char *__wrap_MHD_lookup_connection_value(struct MHD_Connection *connection,
											   enum MHD_ValueKind kind,
											   const char *key);
const union MHD_ConnectionInfo *__wrap_MHD_get_connection_info(struct MHD_Connection *connection,
															   enum MHD_ConnectionInfoType info_type,...);
int			__wrap_MHD_get_connection_values(struct MHD_Connection *connection,
											 enum MHD_ValueKind kind,
											 MHD_KeyValueIterator iterator,
											 void *iterator_cls);
enum MHD_Result __wrap_MHD_queue_response(struct MHD_Connection *connection,
										  unsigned int status_code,
										  struct MHD_Response *response);
void		__wrap_MHD_suspend_connection(struct MHD_Connection *connection);
void		__wrap_MHD_resume_connection(struct MHD_Connection *connection);

static char *
copy_bytes(const char *data, size_t len)
{
	char	   *text = malloc(len + 1);

	if (text == NULL)
		abort();
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';
	return text;
}

static void
free_headers(FuzzHeader *headers, int *count)
{
	for (int i = 0; i < *count; i++)
	{
		free(headers[i].name);
		free(headers[i].value);
	}
	*count = 0;
}

void
fuzz_response_reset(void)
{
	for (int i = 0; i < nbodies; i++)
		free(bodies[i].text);
	nbodies = 0;
	free_headers(fuzz_response.headers, &fuzz_response.nheaders);
	free(fuzz_response.body);
	memset(&fuzz_response, 0, sizeof(fuzz_response));
}

static const char *
find_header(const FuzzHeader *headers, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcasecmp(headers[i].name, name) == 0)
			return headers[i].value;
	return NULL;
}

const char *
fuzz_header(const FuzzConnection *conn, const char *name)
{
	return find_header(conn->headers, conn->nheaders, name);
}

int
fuzz_header_count(const FuzzConnection *conn, const char *name)
{
	int			count = 0;

	for (int i = 0; i < conn->nheaders; i++)
		count += strcasecmp(conn->headers[i].name, name) == 0;
	return count;
}

const char *
fuzz_response_header(const char *name)
{
	return find_header(fuzz_response.headers, fuzz_response.nheaders, name);
}

struct MHD_Response *
__wrap_MHD_create_response_from_buffer(size_t size, void *buffer,
									   enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response =
		__real_MHD_create_response_from_buffer(size, buffer, mode);

	if (response == NULL)
		return NULL;
	if (nbodies == MAX_BODIES)
		abort();				/* a request should not build that many */
	/* A freed response's address may come back: the newest entry wins. */
	bodies[nbodies].response = response;
	bodies[nbodies].text = copy_bytes(buffer, size);
	bodies[nbodies++].len = size;
	return response;
}

const char *
__wrap_MHD_lookup_connection_value(struct MHD_Connection *connection,
								   enum MHD_ValueKind kind, const char *key)
{
	if (kind == MHD_GET_ARGUMENT_KIND || kind == MHD_COOKIE_KIND)
		return NULL;			/* the fuzzed requests have no query string, no cookie */
	if (kind != MHD_HEADER_KIND)
		abort();				/* the front reads request headers and arguments only */
	return fuzz_header((const FuzzConnection *) connection, key);
}

/* Every header line in the order received, as libmicrohttpd keeps them. */
int
__wrap_MHD_get_connection_values(struct MHD_Connection *connection,
								 enum MHD_ValueKind kind,
								 MHD_KeyValueIterator iterator,
								 void *iterator_cls)
{
	const FuzzConnection *conn = (const FuzzConnection *) connection;
	int			i;

	if (kind == MHD_GET_ARGUMENT_KIND)
		return 0;				/* the faked connection has no query string */
	if (kind != MHD_HEADER_KIND)
		abort();				/* the front reads request headers only */
	for (i = 0; i < conn->nheaders; i++)
		if (iterator != NULL &&
			iterator(iterator_cls, MHD_HEADER_KIND, conn->headers[i].name,
					 conn->headers[i].value) != MHD_YES)
			return i + 1;
	return i;
}

const char *
fuzz_peer_text(FuzzPeer peer)
{
	static const char *const texts[PEER_COUNT] = {"192.0.2.10", "2001:db8::1",
	"::ffff:192.0.2.10", "-"};

	return texts[peer];
}

const union MHD_ConnectionInfo *
__wrap_MHD_get_connection_info(struct MHD_Connection *connection,
							   enum MHD_ConnectionInfoType info_type,...)
{
	static struct sockaddr_in v4;
	static struct sockaddr_in6 v6;
	static union MHD_ConnectionInfo info;
	const FuzzConnection *conn = (const FuzzConnection *) connection;

	if (info_type != MHD_CONNECTION_INFO_CLIENT_ADDRESS)
		abort();
	switch (conn->peer)
	{
		case PEER_IPV4:
			v4.sin_family = AF_INET;
			inet_pton(AF_INET, fuzz_peer_text(PEER_IPV4), &v4.sin_addr);
			info.client_addr = (struct sockaddr *) &v4;
			return &info;
		case PEER_IPV6:
		case PEER_MAPPED:
			v6.sin6_family = AF_INET6;
			inet_pton(AF_INET6, fuzz_peer_text(conn->peer), &v6.sin6_addr);
			info.client_addr = (struct sockaddr *) &v6;
			return &info;
		default:
			return NULL;
	}
}

static enum MHD_Result
record_header(void *cls, enum MHD_ValueKind kind, const char *key,
			  const char *value)
{
	(void) cls;
	(void) kind;
	if (fuzz_response.nheaders == FUZZ_MAX_HEADERS)
		abort();				/* more headers than the front ever sets */
	fuzz_response.headers[fuzz_response.nheaders].name = copy_bytes(key, strlen(key));
	fuzz_response.headers[fuzz_response.nheaders++].value =
		copy_bytes(value ? value : "", value ? strlen(value) : 0);
	return MHD_YES;
}

/* Copies what would go on the wire; the front destroys the response next. */
enum MHD_Result
__wrap_MHD_queue_response(struct MHD_Connection *connection,
						  unsigned int status_code,
						  struct MHD_Response *response)
{
	(void) connection;
	if (response == NULL || fuzz_response.suspended)
		abort();
	if (fuzz_response.queued++ > 0)
		return MHD_NO;			/* as libmicrohttpd: one response a request */
	fuzz_response.status = status_code;
	MHD_get_response_headers(response, record_header, NULL);
	for (int i = nbodies - 1; i >= 0; i--)
	{
		if (bodies[i].response == response)
		{
			fuzz_response.body = copy_bytes(bodies[i].text, bodies[i].len);
			fuzz_response.body_len = bodies[i].len;
			break;
		}
	}
	return MHD_YES;
}

/* A suspended connection must be resumed before its answer is queued. */
void
__wrap_MHD_suspend_connection(struct MHD_Connection *connection)
{
	(void) connection;
	if (fuzz_response.suspended || fuzz_response.queued > 0)
		abort();
	fuzz_response.suspended = true;
}

void
__wrap_MHD_resume_connection(struct MHD_Connection *connection)
{
	(void) connection;
	if (!fuzz_response.suspended)
		abort();
	fuzz_response.suspended = false;
}
