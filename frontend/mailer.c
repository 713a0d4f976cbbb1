/*
 * mailer.c - delivery of the mail outbox (docs/mail.md) over SMTP.
 *
 * Delivery is at least once: a mail is leased, sent, then marked. If the
 * front dies between sending and marking, the mail goes out again when its
 * lease ends. A mail is only started while its lease has time to spare for
 * the longest send, so no other mailer can claim it while it is in flight.
 */
#include "mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mime.h"
#include "smtp.h"

/* Mails leased per claim. */
#define MAIL_BATCH 10
/* How long a claim holds its mails; then any mailer may claim them again. */
#define MAIL_LEASE_S 120
/* Past this much of its lease a mail is not started (a send and a mark fit). */
#define MAIL_START_BEFORE_S (MAIL_LEASE_S - SMTP_TIMEOUT_S - STATEMENT_TIMEOUT_S)
/* Full batches in a row before the thread looks at its wake-ups again. */
#define MAIL_MAX_BATCHES 50
#define STATEMENT_TIMEOUT_S 30
#define RECONNECT_MIN_MS 500
/* A failover takes seconds: the mailer follows within this much of its end. */
#define RECONNECT_MAX_MS 5000
/* At shutdown: the mail in flight, then its mark, with room to spare. */
#define MAILER_STOP_S (SMTP_TIMEOUT_S + 2 * STATEMENT_TIMEOUT_S + 5)

#define STRINGIFY(x) #x
#define STRINGIFY_VALUE(x) STRINGIFY(x)

/* A claim's RETURNING has no order: send oldest first. */
static const char claim_sql[] =
"SELECT id, sender, recipient, subject, body_text, body_html, message_id,"
" attempts FROM authoob_mail_claim($1, $2) ORDER BY id";
static const char done_sql[] = "SELECT authoob_mail_done($1, $2, $3)";
static const char release_sql[] = "SELECT authoob_mail_release($1)";

struct Mailer
{
	pthread_t	thread;
	atomic_bool stopping;
	int			wake[2];		/* a byte in this pipe wakes the thread */
	const char *conninfo;
	int			sweep_ms;
	Smtp	   *smtp;
	PGconn	   *conn;			/* NULL while disconnected */
	bool		claims_failing;	/* log a failing claim once, not each sweep */
	bool		read_only;		/* the last connection led to a standby */
};

static void
log_notice(void *arg, const char *message)
{
	(void) arg;
	log_debug("mailer: Postgres: %s", message);
}

static void
mailer_disconnect(Mailer *mailer)
{
	if (mailer->conn != NULL)
		PQfinish(mailer->conn);
	mailer->conn = NULL;
}

/*
 * Whether a failed res says the node takes no writes: a standby, or a
 * primary demoted by a failover. Reconnecting finds the new primary when
 * the conninfo names several hosts with target_session_attrs=read-write.
 */
static bool
is_read_only(const PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return sqlstate != NULL && strcmp(sqlstate, "25006") == 0;
}

/*
 * Connects and LISTENs; false (logged) on failure, with read_only set when
 * the node takes no writes (a standby does not LISTEN).
 */
