--
-- Second factors (docs/security.md, "Multi-factor authentication"): a TOTP
-- factor enrolled (authoob_mfa_enroll), verified with codes that Debian's
-- oathtool computes from the secret, never authoob's own code
-- (authoob_mfa_verify, as authoob_attempt calls it), recovery codes
-- (authoob_mfa_recover), aal2 in the tokens, what needs it, and removal
-- (authoob_mfa_unenroll).
--
\i sql/fixtures/setup.psql

SELECT authoob_token_grant('{"grant_type": "password", "email": "a@example.com", "password": "1Password"}') IS NULL AS no_user_yet;
SELECT authoob_register('{"email": "a@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_register('{"email": "b@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS b \gset
SELECT authoob_token_grant('{"grant_type": "password", "email": "a@example.com", "password": "1Password"}') ->> 'access_token' AS a \gset
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}') ->> 'token' AS a_other \gset

-- Enrolment: the secret in base32, the otpauth:// URI an authenticator app
-- reads, the same as a QR code in SVG, and ten recovery codes, shown once.
SELECT authoob_mfa_enroll(:'a', '{"friendly_name": "phone"}') AS e \gset
SELECT :'e'::jsonb ->> 'id' AS factor, :'e'::jsonb #>> '{totp,secret}' AS secret,
       :'e'::jsonb #>> '{recovery_codes,0}' AS recovery1, :'e'::jsonb #>> '{recovery_codes,1}' AS recovery2 \gset
SELECT e ->> 'type' AS type, e ->> 'friendly_name' AS name,
       e #>> '{totp,secret}' ~ '^[A-Z2-7]{32}$' AS base32_secret,
       e #>> '{totp,uri}' = 'otpauth://totp/app.example.com:a@example.com?algorithm=SHA1&digits=6&issuer=app.example.com&period=30&secret=' || (e #>> '{totp,secret}') AS uri,
       e #>> '{totp,qr_code}' LIKE '<svg %</svg>' AS svg,
       jsonb_array_length(e -> 'recovery_codes') AS recovery_codes,
       (SELECT count(DISTINCT c) FROM jsonb_array_elements_text(e -> 'recovery_codes') c WHERE c ~ '^[a-z2-7]{5}-[a-z2-7]{5}$') AS distinct_codes
FROM (SELECT :'e'::jsonb AS e) t;
-- the secret is the owner's: the API role reads no factor, no code
SET ROLE authoob_api;
SELECT test.outcome('SELECT count(*) FROM authoob.mfa_factors') AS api_reads_factors;
SELECT test.outcome('SELECT count(*) FROM authoob.mfa_recovery_codes') AS api_reads_codes;
RESET ROLE;
-- unverified: listed as such, and nothing needs aal2 yet
SELECT f ->> 'status' AS status, f ->> 'friendly_name' AS name, f ? 'secret' AS shows_secret
FROM jsonb_array_elements(authoob_mfa_factors(:'a')) f;
SELECT test.failure(format($$ SELECT authoob_mfa_enroll(%L, '{"friendly_name": "phone"}') $$, :'a')) AS same_name;
SELECT test.failure(format($$ SELECT authoob_mfa_enroll(%L, '{"factor_type": "sms"}') $$, :'a')) AS not_totp;

-- The hooks of a verification: pre_mfa_verify before the code is looked
-- at, post_mfa_verify with the outcome; both told the factor (a refused
-- code's calls roll back with it: they say so in notices).
CREATE FUNCTION record_mfa(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% mfa_verify: factor %, valid %', CASE WHEN context ? 'valid' THEN 'post' ELSE 'pre' END,
        context #>> '{factor,friendly_name}', coalesce(context ->> 'valid', '-');
    RETURN NULL;
END
$$;
SELECT authoob_add_hook('pre_mfa_verify', 'record_mfa(jsonb)'::regprocedure) IS NOT NULL AS pre_hooked,
       authoob_add_hook('post_mfa_verify', 'record_mfa(jsonb)'::regprocedure) IS NOT NULL AS post_hooked;
SELECT test.outcome(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a', 'factor_id', :'factor', 'body', '{"code": "000000"}'))) AS hooks_of_a_refusal;

-- Verification: a wrong code, a code two steps away, an empty one; a
-- code of now (oathtool's) raises the session to aal2.
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a', 'factor_id', :'factor', 'body', '{"code": "000000x"}'))) AS wrong;
\set code `oathtool --totp -b --now '90 seconds ago' :secret`
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a', 'factor_id', :'factor', 'body', jsonb_build_object('code', :'code')::text))) AS too_old;
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a', 'factor_id', :'factor', 'body', '{"code": ""}'))) AS empty;
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'b', 'factor_id', :'factor', 'body', '{"code": "123456"}'))) AS anothers_factor;
\set code `oathtool --totp -b :secret`
SELECT authoob_mfa_verify(jsonb_build_object('token', :'a', 'factor_id', :'factor',
    'body', jsonb_build_object('code', :'code')::text)::text) AS v \gset
SELECT :'v'::jsonb ? 'refresh_token' AS refreshable, test.claims(:'v'::jsonb ->> 'access_token') ->> 'aal' AS aal,
       (SELECT string_agg(m ->> 'method', ',') FROM jsonb_array_elements(test.claims(:'v'::jsonb ->> 'access_token') -> 'amr') m) AS amr,
       test.claims(:'v'::jsonb ->> 'access_token') ->> 'session_id' = test.claims(:'a') ->> 'session_id' AS same_session;
SELECT :'v'::jsonb ->> 'access_token' AS a2 \gset
SELECT authoob_remove_hook('pre_mfa_verify', 'record_mfa(jsonb)'::regprocedure) AND
       authoob_remove_hook('post_mfa_verify', 'record_mfa(jsonb)'::regprocedure) AS unhooked;
-- the same code again, or one of the step before: spent
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a2', 'factor_id', :'factor', 'body', jsonb_build_object('code', :'code')::text))) AS replay;
\set code `oathtool --totp -b --now '30 seconds ago' :secret`
SELECT test.failure(format($$ SELECT authoob_mfa_verify(%L) $$,
    jsonb_build_object('token', :'a2', 'factor_id', :'factor', 'body', jsonb_build_object('code', :'code')::text))) AS step_before;
-- the user's other aal1 session ended with it; the factor is verified
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'a_other')) AS other_session;
SELECT f ->> 'status' AS status FROM jsonb_array_elements(authoob_mfa_factors(:'a')) f;

