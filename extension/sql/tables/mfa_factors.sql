-- Second factors (docs/security.md, "Multi-factor authentication"): TOTP
-- authenticators a user enrolled, unverified until a first correct code.
-- secret is the raw key (owner-only, as the table: no role but the owner
-- reads it, and the user saw it once, at enrolment).  last_step is the
-- time step of the last code accepted: a code of that step or an earlier
-- one is refused, so that a code is spent once, even by two requests at
-- once (the UPDATE that takes it waits for the other's row lock and then
-- finds the step taken).
CREATE TABLE authoob.mfa_factors (
    id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    friendly_name text NOT NULL DEFAULT '' CHECK (length(friendly_name) <= 255),
    factor_type text NOT NULL DEFAULT 'totp' CHECK (factor_type = 'totp'),
    status text NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'verified')),
    secret bytea NOT NULL,
    last_step bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_factors_user_id_idx ON authoob.mfa_factors (user_id);
REVOKE ALL ON authoob.mfa_factors FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mfa_factors', '');