static bool
mailer_connect(Mailer *mailer)
{
	/* Earlier keywords are defaults the conninfo ("dbname") may override. */
	const char *const keywords[] = {"connect_timeout", "application_name",
	"dbname", "client_encoding", NULL};
	const char *const values[] = {"5", "authoob-http mailer",
	mailer->conninfo, "UTF8", NULL};
	PGresult   *res;
	bool		ok;

	mailer->conn = PQconnectdbParams(keywords, values, 1);
	PQsetNoticeProcessor(mailer->conn, log_notice, NULL);
	if (PQstatus(mailer->conn) != CONNECTION_OK)
	{
		log_error("mailer: cannot connect to Postgres: %s", PQerrorMessage(mailer->conn));
		mailer_disconnect(mailer);
		return false;
	}
	res = PQexec(mailer->conn, "SET statement_timeout = '"
				 STRINGIFY_VALUE(STATEMENT_TIMEOUT_S) "s'; LISTEN authoob_mail");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	mailer->read_only = !ok && is_read_only(res);
	if (mailer->read_only)
		log_warning("mailer: Postgres node is read-only (LISTEN), reconnecting");
	else if (!ok)
		log_error("mailer: cannot LISTEN: %s", PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		mailer_disconnect(mailer);
	return ok;
}

/*
 * Whether res is the answer expected; else logs why, clears res, and drops
 * a connection that broke or leads to a node that takes no writes (the
 * next turn of the loop reconnects).
 */
static bool
result_ok(Mailer *mailer, PGresult *res, const char *what)
{
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return true;
	if (PQstatus(mailer->conn) != CONNECTION_OK)
	{
		log_warning("mailer: Postgres connection lost (%s): %s", what,
					PQerrorMessage(mailer->conn));
		mailer_disconnect(mailer);
	}
	else if (is_read_only(res))
	{
		log_warning("mailer: Postgres node is read-only (%s), reconnecting", what);
		mailer_disconnect(mailer);
	}
	else
		log_error("mailer: cannot %s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return false;
}

/*
 * Records how delivery went (error NULL: sent; permanent: no retry could
 * send it) and logs it.
 */
static void
record_outcome(Mailer *mailer, const Mail *mail, const char *error, bool permanent)
{
	const char *params[3] = {mail->id, error, permanent ? "true" : "false"};
	PGresult   *res = PQexecParams(mailer->conn, done_sql, 3, NULL, params,
								   NULL, NULL, 0);
	const char *state;

	if (!result_ok(mailer, res, "record the outcome of a mail"))
	{
		if (error == NULL)
			log_warning("mailer: mail %s was sent but is not marked sent: it "
						"goes out again when its lease ends", mail->id);
		return;
	}
	state = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL;
	if (state == NULL)
		log_warning("mailer: mail %s: its lease had ended, another mailer may "
					"have sent it too", mail->id);
	else if (error == NULL)
		log_info("mailer: mail %s sent (attempt %s)", mail->id, mail->attempts);
	else if (strcmp(state, "failed") == 0)
		log_error("mailer: mail %s failed for good after %s attempts: %s",
				  mail->id, mail->attempts, error);
	else
		log_warning("mailer: mail %s not sent (attempt %s), retried later: %s",
					mail->id, mail->attempts, error);
	PQclear(res);
}

/* Gives a claimed mail back untried: due again at once, no attempt counted. */
static void
release_mail(Mailer *mailer, const Mail *mail)
{
	const char *params[1] = {mail->id};
	PGresult   *res = PQexecParams(mailer->conn, release_sql, 1, NULL, params,
								   NULL, NULL, 0);

	if (result_ok(mailer, res, "give back a mail"))
		PQclear(res);
}

/*
 * Sends one mail and records the outcome. Once the server itself failed
 * (server_down set), the rest of the batch is not tried: it would only fail
 * alike, one timeout after another.
 */
static void
deliver_mail(Mailer *mailer, const Mail *mail, char *server_down, size_t size)
{
	char		error[512];
	const char *refusal;
	char	   *message;

	if (server_down[0] != '\0')
	{
		snprintf(error, sizeof(error), "not tried: %s", server_down);
		record_outcome(mailer, mail, error, false);
		return;
	}
	message = mime_build(mail, time(NULL), &refusal);
	if (message == NULL)
	{
		/* a header that cannot be written safely never will be */
		record_outcome(mailer, mail, refusal, true);
		return;
	}
	switch (smtp_send(mailer->smtp, mail->sender, mail->recipient, message,
					  error, sizeof(error)))
	{
		case SMTP_SENT:
			record_outcome(mailer, mail, NULL, false);
			break;
		case SMTP_UNREACHABLE:
			snprintf(server_down, size, "%s", error);
			/* FALLTHROUGH */
		case SMTP_FAILED:
			record_outcome(mailer, mail, error, false);
			break;
	}
	free(message);
}

static Mail
mail_of_row(const PGresult *res, int row)
{
	Mail		mail;

	mail.id = PQgetvalue(res, row, 0);
	mail.sender = PQgetvalue(res, row, 1);
	mail.recipient = PQgetvalue(res, row, 2);
	mail.subject = PQgetvalue(res, row, 3);
	mail.body_text = PQgetvalue(res, row, 4);
	mail.body_html = PQgetvalue(res, row, 5);
	mail.message_id = PQgetvalue(res, row, 6);
	mail.attempts = PQgetvalue(res, row, 7);
	return mail;
}

static long
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long) (now.tv_sec - start->tv_sec);
}