-- With a verified factor, an aal1 session changes no password and enrols
-- no factor; an aal2 one does.
SELECT authoob_login('{"email": "a@example.com", "password": "1Password"}') ->> 'token' AS a1 \gset
SELECT test.failure(format($$ SELECT authoob_reset_password(%L, '{"password1": "2Password", "password2": "2Password"}') $$, :'a1')) AS aal1_password;
SELECT test.failure(format($$ SELECT authoob_mfa_enroll(%L, '{"friendly_name": "other"}') $$, :'a1')) AS aal1_enroll;
SELECT test.failure(format($$ SELECT authoob_mfa_unenroll(%L, %L) $$, :'a1', :'factor')) AS aal1_unenroll;
SELECT authoob_mfa_enroll(:'a2', '{"friendly_name": "other"}') AS e2 \gset
SELECT :'e2'::jsonb #>> '{recovery_codes,0}' AS recovery1 \gset
SELECT :'e2'::jsonb ->> 'id' IS NOT NULL AS aal2_enroll;
-- what the session is at, for policies (authoob_aal(), after
-- authoob_authenticate in the same transaction) and forward auth
BEGIN;
SELECT authoob_authenticate(:'a2') IS NOT NULL AS authenticated, authoob_aal() AS aal;
COMMIT;
BEGIN;
SELECT authoob_authenticate(:'a1') IS NOT NULL AS authenticated, authoob_aal() AS aal;
COMMIT;
SELECT authoob_aal() IS NULL AS none_outside;
SELECT authoob_verify_headers(:'a2') ->> 'X-Auth-AAL' AS a2_header, authoob_verify_headers(:'a1') ->> 'X-Auth-AAL' AS a1_header;
-- mfa_required: the aal1 session is good for nothing but reaching aal2
SELECT authoob_configure('{"mfa_required": true}') IS NOT NULL AS required;
SELECT test.failure(format($$ SELECT authoob_verify(%L) $$, :'a1')) AS aal1_required;
SELECT authoob_verify(:'a2') IS NOT NULL AS aal2_verifies, authoob_verify(:'b') IS NOT NULL AS no_factor_verifies;
SELECT jsonb_array_length(authoob_mfa_factors(:'a1')) AS factors_listed_at_aal1;
SELECT authoob_configure('{"mfa_required": false}') IS NOT NULL AS not_required;

-- A recovery code raises an aal1 session, once; another user's is not
-- theirs, a wrong one fails.
SELECT test.failure(format($$ SELECT authoob_mfa_recover(%L) $$,
    jsonb_build_object('token', :'a1', 'body', '{"code": "aaaaa-aaaaa"}'))) AS wrong_recovery;
SELECT test.failure(format($$ SELECT authoob_mfa_recover(%L) $$,
    jsonb_build_object('token', :'b', 'body', jsonb_build_object('code', :'recovery1')::text))) AS anothers_recovery;
