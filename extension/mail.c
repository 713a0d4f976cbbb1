/*
 * mail.c
 *		The mail outbox: mails rendered from templates and queued in the
 *		action's transaction, for authoob-http to deliver.
 *
 * Queuing is part of the action: if the action rolls back, so does its
 * mail, and a mail server that is down loses nothing.  A NOTIFY on
 * "authoob_mail" (sent at commit) wakes the mailers.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

static AuthoobQuery template_and_user = AUTHOOB_QUERY(
	"SELECT t.subject, t.body_text, t.body_html,"
	" u.email, u.username, u.firstname, u.lastname"
	" FROM authoob.mail_templates t, authoob.users u"
	" WHERE t.kind = $1 AND u.id = $2",
	2, TEXTOID, INT8OID);

static AuthoobQuery insert_mail = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_outbox (kind, user_id, sender, recipient, subject,"
	" body_text, body_html, message_id, state)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	9, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID);

static AuthoobQuery notify_mailers = AUTHOOB_QUERY0(
	"SELECT pg_notify('authoob_mail', '')");

typedef enum RenderMode
{
	RENDER_TEXT,				/* as is */
	RENDER_HTML,				/* values HTML-escaped */
	RENDER_HEADER				/* one line: control characters become spaces */
} RenderMode;

/* Append len bytes of text in mode */
static void
append_text(StringInfo out, const char *text, size_t len, RenderMode mode)
{
	for (const char *p = text; p < text + len; p++)
	{
		if (mode == RENDER_HTML)
		{
			switch (*p)
			{
				case '&':
					appendStringInfoString(out, "&amp;");
					continue;
				case '<':
					appendStringInfoString(out, "&lt;");
					continue;
				case '>':
					appendStringInfoString(out, "&gt;");
					continue;
				case '"':
					appendStringInfoString(out, "&quot;");
					continue;
				case '\'':
					appendStringInfoString(out, "&#39;");
					continue;
			}
		}
		else if (mode == RENDER_HEADER && (unsigned char) *p < 0x20)
		{
			appendStringInfoChar(out, ' ');
			continue;
		}
		appendStringInfoChar(out, *p);
	}
}

/*
 * Replace each {{name}} of template with its value (NULL values become
 * empty); unknown names stay as written.
 */
static char *
render(const char *template, int nvars, const char *const *names,
	   const char *const *values, RenderMode mode)
{
	StringInfoData out;
	const char *p = template;

	initStringInfo(&out);
	while (*p)
	{
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		int			found = -1;

		/* the template's own text: as written, but a subject stays one line */
		RenderMode	literal = (mode == RENDER_HEADER) ? RENDER_HEADER : RENDER_TEXT;

		if (close == NULL)
		{
			append_text(&out, p, strlen(p), literal);
			break;
		}
		append_text(&out, p, open - p, literal);
		for (int i = 0; i < nvars; i++)
			if ((size_t) (close - open - 2) == strlen(names[i]) &&
				strncmp(open + 2, names[i], close - open - 2) == 0)
				found = i;
		if (found >= 0)
			append_text(&out, values[found] ? values[found] : "",
						values[found] ? strlen(values[found]) : 0, mode);
		else
			append_text(&out, open, close + 2 - open, literal);
		p = close + 2;
	}
	return out.data;
}

/*
 * Queue the mail of kind ("activation" or "reset") for user_id, with link,
 * unless its mail hook cancels it.  The caller is connected to SPI.
 */
void
authoob_queue_mail(const char *kind, int64 user_id, const char *link,
				   const AuthoobSettings *settings)
{
	static const char *const names[] = {
		"link", "email", "username", "firstname", "lastname", "app_url"
	};
	const char *vars[lengthof(names)];
	Datum		args[9];
	char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *domain;
	const char *recipient;
	char	   *subject;
	char	   *body_text;
	char	   *body_html;
	Jsonb	   *answer;
	bool		pending = !settings->prevent_mail_send;

	authoob_require_setting(settings->email_sender, "email_sender");

	args[0] = CStringGetTextDatum(kind);
	args[1] = Int64GetDatum(user_id);
	if (authoob_run(&template_and_user, args, NULL, false) != 1)
		elog(ERROR, "authoob: no mail template \"%s\" or no user " INT64_FORMAT,
			 kind, user_id);

	vars[0] = link;
	for (int i = 1; i <= 4; i++)
		vars[i] = authoob_result_text(3 + i);
	vars[5] = settings->app_url;
	subject = render(authoob_result_text(1), lengthof(names), names, vars, RENDER_HEADER);
	body_text = render(authoob_result_text(2), lengthof(names), names, vars, RENDER_TEXT);
	body_html = render(authoob_result_text(3), lengthof(names), names, vars, RENDER_HTML);
	recipient = vars[1];

	/* the mail hook may replace the mail, or cancel it */
	answer = authoob_fire_hook(strcmp(kind, "activation") == 0 ?
							   HOOK_MAIL_REGISTER : HOOK_MAIL_ASK_RESET_PASSWORD,
							   &(AuthoobHookArgs) {.user_id = user_id, .link = link});
	if (answer)
	{
		char	   *replaced;

		if (authoob_jsonb_is_false(answer, "send"))
			return;
		if ((replaced = authoob_jsonb_get_string(answer, "subject")) != NULL)
			subject = render(replaced, 0, NULL, NULL, RENDER_HEADER);
		if ((replaced = authoob_jsonb_get_string(answer, "text")) != NULL)
			body_text = replaced;
		if ((replaced = authoob_jsonb_get_string(answer, "html")) != NULL)
			body_html = replaced;
	}

	domain = strchr(settings->email_sender, '@') + 1;
	args[0] = CStringGetTextDatum(kind);
	args[1] = Int64GetDatum(user_id);
	args[2] = CStringGetTextDatum(settings->email_sender);
	args[3] = CStringGetTextDatum(recipient);
	args[4] = CStringGetTextDatum(subject);
	args[5] = CStringGetTextDatum(body_text);
	args[6] = CStringGetTextDatum(body_html);
	/* stable per row: a retried delivery carries the same Message-ID */
	args[7] = CStringGetTextDatum(psprintf("<%s@%s>",
										   DatumGetCString(DirectFunctionCall1(uuid_out,
																			   DirectFunctionCall1(gen_random_uuid, (Datum) 0))),
										   domain));
	args[8] = CStringGetTextDatum(pending ? "pending" : "suppressed");
	authoob_run(&insert_mail, args, nulls, false);
	if (pending)
		authoob_notify_mailers();
}

/* Wake the mailers when the transaction commits.  Connected to SPI. */
void
authoob_notify_mailers(void)
{
	authoob_run(&notify_mailers, NULL, NULL, false);
}