/* Claims one batch and delivers it; returns the count claimed, -1 on error. */
static int
deliver_batch(Mailer *mailer)
{
	const char *params[2] = {STRINGIFY_VALUE(MAIL_BATCH), STRINGIFY_VALUE(MAIL_LEASE_S)};
	char		server_down[512] = "";
	struct timespec claimed_at;
	PGresult   *res;
	int			count;

	clock_gettime(CLOCK_MONOTONIC, &claimed_at);
	res = PQexecParams(mailer->conn, claim_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (mailer->claims_failing && PQstatus(mailer->conn) == CONNECTION_OK &&
			!is_read_only(res))
		{
			log_debug("mailer: claims still fail: %s", PQresultErrorMessage(res));
			PQclear(res);
		}
		else
		{
			(void) result_ok(mailer, res, "claim mails");	/* logs, clears */
			mailer->claims_failing = mailer->conn != NULL;
		}
		return -1;
	}
	if (mailer->claims_failing)
		log_info("mailer: claims work again");
	mailer->claims_failing = false;
	count = PQntuples(res);
	for (int i = 0; i < count && mailer->conn != NULL; i++)
	{
		Mail		mail = mail_of_row(res, i);

		if (atomic_load(&mailer->stopping))
			release_mail(mailer, &mail);
		else if (seconds_since(&claimed_at) < MAIL_START_BEFORE_S)
			deliver_mail(mailer, &mail, server_down, sizeof(server_down));
		else
		{
			/* its lease ends too soon to send it: give it back untried */
			log_warning("mailer: mail %s given back, its lease ends too soon", mail.id);
			release_mail(mailer, &mail);
		}
	}
	PQclear(res);
	return count;
}

/* Delivers what is due; true if more may be due (the last batch was full). */
static bool
deliver_due(Mailer *mailer)
{
	for (int batch = 0; batch < MAIL_MAX_BATCHES; batch++)
	{
		if (atomic_load(&mailer->stopping) || mailer->conn == NULL ||
			deliver_batch(mailer) < MAIL_BATCH)
			return false;
	}
	return true;
}

/* Frees the notifications read so far; true if there were any. */
static bool
take_notifications(PGconn *conn)
{
	PGnotify   *notify;
	bool		any = false;

	for (int i = 0; i < 10000 && (notify = PQnotifies(conn)) != NULL; i++)
	{
		PQfreemem(notify);
		any = true;
	}
	return any;
}

/*
 * Sleeps until a notification (or anything from Postgres), a stop, or ms;
 * false if the connection broke meanwhile.
 */
static bool
mailer_wait(Mailer *mailer, int ms)
{
	struct pollfd fds[2] = {
		{.fd = mailer->wake[0],.events = POLLIN},
		{.fd = mailer->conn ? PQsocket(mailer->conn) : -1,.events = POLLIN},
	};

	if (poll(fds, 2, ms) < 0 && errno != EINTR)
		log_warning("mailer: poll: %s", strerror(errno));
	if (mailer->conn != NULL && fds[1].revents != 0 &&
		(!PQconsumeInput(mailer->conn) || PQstatus(mailer->conn) != CONNECTION_OK))
	{
		log_warning("mailer: Postgres connection lost: %s", PQerrorMessage(mailer->conn));
		return false;
	}
	return true;
}

