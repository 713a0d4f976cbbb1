/*
 * mime.h - an outbox row as an Internet message (RFC 5322, MIME 2045-2047).
 *
 * The message is built whole in memory: multipart/alternative with the text
 * and the HTML body, UTF-8 in base64. A header value holding CR or LF, or an
 * address that could carry an SMTP command, is refused rather than cleaned.
 */
#ifndef AUTHOOB_MIME_H
#define AUTHOOB_MIME_H

#include <stdbool.h>
#include <time.h>

/* One mail as authoob_mail_claim() returns it. */
typedef struct Mail
{
	const char *id;
	const char *sender;
	const char *recipient;
	const char *subject;
	const char *body_text;
	const char *body_html;
	const char *message_id;		/* "<...@...>", the same on every attempt */
	const char *attempts;
} Mail;

/*
 * A bare address (local@domain) that is safe in a header and in SMTP's
 * MAIL FROM:<...> and RCPT TO:<...>: printable ASCII, no space, no
 * brackets, quotes or separators, one '@'.
 */
bool		mime_address_is_safe(const char *address);

/*
 * The message of mail, dated date, with CRLF line ends: malloc'd, or NULL
 * with *refusal saying why (a static string, safe to log and to store).
 */
char	   *mime_build(const Mail *mail, time_t date, const char **refusal);

#endif
