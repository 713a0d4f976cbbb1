--
-- A user's sessions: GET P/sessions (authoob_sessions), DELETE
-- P/sessions/<id> (authoob_end_session), POST P/logout?scope=
-- (authoob_logout_scope).
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "a@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS a1 \gset
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}', '192.0.2.5') ->> 'token' AS a2 \gset
SELECT authoob_token_grant('{"grant_type": "password", "email": "a@example.com", "password": "1Password"}') ->> 'access_token' AS a3 \gset
SELECT authoob_register('{"email": "b@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS b1 \gset

-- The live sessions of the token's user, the current one marked.
SELECT jsonb_array_length(authoob_sessions(:'a2') -> 'sessions') AS sessions;
SELECT s ->> 'id' = test.claims(:'a2') ->> 'session_id' AS is_a2, s ->> 'ip' AS ip, s ->> 'aal' AS aal,
       s ->> 'current' AS current, s ->> 'refreshed_at' IS NOT NULL AS refreshable,
       s ? 'user_agent' AS has_user_agent, s ? 'created_at' AS has_created_at
FROM jsonb_array_elements(authoob_sessions(:'a2') -> 'sessions') s;

-- Ending one: one's own only; another user's id is not found, as an id that
-- never existed, and as anything that is not an id.
SELECT test.outcome(format($$ SELECT authoob_end_session(%L, %L) $$, :'a2', test.claims(:'b1') ->> 'session_id')) AS anothers;
SELECT test.outcome(format($$ SELECT authoob_end_session(%L, %L) $$, :'a2', gen_random_uuid())) AS unknown;
SELECT test.outcome(format($$ SELECT authoob_end_session(%L, %L) $$, :'a2', v)) AS not_an_id
FROM (VALUES ('x'), (''), (repeat('a', 100000)), ('{00000000-0000-0000-0000-000000000000}')) t(v);
SELECT authoob_verify(:'b1') IS NOT NULL AS b_untouched;
SELECT authoob_end_session(:'a2', test.claims(:'a1') ->> 'session_id') IS NULL AS ended;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a1')) AS a1;
SELECT test.outcome(format($$ SELECT authoob_end_session(%L, %L) $$, :'a2', test.claims(:'a1') ->> 'session_id')) AS again;

-- Logout by scope: others ends every other session, global all of them,
-- local (the default) this one; anything else is 400.
SELECT test.outcome(format($$ SELECT authoob_logout_scope(%L, 'everything') $$, :'a2')) AS bad_scope;
SELECT authoob_logout_scope(:'a2', 'others') IS NULL AS others;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a3')) AS a3,
       authoob_verify(:'a2') IS NOT NULL AS a2_kept, authoob_verify(:'b1') IS NOT NULL AS b_kept;
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}') ->> 'token' AS a4 \gset
SELECT authoob_logout_scope(:'a4', 'global') IS NULL AS global;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a2')) AS a2,
       test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a4')) AS a4;
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}') ->> 'token' AS a5 \gset
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}') ->> 'token' AS a6 \gset
SELECT authoob_logout_scope(:'a5', NULL) IS NULL AS local;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a5')) AS a5, authoob_verify(:'a6') IS NOT NULL AS a6_kept;
SELECT test.outcome(format($$ SELECT authoob_sessions(%L) $$, :'a5')) AS ended_token;

-- The user agent of a sign-in: the front passes the User-Agent header to
-- authoob_attempt, which joins it to the body it parses (over the body's
-- own "user_agent"), and the session keeps it, printable ASCII of at most
-- 255 characters.
CALL authoob_attempt('login', '{"email": "a@example.com", "password": "1Password", "user_agent": "mine"}', NULL, NULL, 'curl/8.0') \gset
SELECT s ->> 'user_agent' AS kept
FROM jsonb_array_elements(authoob_sessions(:'response'::jsonb ->> 'token') -> 'sessions') s WHERE (s ->> 'current')::boolean;
-- 0.2's fronts pass one body to 0.2's form of authoob_attempt, with the
-- User-Agent (and POST P/token's grant_type) written in by
-- authoob_sign_in_request.
SELECT authoob_sign_in_request('{"email": "a@example.com"}', NULL, 'curl/8.0') AS login_body;
SELECT authoob_sign_in_request('{"email": "a@example.com"}', 'password', 'curl/8.0') AS token_body;
SELECT authoob_sign_in_request('{"grant_type": "refresh_token"}', 'password', NULL) AS grant_kept;
SELECT authoob_sign_in_request('{"user_agent": "mine"}', NULL, 'header') AS header_wins;
SELECT authoob_sign_in_request('not json', NULL, 'curl/8.0') AS not_json_untouched;
SELECT authoob_sign_in_request(NULL, NULL, NULL) IS NULL AS no_body;
SELECT authoob_login(authoob_sign_in_request('{"email": "a@example.com", "password": "1Password"}',
       NULL, E'Mozilla/5.0 (X11; \u00e9)\x01\x7f')) ->> 'token' AS ua1 \gset
SELECT s ->> 'user_agent' AS kept
FROM jsonb_array_elements(authoob_sessions(:'ua1') -> 'sessions') s WHERE (s ->> 'current')::boolean;
SELECT authoob_token_grant(authoob_sign_in_request('{"email": "a@example.com", "password": "1Password"}',
       'password', repeat('x', 300) || 'y')) ->> 'access_token' AS ua2 \gset
SELECT length(s ->> 'user_agent') AS kept_length, s ->> 'user_agent' LIKE '%y' AS cut
FROM jsonb_array_elements(authoob_sessions(:'ua2') -> 'sessions') s WHERE (s ->> 'current')::boolean;
-- none, an empty one, or one that is not a string: no user agent
SELECT authoob_login('{"email": "a@example.com", "password": "1Password", "user_agent": 42}') ->> 'token' AS ua3 \gset
SELECT authoob_login('{"email": "a@example.com", "password": "1Password", "user_agent": ""}') ->> 'token' AS ua4 \gset
SELECT s ->> 'id' = test.claims(:'ua3') ->> 'session_id' AS ua3, s ->> 'user_agent' IS NULL AS none
FROM jsonb_array_elements(authoob_sessions(:'ua3') -> 'sessions') s
WHERE s ->> 'id' IN (test.claims(:'ua3') ->> 'session_id', test.claims(:'ua4') ->> 'session_id') ORDER BY 1;
