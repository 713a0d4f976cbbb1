--
-- A partition of a sharded deployment (docs/scale-out.md, "Sharding"):
-- authoob_set_partition(p, N) makes the ids the proxy routes by p modulo
-- N, and the tokens it routes by itself (mailed, refresh, PKCE codes) hash
-- to p; the proxy reaches authoob_attempt through authoob_attempt_outcome(),
-- whose error comes back as data with the failure recorded.
--
\i sql/fixtures/setup.psql

-- unsharded: no partition, any id
SELECT count(*) AS partition_rows FROM authoob.partition;
SELECT authoob_register('{"email": "before@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;

-- a count that is not a power of two, a number out of range: refused, nothing changes
SELECT authoob_set_partition(0, 3);
SELECT authoob_set_partition(2, 2);
SELECT authoob_set_partition(-1, 2);
SELECT authoob_set_partition(NULL, 2);
SELECT count(*) AS partition_rows FROM authoob.partition;

-- partition 1 of 4: the next ids are 1 modulo 4, past those taken
SELECT authoob_set_partition(1, 4);
SELECT partition, partitions FROM authoob.partition;
SELECT authoob_register('{"email": "p1@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_register('{"email": "p2@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT email, id % 4 AS id_mod_4, id > (SELECT id FROM authoob.users WHERE email = 'before@example.com') AS later
FROM authoob.users WHERE email LIKE 'p_@example.com' ORDER BY email;
SELECT count(*) FILTER (WHERE id % 4 = 1) AS mails_mod_4, count(*) AS mails
FROM authoob.mail_outbox WHERE recipient LIKE 'p_@example.com';
-- set again (a new partition count): one row, ids follow
SELECT authoob_set_partition(1, 4);
SELECT count(*) AS partition_rows FROM authoob.partition;

-- the activation tokens mailed hash to partition 1 (hashtext & 3, as PL/Proxy routes)
SELECT count(*) FILTER (WHERE hashtext(substring(body_text FROM '/activate/([A-Za-z0-9_-]+)')) & 3 = 1) AS routed,
       count(*) AS mailed
FROM authoob.mail_outbox WHERE recipient LIKE 'p_@example.com' AND kind = 'activation';
-- and so do reset tokens
SELECT authoob_password_ask('{"email": "p1@example.com"}') AS asked;
SELECT authoob_mail_prepare() AS prepared;
SELECT hashtext(substring(body_text FROM 'reset_password_token=([A-Za-z0-9_-]+)')) & 3 AS reset_partition
FROM authoob.mail_outbox WHERE recipient = 'p1@example.com' AND kind = 'reset';

-- refresh tokens: the first and every successor hash to partition 1
SELECT authoob_token_grant('{"grant_type": "password", "email": "p1@example.com", "password": "1Password"}') ->> 'refresh_token' AS r \gset
SELECT hashtext(:'r') & 3 AS refresh_partition;
SELECT authoob_token_grant(json_build_object('grant_type', 'refresh_token', 'refresh_token', :'r')::text) ->> 'refresh_token' AS r2 \gset
SELECT hashtext(:'r2') & 3 AS successor_partition, :'r2' <> :'r' AS rotated;
-- presented again within refresh_reuse_interval: the same successor
SELECT authoob_token_grant(json_build_object('grant_type', 'refresh_token', 'refresh_token', :'r')::text) ->> 'refresh_token' = :'r2' AS same_successor;

-- the one-time codes of Supabase Auth's PKCE flow too, each a new one
SELECT count(*) FILTER (WHERE hashtext(code) & 3 = 1) AS routed_codes, count(DISTINCT code) AS codes,
       bool_and(code ~ '^[A-Za-z0-9_-]{43}$') AS base64url
FROM (SELECT authoob_link_code() AS code FROM generate_series(1, 20)) c;

-- authoob_attempt_outcome: the answer, or the error as data, the failure kept
SELECT authoob_attempt_outcome('login', '{"email": "p1@example.com", "password": "1Password"}', '192.0.2.9') -> 'response' ? 'token' AS signed_in;
SELECT authoob_attempt_outcome('login', '{"email": "p1@example.com", "password": "Wrong1pass"}', '192.0.2.9') AS outcome;
SELECT scope, key, consecutive FROM authoob.throttle ORDER BY scope;
SELECT authoob_attempt_outcome('activate', 'no-such-token', '192.0.2.9') AS outcome;
SELECT authoob_attempt_outcome('nonsense', 'x', NULL);
-- 0.3's form, the request's parts apart, as the proxy's authoob_attempt of
-- 0.3 passes them: the same outcomes
SELECT authoob_attempt_outcome('token', '{"email": "p1@example.com", "password": "Wrong1pass"}', '192.0.2.9', 'password', 'curl/8.0') AS outcome;
SELECT authoob_attempt_outcome('login', 'not json', '192.0.2.9', NULL, NULL) AS outcome;
SELECT scope, key, consecutive FROM authoob.throttle ORDER BY scope;
-- the same rights as authoob_attempt: the API role's, not PUBLIC's
SELECT has_function_privilege('authoob_api', 'authoob_attempt_outcome(text, text, inet)', 'EXECUTE') AS api,
       has_function_privilege('public', 'authoob_attempt_outcome(text, text, inet)', 'EXECUTE') AS public,
       has_function_privilege('authoob_api', 'authoob_attempt_outcome(text, text, inet, text, text)', 'EXECUTE') AS api_0_3,
       has_function_privilege('public', 'authoob_attempt_outcome(text, text, inet, text, text)', 'EXECUTE') AS public_0_3,
       has_function_privilege('authoob_api', 'authoob_set_partition(integer, integer)', 'EXECUTE') AS api_sets_partition;
