--
-- Linking and unlinking identities (docs/identity-providers.md, "Linking
-- and unlinking"): behind manual_linking, a signed-in user starts a link
-- flow, whose one-time URL binds it to the first browser that opens it,
-- and unlinks their own identities, never the last nor the address's,
-- never another user's.  The provider's way back is t/034's (over HTTP,
-- with auth-js and a provider the test plays).
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never

SELECT authoob_configure('{"jwt_sub": "uuid", "anonymous_signin": true}') IS NOT NULL AS configured;
SELECT authoob_add_identity_provider('github', '{"kind": "oauth2",
    "authorization_url": "https://github.com/login/oauth/authorize",
    "token_url": "https://github.com/login/oauth/access_token",
    "userinfo_url": "https://api.github.com/user", "client_id": "Iv1.abc", "client_secret": "gh"}') IS NOT NULL AS added;
SELECT authoob_gotrue_signup('{"email": "ada@example.com", "password": "1Password"}', '192.0.2.1')
    ->> 'access_token' AS ada \gset
SELECT authoob_gotrue_signup('{"email": "bob@example.com", "password": "1Password"}', '192.0.2.1')
    ->> 'access_token' AS bob \gset
SELECT authoob_gotrue_signup('{}', '192.0.2.1') ->> 'access_token' AS anon \gset
SELECT uuid AS ada_uuid FROM authoob.users WHERE email = 'ada@example.com' \gset

-- off (the default): GoTrue's answer, after the token
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, '{"provider": "github"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'ada', :'ada_uuid'));
SELECT test.failure($$ SELECT authoob_link_identity('gotrue', 'x', '{"provider": "github"}') $$) ~ '^PT401' AS token_first;
SELECT authoob_configure('{"manual_linking": true}') -> 'manual_linking' AS manual_linking;

-- a link: a one-time URL of authoob's own, the flow waiting for a browser
SELECT authoob_link_identity('gotrue', :'ada', '{"provider": "github", "skip_http_redirect": "true",
    "code_challenge": "0123456789012345678901234567890123456789abc"}') ->> 'url' AS link \gset
SELECT :'link' ~ '^https://api\.example\.com/auth/v1/authorize\?link=[A-Za-z0-9_-]{43}$' AS one_time_url;
SELECT authoob_link_identity('authoob', :'ada', '{"provider": "github",
    "code_challenge": "0123456789012345678901234567890123456789abc"}') - 'url' AS without_skip;
SELECT count(*) AS waiting, bool_and(browser_hash IS NULL AND start_hash IS NOT NULL) AS unbound,
       bool_and(link_user_id = (SELECT id FROM authoob.users WHERE email = 'ada@example.com')) AS adas
FROM authoob.oauth_flows;
-- the first browser to open it gets the cookie and goes to the provider
SELECT r ->> 'url' ~ '^https://github\.com/login/oauth/authorize\?response_type=code&client_id=Iv1\.abc&redirect_uri=https%3A%2F%2Fapi\.example\.com%2Fauth%2Fv1%2Fcallback&state=' AS to_github,
       r ->> 'cookie' ~ '^authoob_flow=[A-Za-z0-9_-]{43}; Path=/auth/v1/callback;' AS cookie
FROM authoob_oauth_authorize('gotrue', json_build_object('link', split_part(:'link', 'link=', 2))::text) AS r;
-- no other: the URL is spent
SELECT authoob_oauth_authorize('gotrue', json_build_object('link', split_part(:'link', 'link=', 2))::text) AS again;
SELECT authoob_oauth_authorize('gotrue', '{"link": "forged"}') AS forged;
SELECT count(*) FILTER (WHERE browser_hash IS NOT NULL) AS bound, count(*) AS flows FROM authoob.oauth_flows;
-- refused before any flow: no PKCE (a link is added only when the app
-- that asked exchanges its code), an unknown provider, a bad challenge, a
-- bad token
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, '{"provider": "github"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, '{"provider": "github",
    "code_challenge": "0123456789012345678901234567890123456789abc", "code_challenge_method": "plain"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, '{"provider": "nobody"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, '{"provider": "github", "code_challenge": "short"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_link_identity('gotrue', %L, 'not json') $$, :'ada')) ~ '^PT400' AS bad_json;
SELECT count(*) AS flows FROM authoob.oauth_flows;

-- unlinking: ada has her address's identity and one at github, bob none
INSERT INTO authoob.identities (provider, subject, user_id, email)
SELECT 'github', '42', id, email FROM authoob.users WHERE email = 'ada@example.com';
INSERT INTO authoob.identities (provider, subject, user_id)
SELECT 'github', '43', id FROM authoob.users WHERE email IS NULL;
SELECT id AS ada_github FROM authoob.identities WHERE subject = '42' \gset
SELECT id AS anon_github FROM authoob.identities WHERE subject = '43' \gset
SELECT jsonb_path_query_array(authoob_gotrue_user(:'ada')::jsonb, '$.identities[*].provider') AS ada_identities,
       authoob_gotrue_user(:'ada')::jsonb -> 'app_metadata' -> 'providers' AS ada_providers,
       authoob_gotrue_user(:'anon')::jsonb -> 'app_metadata' AS anon_app_metadata;
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, 'not-a-uuid') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, NULL) $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'ada', repeat('a', 100000)));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'bob', :'ada_github'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'anon', :'anon_github'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'ada', :'anon_github'));
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'ada', :'ada_uuid'));
SELECT count(*) AS identities FROM authoob.identities;
SELECT authoob_unlink_identity(:'ada', :'ada_github', '192.0.2.9') AS unlinked;
SELECT count(*) AS identities FROM authoob.identities;
SELECT actor = :'ada_uuid' AS by_ada, action, ip_address, payload - 'identity_id' AS payload,
       payload ->> 'identity_id' = :'ada_github' AS its_id
FROM authoob.audit_log WHERE action LIKE 'identity%';
SELECT test.failure(format($$ SELECT authoob_unlink_identity(%L, %L) $$, :'ada', :'ada_github'));
