--
-- Tokens: standard HS256 JWTs, refused when anything is wrong with them.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "register@mail.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS tok \gset
SELECT id AS uid FROM authoob.users WHERE email = 'register@mail.com' \gset

-- The header names the signing key (kid); the claims are sub (the user id
-- as a string), session_id, iat, exp, jti, iss, aud, role, email, aal, amr
-- (sql/22_claims shows them).
SELECT regexp_replace(convert_from(test.b64url_decode(split_part(:'tok', '.', 1)), 'UTF8'),
                      '"kid":"[A-Za-z0-9_-]{11}"', '"kid":"<kid>"') AS header;
SELECT convert_from(test.b64url_decode(split_part(:'tok', '.', 1)), 'UTF8') = test.header() AS kid_of_the_secret;
SELECT array_agg(k ORDER BY k) AS claims FROM jsonb_object_keys(test.claims(:'tok')) k;
SELECT test.claims(:'tok') ->> 'sub' = :'uid'::text AS sub_is_user,
       jsonb_typeof(test.claims(:'tok') -> 'sub') AS sub_type,
       jsonb_typeof(test.claims(:'tok') -> 'iat') AS iat_type,
       (test.claims(:'tok') ->> 'exp')::bigint - (test.claims(:'tok') ->> 'iat')::bigint AS lifetime,
       abs((test.claims(:'tok') ->> 'iat')::bigint - extract(epoch FROM now())::bigint) < 60 AS issued_now,
       (test.claims(:'tok') ->> 'jti')::uuid IS NOT NULL AS jti_is_uuid;
-- The signature is HMAC-SHA256 of "header.claims" with the secret: any JWT
-- library verifies it (t/ checks one).
SELECT test.sign(convert_from(test.b64url_decode(split_part(:'tok', '.', 1)), 'UTF8'),
                 convert_from(test.b64url_decode(split_part(:'tok', '.', 2)), 'UTF8')) = :'tok'
       AS signature_is_standard;

-- authoob_verify: the user id, for the rest of the application.
SELECT authoob_verify(:'tok') = :uid AS verified;

-- GET /authoob/token: a fresh token in the same session; the old one still
-- works.
SELECT authoob_token(:'tok') ->> 'token' AS tok2 \gset
SELECT :'tok2' <> :'tok' AS is_new, authoob_verify(:'tok2') = :uid AS verified,
       authoob_verify(:'tok') = :uid AS old_still_valid,
       test.claims(:'tok2') ->> 'session_id' = test.claims(:'tok') ->> 'session_id' AS same_session,
       test.claims(:'tok2') ->> 'jti' <> test.claims(:'tok') ->> 'jti' AS own_jti,
       (SELECT count(*) FROM authoob.sessions) AS sessions;

-- Refused, all with PT401 "Authentication failed":
-- no token, garbage, wrong shape, bad base64
SELECT test.outcome($$ SELECT authoob_verify(NULL) $$);
SELECT test.outcome($$ SELECT authoob_verify('') $$);
SELECT test.outcome($$ SELECT authoob_verify('garbage') $$);
SELECT test.outcome($$ SELECT authoob_verify('a.b') $$);
SELECT test.outcome($$ SELECT authoob_verify('a.b.c.d') $$);
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'tok' || '.'));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, replace(:'tok', '.', '.!')));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, repeat('A', 5000)));
-- a signature that is not the secret's: tampered claims, another key
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    split_part(:'tok', '.', 1) || '.' ||
    test.b64url(convert_to(jsonb_set(test.claims(:'tok'), '{sub}', '"2"')::text, 'UTF8')) || '.' ||
    split_part(:'tok', '.', 3)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), test.claims(:'tok')::text, 'another secret of thirty-two bytes!!')));
-- "alg": "none", with and without a signature
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(test.header('none'), 'UTF8')) || '.' || split_part(:'tok', '.', 2) || '.'));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(test.header('none'), 'UTF8')) || '.' || split_part(:'tok', '.', 2) || '.' || split_part(:'tok', '.', 3)));
-- signed with the secret, yet refused: no kid or another header, another
-- algorithm named, claims not JSON or of the wrong shape, expired, unknown jti
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign('{"alg":"HS256","typ":"JWT"}', test.claims(:'tok')::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(replace(test.header(), '"typ":"JWT"', '"typ":"JWT","x":1'), test.claims(:'tok')::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header('HS512'), test.claims(:'tok')::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), 'not json')));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), '[1, 2]')));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), (test.claims(:'tok') - 'exp')::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), jsonb_set(test.claims(:'tok'), '{sub}', :uid::text::jsonb)::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), jsonb_set(test.claims(:'tok'), '{exp}', '1000000000')::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(test.header(), jsonb_set(test.claims(:'tok'), '{session_id}', to_jsonb(gen_random_uuid()::text))::text)));
-- a token whose session expired in the database
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS other \gset
UPDATE authoob.sessions SET expires_at = now() - interval '1 second'
WHERE jti = (test.claims(:'other') ->> 'session_id')::uuid;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'other'));

-- Logout (GET/POST /authoob/logout) ends that token's session (the
-- tokens GET /authoob/token gave in it too), and only that one.
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS tok3 \gset
SELECT authoob_logout(:'tok') IS NULL AS no_body;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'tok2'));
SELECT test.outcome(format($$ SELECT authoob_logout(%L) $$, :'tok'));
SELECT authoob_verify(:'tok3') = :uid AS other_session_valid;

-- A deactivated user's tokens stop working; reactivated, they work again.
UPDATE authoob.users SET active = false WHERE id = :uid;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'tok3'));
UPDATE authoob.users SET active = true WHERE id = :uid;
SELECT authoob_verify(:'tok3') = :uid AS valid_again;

-- A deleted user's tokens go with the user.
SELECT authoob_register('{"email": "gone@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS gone \gset
DELETE FROM authoob.users WHERE email = 'gone@example.com';
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'gone'));

-- A new secret invalidates every token signed with the old one.
SELECT authoob_configure('{"secret_key": "a new secret of at least 32 bytes, shared"}') ? 'secret_key' AS shows_secret;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'tok3'));
SELECT length(secret_key) FROM authoob.settings;

-- Tokens live token_ttl seconds.
SELECT authoob_configure('{"token_ttl": 600}') ->> 'token_ttl' AS token_ttl;
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS short \gset
SELECT (test.claims(:'short') ->> 'exp')::bigint - (test.claims(:'short') ->> 'iat')::bigint AS lifetime;
SELECT authoob_configure('{"token_ttl": 86400}') ->> 'token_ttl' AS token_ttl;

-- Signed with the secret but in another form: numbers out of range, a sub
-- that is not a number, a jti that is not a uuid — a clean 401 each.
SELECT v AS claims, test.outcome(format($$ SELECT authoob_verify(%L) $$, test.sign(test.header(), v))) AS outcome
FROM (VALUES ('{"sub": "1", "iat": 1, "exp": 1e999999, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "1", "iat": 1, "exp": 99999999999999999999999, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "1", "iat": 1.5, "exp": 4000000000, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "abc", "iat": 1, "exp": 4000000000, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "-1", "iat": 1, "exp": 4000000000, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "99999999999999999999", "iat": 1, "exp": 4000000000, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub": "1", "iat": 1, "exp": 4000000000, "jti": "not-a-uuid"}'),
             ('{"sub": "1", "iat": 1, "exp": -5, "jti": "00000000-0000-0000-0000-000000000000"}'),
             ('{"sub":"1","iat":1,"exp":4000000000,"jti":"00000000-0000-0000-0000-00000000000G"}')) t(v);
