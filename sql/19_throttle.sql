--
-- Brute-force limits: failures are counted per account (a doubling wait
-- after a few, a cap per hour) and per client IP (a budget per window);
-- over a limit the answer is 429 Too many attempts, without a look at the
-- password.  Successes are never counted, but by the budget of password
-- hashes (at the end).
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never
-- The accounts this file logs in with.
SELECT count(authoob_register(jsonb_build_object('email', email, 'password1', password, 'password2', password))) AS registered
FROM (VALUES ('ada@example.com', 'Analytical3'), ('register@mail.com', 'New1Password'),
             ('hooked@example.com', '3Password')) u(email, password);
SELECT authoob_configure('{"login_free_failures": 3, "login_backoff_max": 60,
    "login_failures_per_hour": 100, "ip_failures_per_window": 6, "ip_window": 300,
    "token_failures_per_window": 3}') IS NOT NULL AS configured;
-- (the hash budget, which counts successes too, has a section of its own
-- at the end)
-- blocked: the last failure set a block (its end, not the clock: a slow
-- run must not see a block of 1 s already over)
CREATE VIEW throttle AS
    SELECT scope, key, consecutive, window_failures, blocked_until > last_failure_at AS blocked,
           CASE WHEN scope = 'login' THEN extract(epoch FROM blocked_until - last_failure_at) END AS wait
    FROM authoob.throttle WHERE scope NOT IN ('ask', 'hash_ip', 'sign_in') ORDER BY scope, key;

-- The HTTP front calls logins through the procedure authoob_attempt(): it
-- commits the record of a failure before raising the error.  It takes the
-- request's parts: the body, the client's address, and (for a sign-in)
-- the query string's grant_type and the User-Agent header.
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong1"}', '203.0.113.1', NULL, NULL);
CALL authoob_attempt('login', '{"email": "Ada@Example.com", "password": "Wrong2"}', '203.0.113.1', NULL, NULL);
SELECT * FROM throttle;
-- the third failure in a row starts the wait: 1 s, then 2, 4... up to 60
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong3"}', '203.0.113.1', NULL, NULL);
SELECT * FROM throttle;
UPDATE authoob.throttle SET blocked_until = now() + interval '1 hour' WHERE scope = 'login';
-- while blocked, even the right password gets 429, and the function
-- checks the limit too
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Analytical3"}', '203.0.113.1', NULL, NULL);
SELECT test.outcome($$ SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical3"}') $$);
-- time passes: the wait is over, the next failure doubles it
UPDATE authoob.throttle SET blocked_until = now() - interval '1 second' WHERE scope = 'login';
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong4"}', '203.0.113.1', NULL, NULL);
SELECT * FROM throttle;
UPDATE authoob.throttle SET blocked_until = now() - interval '1 second' WHERE scope = 'login';
-- a success ends the account's run (the IP's failures stay counted)
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Analytical3"}', '203.0.113.1', NULL, NULL) \gset
SELECT :'response'::jsonb ? 'token' AS logged_in;
SELECT * FROM throttle;

-- Unknown addresses are counted the same way, so a block tells nothing
-- about who is registered.
CALL authoob_attempt('login', '{"email": "ghost@example.com", "password": "Wrong1"}', '203.0.113.2', NULL, NULL);
SELECT * FROM throttle WHERE key = 'ghost@example.com';

-- One IP failing on many accounts: its budget runs out for the window.
CALL authoob_attempt('login', '{"email": "u1@example.com", "password": "Wrong1"}', '203.0.113.1', NULL, NULL);
CALL authoob_attempt('login', '{"email": "u2@example.com", "password": "Wrong1"}', '203.0.113.1', NULL, NULL);
SELECT * FROM throttle WHERE scope = 'ip';
SELECT test.outcome($$ CALL authoob_attempt('login', '{"email": "register@mail.com", "password": "New1Password"}', '203.0.113.1', NULL, NULL) $$);
-- other IPs, and logins without an IP (SQL callers), are not concerned
CALL authoob_attempt('login', '{"email": "register@mail.com", "password": "New1Password"}', '198.51.100.9', NULL, NULL) \gset
SELECT :'response'::jsonb ? 'token' AS logged_in;
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') IS NOT NULL AS logged_in;

