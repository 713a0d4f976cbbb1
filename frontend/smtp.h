/*
 * smtp.h - sending one message over SMTP with libcurl.
 *
 * An Smtp belongs to one thread and keeps the server's connection open from
 * one mail to the next. The password is held in memory only: it is never
 * logged, and curl's verbose mode, which would print the AUTH exchange,
 * stays off.
 */
#ifndef AUTHOOB_SMTP_H
#define AUTHOOB_SMTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Smtp Smtp;

typedef struct SmtpConfig
{
	const char *url;			/* smtp://host:port[/ehlo-name] or smtps:// */
	const char *user;			/* NULL: no AUTH */
	const char *password_file;	/* NULL: $AUTHOOB_SMTP_PASSWORD */
	bool		require_tls;	/* STARTTLS or fail */
} SmtpConfig;

typedef enum SmtpResult
{
	SMTP_SENT,
	SMTP_FAILED,				/* this mail: refused, timed out, ... */
	SMTP_UNREACHABLE			/* the server: no connection at all */
} SmtpResult;

/*
 * Initialises libcurl (before any thread runs), reads the password and makes
 * a sender; NULL (logged) if the password file cannot be read.
 */
Smtp	   *smtp_create(const SmtpConfig *config);

/*
 * Sends message (CRLF line ends) from sender to recipient, waiting at most
 * SMTP_TIMEOUT_S; on failure error receives curl's reason (never the
 * password).
 */
SmtpResult	smtp_send(Smtp *smtp, const char *sender, const char *recipient,
					  const char *message, char *error, size_t error_size);

void		smtp_destroy(Smtp *smtp);

/* The longest a send may take: the mailer's lease must outlast it. */
#define SMTP_TIMEOUT_S 30

#endif
