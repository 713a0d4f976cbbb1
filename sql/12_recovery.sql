--
-- Password recovery: POST /authoob/password/ask, then
-- PUT /authoob/password/reset/token with the mailed token.
--
\i sql/fixtures/setup.psql

-- The accounts: register@mail.com and ada@example.com recover their
-- passwords, change@example.com is deactivated at the end.
SELECT count(authoob_register(jsonb_build_object('email', email, 'password1', password, 'password2', password))) AS registered
FROM (VALUES ('register@mail.com', '1Password'), ('ada@example.com', 'Analytical1'),
             ('change@example.com', '1Password')) u(email, password);
SELECT authoob_configure('{"reset_mail_interval": 60}') ->> 'reset_mail_interval' AS reset_mail_interval;
SELECT count(*) AS reset_mails FROM authoob.mail_outbox WHERE kind = 'reset';

-- The same answer (no body: 204) for a known and an unknown address, and
-- the same work: each request is recorded as it is.  A mailer's claim runs
-- authoob_mail_prepare(), which makes the reset mail of a known address
-- and drops the others; here it is called by hand.  Only the known one
-- gets a mail.
SELECT authoob_password_ask('{"email": "Register@mail.com"}') IS NULL AS no_body;
SELECT authoob_password_ask('{"email": "nobody@example.com"}') IS NULL AS no_body;
SELECT authoob_password_ask('{"email": "not even an address"}') IS NULL AS no_body;
SELECT email FROM authoob.mail_requests ORDER BY id;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT count(*) AS requests_left FROM authoob.mail_requests;
SELECT recipient, subject, state FROM authoob.mail_outbox WHERE kind = 'reset';
-- The link is app_url?reset_password_token=<token>.
SELECT regexp_replace(body_text, 'reset_password_token=[A-Za-z0-9_-]{43}\M', 'reset_password_token=<token>') AS body_text
FROM authoob.mail_outbox WHERE kind = 'reset';
SELECT substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)') AS rt
FROM authoob.mail_outbox WHERE kind = 'reset' \gset
SELECT extract(epoch FROM expires_at - created_at) AS lifetime_seconds
FROM authoob.mail_tokens WHERE token_hash = sha256(convert_to(:'rt', 'UTF8'));

-- At most one mail per address per reset_mail_interval.
SELECT authoob_password_ask('{"email": "register@mail.com"}') IS NULL AS no_body;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT count(*) AS reset_mails FROM authoob.mail_outbox WHERE kind = 'reset';

SELECT test.outcome($$ SELECT authoob_password_ask('{}') $$);
SELECT test.outcome($$ SELECT authoob_password_ask('{"email": 42}') $$);
SELECT test.outcome($$ SELECT authoob_password_ask('not json') $$);
SELECT test.outcome($$ SELECT authoob_password_ask(NULL::text) $$);

-- Resetting: checked in order: a missing token (400), the token (404), then
-- missing passwords, mismatch and policy (400) as PUT P/reset_password.
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS before \gset
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"password1": "New1Password", "password2": "New1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": "", "password1": "New1Password", "password2": "New1Password"}') $$);
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'rt', 'password1', 'New1Password')));
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'rt', 'password1', 'New1Password', 'password2', 'New2Password')));
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'rt', 'password1', 'weak', 'password2', 'weak')));
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": "garbage", "password1": "New1Password", "password2": "New1Password"}') $$);
-- an unknown token is looked up first: 404 whatever the passwords
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": "garbage", "password1": "weak", "password2": "weak"}') $$);
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": "garbage", "password1": "New1Password", "password2": "other"}') $$);
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": "garbage"}') $$);
SELECT test.outcome($$ SELECT authoob_password_reset_token('{"token": 42, "password1": "New1Password", "password2": "New1Password"}') $$);
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', repeat('x', 100000), 'password1', 'New1Password', 'password2', 'New1Password')));
-- none of these changed anything
SELECT authoob_verify(:'before') IS NOT NULL AS old_token_still_valid;