-- Mailed tokens: guessing is counted per IP.
CALL authoob_attempt('activate', 'guess1', '192.0.2.50', NULL, NULL);
CALL authoob_attempt('activate_redirect', 'guess2', '192.0.2.50', NULL, NULL);
CALL authoob_attempt('password_reset_token', '{"token": "guess3", "password1": "1Password", "password2": "1Password"}', '192.0.2.50', NULL, NULL);
SELECT * FROM throttle WHERE scope = 'token';
SELECT test.outcome($$ CALL authoob_attempt('activate', 'guess4', '192.0.2.50', NULL, NULL) $$);

-- A client is counted by its network: an IPv6 /64 (ip_prefix_v6) is one
-- client, however many of its addresses it uses; an IPv4 address is one
-- (ip_prefix_v4 32), unless configured otherwise.
CALL authoob_attempt('activate', 'guess5', '2001:db8:1:2::1', NULL, NULL);
CALL authoob_attempt('activate', 'guess6', '2001:db8:1:2:ffff:ffff:ffff:fffe', NULL, NULL);
CALL authoob_attempt('activate', 'guess7', '2001:db8:1:3::1', NULL, NULL);
SELECT * FROM throttle WHERE scope = 'token' AND key LIKE '2001:%' ORDER BY key;
SELECT authoob_configure('{"ip_prefix_v4": 24, "ip_prefix_v6": 128}') ->> 'ip_prefix_v6' AS ip_prefix_v6;
CALL authoob_attempt('activate', 'guess8', '192.0.2.200', NULL, NULL);
CALL authoob_attempt('activate', 'guess9', '2001:db8:1:2::1', NULL, NULL);
SELECT * FROM throttle WHERE scope = 'token' AND key IN ('192.0.2.0/24', '2001:db8:1:2::1') ORDER BY key;
SELECT test.outcome($$ SELECT authoob_configure('{"ip_prefix_v6": 129}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"ip_prefix_v4": 7}') $$);
SELECT authoob_configure('{"ip_prefix_v4": 32, "ip_prefix_v6": 64}') ->> 'ip_prefix_v6' AS ip_prefix_v6;
-- an IPv4 client seen through a dual-stack socket is that IPv4 client, not
-- the /64 every such client shares
CALL authoob_attempt('activate', 'guess10', '::ffff:198.51.100.7', NULL, NULL);
SELECT * FROM throttle WHERE scope = 'token' AND key IN ('198.51.100.7', '::/64') ORDER BY key;

-- password/ask counts every ask against its client, whatever the address
-- (asks_per_window per ip_window): one client cannot fill the requests.
SELECT authoob_configure('{"asks_per_window": 3}') ->> 'asks_per_window' AS asks_per_window;
SELECT authoob_password_ask(format('{"email": "made-up-%s@example.com"}', n)::jsonb, '192.0.2.66') IS NULL AS asked
FROM generate_series(1, 3) n;
SELECT test.outcome($$ SELECT authoob_password_ask('{"email": "one-more@example.com"}', '192.0.2.66') $$);
SELECT authoob_password_ask('{"email": "another@example.com"}', '192.0.2.67') IS NULL AS another_client_asks;
SELECT count(*) AS requests_recorded FROM authoob.mail_requests WHERE email LIKE 'made-up-%' OR email = 'one-more@example.com';
SELECT authoob_configure('{"asks_per_window": 20}') ->> 'asks_per_window' AS asks_per_window;

