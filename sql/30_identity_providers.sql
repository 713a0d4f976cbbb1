--
-- Identity providers (docs/identity-providers.md): the owner adds, changes
-- and removes them with SQL functions that check what goes in; the client
-- secret is the owner's alone, and a provider with identities stays.
--
\i sql/fixtures/setup.psql

-- an OpenID Connect provider is named by its issuer; its URLs come from
-- its discovery document
SELECT authoob_add_identity_provider('corp', '{"kind": "oidc", "issuer": "https://id.example.com",
    "client_id": "authoob", "client_secret": "s3cret"}') - 'created_at' - 'updated_at' AS p \gset
SELECT jsonb_pretty(:'p'::jsonb) AS corp;
-- a plain OAuth 2.0 provider of GitHub's shape gives its URLs, and no scope openid
SELECT p ->> 'scopes' = '' AS no_scopes, p ->> 'kind' AS kind, p ? 'client_secret' AS shows_secret
FROM authoob_add_identity_provider('github', '{"kind": "oauth2",
    "authorization_url": "https://github.com/login/oauth/authorize",
    "token_url": "https://github.com/login/oauth/access_token",
    "userinfo_url": "https://api.github.com/user", "client_id": "Iv1.abc", "client_secret": "gh",
    "token_auth_method": "client_secret_post"}') AS p;
-- a provider on this machine may speak plain http (the tests' provider)
SELECT authoob_add_identity_provider('local', '{"kind": "oidc", "issuer": "http://127.0.0.1:9100/oidc",
    "client_id": "authoob"}') ->> 'issuer' AS loopback_issuer;

-- what is refused, and why
\set VERBOSITY default
SELECT authoob_add_identity_provider('corp', '{"kind": "oidc", "issuer": "https://other.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('plain', '{"kind": "oidc", "issuer": "http://id.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('sneaky', '{"kind": "oidc", "issuer": "http://127.0.0.1.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('frag', '{"kind": "oidc", "issuer": "https://id.example.com#x", "client_id": "x"}');
SELECT authoob_add_identity_provider('js', '{"kind": "oauth2", "authorization_url": "javascript:alert(1)",
    "token_url": "https://x.example.com/t", "userinfo_url": "https://x.example.com/u", "client_id": "x"}');
SELECT authoob_add_identity_provider('half', '{"kind": "oauth2", "authorization_url": "https://x.example.com/a", "client_id": "x"}');
SELECT authoob_add_identity_provider('noissuer', '{"kind": "oidc", "client_id": "x"}');
SELECT authoob_add_identity_provider('Bad Name', '{"kind": "oidc", "issuer": "https://id.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('typo', '{"kind": "oidc", "isuer": "https://id.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('types', '{"kind": "oidc", "issuer": "https://id.example.com", "client_id": "x", "enabled": "maybe"}');
SELECT authoob_add_identity_provider('noopenid', '{"kind": "oidc", "issuer": "https://id.example.com", "client_id": "x", "scopes": "email"}');
SELECT authoob_add_identity_provider('what', '{"kind": "saml", "issuer": "https://id.example.com", "client_id": "x"}');
SELECT authoob_add_identity_provider('arr', '[]');
\set VERBOSITY terse
SELECT count(*) AS providers FROM authoob.identity_providers;

-- a change touches only the keys given; a new issuer forgets what was read from the old one
UPDATE authoob.identity_providers SET discovery = '{"issuer": "https://id.example.com"}', jwks = '{"keys": []}' WHERE name = 'corp';
SELECT p ->> 'scopes' AS scopes, p ->> 'client_id' AS client_id, p ? 'discovery' AND p -> 'discovery' <> 'null' AS kept
FROM authoob_alter_identity_provider('corp', '{"scopes": "openid email"}') AS p;
SELECT p ->> 'issuer' AS issuer, p -> 'discovery' AS discovery, p -> 'jwks' AS jwks
FROM authoob_alter_identity_provider('corp', '{"issuer": "https://login.example.com"}') AS p;
SELECT client_secret FROM authoob.identity_providers WHERE name = 'corp';
\set VERBOSITY default
SELECT authoob_alter_identity_provider('corp', '{"kind": "oauth2"}');
SELECT authoob_alter_identity_provider('nobody', '{"enabled": false}');
\set VERBOSITY terse

-- the owner's alone: the API role reads no provider, no secret, no identity,
-- and may not add one
SET ROLE authoob_api;
SELECT client_secret FROM authoob.identity_providers;
SELECT * FROM authoob.identities;
SELECT authoob_add_identity_provider('mine', '{"kind": "oidc", "issuer": "https://evil.example.com", "client_id": "x"}');
RESET ROLE;

-- a provider with identities stays (its users would lose their way in)
INSERT INTO authoob.users (email, password, active) VALUES ('ada@example.com', 'x', true);
INSERT INTO authoob.identities (provider, subject, user_id, email)
SELECT 'github', '42', id, email FROM authoob.users WHERE email = 'ada@example.com';
INSERT INTO authoob.identities (provider, subject, user_id)
SELECT 'github', '42', id FROM authoob.users WHERE email = 'ada@example.com';
\set VERBOSITY default
SELECT authoob_remove_identity_provider('github');
\set VERBOSITY terse
SELECT authoob_alter_identity_provider('github', '{"enabled": false}') ->> 'enabled' AS enabled;
SELECT authoob_remove_identity_provider('local');
SELECT authoob_remove_identity_provider('local');
SELECT name FROM authoob.identity_providers ORDER BY name;

-- the database's requests to providers go to https://, or http:// to a
-- loopback address, however the URL spells its host; the API role may
-- not send one at all
SELECT u AS url, authoob_provider_fetch(u, NULL, NULL) AS answer
FROM unnest(ARRAY['http://10.0.0.1/token', 'http://127.0.0.1.evil.example/token',
                  'http://localhost@evil.example/token', 'file:///etc/passwd', 'gopher://127.0.0.1/',
                  'ftp://127.0.0.1/', 'http://[::ffff:10.0.0.1]/', 'not a url', '']) AS u;
SELECT authoob_provider_fetch('https://idp.example/token', NULL, E'Bearer x\r\nX-Evil: 1') AS answer;
-- a loopback address is asked (nobody listens on port 9 here)
SELECT authoob_provider_fetch('http://127.0.0.1:9/x', NULL, NULL) ->> 'error' LIKE '%connect%' AS loopback_asked;
SET ROLE authoob_api;
SELECT authoob_provider_fetch('https://idp.example/token', NULL, NULL);
RESET ROLE;
