-- The PKCE flow of a mailed link (docs/supabase.md): the client that
-- asked for the mail (sign-up, recovery, resend) sent the SHA-256 of a
-- secret it keeps, its code_challenge.  The link then leads to the app
-- with a one-time code (its hash stored here, valid five minutes), which
-- signs in only with that secret, the code_verifier.  A link's code
-- belongs to the flow of exactly the request that caused its mail
-- (authoob.mail_requests and authoob.mail_tokens carry it).  A magic
-- link's code does not spend its mailed token: the exchange does
-- (mail_token_hash), so that a mail scanner that opens the link first
-- leaves it to the user (docs/decisions.md).  An identity provider's
-- sign-in (kind oauth) keeps the provider's name for the session's amr;
-- a link's (linkIdentity) what the provider said, the identity added to
-- user_id only when the app that asked exchanges the code: a browser made
-- to finish someone else's link flow links nothing (docs/identity-providers.md).
CREATE TABLE authoob.flow_states (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('signup', 'recovery', 'oauth', 'magiclink')),
    code_challenge text CHECK (code_challenge ~ '^[A-Za-z0-9._~-]{43,128}$'),
    code_challenge_method text NOT NULL CHECK (code_challenge_method IN ('s256', 'plain')),
    created_at timestamptz NOT NULL DEFAULT now(),
    user_id bigint REFERENCES authoob.users ON DELETE CASCADE,
    auth_code_hash bytea UNIQUE,
    code_expires_at timestamptz,
    mail_token_hash bytea,
    provider text,
    link_claims jsonb
);
CREATE INDEX flow_states_email_idx ON authoob.flow_states (email, kind);
-- every request that mails a link removes the flows past their lifetime
CREATE INDEX flow_states_created_at_idx ON authoob.flow_states (created_at);
REVOKE ALL ON authoob.flow_states FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.flow_states', '');