-- Failures inside a transaction block cannot be committed early: there
-- authoob_attempt behaves as the function does.
BEGIN;
CALL authoob_attempt('login', '{"email": "inside@example.com", "password": "Wrong1"}', '192.0.2.99', NULL, NULL);
ROLLBACK;
SELECT count(*) AS recorded FROM authoob.throttle WHERE key = 'inside@example.com';

-- password/ask counts every address asked about, known or not: one reset
-- mail per address per interval, and the same write on both paths, so its
-- time tells nothing either: register@mail.com, known, asked for twice
-- (its case does not matter); nobody@example.com, unknown, once.
SELECT authoob_password_ask('{"email": "Register@mail.com"}') IS NULL AS asked;
SELECT authoob_password_ask('{"email": "register@mail.com"}') IS NULL AS asked_again;
SELECT authoob_password_ask('{"email": "nobody@example.com"}') IS NULL AS asked;
SELECT key, consecutive AS asked FROM authoob.throttle
WHERE scope = 'ask' AND key IN ('register@mail.com', 'nobody@example.com') ORDER BY key;

-- Successes come back through the procedure's INOUT response.
CALL authoob_attempt('login', '{"email": "hooked@example.com", "password": "3Password"}', '192.0.2.7', NULL, NULL, NULL) \gset
SELECT jsonb_object_keys(:'response'::jsonb) AS response_keys;
SELECT test.outcome($$ CALL authoob_attempt('nothing', 'x', NULL, NULL, NULL) $$);

-- The token endpoint's sign-in (grant_type "password", the body's or else
-- the query string's) counts against its account as a login does; a
-- refresh token's failure, against its client only.
CALL authoob_attempt('token', '{"email": "tok@example.com", "password": "Wrong1"}', '192.0.2.140', 'password', 'curl/8.0');
CALL authoob_attempt('token', '{"email": "tok@example.com", "refresh_token": "not-a-token"}', '192.0.2.140', 'refresh_token', 'curl/8.0');
SELECT * FROM throttle WHERE key IN ('tok@example.com', '192.0.2.140');
-- A body that is not JSON, or not an object, or none: 400 "Missing data"
-- as each dialect words it, counted nowhere.
CALL authoob_attempt('login', '{"email": "tok@example.com", "password": ', '192.0.2.141', NULL, 'curl/8.0');
CALL authoob_attempt('token', '["tok@example.com"]', '192.0.2.141', 'password', NULL);
CALL authoob_attempt('gotrue_token', 'password=Wrong1', '192.0.2.141', 'password', NULL);
CALL authoob_attempt('login', NULL, '192.0.2.141', NULL, NULL);
SELECT count(*) AS counted FROM authoob.throttle WHERE key = '192.0.2.141';
-- 0.2's form, which 0.2's fronts call, takes one argument: the body with
-- the query's grant_type and the User-Agent written into it
-- (authoob_sign_in_request).  It counts the same.
CALL authoob_attempt('token', authoob_sign_in_request('{"email": "tok@example.com", "password": "Wrong2"}', 'password', 'curl/8.0'), '192.0.2.140');
CALL authoob_attempt('activate', 'guess11', '192.0.2.140');
SELECT * FROM throttle WHERE key IN ('tok@example.com', '192.0.2.140');

-- The owner reads the table and lifts blocks.
SELECT authoob_clear_throttle('ip', '203.0.113.1') AS cleared;
CALL authoob_attempt('login', '{"email": "register@mail.com", "password": "New1Password"}', '203.0.113.1', NULL, NULL) \gset
SELECT :'response'::jsonb ? 'token' AS logged_in;
SELECT authoob_clear_throttle() > 0 AS cleared_all;

-- Limits can be turned off.
SELECT authoob_configure('{"throttle": false}') ->> 'throttle' AS throttle;
CALL authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong1"}', '203.0.113.1', NULL, NULL);
SELECT count(*) AS recorded FROM authoob.throttle;
SELECT authoob_configure('{"throttle": true, "login_free_failures": 5, "login_backoff_max": 900,
    "ip_failures_per_window": 100, "token_failures_per_window": 20}') ->> 'throttle' AS throttle;
