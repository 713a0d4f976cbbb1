--
-- Reauthentication (docs/supabase.md, "Reauthentication"): GET
-- G/reauthenticate mails a signed-in user a 6-digit nonce; with
-- secure_password_change, updateUser({password}) needs it unless the
-- session signed in within a day.  The nonce is single use, kept as an
-- HMAC, expires, and a wrong one counts against the user.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never

SELECT authoob_configure('{"anonymous_signin": true, "reset_mail_interval": 60}') IS NOT NULL AS configured;
SELECT authoob_gotrue_signup('{"email": "ada@example.com", "password": "1Password"}', '192.0.2.1')
    ->> 'access_token' AS ada \gset
SELECT authoob_gotrue_signup('{"email": "bob@example.com", "password": "1Password"}', '192.0.2.1')
    ->> 'access_token' AS bob \gset
SELECT id AS ada_id FROM authoob.users WHERE email = 'ada@example.com' \gset

-- The nonce is mailed with GoTrue's template, and kept only as an HMAC.
SELECT authoob_gotrue_reauthenticate(:'ada') AS answer;
SELECT kind, recipient, subject, body_text ~ 'Enter the code: [0-9]{6}\n' AS carries_code
FROM authoob.mail_outbox;
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS nonce FROM authoob.mail_outbox
WHERE kind = 'reauthentication' \gset
SELECT count(*) AS tokens, bool_and(code_hash IS NOT NULL AND position(convert_to(:'nonce', 'UTF8') IN code_hash) = 0) AS hashed,
       bool_and(expires_at = created_at + interval '1 hour') AS one_hour
FROM authoob.mail_tokens WHERE kind = 'reauthentication';
-- one mail a reset_mail_interval, as resend: GoTrue's 429
SELECT regexp_replace(test.failure(format($$ SELECT authoob_gotrue_reauthenticate(%L) $$, :'ada')),
    '(after |"Retry-After": ")[0-9]+', '\1N', 'g') AS throttled;
-- GoTrue's refusals: no address (an anonymous user), not confirmed, no token
SELECT authoob_gotrue_signup('{}', '192.0.2.2') ->> 'access_token' AS anon \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_reauthenticate(%L) $$, :'anon'));
UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'bob@example.com';
SELECT test.failure(format($$ SELECT authoob_gotrue_reauthenticate(%L) $$, :'bob'));
UPDATE authoob.users SET confirmed_at = now() WHERE email = 'bob@example.com';
SELECT test.failure($$ SELECT authoob_gotrue_reauthenticate('x') $$) ~ '^PT401' AS bad_token;

-- secure_password_change off: no nonce needed (the default)
SELECT authoob_settings() -> 'secure_password_change' AS secure_password_change;
-- on: a session signed in within a day still needs none (GoTrue's window)
SELECT authoob_configure('{"secure_password_change": true}') -> 'secure_password_change' AS secure_password_change;
SELECT authoob_gotrue_update_user(:'bob', '{"password": "2Password"}') ->> 'email' AS changed_without_nonce;
SELECT authoob_gotrue_token('{"grant_type": "password", "email": "bob@example.com", "password": "2Password"}')
    ->> 'access_token' AS bob \gset
-- older sessions need the nonce: none, a wrong one, another user's
UPDATE authoob.sessions SET created_at = now() - interval '25 hours';
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "3Password"}') $$, :'ada'));
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "3Password", "nonce": "%s"}') $$,
    :'ada', lpad(((:'nonce'::int + 1) % 1000000)::text, 6, '0')));
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "3Password", "nonce": "%s"}') $$,
    :'bob', :'nonce'));
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "3Password", "nonce": "12345x"}') $$, :'ada'));
-- data alone needs no nonce
SELECT authoob_gotrue_update_user(:'ada', '{"data": {"theme": "dark"}}') -> 'user_metadata' AS user_metadata;
-- the right one: the password changes (every session ends, as always)
SELECT authoob_gotrue_update_user(:'ada', format('{"password": "3Password", "nonce": "%s"}', :'nonce')) ->> 'email' AS changed;
SELECT count(*) AS ada_sessions FROM authoob.sessions WHERE user_id = :ada_id;
-- spent: no second use, even in a new old session
SELECT authoob_gotrue_token('{"grant_type": "password", "email": "ada@example.com", "password": "3Password"}')
    ->> 'access_token' AS ada \gset
