--
-- Claims: what a new token says (iss, aud, role, sub, email, session_id,
-- aal, amr, iat, exp, jti), the hook custom_access_token, and 0.1's tokens.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "Claims@Example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_login('{"email": "claims@example.com", "password": "1Password"}', '192.0.2.7') ->> 'token' AS tok \gset
SELECT id AS uid FROM authoob.users WHERE email = 'Claims@Example.com' \gset

-- The claims, and the session the token names (a row of authoob.sessions,
-- whose jti column is the session's id); the token has a jti of its own.
SELECT c ->> 'iss' AS iss, c ->> 'aud' AS aud, c ->> 'role' AS role,
       c ->> 'sub' = :'uid'::text AS sub_is_user, c ->> 'email' AS email,
       c ->> 'aal' AS aal, jsonb_typeof(c -> 'amr') AS amr,
       c -> 'amr' -> 0 ->> 'method' AS method,
       (c -> 'amr' -> 0 ->> 'timestamp')::bigint = floor(extract(epoch FROM s.created_at))::bigint AS signed_in_at,
       (c ->> 'exp')::bigint - (c ->> 'iat')::bigint AS lifetime,
       c ->> 'jti' <> c ->> 'session_id' AS own_jti,
       (c ->> 'jti')::uuid IS NOT NULL AS jti_is_uuid,
       s.ip
FROM test.claims(:'tok') c JOIN authoob.sessions s ON s.jti = (c ->> 'session_id')::uuid;
-- authoob writes its own claims first, in this order (the verifier's fast
-- path reads them without a JSON parser)
SELECT convert_from(test.b64url_decode(split_part(:'tok', '.', 2)), 'UTF8')
       ~ '^\{"sub":"\d+","session_id":"[0-9a-f-]{36}","iat":\d+,"exp":\d+,"jti":"[0-9a-f-]{36}","iss":' AS own_form;

-- The settings jwt_issuer (null: api_url + prefix), jwt_audience, jwt_role.
SELECT authoob_configure('{"jwt_issuer": "https://auth.example.com", "jwt_audience": "api", "jwt_role": "web_user"}')
       - ARRAY['secret_key'] ->> 'jwt_issuer' AS issuer;
SELECT authoob_login('{"email": "claims@example.com", "password": "1Password"}') ->> 'token' AS tok2 \gset
SELECT test.claims(:'tok2') ->> 'iss' AS iss, test.claims(:'tok2') ->> 'aud' AS aud,
       test.claims(:'tok2') ->> 'role' AS role, authoob_verify(:'tok2') = :uid AS verified;
SELECT test.outcome($$ SELECT authoob_configure('{"jwt_role": ""}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"jwt_audience": null}') $$);
SELECT test.outcome(format($$ SELECT authoob_configure('{"jwt_issuer": %s}') $$, to_jsonb(repeat('x', 201))));
SELECT test.outcome($$ SELECT authoob_configure('{"jwt_issuer": "a\nb"}') $$);
SELECT authoob_configure('{"jwt_issuer": null, "jwt_audience": "authenticated", "jwt_role": "authenticated"}') ->> 'jwt_issuer' AS issuer;

-- custom_access_token {user, claims} answers {"claims": {...}}: its members
-- are added to the token's claims or replace them.
CREATE FUNCTION add_plan(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('claims', jsonb_build_object(
        'plan', 'gold', 'role', 'premium',
        'user_email', context -> 'user' ->> 'email',
        'sub', context -> 'claims' -> 'sub'))      -- the same value: allowed
$$;
SELECT authoob_add_hook('custom_access_token', 'add_plan(jsonb)');
SELECT authoob_login('{"email": "claims@example.com", "password": "1Password"}') ->> 'token' AS tok3 \gset
SELECT test.claims(:'tok3') ->> 'plan' AS plan, test.claims(:'tok3') ->> 'role' AS role,
       test.claims(:'tok3') ->> 'user_email' AS user_email, test.claims(:'tok3') ->> 'aud' AS aud,
       authoob_verify(:'tok3') = :uid AS verified;
-- GET P/token runs it too
SELECT test.claims(authoob_token(:'tok3') ->> 'token') ->> 'plan' AS plan_again;
SELECT authoob_remove_hook('custom_access_token', 'add_plan(jsonb)');

-- Changing sub, iat, exp, jti, session_id or iss is refused: the request
-- fails (a 500 over HTTP) and nothing is issued.
CREATE FUNCTION change_claim(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('claims', jsonb_build_object(
        current_setting('test.claim'), '"forged"'::jsonb))
$$;
SELECT authoob_add_hook('custom_access_token', 'change_claim(jsonb)');
SELECT count(*) AS sessions_before FROM authoob.sessions \gset
SELECT claim, set_config('test.claim', claim, false) IS NOT NULL AS set,
       test.outcome($$ SELECT authoob_login('{"email": "claims@example.com", "password": "1Password"}') ->> 'token' $$)
FROM unnest(ARRAY['sub', 'iat', 'exp', 'jti', 'session_id', 'iss']) claim;
SELECT count(*) = :sessions_before AS nothing_issued FROM authoob.sessions;
SELECT authoob_remove_hook('custom_access_token', 'change_claim(jsonb)');
-- an answer that is not {"claims": {...}}
CREATE FUNCTION bad_answer(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT '{"plan": "gold"}'::jsonb
$$;
SELECT authoob_add_hook('custom_access_token', 'bad_answer(jsonb)');
SELECT test.outcome($$ SELECT authoob_login('{"email": "claims@example.com", "password": "1Password"}') ->> 'token' $$);
SELECT authoob_remove_hook('custom_access_token', 'bad_answer(jsonb)');

-- A token in 0.1's form (no session_id: its jti names the session) still
-- verifies, in authoob's exact form and in another library's.
SELECT (test.claims(:'tok') ->> 'session_id') AS sid \gset
SELECT authoob_verify(test.sign(test.header(),
           format('{"sub":"%s","iat":%s,"exp":%s,"jti":"%s"}', :uid,
                  extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint + 600, :'sid'))) = :uid
       AS form_0_1_verifies,
       authoob_verify(test.sign(test.header(),
           jsonb_build_object('sub', :'uid'::text, 'iat', 1, 'exp', extract(epoch FROM now())::bigint + 600,
                              'jti', :'sid')::text)) = :uid AS parsed_form_0_1_verifies;
-- Forged claims are caught by the signature; signed ones must name a live
-- session of their sub: another user's session, or a repeated claim after
-- authoob's own, plainly or with escapes (the JSON parser reads the last:
-- an expired exp, another user's session).
SELECT authoob_register('{"email": "other@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS other \gset
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    split_part(:'tok', '.', 1) || '.' ||
    test.b64url(convert_to(jsonb_set(test.claims(:'tok'), '{session_id}', test.claims(:'other') -> 'session_id')::text, 'UTF8')) ||
    '.' || split_part(:'tok', '.', 3))) AS forged_session;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), jsonb_set(test.claims(:'tok'), '{session_id}', test.claims(:'other') -> 'session_id')::text)))
    AS another_users_session;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), rtrim(convert_from(test.b64url_decode(split_part(:'tok', '.', 2)), 'UTF8'), '}')
                             || ',"exp":1000000000}'))) AS repeated_exp;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), rtrim(convert_from(test.b64url_decode(split_part(:'tok', '.', 2)), 'UTF8'), '}')
                             || ',"\u0073ession_id":"' || (test.claims(:'other') ->> 'session_id') || '"}'))) AS escaped_repeated_key;
