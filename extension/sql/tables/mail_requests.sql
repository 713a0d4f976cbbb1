-- password/ask (and Supabase Auth's resend) records every request the same
-- way, for a registered address or not, so that neither its answer nor its
-- time tells who is registered; authoob_mail_prepare(), which every
-- mailer's claim runs, makes the mails of registered addresses and drops
-- the others.  flow_id: the PKCE flow the request started, which the
-- token of its mail will carry (authoob.mail_tokens).  gotrue: a request
-- of Supabase Auth's dialect, whose mail carries that dialect's link and a
-- code; redirect_to: where its link leads (an allowed URL, or app_url).
-- signup: a magic link's request that may make the account of an unknown
-- address (sign-up by code, otp_signup), the new user's user_metadata;
-- null for any other request.
CREATE TABLE authoob.mail_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('reset', 'activation', 'magiclink', 'email_change')),
    email text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    flow_id bigint,
    gotrue boolean NOT NULL DEFAULT false,
    redirect_to text,
    signup jsonb
);
REVOKE ALL ON authoob.mail_requests FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_requests', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_requests_id_seq', '');
