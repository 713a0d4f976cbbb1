-- A user's identities at identity providers (docs/identity-providers.md):
-- the provider's subject always finds the same user, whatever address
-- the provider tells later.  claims are what the provider said at the
-- last sign-in (the ID token's claims, or the userinfo answer).  A
-- provider with identities cannot be removed (RESTRICT): its users would
-- lose their way in without a word.
CREATE TABLE authoob.identities (
    id uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    provider text NOT NULL REFERENCES authoob.identity_providers ON UPDATE CASCADE ON DELETE RESTRICT,
    subject text NOT NULL CHECK (subject <> ''),
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    email text,
    claims jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user_id_idx ON authoob.identities (user_id);
REVOKE ALL ON authoob.identities FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.identities', '');
