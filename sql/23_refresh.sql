--
-- The token endpoint (POST P/token): grant_type password and refresh_token,
-- refresh tokens rotated at each use, their reuse, and sessions' limits.
-- The front calls it through authoob_attempt('token', ...), which counts
-- failures and ends the session of a replayed refresh token; the
-- grant_type of its query string joins the body there.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "refresh@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT id AS uid FROM authoob.users WHERE email = 'refresh@example.com' \gset

-- grant_type password signs in as login does and opens a session that
-- refresh tokens keep alive; the answer carries both tokens and the user.
CALL authoob_attempt('token', '{"email": "refresh@example.com", "password": "1Password"}', '192.0.2.1', 'password', NULL, NULL) \gset called_
SELECT :'called_response'::jsonb ? 'refresh_token' AS through_attempt;
SELECT authoob_token_grant('{"grant_type": "password", "email": "refresh@example.com", "password": "1Password"}') AS g \gset
SELECT array_agg(k ORDER BY k) AS keys FROM jsonb_object_keys(:'g'::jsonb) k;
SELECT j ->> 'token_type' AS token_type, (j ->> 'expires_in')::int AS expires_in,
       abs((j ->> 'expires_at')::bigint - extract(epoch FROM now())::bigint - 86400) < 60 AS expires_at,
       length(j ->> 'refresh_token') AS refresh_length, j -> 'user' ->> 'email' AS email,
       authoob_verify(j ->> 'access_token') = :uid AS verified
FROM (SELECT :'g'::jsonb AS j) g;
-- stored only as SHA-256; the session has its own secret, owner-only
SELECT count(*) AS stored_plain FROM authoob.refresh_tokens WHERE token_hash = convert_to(:'g'::jsonb ->> 'refresh_token', 'UTF8');
SELECT count(*) AS stored_hashed FROM authoob.refresh_tokens WHERE token_hash = sha256(convert_to(:'g'::jsonb ->> 'refresh_token', 'UTF8'));
SELECT :'g'::jsonb ->> 'refresh_token' AS r1, test.claims(:'g'::jsonb ->> 'access_token') ->> 'session_id' AS sid \gset
SELECT refreshed_at IS NOT NULL AS refreshable, expires_at = 'infinity' AS no_limit, length(refresh_secret) AS secret_bytes
FROM authoob.sessions WHERE jti = :'sid';

-- grant_type refresh_token: a new access token in the same session, and the
-- next refresh token (the one used is spent).
SELECT authoob_token_grant(format('{"grant_type": "refresh_token", "refresh_token": "%s"}', :'r1')) AS g2 \gset
SELECT :'g2'::jsonb ->> 'refresh_token' AS r2 \gset
SELECT :'r2' <> :'r1' AS rotated,
       test.claims(:'g2'::jsonb ->> 'access_token') ->> 'session_id' = :'sid' AS same_session,
       authoob_verify(:'g2'::jsonb ->> 'access_token') = :uid AS verified,
       (SELECT count(*) FROM authoob.sessions WHERE user_id = :uid) AS sessions;