SELECT authoob_mfa_recover(jsonb_build_object('token', :'a1', 'body', jsonb_build_object('code', upper(:'recovery1'))::text)::text) ->> 'token' AS r \gset
SELECT test.claims(:'r') ->> 'aal' AS aal, test.claims(:'r') #>> '{amr,0,method}' AS method;
SELECT test.failure(format($$ SELECT authoob_mfa_recover(%L) $$,
    jsonb_build_object('token', :'a1', 'body', jsonb_build_object('code', :'recovery1')::text))) AS spent;
-- an enrolment's recovery codes replace those before
SELECT test.failure(format($$ SELECT authoob_mfa_recover(%L) $$,
    jsonb_build_object('token', :'a1', 'body', jsonb_build_object('code', :'recovery2')::text))) AS replaced;
SELECT count(*) FILTER (WHERE used_at IS NOT NULL) AS used, count(*) AS kept,
       bool_and(code_hash <> convert_to(:'recovery2', 'UTF8')) AS hashed
FROM authoob.mfa_recovery_codes;

-- Removal: another user's factor is not found; at aal2 the factor goes,
-- and the user's other sessions end.
SELECT test.failure(format($$ SELECT authoob_mfa_unenroll(%L, %L) $$, :'b', :'factor')) AS anothers;
SELECT test.failure(format($$ SELECT authoob_mfa_unenroll(%L, 'x') $$, :'a2')) AS not_an_id;
SELECT authoob_mfa_unenroll(:'a2', :'factor') = jsonb_build_object('id', :'factor') AS removed;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'r')) AS other_session_ended;
SELECT authoob_verify(:'a2') IS NOT NULL AS own_session_kept;
SELECT count(*) AS factors_left FROM authoob.mfa_factors;

-- Supabase Auth's dialect: no recovery codes at enrolment; a code is
-- verified against a challenge of the factor, from the address that asked
-- for it, within five minutes, once; the answer is a session.
SELECT authoob_token_grant('{"grant_type": "password", "email": "b@example.com", "password": "1Password"}') ->> 'access_token' AS gb \gset
SELECT authoob_gotrue_enroll_factor(:'gb', '{"factor_type": "totp", "friendly_name": "key"}') AS g \gset
SELECT :'g'::jsonb ->> 'id' AS gfactor, :'g'::jsonb #>> '{totp,secret}' AS gsecret \gset
SELECT :'g'::jsonb ? 'recovery_codes' AS recovery_codes, :'g'::jsonb ->> 'type' AS type;
SELECT test.failure(format($$ SELECT authoob_gotrue_enroll_factor(%L, '{}') $$, :'gb')) AS no_type;
SELECT authoob_gotrue_challenge_factor(:'gb', :'gfactor', '192.0.2.1') AS c \gset
SELECT :'c'::jsonb ->> 'type' AS type, (:'c'::jsonb ->> 'expires_at')::bigint - extract(epoch FROM now())::bigint BETWEEN 290 AND 300 AS five_minutes;
SELECT :'c'::jsonb ->> 'id' AS challenge \gset
\set code `oathtool --totp -b :gsecret`
SELECT test.failure(format($$ SELECT authoob_gotrue_verify_factor(%L, '192.0.2.2') $$, jsonb_build_object('token', :'gb',
    'factor_id', :'gfactor', 'body', jsonb_build_object('challenge_id', :'challenge', 'code', :'code')::text))) AS other_address;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify_factor(%L, '192.0.2.1') $$, jsonb_build_object('token', :'gb',
    'factor_id', :'gfactor', 'body', jsonb_build_object('challenge_id', gen_random_uuid(), 'code', :'code')::text))) AS unknown_challenge;
UPDATE authoob.mfa_challenges SET created_at = now() - interval '6 minutes';
SELECT replace(test.failure(format($$ SELECT authoob_gotrue_verify_factor(%L, '192.0.2.1') $$, jsonb_build_object('token', :'gb',
    'factor_id', :'gfactor', 'body', jsonb_build_object('challenge_id', :'challenge', 'code', :'code')::text))), :'challenge', '<id>') AS expired;
SELECT authoob_gotrue_challenge_factor(:'gb', :'gfactor', '192.0.2.1') ->> 'id' AS challenge \gset
SELECT count(*) AS challenges_kept FROM authoob.mfa_challenges;
SELECT authoob_gotrue_verify_factor(jsonb_build_object('token', :'gb', 'factor_id', :'gfactor',
    'body', jsonb_build_object('challenge_id', :'challenge', 'code', :'code')::text)::text, '192.0.2.1') AS s \gset
