--
-- Forward auth: GET P/verify answers who a token stands for as the headers
-- a proxy (nginx auth_request, Traefik forwardAuth, Envoy ext_authz) passes
-- upstream, and 401 for a token that does not verify.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "Fwd@Example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS tok \gset
SELECT authoob_create_role('admin') IS NOT NULL AS created, authoob_create_role('billing') IS NOT NULL AS created;
SELECT authoob_grant_role(id, 'billing'), authoob_grant_role(id, 'admin') FROM authoob.users WHERE email = 'Fwd@Example.com';

-- the headers, with the session the token names
SELECT key, CASE WHEN key = 'X-Auth-Session-Id' THEN value::uuid IS NOT NULL::text ELSE value END AS value
FROM jsonb_each_text(authoob_verify_headers(:'tok')) ORDER BY key;
SELECT authoob_verify_headers(:'tok') ->> 'X-Auth-Session-Id' = s.jti::text AS names_its_session
FROM authoob.sessions s JOIN authoob.users u ON u.id = s.user_id WHERE u.email = 'Fwd@Example.com';
-- a user without roles: an empty list
SELECT authoob_register('{"email": "plain@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS plain \gset
SELECT authoob_verify_headers(:'plain') ->> 'X-Auth-User-Roles' AS no_roles;

-- what does not verify is 401, whatever it is
SELECT test.outcome($$ SELECT authoob_verify_headers(NULL) $$);
SELECT test.outcome($$ SELECT authoob_verify_headers('') $$);
SELECT test.outcome($$ SELECT authoob_verify_headers('not.a.token') $$);
SELECT authoob_logout(:'plain') IS NULL AS logged_out;
SELECT test.outcome(format($$ SELECT authoob_verify_headers(%L) $$, :'plain'));
UPDATE authoob.users SET active = false WHERE email = 'Fwd@Example.com';
SELECT test.outcome(format($$ SELECT authoob_verify_headers(%L) $$, :'tok'));

-- the front's role may call it; PUBLIC may not
SELECT has_function_privilege('authoob_api', 'authoob_verify_headers(text)', 'EXECUTE') AS api,
       has_function_privilege('public', 'authoob_verify_headers(text)', 'EXECUTE') AS public;