DROP VIEW throttle;

-- An address longer than any valid one is counted under its SHA-256, so
-- that the key fits the table's index.
SELECT authoob_configure('{"throttle": true}') ->> 'throttle' AS throttle;
SELECT test.outcome($$ CALL authoob_attempt('login', '{"email": "$$ || repeat('x', 5000) || $$@example.com", "password": "Wrong1"}', '192.0.2.77', NULL, NULL) $$);
CALL authoob_attempt('login', '{"email": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@example.com", "password": "Wrong1"}', '192.0.2.78', NULL, NULL);
SELECT left(key, 7) AS key_kind, length(key) AS key_length FROM authoob.throttle WHERE scope = 'login' ORDER BY key;
SELECT authoob_clear_throttle() > 0 AS cleared;

-- The budget of password hashes: a hash costs the same whether the
-- registration or the sign-in it serves succeeds or not, so every one
-- counts, per client (hash_ip: client_hashes_per_window, registrations
-- and sign-ins) and per account (sign_in: account_sign_ins_per_window,
-- sign-ins of the address, known or not), over ip_window; over the budget
-- the answer is 429, with no hash done.
SELECT authoob_clear_throttle() >= 0 AS cleared;
SELECT authoob_configure('{"client_hashes_per_window": 3, "account_sign_ins_per_window": 4}')
    - array['client_hashes_per_window', 'account_sign_ins_per_window'] <> '{}' AS configured;
CREATE VIEW hash_budget AS
    SELECT scope, key, window_failures AS counted, blocked_until > now() AS blocked
    FROM authoob.throttle WHERE scope IN ('hash_ip', 'sign_in') ORDER BY scope, key;