-- The same token again within refresh_reuse_interval (two tabs refreshing
-- at once): the same successor, nothing ended.
SELECT authoob_token_grant(format('{"grant_type": "refresh_token", "refresh_token": "%s"}', :'r1')) ->> 'refresh_token' = :'r2' AS same_successor;
-- Later, it is a replay: 401, and the whole session ends (its access and
-- refresh tokens with it).
UPDATE authoob.refresh_tokens SET rotated_at = rotated_at - interval '1 minute'
WHERE token_hash = sha256(convert_to(:'r1', 'UTF8'));
CALL authoob_attempt('token', format('{"refresh_token": "%s"}', :'r1'), '192.0.2.1', 'refresh_token', NULL);
SELECT count(*) AS session_left FROM authoob.sessions WHERE jti = :'sid';
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'g2'::jsonb ->> 'access_token'));
SELECT test.outcome(format($$ SELECT authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": "%s"}') $$, :'r2'));

-- The query string's grant_type, when the body has none (POST P/token?grant_type=...).
SELECT authoob_token_request('{"email": "refresh@example.com"}', 'password')::jsonb AS with_query_grant;
SELECT authoob_token_request('{"grant_type": "refresh_token"}', 'password')::jsonb AS body_wins;
SELECT authoob_token_request(NULL, NULL) IS NULL AS nothing_at_all;
SELECT authoob_token_request(NULL, 'password') AS no_body, authoob_token_request('[1]', 'password') AS not_an_object,
       authoob_token_request('{"a": 1}', NULL) AS no_query_grant;
SELECT authoob_token_grant('{"email": "refresh@example.com", "password": "1Password"}', NULL, 'password') ? 'refresh_token' AS query_grant;

-- Bad input: 400 "Missing data" (no grant, unknown grant, missing or
-- non-string fields), 401 "Authentication failed" (wrong password, unknown
-- or malformed refresh token); nothing changes.
SELECT count(*) AS sessions_before FROM authoob.sessions \gset
SELECT left(v, 70) AS body, test.outcome(format($$ SELECT authoob_token_grant(%L, NULL, %L) $$, v, q)) AS outcome
FROM (VALUES ('{}', NULL), ('{"grant_type": "client_credentials"}', NULL), ('{"grant_type": 1}', NULL),
             ('{"email": "refresh@example.com", "password": "1Password"}', E'\x7f'),
             ('not json', 'password'), ('{"grant_type": "password"}', NULL),
             ('{"grant_type": "password", "email": "refresh@example.com", "password": "wrong"}', NULL),
             ('{"grant_type": "refresh_token"}', NULL), ('{"grant_type": "refresh_token", "refresh_token": 5}', NULL),
             ('{"grant_type": "refresh_token", "refresh_token": "short"}', NULL),
             ('{"grant_type": "refresh_token", "refresh_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}', NULL),
             ('{"grant_type": "refresh_token", "refresh_token": "' || repeat('A', 100000) || '"}', NULL),
             ('{"grant_type": "refresh_token", "refresh_token": "a\u0000b"}', NULL)) t(v, q);
SELECT count(*) = :sessions_before AS nothing_changed FROM authoob.sessions;

-- A password change ends every session, refresh tokens included.
SELECT authoob_token_grant('{"grant_type": "password", "email": "refresh@example.com", "password": "1Password"}') AS g3 \gset
SELECT authoob_reset_password(:'g3'::jsonb ->> 'access_token', '{"password1": "2Password", "password2": "2Password"}') IS NULL AS changed;
SELECT test.outcome(format($$ SELECT authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": "%s"}') $$,
                           :'g3'::jsonb ->> 'refresh_token'));

-- session_ttl and inactivity_timeout: an expired session refuses its
-- tokens and refresh tokens.
SELECT authoob_configure('{"session_ttl": 3600, "inactivity_timeout": 600}') ->> 'session_ttl' AS session_ttl;
SELECT authoob_token_grant('{"grant_type": "password", "email": "refresh@example.com", "password": "2Password"}') AS g4 \gset
SELECT abs(extract(epoch FROM expires_at - now()) - 600) < 5 AS ends_after_inactivity
FROM authoob.sessions WHERE jti = (test.claims(:'g4'::jsonb ->> 'access_token') ->> 'session_id')::uuid;
UPDATE authoob.sessions SET expires_at = now() - interval '1 second'
WHERE jti = (test.claims(:'g4'::jsonb ->> 'access_token') ->> 'session_id')::uuid;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'g4'::jsonb ->> 'access_token'));
SELECT test.outcome(format($$ SELECT authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": "%s"}') $$,
                           :'g4'::jsonb ->> 'refresh_token'));
-- login's sessions end with their token, as in 0.1, within the limits
SELECT authoob_login('{"email": "refresh@example.com", "password": "2Password"}') ->> 'token' AS l \gset
SELECT abs(extract(epoch FROM expires_at - now()) - 600) < 5 AS login_session_limited, refreshed_at IS NULL AS not_refreshable
FROM authoob.sessions WHERE jti = (test.claims(:'l') ->> 'session_id')::uuid;
