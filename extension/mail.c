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

/*
 * {{ .Data }} is the user_metadata of Supabase Auth's user object: the
 * seed's name fields that are set, and the free-form keys of its own
 * column where the schema has one (0.3).  Custom fields are not in it.
 */
static AuthoobQuery template_and_user = AUTHOOB_QUERY(
	"SELECT t.subject, t.body_text, t.body_html,"
	" u.email, u.username, u.firstname, u.lastname,"
	" jsonb_strip_nulls(jsonb_build_object("
	"  'username', u.username, 'firstname', u.firstname, 'lastname', u.lastname))"
	"  || coalesce(to_jsonb(u) -> 'user_metadata', '{}')"
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

/* The variables of a template, by name, and {{ .Data.<key> }}'s object */
typedef struct TemplateVars
{
	int			count;
	const char *const *names;
	const char *const *values;	/* NULL: empty */
	Jsonb	   *data;
} TemplateVars;

/*
 * The value of the variable written name[0..len) (spaces around it
 * ignored, as Go's templates do), or false for a name it does not know.
 * A {{ .Data.<key> }} of no such key is empty; a value not a string is
 * its JSON.
 */
static bool
lookup_var(const char *name, size_t len, const TemplateVars *vars, const char **value)
{
	static const char data_prefix[] = ".Data.";

	while (len > 0 && *name == ' ')
		name++, len--;
	while (len > 0 && name[len - 1] == ' ')
		len--;
	for (int i = 0; i < vars->count; i++)
		if (len == strlen(vars->names[i]) && strncmp(name, vars->names[i], len) == 0)
		{
			*value = vars->values[i];
			return true;
		}
	if (vars->data && len > strlen(data_prefix) &&
		strncmp(name, data_prefix, strlen(data_prefix)) == 0)
	{
		char	   *key = pnstrdup(name + strlen(data_prefix), len - strlen(data_prefix));
		JsonbValue *found = authoob_object_value(vars->data, key);

		if (found == NULL || found->type == jbvNull)
			*value = NULL;
		else if (found->type == jbvString)
			*value = pnstrdup(found->val.string.val, found->val.string.len);
		else
		{
			Jsonb	   *json = JsonbValueToJsonb(found);

			*value = JsonbToCString(NULL, &json->root, VARSIZE(json));
		}
		return true;
	}
	return false;
}

/*
 * Replace each {{name}} of template with its value (NULL values become
 * empty); unknown names stay as written.
 */
static char *
render(const char *template, const TemplateVars *vars, RenderMode mode)
{
	StringInfoData out;
	const char *p = template;

	initStringInfo(&out);
	while (*p)
	{
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		const char *value;

		/* the template's own text: as written, but a subject stays one line */
		RenderMode	literal = (mode == RENDER_HEADER) ? RENDER_HEADER : RENDER_TEXT;

		if (close == NULL)
		{
			append_text(&out, p, strlen(p), literal);
			break;
		}
		append_text(&out, p, open - p, literal);
		if (vars && lookup_var(open + 2, close - open - 2, vars, &value))
			append_text(&out, value ? value : "", value ? strlen(value) : 0, mode);
		else
			append_text(&out, open, close + 2 - open, literal);
		p = close + 2;
	}
	return out.data;
}

/*
 * Queue mail, rendered from its template, unless its mail hook cancels it.
 * Supabase Auth's variables are there in every template: an authoob
 * mail's {{ .TokenHash }} is its token too (verifyOtp takes it), its
 * {{ .Token }} empty (only the dialect's mails carry a code).  The caller
 * is connected to SPI.
 */
void
authoob_queue_mail(const AuthoobMail *mail, const AuthoobSettings *settings)
{
	static const char *const names[] = {
		"link", "email", "username", "firstname", "lastname", "app_url",
		".ConfirmationURL", ".Email", ".Token", ".TokenHash", ".SiteURL",
		".RedirectTo", ".Data", ".NewEmail"
	};
	const char *values[lengthof(names)];
	TemplateVars vars = {lengthof(names), names, values, NULL};
	Datum		args[9];
	char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	const char *domain;
	const char *recipient;
	char	   *subject;
	char	   *body_text;
	char	   *body_html;
	Jsonb	   *answer;
	bool		pending = !settings->prevent_mail_send;

	authoob_require_setting(settings->email_sender, "email_sender");

	args[0] = CStringGetTextDatum(mail->kind);
	args[1] = Int64GetDatum(mail->user_id);
	if (authoob_run(&template_and_user, args, NULL, false) != 1)
		elog(ERROR, "authoob: no mail template \"%s\" or no user " INT64_FORMAT,
			 mail->kind, mail->user_id);

	values[0] = mail->link;
	for (int i = 1; i <= 4; i++)
		values[i] = authoob_result_text(3 + i);
	values[5] = settings->app_url;
	values[6] = mail->link;
	values[7] = values[1];
	values[8] = mail->code;
	values[9] = mail->token;
	values[10] = settings->app_url;
	values[11] = mail->redirect_to;
	vars.data = DatumGetJsonbP(authoob_result_datum(8, &isnull));
	values[12] = JsonbToCString(NULL, &vars.data->root, VARSIZE(vars.data));
	values[13] = mail->new_email;
	subject = render(authoob_result_text(1), &vars, RENDER_HEADER);
	body_text = render(authoob_result_text(2), &vars, RENDER_TEXT);
	body_html = render(authoob_result_text(3), &vars, RENDER_HTML);
	recipient = mail->new_email && !mail->to_old ? mail->new_email : values[1];

	/* the mail hook may replace the mail, or cancel it */
	answer = mail->no_hook ? NULL :
		authoob_fire_hook(mail->hook,
						  &(AuthoobHookArgs) {.user_id = mail->user_id, .link = mail->link});
	if (answer)
	{
		char	   *replaced;

		if (authoob_jsonb_is_false(answer, "send"))
			return;
		if ((replaced = authoob_jsonb_get_string(answer, "subject")) != NULL)
			subject = render(replaced, NULL, RENDER_HEADER);
		if ((replaced = authoob_jsonb_get_string(answer, "text")) != NULL)
			body_text = replaced;
		if ((replaced = authoob_jsonb_get_string(answer, "html")) != NULL)
			body_html = replaced;
	}

	domain = strchr(settings->email_sender, '@') + 1;
	args[0] = CStringGetTextDatum(mail->kind);
	args[1] = Int64GetDatum(mail->user_id);
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
