-- Identity providers (docs/identity-providers.md): where "sign in with
-- X" leads, one row each, the owner's (authoob_add_identity_provider and
-- its siblings validate what goes in).  An OpenID Connect provider is
-- named by its issuer: the URLs it leaves out come from its discovery
-- document, which the front reads and the row keeps (discovery), as the
-- provider's signing keys (jwks).  A plain OAuth 2.0 provider (GitHub's
-- shape) gives its authorization, token and userinfo URLs.  The table
-- is the owner's alone (no grant to any role): client_secret is read by
-- no one else and is never written to a log.
CREATE TABLE authoob.identity_providers (
    name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    kind text NOT NULL CHECK (kind IN ('oidc', 'oauth2')),
    issuer text,
    authorization_url text,
    token_url text,
    userinfo_url text,
    jwks_url text,
    client_id text NOT NULL CHECK (client_id <> ''),
    client_secret text,
    -- their defaults are authoob_identity_provider_row's
    token_auth_method text NOT NULL CHECK (token_auth_method IN ('client_secret_basic', 'client_secret_post')),
    scopes text NOT NULL,
    -- where the answer holds the address, and whether the provider checked it
    email_claim text NOT NULL,
    email_verified_claim text NOT NULL,
    enabled boolean NOT NULL,
    discovery jsonb,
    jwks jsonb,
    jwks_fetched_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'oauth2' OR issuer IS NOT NULL),
    CHECK (kind = 'oidc' OR (authorization_url IS NOT NULL AND token_url IS NOT NULL
                             AND userinfo_url IS NOT NULL))
);
REVOKE ALL ON authoob.identity_providers FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.identity_providers', '');