-- one client: two registrations and a sign-in, all successful
SELECT authoob_register('{"email": "b1@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.120') ? 'token' AS registered;
SELECT authoob_register('{"email": "b2@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.120') ? 'token' AS registered;
CALL authoob_attempt('login', '{"email": "b1@example.com", "password": "Budget1pass"}', '192.0.2.120', NULL, NULL) \gset
SELECT :'response'::jsonb ? 'token' AS logged_in;
SELECT * FROM hash_budget;
-- its budget is spent: 429 until the window ends, before any hash, and
-- nothing registered
SELECT test.outcome($$ SELECT authoob_register('{"email": "b3@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.120') $$);
SELECT test.outcome($$ CALL authoob_attempt('login', '{"email": "b2@example.com", "password": "Budget1pass"}', '192.0.2.120', NULL, NULL) $$);
SELECT test.outcome($$ SELECT authoob_gotrue_signup('{"email": "b3@example.com", "password": "Budget1pass"}', '192.0.2.120') $$);
SELECT count(*) AS registered FROM authoob.users WHERE email = 'b3@example.com';
-- the 429 says when the window ends (the front's Retry-After)
DO $$
DECLARE
    detail text;
BEGIN
    PERFORM authoob_register('{"email": "b3@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.120');
EXCEPTION WHEN SQLSTATE 'PT429' THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'Retry-After is the rest of the window: %',
        (detail::jsonb -> 'headers' ->> 'Retry-After')::integer BETWEEN 290 AND 300;
END
$$;
SELECT * FROM hash_budget WHERE key = '192.0.2.120';
-- another client is not concerned, nor a registration without an IP (a
-- SQL caller's: counted per account only, and a registration has none)
SELECT authoob_register('{"email": "b3@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.121') ? 'token' AS registered;
SELECT authoob_register('{"email": "b4@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}') ? 'token' AS registered;
SELECT * FROM hash_budget WHERE scope = 'hash_ip';

-- A sign-in that fails counts as one that succeeds: authoob_attempt counts
-- its hash after the error rolled the sign-in back, whatever the error
-- once the password was hashed (here: right, but the account not
-- activated), per account whatever the client.
SELECT authoob_configure('{"require_activation": true}') ->> 'require_activation' AS require_activation;
UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'b3@example.com';
CALL authoob_attempt('login', '{"email": "b3@example.com", "password": "Wrong1pass"}', '192.0.2.122', NULL, NULL);
CALL authoob_attempt('login', '{"email": "B3@example.com", "password": "Budget1pass"}', '192.0.2.123', NULL, NULL);
SELECT authoob_configure('{"require_activation": false}') ->> 'require_activation' AS require_activation;
-- a SQL caller without an IP counts against the account too
SELECT authoob_login('{"email": "b3@example.com", "password": "Budget1pass"}') ? 'token' AS logged_in;
SELECT * FROM hash_budget WHERE key IN ('b3@example.com', '192.0.2.122', '192.0.2.123');
-- the fourth sign-in spends the account's budget: then 429, from any
-- client, for any password
CALL authoob_attempt('login', '{"email": "b3@example.com", "password": "Budget1pass"}', '192.0.2.124', NULL, NULL) \gset
SELECT :'response'::jsonb ? 'token' AS logged_in;
SELECT test.outcome($$ CALL authoob_attempt('login', '{"email": "b3@example.com", "password": "Budget1pass"}', '192.0.2.124', NULL, NULL) $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "b3@example.com", "password": "Wrong1pass"}') $$);
SELECT test.outcome($$ SELECT authoob_token_grant('{"grant_type": "password", "email": "b3@example.com", "password": "Budget1pass"}', '192.0.2.125') $$);
-- an unknown address is counted the same way, so the block tells nothing
-- about who is registered
CALL authoob_attempt('login', '{"email": "nobody-b@example.com", "password": "Wrong1pass"}', '192.0.2.126', NULL, NULL);
SELECT * FROM hash_budget WHERE key = 'nobody-b@example.com';
-- a refresh token is no password: no hash, nothing counted
CALL authoob_attempt('token', '{"grant_type": "refresh_token", "refresh_token": "not-a-token"}', '192.0.2.127', NULL, NULL);
SELECT count(*) AS counted FROM hash_budget WHERE key = '192.0.2.127';
-- the owner lifts the blocks as any other
SELECT authoob_clear_throttle('sign_in', 'b3@example.com') AS cleared;
SELECT authoob_login('{"email": "b3@example.com", "password": "Budget1pass"}') ? 'token' AS logged_in;

-- client_hashes_at_once caps the hashes one client runs at a time; a
-- transaction holds its slot to its end, and takes it again for a second
-- hash (t/023_hash_budget.pl shows two clients racing).
SELECT authoob_configure('{"client_hashes_at_once": 1}') ->> 'client_hashes_at_once' AS client_hashes_at_once;
SELECT authoob_clear_throttle() > 0 AS cleared;
BEGIN;
SELECT authoob_login('{"email": "b1@example.com", "password": "Budget1pass"}', '192.0.2.130') ? 'token' AS logged_in;
SELECT authoob_login('{"email": "b2@example.com", "password": "Budget1pass"}', '192.0.2.130') ? 'token' AS logged_in;
SELECT count(*) AS slots_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
COMMIT;
SELECT count(*) AS slots_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- Off with the other limits: nothing counted, no cap.
SELECT authoob_clear_throttle() > 0 AS cleared;
SELECT authoob_configure('{"throttle": false}') ->> 'throttle' AS throttle;
SELECT authoob_register('{"email": "b5@example.com", "password1": "Budget1pass", "password2": "Budget1pass"}', '192.0.2.120') ? 'token' AS registered;
SELECT count(*) AS counted FROM hash_budget;
SELECT authoob_configure('{"throttle": true, "client_hashes_per_window": 30,
    "account_sign_ins_per_window": 30, "client_hashes_at_once": 2}') ->> 'throttle' AS throttle;
SELECT test.outcome($$ SELECT authoob_configure('{"client_hashes_at_once": 0}') $$);
DROP VIEW hash_budget;
