-- A session is a sign-in (docs/sql-api.md, "Sessions, refresh tokens and
-- claims"): every valid access token names one (session_id; 0.1's tokens, their
-- jti), and deleting the row is how logout and password changes end its
-- tokens.  The row keeps its 0.1 name and key: jti is the session's id.
-- expires_at is when the session ends.  A session opened by the token
-- endpoint (POST P/token) can be refreshed: refreshed_at is its last
-- refresh, refresh_secret the key its refresh tokens are derived with
-- (owner-only, as the table).  aal is aal2 once a second factor was
-- verified in it: mfa_method ('totp' or 'recovery_code') at mfa_at, which
-- tokens' amr list beside the password.  sign_in_method: how the session
-- was opened when not by a password (a mailed code or magic link, an
-- identity provider: sign_in_provider names it), the first method of its
-- tokens' amr.
CREATE TABLE authoob.sessions (
    jti uuid PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip inet,
    refreshed_at timestamptz,
    aal text NOT NULL DEFAULT 'aal1' CHECK (aal IN ('aal1', 'aal2')),
    user_agent text,
    refresh_secret bytea,
    mfa_method text CHECK (mfa_method IN ('totp', 'recovery_code')),
    mfa_at timestamptz,
    sign_in_method text CHECK (sign_in_method IN ('otp', 'magiclink', 'oauth')),
    sign_in_provider text,
    CONSTRAINT sessions_sign_in_provider_check
        CHECK ((coalesce(sign_in_method, '') = 'oauth') = (sign_in_provider IS NOT NULL))
);
CREATE INDEX sessions_user_id_idx ON authoob.sessions (user_id);
-- what authoob_housekeeping() looks for
CREATE INDEX sessions_expires_at_idx ON authoob.sessions (expires_at);
REVOKE ALL ON authoob.sessions FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.sessions', '');
