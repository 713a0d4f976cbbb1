-- Brute-force limits (docs/security.md).  Failed attempts: per account
-- (scope login, key the lower-cased address, known or not, so that a
-- block tells nothing about who is registered), per client for logins
-- (ip) and for mailed tokens (token).  Also password/ask requests per
-- address (ask; window_start is the last reset mail allowed) and per
-- client (ask_ip).  And every password hash, whatever its outcome: per
-- client (hash_ip, registrations and sign-ins) and per account (sign_in,
-- sign-ins).  And a second factor's wrong codes (mfa, key the factor's
-- id, or "recovery:" and the user's id for recovery codes).  The owner may read and clear it (authoob_clear_throttle).
CREATE TABLE authoob.throttle (
    scope text NOT NULL,
    key text NOT NULL,
    consecutive integer NOT NULL DEFAULT 0,     -- failures since the last success
    window_start timestamptz NOT NULL DEFAULT now(),
    window_failures integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz,
    PRIMARY KEY (scope, key),
    CONSTRAINT throttle_scope_check
        CHECK (scope IN ('login', 'ip', 'token', 'ask', 'ask_ip', 'hash_ip', 'sign_in', 'mfa'))
);
CREATE INDEX throttle_last_failure_at_idx ON authoob.throttle (last_failure_at);
REVOKE ALL ON authoob.throttle FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.throttle', '');