static void *
mailer_main(void *arg)
{
	Mailer	   *mailer = arg;
	int			reconnect_ms = RECONNECT_MIN_MS;

	while (!atomic_load(&mailer->stopping))
	{
		if (mailer->conn == NULL)
		{
			if (!mailer_connect(mailer))
			{
				mailer_wait(mailer, reconnect_ms);
				reconnect_ms = reconnect_ms * 2 < RECONNECT_MAX_MS ?
					reconnect_ms * 2 : RECONNECT_MAX_MS;
				continue;
			}
			log_info("mailer: connected to Postgres again");
		}
		/* mails queued while the thread slept, sent, or was away */
		if (deliver_due(mailer))
			continue;
		if (mailer->conn == NULL)
		{
			/* dropped by a claim (a node that takes no writes): not at once */
			mailer_wait(mailer, reconnect_ms);
			reconnect_ms = reconnect_ms * 2 < RECONNECT_MAX_MS ?
				reconnect_ms * 2 : RECONNECT_MAX_MS;
			continue;
		}
		reconnect_ms = RECONNECT_MIN_MS;
		if (take_notifications(mailer->conn))
			continue;
		if (!mailer_wait(mailer, mailer->sweep_ms))
			mailer_disconnect(mailer);
		else
			take_notifications(mailer->conn);
	}
	mailer_disconnect(mailer);
	return NULL;
}

static void
mailer_free(Mailer *mailer)
{
	mailer_disconnect(mailer);
	smtp_destroy(mailer->smtp);
	for (int i = 0; i < 2; i++)
		if (mailer->wake[i] >= 0)
			close(mailer->wake[i]);
	free(mailer);
}

/* Whether this database has an outbox we may work: one empty claim. */
static bool
outbox_is_workable(Mailer *mailer)
{
	PGresult   *res = PQexec(mailer->conn,
							 "SELECT count(*) FROM authoob_mail_claim(0, 1)");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		log_error("mailer: cannot work the mail outbox: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

Mailer *
mailer_start(const Options *options)
{
	SmtpConfig	smtp = {.url = options->smtp_url,.user = options->smtp_user,
		.password_file = options->smtp_password_file,.require_tls = options->smtp_tls};
	Mailer	   *mailer = calloc(1, sizeof(Mailer));

	if (mailer == NULL)
		return NULL;
	mailer->wake[0] = mailer->wake[1] = -1;
	mailer->conninfo = options->conninfo;
	mailer->sweep_ms = options->mail_sweep_seconds * 1000;
	if (pipe2(mailer->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		log_error("mailer: pipe: %s", strerror(errno));
	else if ((mailer->smtp = smtp_create(&smtp)) != NULL &&
			 ((mailer_connect(mailer) && outbox_is_workable(mailer)) ||
			  mailer->read_only))
	{
		/* a standby: its thread waits, and delivers once it is a primary */
		if (mailer->read_only)
			log_warning("mailer: the database takes no writes (a standby): "
						"mails wait until it is a primary");
		if (pthread_create(&mailer->thread, NULL, mailer_main, mailer) == 0)
		{
			log_info("mailer: delivering mail to %s, sweeping every %d s",
					 options->smtp_url, options->mail_sweep_seconds);
			return mailer;
		}
		log_error("mailer: cannot start its thread");
	}
	mailer_free(mailer);
	return NULL;
}

void
mailer_request_stop(Mailer *mailer)
{
	if (mailer == NULL)
		return;
	atomic_store(&mailer->stopping, true);
	/* A full pipe already wakes the thread: nothing to do about it. */
	if (write(mailer->wake[1], "", 1) < 0)
		return;
}

void
mailer_stop(Mailer *mailer)
{
	struct timespec deadline;

	if (mailer == NULL)
		return;
	mailer_request_stop(mailer);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += MAILER_STOP_S;
	if (pthread_timedjoin_np(mailer->thread, NULL, &deadline) != 0)
	{
		/* its mails go out again when their leases end */
		log_error("mailer: still busy after %d s, leaving it", MAILER_STOP_S);
		return;
	}
	mailer_free(mailer);
	log_info("mailer: stopped");
}
