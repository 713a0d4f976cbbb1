-- Supabase Auth's challenges (POST G/factors/<id>/challenge): a code is
-- verified against one, from the address that asked for it, within
-- five minutes, once.
CREATE TABLE authoob.mfa_challenges (
    id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    factor_id uuid NOT NULL REFERENCES authoob.mfa_factors ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    ip inet,
    verified_at timestamptz
);
CREATE INDEX mfa_challenges_factor_id_idx ON authoob.mfa_challenges (factor_id);
REVOKE ALL ON authoob.mfa_challenges FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mfa_challenges', '');
