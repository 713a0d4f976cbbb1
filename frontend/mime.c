/*
 * mime.c - an outbox row as an Internet message (RFC 5322, MIME 2045-2047).
 *
 * Bodies travel in base64: always 7-bit, short lines, and a boundary holding
 * "=_" can never occur in base64 text. A non-ASCII subject becomes RFC 2047
 * encoded words, folded so that no header line is longer than 78 characters.
 */
#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a subject per encoded word: 45 bytes are 60 base64 characters. */
#define WORD_BYTES 45
/* Bytes per base64 body line: 57 bytes are 76 characters (RFC 2045). */
#define LINE_BYTES 57
/* An ASCII subject longer than this is encoded (and so folded) too. */
#define SUBJECT_RAW_MAX 900
/* RFC 5321: an address of at most 254 characters. */
#define ADDRESS_MAX 254
#define MESSAGE_ID_MAX 250

typedef struct Buffer
{
	char	   *data;
	size_t		len;
	size_t		size;
	bool		failed;			/* out of memory: everything after is dropped */
} Buffer;

static void
buffer_append(Buffer *buf, const char *bytes, size_t n)
{
	if (buf->failed)
		return;
	if (buf->len + n + 1 > buf->size)
	{
		size_t		size = buf->size ? buf->size : 4096;
		char	   *data;

		while (size < buf->len + n + 1)
			size *= 2;
		data = realloc(buf->data, size);
		if (data == NULL)
		{
			buf->failed = true;
			return;
		}
		buf->data = data;
		buf->size = size;
	}
	memcpy(buf->data + buf->len, bytes, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

static void
buffer_puts(Buffer *buf, const char *text)
{
	buffer_append(buf, text, strlen(text));
}

static void
append_base64(Buffer *buf, const unsigned char *in, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char		quad[4];

	for (size_t i = 0; i < n; i += 3)
	{
		unsigned int v = (unsigned int) in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned int) in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		quad[0] = alphabet[(v >> 18) & 63];
		quad[1] = alphabet[(v >> 12) & 63];
		quad[2] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		quad[3] = i + 2 < n ? alphabet[v & 63] : '=';
		buffer_append(buf, quad, 4);
	}
}

static bool
has_cr_or_lf(const char *text)
{
	return strpbrk(text, "\r\n") != NULL;
}

bool
mime_address_is_safe(const char *address)
{
	size_t		len = strlen(address);
	const char *at = strchr(address, '@');

	if (len < 3 || len > ADDRESS_MAX || at == NULL || at == address ||
		at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = address; *p; p++)
	{
		if (*p <= ' ' || *p > '~' || strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	}
	return true;
}

/* "<left@right>" in printable ASCII, as the extension makes them. */
static bool
message_id_is_safe(const char *message_id)
{
	size_t		len = strlen(message_id);

	if (len < 5 || len > MESSAGE_ID_MAX || message_id[0] != '<' ||
		message_id[len - 1] != '>' || strchr(message_id, '@') == NULL)
		return false;
	for (size_t i = 1; i < len - 1; i++)
	{
		if (message_id[i] <= ' ' || message_id[i] > '~' ||
			message_id[i] == '<' || message_id[i] == '>')
			return false;
	}
	return true;
}

/* Printable ASCII that no reader would take for an encoded word. */
static bool
subject_is_plain(const char *subject)
{
	for (const char *p = subject; *p; p++)
	{
		if (*p < ' ' || *p > '~')
			return false;
	}
	return strlen(subject) <= SUBJECT_RAW_MAX && strstr(subject, "=?") == NULL;
}

/*
 * "Subject: =?UTF-8?B?...?=", one encoded word per WORD_BYTES bytes, never
 * splitting a UTF-8 character, folded onto continuation lines (RFC 2047 §2).
 */
static void
append_subject(Buffer *buf, const char *subject)
{
	const unsigned char *s = (const unsigned char *) subject;
	size_t		left = strlen(subject);

	buffer_puts(buf, "Subject: ");
	if (subject_is_plain(subject))
	{
		buffer_puts(buf, subject);
		buffer_puts(buf, "\r\n");
		return;
	}
	while (left > 0)
	{
		size_t		n = left < WORD_BYTES ? left : WORD_BYTES;

		/* back up to the start of a character (at most 3 bytes) */
		for (int i = 0; i < 3 && n < left && n > 1 && (s[n] & 0xC0) == 0x80; i++)
			n--;
		buffer_puts(buf, "=?UTF-8?B?");
		append_base64(buf, s, n);
		buffer_puts(buf, "?=");
		s += n;
		left -= n;
		buffer_puts(buf, left > 0 ? "\r\n " : "\r\n");
	}
}

/* RFC 5322 date in UTC, with English names whatever the locale. */
static void
append_date(Buffer *buf, time_t date)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm	tm;
	char		line[64];

	gmtime_r(&date, &tm);
	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
			 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buffer_puts(buf, line);
}

/* One part: text in canonical form (CRLF line ends), then base64 lines. */
static void
append_part(Buffer *buf, const char *boundary, const char *type,
			const char *body)
{
	Buffer		canonical = {0};

	for (const char *p = body; *p; p++)
	{
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			buffer_append(&canonical, "\r", 1);
		buffer_append(&canonical, p, 1);
	}
	buffer_puts(buf, "--");
	buffer_puts(buf, boundary);
	buffer_puts(buf, "\r\nContent-Type: ");
	buffer_puts(buf, type);
	buffer_puts(buf, "; charset=UTF-8\r\n"
				"Content-Transfer-Encoding: base64\r\n\r\n");
	for (size_t i = 0; i < canonical.len; i += LINE_BYTES)
	{
		size_t		n = canonical.len - i < LINE_BYTES ? canonical.len - i : LINE_BYTES;

		append_base64(buf, (const unsigned char *) canonical.data + i, n);
		buffer_puts(buf, "\r\n");
	}
	buf->failed |= canonical.failed;
	free(canonical.data);
}

/* Why mail cannot be sent as it is, or NULL when it can. */
static const char *
refusal_of(const Mail *mail)
{
	if (has_cr_or_lf(mail->sender) || has_cr_or_lf(mail->recipient) ||
		has_cr_or_lf(mail->subject) || has_cr_or_lf(mail->message_id))
		return "refused: CR or LF in a header value";
	if (!mime_address_is_safe(mail->sender))
		return "refused: the sender is not a plain address";
	if (!mime_address_is_safe(mail->recipient))
		return "refused: the recipient is not a plain address";
	if (!message_id_is_safe(mail->message_id))
		return "refused: malformed Message-ID";
	return NULL;
}

char *
mime_build(const Mail *mail, time_t date, const char **refusal)
{
	Buffer		buf = {0};
	char		boundary[64];

	*refusal = refusal_of(mail);
	if (*refusal != NULL)
		return NULL;
	snprintf(boundary, sizeof(boundary), "=_authoob_%.20s", mail->id);

	append_date(&buf, date);
	buffer_puts(&buf, "From: ");
	buffer_puts(&buf, mail->sender);
	buffer_puts(&buf, "\r\nTo: ");
	buffer_puts(&buf, mail->recipient);
	buffer_puts(&buf, "\r\n");
	append_subject(&buf, mail->subject);
	buffer_puts(&buf, "Message-ID: ");
	buffer_puts(&buf, mail->message_id);
	/* RFC 3834: no vacation auto-replies to a machine's mail */
	buffer_puts(&buf, "\r\nAuto-Submitted: auto-generated\r\n"
				"MIME-Version: 1.0\r\n"
				"Content-Type: multipart/alternative; boundary=\"");
	buffer_puts(&buf, boundary);
	buffer_puts(&buf, "\"\r\n\r\n");
	append_part(&buf, boundary, "text/plain", mail->body_text);
	append_part(&buf, boundary, "text/html", mail->body_html);
	buffer_puts(&buf, "--");
	buffer_puts(&buf, boundary);
	buffer_puts(&buf, "--\r\n");
	if (buf.failed)
	{
		free(buf.data);
		*refusal = "out of memory building the message";
		return NULL;
	}
	return buf.data;
}
