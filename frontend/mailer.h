/*
 * mailer.h - delivery of the mail outbox (docs/mail.md) over SMTP.
 *
 * A thread with its own Postgres connection LISTENs on "authoob_mail" and
 * sweeps every --mail-sweep seconds; it leases due mails with
 * authoob_mail_claim(), sends each, and records the outcome with
 * authoob_mail_done(). Several fronts may deliver side by side: a lease
 * (FOR UPDATE SKIP LOCKED) gives each mail to one of them at a time.
 */
#ifndef AUTHOOB_MAILER_H
#define AUTHOOB_MAILER_H

#include "options.h"

typedef struct Mailer Mailer;

/*
 * Reads the SMTP password, connects to Postgres, checks that the outbox can
 * be worked, and starts the thread; NULL (logged) if any of it fails.
 */
Mailer	   *mailer_start(const Options *options);

/* Asks the thread to stop after the mail in flight; returns at once. */
void		mailer_request_stop(Mailer *mailer);

/* Stops the thread (waiting a bounded time) and frees; NULL is ignored. */
void		mailer_stop(Mailer *mailer);

#endif
