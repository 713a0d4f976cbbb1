-- Sign-ins with an identity provider under way (docs/identity-providers.md):
-- from P/authorize or G/authorize to the callback, ten minutes at most.
-- The state sent to the provider and the cookie of the browser that
-- started are kept as their SHA-256 only; the callback must bring both,
-- and spends the row.  nonce goes into the ID token; code_verifier is
-- the PKCE secret towards the provider (owner-only, as the table).  The
-- app's own PKCE challenge (Supabase Auth's flow) waits here until the
-- sign-in gives it a code.  link_user_id: a signed-in user adding this
-- identity to their account (linkIdentity), whose flow waits for a browser
-- (browser_hash null) until one opens the one-time URL of start_hash: a
-- link is asked by a script with the user's token, whose answer cannot
-- set the browser's cookie (docs/identity-providers.md, "Linking and
-- unlinking").
CREATE TABLE authoob.oauth_flows (
    state_hash bytea PRIMARY KEY,
    browser_hash bytea,
    start_hash bytea UNIQUE CHECK ((start_hash IS NULL) = (browser_hash IS NOT NULL)),
    provider text NOT NULL REFERENCES authoob.identity_providers ON UPDATE CASCADE ON DELETE CASCADE,
    dialect text NOT NULL CHECK (dialect IN ('authoob', 'gotrue')),
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    redirect_to text NOT NULL,
    code_challenge text CHECK (code_challenge ~ '^[A-Za-z0-9._~-]{43,128}$'),
    code_challenge_method text CHECK (code_challenge_method IN ('s256', 'plain')),
    link_user_id bigint REFERENCES authoob.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_flows_created_at_idx ON authoob.oauth_flows (created_at);
REVOKE ALL ON authoob.oauth_flows FROM PUBLIC;