UPDATE authoob.sessions SET created_at = now() - interval '25 hours';
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "4Password", "nonce": "%s"}') $$,
    :'ada', :'nonce'));
SELECT count(*) FILTER (WHERE used_at IS NOT NULL) AS spent FROM authoob.mail_tokens WHERE kind = 'reauthentication';

-- A newer nonce ends the older one; an expired one proves nothing.
UPDATE authoob.mail_tokens SET created_at = created_at - interval '2 minutes' WHERE kind = 'reauthentication';
SELECT authoob_gotrue_reauthenticate(:'ada') AS answer;
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS nonce2 FROM authoob.mail_outbox ORDER BY id DESC LIMIT 1 \gset
UPDATE authoob.mail_tokens SET created_at = created_at - interval '2 minutes' WHERE kind = 'reauthentication';
SELECT authoob_gotrue_reauthenticate(:'ada') AS answer;
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS nonce3 FROM authoob.mail_outbox ORDER BY id DESC LIMIT 1 \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "4Password", "nonce": "%s"}') $$,
    :'ada', :'nonce2')) ~ 'reauthentication_not_valid' AS older_refused;
UPDATE authoob.mail_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'reauthentication';
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "4Password", "nonce": "%s"}') $$,
    :'ada', :'nonce3')) ~ 'reauthentication_not_valid' AS expired_refused;

-- Wrong nonces through authoob_attempt (PUT G/user) count against the
-- user as wrong second-factor codes: after login_free_failures, 429.
UPDATE authoob.mail_tokens SET expires_at = now() + interval '1 hour' WHERE kind = 'reauthentication';
SELECT authoob_configure('{"login_free_failures": 3}') -> 'login_free_failures' AS free_failures;
SELECT jsonb_build_object('token', :'ada', 'body', '{"password": "4Password", "nonce": "000000"}')::text AS req \gset
SELECT n, authoob_attempt_outcome('gotrue_update_user', :'req', '192.0.2.9') -> 'error' ->> 'sqlstate' AS sqlstate
FROM generate_series(1, 4) n;
-- the right nonce too, while blocked; counted against the user, so
-- another client gets no further
SELECT authoob_attempt_outcome('gotrue_update_user', jsonb_build_object('token', :'ada', 'body',
    jsonb_build_object('password', '4Password', 'nonce', :'nonce3')::text)::text, '192.0.2.10') -> 'error' ->> 'sqlstate' AS right_while_blocked;
SELECT scope, key = 'reauthentication:' || :ada_id AS per_user, blocked_until > now() AS blocked
FROM authoob.throttle WHERE scope = 'mfa';
-- bob is not blocked by ada's failures
SELECT authoob_attempt_outcome('gotrue_update_user', jsonb_build_object('token', :'bob', 'body',
    '{"data": {"x": 1}}')::text, '192.0.2.9') ? 'response' AS bob_unaffected;

-- authoob's own dialect: GET P/reauthenticate mails the nonce as well,
-- PUT P/reset_password takes it as "nonce", counted the same way.
SELECT authoob_clear_throttle('mfa') AS cleared;
SELECT authoob_login('{"email": "bob@example.com", "password": "2Password"}') ->> 'token' AS bob_p \gset
UPDATE authoob.sessions SET created_at = now() - interval '25 hours';
SELECT test.failure(format($$ SELECT authoob_reset_password(%L, '{"password1": "5Password", "password2": "5Password"}') $$, :'bob_p'));
SELECT authoob_attempt_outcome('reset_password', jsonb_build_object('token', :'bob_p', 'body',
    '{"password1": "5Password", "password2": "5Password", "nonce": "000000"}')::text, '192.0.2.11') -> 'error' ->> 'sqlstate' AS wrong_nonce;
SELECT consecutive FROM authoob.throttle WHERE scope = 'mfa';
SELECT authoob_gotrue_reauthenticate(:'bob_p') AS answer;
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS bob_nonce FROM authoob.mail_outbox
WHERE recipient = 'bob@example.com' AND kind = 'reauthentication' \gset
SELECT authoob_attempt_outcome('reset_password', jsonb_build_object('token', :'bob_p', 'body',
    jsonb_build_object('password1', '5Password', 'password2', '5Password', 'nonce', :'bob_nonce')::text)::text,
    '192.0.2.11') ? 'error' AS refused;
SELECT authoob_login('{"email": "bob@example.com", "password": "5Password"}') ? 'token' AS new_password_works;