SELECT :'s'::jsonb ? 'refresh_token' AS session, test.claims(:'s'::jsonb ->> 'access_token') ->> 'aal' AS aal,
       jsonb_array_length(:'s'::jsonb #> '{user,factors}') AS factors_in_user,
       :'s'::jsonb #>> '{user,factors,0,status}' AS status;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify_factor(%L, '192.0.2.1') $$, jsonb_build_object('token', :'gb',
    'factor_id', :'gfactor', 'body', jsonb_build_object('challenge_id', :'challenge', 'code', :'code')::text))) AS challenge_spent;
-- the user object lists every factor, verified or not, and has no
-- "factors" while there is none
SELECT authoob_gotrue_user(:'a2')::jsonb #>> '{factors,0,friendly_name}' AS name,
       authoob_gotrue_user(:'a2')::jsonb #>> '{factors,0,status}' AS status;
SELECT authoob_register('{"email": "c@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS c \gset
SELECT authoob_gotrue_user(:'c')::jsonb ? 'factors' AS factors_key;

-- The audit log: each enrolment, challenge, verification and removal, as
-- Supabase Auth names them, the user as the actor; a refused code's record
-- outlives its refusal through authoob_attempt (those refused above, called
-- directly, rolled back with theirs).
SELECT authoob_gotrue_challenge_factor(:'gb', :'gfactor', '192.0.2.1') ->> 'id' AS challenge \gset
CALL authoob_attempt('gotrue_mfa_verify', jsonb_build_object('token', :'gb', 'factor_id', upper(:'gfactor'),
    'body', jsonb_build_object('challenge_id', :'challenge', 'code', '000000')::text)::text, '192.0.2.1', NULL, NULL, NULL);
CALL authoob_attempt('mfa_recover', jsonb_build_object('token', :'a2', 'body', '{"code": "aaaaa-aaaaa"}')::text,
    '192.0.2.3', NULL, NULL, NULL);
SELECT u.email, a.action, a.outcome, a.actor = a.target::text AS by_user, a.ip_address,
       a.payload ->> 'factor_type' AS type,
       a.payload ->> 'factor_id' IN (:'factor', :'gfactor', :'e2'::jsonb ->> 'id') AS factor,
       a.payload ->> 'factor_status' AS factor_status, a.payload ? 'challenge_id' AS challenge
FROM authoob.audit_log a JOIN authoob.users u ON u.uuid = a.target
WHERE a.action IN ('factor_in_progress', 'challenge_created', 'verification_attempted', 'factor_unenrolled')
ORDER BY a.id;
-- the factor's id in upper case counted against the factor, not a key of its own
SELECT key = :'gfactor' AS same_key, consecutive FROM authoob.throttle WHERE scope = 'mfa' AND key NOT LIKE 'recovery:%';
SELECT count(*) AS secrets FROM authoob.audit_log a
WHERE a.payload::text ~* (SELECT string_agg(f.secret_text, '|') FROM (VALUES (:'secret'), (:'gsecret'), (:'recovery1')) f (secret_text));

-- The owner lists a user's factors and removes one (auth.admin.mfa.*):
-- never a secret; another user's factor is not found; the removal is
-- audited, and the user's aal2 session lives on at aal1.
SELECT uuid AS buuid FROM authoob.users WHERE email = 'b@example.com' \gset
SELECT uuid AS auuid FROM authoob.users WHERE email = 'a@example.com' \gset
SELECT :'e2'::jsonb ->> 'id' AS afactor \gset
SELECT f ->> 'friendly_name' AS name, f ->> 'status' AS status, f ? 'secret' AS shows_secret
FROM jsonb_array_elements(authoob_admin_list_factors(:'buuid')) f;
SELECT test.failure(format($$ SELECT authoob_admin_delete_factor(%L, %L) $$, :'buuid', :'afactor')) AS anothers_factor;
SELECT test.failure('SELECT authoob_admin_list_factors(gen_random_uuid())') AS no_user;
SELECT s.aal AS before FROM authoob.sessions s WHERE s.user_id = (SELECT id FROM authoob.users WHERE uuid = :'buuid');
SELECT authoob_admin_delete_factor(:'buuid', :'gfactor') - 'created_at' - 'updated_at' - 'id' AS deleted;
SELECT s.aal AS after, s.mfa_method FROM authoob.sessions s WHERE s.user_id = (SELECT id FROM authoob.users WHERE uuid = :'buuid');
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'gb')) AS session_lives;
SELECT authoob_admin_list_factors(:'buuid') AS none_left, jsonb_array_length(authoob_admin_list_factors(:'auuid')) AS a_keeps;
SELECT a.action, a.actor = session_user::text AS by_owner, a.payload ->> 'factor_id' = :'gfactor' AS factor,
       a.payload ->> 'factor_type' AS type
FROM authoob.audit_log a WHERE a.action = 'factor_deleted';
