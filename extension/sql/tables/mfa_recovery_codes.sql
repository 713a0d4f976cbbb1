-- Recovery codes (P/mfa/*, authoob's own dialect: Supabase Auth has
-- none): ten made at each enrolment, shown once, kept only as their
-- SHA-256, each spent once (used_at).  They stand in for a verified
-- factor, and do nothing for a user who has none.
CREATE TABLE authoob.mfa_recovery_codes (
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
REVOKE ALL ON authoob.mfa_recovery_codes FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mfa_recovery_codes', '');
