/*
 * fuzz.h - what the parts of the request fuzzer share.
 *
 * The harness runs the front's own request.c, routes.c, response.c, cors.c
 * and settings.c without a socket or a database: fake_mhd.c is the HTTP
 * connection (and records the response queued on it), fake_db.c stands in
 * for pool.c and libpq with canned answers.
 */
#ifndef AUTHOOB_FUZZ_H
#define AUTHOOB_FUZZ_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "pgasync.h"
#include "pool.h"
#include "routes.h"

#define FUZZ_MAX_HEADERS 32

typedef struct FuzzHeader
{
	char	   *name;
	char	   *value;
} FuzzHeader;

/* Where the request comes from, as MHD_get_connection_info tells. */
typedef enum FuzzPeer
{
	PEER_IPV4,
	PEER_IPV6,
	PEER_MAPPED,				/* IPv4 in IPv6 */
	PEER_UNKNOWN,				/* no address: the front logs "-" */
	PEER_COUNT
} FuzzPeer;

/* The connection a request arrives on; passed as struct MHD_Connection *. */
typedef struct FuzzConnection
{
	FuzzHeader	headers[FUZZ_MAX_HEADERS];
	int			nheaders;
	FuzzPeer	peer;
} FuzzConnection;

/* The first value of header name (case-insensitive, as MHD), or NULL. */
const char *fuzz_header(const FuzzConnection *conn, const char *name);

/* How many fields of header name the request has. */
int			fuzz_header_count(const FuzzConnection *conn, const char *name);

/* The address text the front must send to the database for peer. */
const char *fuzz_peer_text(FuzzPeer peer);

/* What the front queued: status, headers and body, copied at queue time. */
typedef struct FuzzResponse
{
	int			queued;			/* MHD_queue_response calls */
	bool		suspended;		/* between MHD_suspend_ and MHD_resume_connection */
	unsigned int status;
	FuzzHeader	headers[FUZZ_MAX_HEADERS];
	int			nheaders;
	char	   *body;			/* NUL-terminated copy; NULL if unknown */
	size_t		body_len;
} FuzzResponse;

extern FuzzResponse fuzz_response;

/* Forgets the last response and the bodies of responses made so far. */
void		fuzz_response_reset(void);

/* A header of the queued response (case-insensitive), or NULL. */
const char *fuzz_response_header(const char *name);

/* What the database answers to a route's statement (fake_db.c). */
typedef enum AnswerExpect
{
	EXPECT_SUCCESS,				/* the route's success status */
	EXPECT_STATUS				/* the answer's status */
} AnswerExpect;

typedef struct CannedAnswer
{
	const char *name;
	bool		lost;			/* no result: the connection broke */
	ExecStatusType result_status;
	const char *sqlstate;
	const char *message;		/* FUZZ_ECHO: the request's echo text */
	const char *detail;			/* likewise */
	const char *value;			/* likewise; NULL: SQL NULL */
	int			ntuples;
	int			nfields;
	AnswerExpect expect;
	unsigned int status;		/* for EXPECT_STATUS */
} CannedAnswer;

/* Marks a field of a canned answer filled with text from the input. */
extern const char FUZZ_ECHO[];

int			fuzz_answer_count(void);
const CannedAnswer *fuzz_answer(int i);

/* What pgasync_submit was last called with (copies). */
typedef struct FuzzDbCall
{
	bool		called;
	int			stmt;
	int			nparams;
	char	   *values[ROUTE_MAX_ARGS];
} FuzzDbCall;

extern FuzzDbCall fuzz_db_call;

/*
 * Sets what the fake database answers next: a submitted statement the
 * canned answer (its FUZZ_ECHO fields replaced by echo), pool_query the
 * settings JSON.
 */
void		fuzz_db_prepare(const CannedAnswer *answer, const char *echo,
							const char *settings_json);

/* Forgets the last call. */
void		fuzz_db_reset(void);

/* The fake pool and loop handles (pool.c and pgasync.c are not linked). */
Pool	   *fuzz_pool(void);
DbLoop	   *fuzz_db_loop(void);

/*
 * Answers the statement submitted, if one waits, as the loop would: its
 * done callback with the canned answer. False if none waited.
 */
bool		fuzz_db_answer(void);

#endif