-- Success: no body (204); the token is spent, earlier JWTs are revoked,
-- the new password works and the old one does not.
SELECT authoob_password_reset_token(jsonb_build_object('token', :'rt',
    'password1', 'New1Password', 'password2', 'New1Password')) IS NULL AS no_body;
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'rt', 'password1', 'New2Password', 'password2', 'New2Password')));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'before'));
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') $$);
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') IS NOT NULL AS new_password_works;

-- An expired token is no match; a newer reset spends the older tokens.
SELECT authoob_configure('{"reset_mail_interval": 0}') ->> 'reset_mail_interval' AS reset_mail_interval;
SELECT authoob_password_ask('{"email": "ada@example.com"}') IS NULL AS asked;
SELECT authoob_password_ask('{"email": "ada@example.com"}') IS NULL AS asked_again;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT array_agg(substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)') ORDER BY id) AS ada_tokens
FROM authoob.mail_outbox WHERE kind = 'reset' AND recipient = 'ada@example.com' \gset
SELECT (:'ada_tokens'::text[])[1] AS first, (:'ada_tokens'::text[])[2] AS second \gset
UPDATE authoob.mail_tokens SET expires_at = now() - interval '1 second'
WHERE token_hash = sha256(convert_to(:'second', 'UTF8'));
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'second', 'password1', 'Analytical2', 'password2', 'Analytical2')));
SELECT authoob_password_reset_token(jsonb_build_object('token', :'first',
    'password1', 'Analytical2', 'password2', 'Analytical2')) IS NULL AS reset;
SELECT authoob_password_ask('{"email": "ada@example.com"}') IS NULL AS asked;
SELECT authoob_password_ask('{"email": "ada@example.com"}') IS NULL AS asked_again;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT array_agg(substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)') ORDER BY id DESC) AS ada_tokens
FROM authoob.mail_outbox WHERE kind = 'reset' AND recipient = 'ada@example.com' \gset
SELECT (:'ada_tokens'::text[])[1] AS newest, (:'ada_tokens'::text[])[2] AS older \gset
SELECT authoob_password_reset_token(jsonb_build_object('token', :'newest',
    'password1', 'Analytical3', 'password2', 'Analytical3')) IS NULL AS reset;
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'older', 'password1', 'Analytical4', 'password2', 'Analytical4')));
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical3"}') IS NOT NULL AS newest_won;

-- Any password change spends the reset tokens still in a mailbox: a reset
-- mail asked for before an authenticated change cannot change it again.
SELECT authoob_password_ask('{"email": "ada@example.com"}') IS NULL AS asked;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)') AS mailed
FROM authoob.mail_outbox WHERE kind = 'reset' AND recipient = 'ada@example.com' ORDER BY id DESC LIMIT 1 \gset
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical3"}') ->> 'token' AS ada \gset
SELECT authoob_reset_password(:'ada', '{"password1": "Analytical5", "password2": "Analytical5"}') IS NULL AS changed;
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'mailed', 'password1', 'Analytical6', 'password2', 'Analytical6')));
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical5"}') ->> 'token' AS ada \gset
SELECT authoob_reset_password(:'ada', '{"password1": "Analytical3", "password2": "Analytical3"}') IS NULL
       AS authenticated_change_stands_and_is_undone;

-- A deactivated account neither gets a mail nor resets with an old token.
SELECT authoob_password_ask('{"email": "change@example.com"}') IS NULL AS asked;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)') AS ct
FROM authoob.mail_outbox WHERE kind = 'reset' AND recipient = 'change@example.com' \gset
UPDATE authoob.users SET active = false WHERE email = 'change@example.com';
SELECT test.outcome(format($$ SELECT authoob_password_reset_token(%L) $$,
    jsonb_build_object('token', :'ct', 'password1', 'Changed1x', 'password2', 'Changed1x')));
SELECT authoob_password_ask('{"email": "change@example.com"}') IS NULL AS asked;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT count(*) AS mails_to_deactivated FROM authoob.mail_outbox WHERE kind = 'reset' AND recipient = 'change@example.com';
UPDATE authoob.users SET active = true WHERE email = 'change@example.com';
SELECT authoob_configure('{"reset_mail_interval": 60}') ->> 'reset_mail_interval' AS reset_mail_interval;
