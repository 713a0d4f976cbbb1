-- Activation, password-reset and magic link tokens: 256 random bits mailed to the user,
-- only their SHA-256 kept here.  Single use: used_at is set when spent.
-- flow_id: the PKCE flow of the request that caused the mail
-- (docs/supabase.md), whose client alone may exchange the code its link
-- gives.  No foreign key: a flow past its lifetime goes without touching
-- the tokens, and a token whose flow has gone follows the implicit flow.
-- code_hash: the mail of a Supabase Auth route carries a 6-digit code
-- beside its link (docs/supabase.md), kept only as an HMAC under
-- the secret key salted with token_hash; NULL for authoob's own mails.
-- new_email: an email_change token's address, which becomes the user's
-- when the token is spent (the mail went there).  A reauthentication's
-- nonce is such a code, of a token no mail carries.
CREATE TABLE authoob.mail_tokens (
    token_hash bytea PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('activation', 'reset', 'magiclink', 'email_change', 'reauthentication')),
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    flow_id bigint,
    code_hash bytea,
    new_email text
);
CREATE INDEX mail_tokens_user_id_idx ON authoob.mail_tokens (user_id, kind);
-- what authoob_housekeeping() looks for: a spent token's used_at (least()
-- skips a NULL), else its expiry
CREATE INDEX mail_tokens_spent_idx ON authoob.mail_tokens (least(expires_at, used_at));
REVOKE ALL ON authoob.mail_tokens FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_tokens', '');
