-- Mail templates per kind: activation and reset for authoob's own routes,
-- signup, recovery and invite (Supabase Auth's names) for the mails its
-- dialect's routes cause, which carry that dialect's link and a 6-digit
-- code; magiclink for passwordless sign-in in both dialects (a link and a
-- code); email_change to a new address (a link and a code; {{ .NewEmail }})
-- and email_change_notice to the old one.
-- {{link}}, {{email}}, {{username}}, {{firstname}}, {{lastname}} and
-- {{app_url}} are replaced, and Supabase Auth's {{ .ConfirmationURL }},
-- {{ .Token }}, {{ .TokenHash }}, {{ .SiteURL }}, {{ .RedirectTo }},
-- {{ .Email }}, {{ .Data }} and {{ .Data.<key> }}; HTML-escaped in
-- body_html (the dialect's rows: rows/mail_templates_gotrue.sql).  pg_dump keeps them; a restored row takes the place of the
-- one CREATE EXTENSION made (authoob_replace_on_insert).
CREATE TABLE authoob.mail_templates (
    kind text PRIMARY KEY CHECK (kind IN ('activation', 'reset', 'signup', 'recovery', 'invite', 'reauthentication', 'magiclink', 'email_change', 'email_change_notice')),
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL
);
INSERT INTO authoob.mail_templates VALUES
('activation',
 'Activate your account',
 E'Hello,\n\nPlease activate your account by opening this link:\n\n{{link}}\n\nIf you did not register, ignore this mail.\n',
 E'<p>Hello,</p>\n<p>Please activate your account by opening this link:</p>\n<p><a href="{{link}}">{{link}}</a></p>\n<p>If you did not register, ignore this mail.</p>\n'),
('reset',
 'Reset your password',
 E'Hello,\n\nSomeone asked to reset the password of {{email}}. To choose a new one, open:\n\n{{link}}\n\nIf it was not you, ignore this mail: your password stays as it is.\n',
 E'<p>Hello,</p>\n<p>Someone asked to reset the password of {{email}}. To choose a new one, open:</p>\n<p><a href="{{link}}">{{link}}</a></p>\n<p>If it was not you, ignore this mail: your password stays as it is.</p>\n');
CREATE TRIGGER mail_templates_replace BEFORE INSERT ON authoob.mail_templates
    FOR EACH ROW EXECUTE FUNCTION @extschema@.authoob_replace_on_insert();
REVOKE ALL ON authoob.mail_templates FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_templates', '');
