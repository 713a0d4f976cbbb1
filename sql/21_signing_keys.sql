--
-- Signing keys: tokens signed with ES256, EdDSA or RS256 keys made in the
-- database (setting signing_alg), rotated as the HS256 secret is, their
-- public halves published by authoob_jwks(); forgeries refused.
--
\i sql/fixtures/setup.psql

CREATE FUNCTION test.token_header(token text) RETURNS text
LANGUAGE sql AS $$
    SELECT convert_from(test.b64url_decode(split_part(token, '.', 1)), 'UTF8')
$$;

-- Claims a forger would sign: those of a token's live session, in
-- authoob's own form, issued now and valid for ten minutes.
CREATE FUNCTION test.fresh_claims(token text) RETURNS text
LANGUAGE sql AS $$
    SELECT format('{"sub":"%s","session_id":"%s","iat":%s,"exp":%s,"jti":"%s"}',
                  c ->> 'sub', c ->> 'session_id', extract(epoch FROM now())::bigint,
                  extract(epoch FROM now())::bigint + 600, gen_random_uuid())
    FROM test.claims(token) c
$$;

SELECT authoob_register('{"email": "keys@mail.com", "password1": "New1Password", "password2": "New1Password"}') IS NOT NULL AS registered;
SELECT id AS uid FROM authoob.users WHERE email = 'keys@mail.com' \gset
SELECT authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token' AS hs256 \gset

-- By default: HS256 with the shared secret, and nothing to publish.
SELECT authoob_settings() ->> 'signing_alg' AS signing_alg,
       test.token_header(:'hs256') = test.header() AS secret_header,
       authoob_jwks() AS jwks;
SELECT test.outcome($$ SELECT authoob_configure('{"signing_alg": "HS512"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"signing_alg": "none"}') $$);

-- Each asymmetric algorithm in turn (sql/fixtures/signing_alg.psql).
\set alg ES256
\i sql/fixtures/signing_alg.psql
\set alg EdDSA
\i sql/fixtures/signing_alg.psql
\set alg RS256
\i sql/fixtures/signing_alg.psql

-- Leaving an alg rotates its key out (a token lifetime, by default): its
-- tokens still verify, and so do the secret's (it left with HS256, below).
SELECT kid AS rs256_kid FROM authoob.signing_keys WHERE alg = 'RS256' AND valid_until IS NULL \gset
SELECT authoob_configure('{"signing_alg": "ES256"}') ->> 'signing_alg' AS signing_alg;
SELECT alg, valid_until IS NULL AS current,
       abs(extract(epoch FROM valid_until - now()) - 86400) < 60 AS valid_for_token_ttl
FROM authoob.signing_keys WHERE kid = :'rs256_kid';
SELECT authoob_verify(:'t2') = :uid AS rs256_token_verifies,
       authoob_verify(:'hs256') = :uid AS hs256_token_verifies;

-- The JWKS: public members only, and never a secret.
SELECT k ->> 'kty' AS kty, k ->> 'alg' AS alg, k ->> 'use' AS use, k ->> 'crv' AS crv,
       array(SELECT jsonb_object_keys(k) ORDER BY 1) AS members,
       length(k ->> 'kid') AS kid_length
FROM jsonb_array_elements(authoob_jwks() -> 'keys') k
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2;

--
-- Forgeries, each with the claims of a live session (only the header or
-- the signature makes them wrong), all PT401.
--
SELECT authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token' AS es \gset
SELECT kid AS es_kid, public_jwk AS es_jwk FROM authoob.signing_keys WHERE alg = 'ES256' AND valid_until IS NULL \gset
SELECT convert_from(test.b64url_decode(split_part(:'es', '.', 2)), 'UTF8') AS claims,
       split_part(:'es', '.', 3) AS es_signature \gset
SELECT authoob_verify(:'es') = :uid AS the_real_one_verifies;

-- the alg changed, the signature kept
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(format('{"alg":"%s","kid":"%s","typ":"JWT"}', alg, :'es_kid'), 'UTF8'))
    || '.' || split_part(:'es', '.', 2) || '.' || :'es_signature'))
FROM unnest(ARRAY['ES384', 'EdDSA', 'RS256', 'ES256 ']) alg;
-- the same header in another form: keys in another order, spaces
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(header, 'UTF8')) || '.' || split_part(:'es', '.', 2) || '.' || :'es_signature'))
FROM unnest(ARRAY[format('{"kid":"%s","alg":"ES256","typ":"JWT"}', :'es_kid'),
                  format('{"alg": "ES256", "kid": "%s", "typ": "JWT"}', :'es_kid')]) header;
-- a kid not in the set (one gone, one never made)
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(format('{"alg":"ES256","kid":"%s","typ":"JWT"}', kid), 'UTF8'))
    || '.' || split_part(:'es', '.', 2) || '.' || :'es_signature'))
FROM unnest(ARRAY[:'kid1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) kid;
-- alg none, with the kid and without, no signature
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.b64url(convert_to(header, 'UTF8')) || '.' || split_part(:'es', '.', 2) || '.'))
FROM unnest(ARRAY[format('{"alg":"none","kid":"%s","typ":"JWT"}', :'es_kid'),
                  '{"alg":"none","typ":"JWT"}']) header;
-- algorithm confusion: HS256 naming the public key's kid, the HMAC keyed
-- with what a verifier might take for the key (the public JWK's text, its
-- x coordinate's bytes) or even with the real secret
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    test.sign(format('{"alg":"HS256","kid":"%s","typ":"JWT"}', :'es_kid'), :'claims', key)))
FROM unnest(ARRAY[convert_to(:'es_jwk', 'UTF8'), test.b64url_decode(:'es_jwk'::jsonb ->> 'x'),
                  (SELECT secret_key FROM authoob.settings)]) key;
-- the signature changed: another token's, DER instead of r || s, cut short
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    split_part(:'es', '.', 1) || '.' || split_part(:'es', '.', 2) || '.' || signature))
FROM unnest(ARRAY[split_part(authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token', '.', 3),
                  test.b64url('\x3044'::bytea || '\x0220'::bytea || substring(test.b64url_decode(:'es_signature') FROM 1 FOR 32)
                              || '\x0220'::bytea || substring(test.b64url_decode(:'es_signature') FROM 33 FOR 32)),
                  left(:'es_signature', 80)]) signature;
-- the claims changed under a real signature
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$,
    split_part(:'es', '.', 1) || '.' || test.b64url(convert_to(replace(:'claims', '"exp":', '"exp":1'), 'UTF8'))
    || '.' || :'es_signature'));

-- HS256 again: authoob_rotate_key rotates the secret.
SELECT authoob_configure('{"signing_alg": "HS256"}') ->> 'signing_alg' AS signing_alg;
SELECT length(authoob_rotate_key() ->> 'kid') AS secret_kid_length,
       (SELECT count(*) FROM authoob.signing_keys WHERE valid_until IS NULL) AS current_asymmetric_keys,
       authoob_verify(:'es') = :uid AS es256_token_still_verifies;

-- Leaving HS256 retires the secret as a rotation does: for a token
-- lifetime it verifies what it signs (a token forged with it too: only its
-- holders could), then nothing; the secret left in its place is a new one,
-- which verifies nothing while another alg signs.
SELECT secret_key AS old_secret, test.header() AS old_header FROM authoob.settings \gset
SELECT substring(:'old_header' FROM '"kid":"([^"]+)"') AS old_kid \gset
SELECT authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token' AS before_switch \gset
SELECT authoob_configure('{"signing_alg": "ES256"}') ->> 'signing_alg' AS signing_alg;
SELECT s.secret_key <> :'old_secret'::bytea AS new_secret,
       abs(extract(epoch FROM k.valid_until - now()) - 86400) < 60 AS old_one_valid_for_token_ttl
FROM authoob.settings s, authoob.previous_keys k WHERE k.kid = :'old_kid';
SELECT test.fresh_claims(:'before_switch') AS fresh_claims \gset
SELECT test.sign(:'old_header', :'fresh_claims', :'old_secret'::bytea) AS forged \gset
SELECT authoob_verify(:'before_switch') = :uid AS signed_before_verifies,
       authoob_verify(:'forged') = :uid AS forged_verifies_within_token_ttl,
       authoob_profile(:'forged') ->> 'email' AS forged_profile;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, test.sign(test.header(), :'fresh_claims')))
       AS new_secret_under_es256;
-- the token lifetime is over
UPDATE authoob.previous_keys SET valid_until = now() - interval '1 second' WHERE kid = :'old_kid';
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'forged')) AS forged_verify,
       test.outcome(format($$ SELECT authoob_profile(%L) ->> 'email' $$, :'forged')) AS forged_profile,
       test.outcome(format($$ SELECT authoob_verify(%L) $$, :'before_switch')) AS signed_before;
-- back to HS256: the new secret signs, the old one stays refused
SELECT authoob_configure('{"signing_alg": "HS256"}') ->> 'signing_alg' AS signing_alg;
SELECT authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token' AS after_return \gset
SELECT test.token_header(:'after_return') = test.header() AS signed_with_the_current_secret,
       test.header() <> :'old_header' AS not_the_old_one,
       authoob_verify(:'after_return') = :uid AS verifies,
       authoob_verify(test.sign(test.header(), :'fresh_claims')) = :uid AS current_secret_verifies;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'forged')) AS forged_verify;

-- A secret set with the change of alg is the owner's choice for a later
-- HS256 (setting it ends every session): kept, but it verifies nothing
-- until HS256 is back.
SELECT authoob_configure('{"signing_alg": "ES256", "secret_key": "a shared secret of at least 32 bytes, C"}')
       ->> 'signing_alg' AS signing_alg;
SELECT secret_key = convert_to('a shared secret of at least 32 bytes, C', 'UTF8') AS secret_kept,
       (SELECT count(*) FROM authoob.previous_keys) AS previous_keys
FROM authoob.settings;
SELECT authoob_login('{"email": "keys@mail.com", "password": "New1Password"}') ->> 'token' AS under_es256 \gset
SELECT test.fresh_claims(:'under_es256') AS fresh_claims \gset
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, test.sign(test.header(), :'fresh_claims')))
       AS chosen_secret_under_es256;
SELECT authoob_configure('{"signing_alg": "HS256"}') ->> 'signing_alg' AS signing_alg;
SELECT authoob_verify(test.sign(test.header(), :'fresh_claims')) = :uid AS chosen_secret_verifies_under_hs256;

-- Privileges: the private keys are the owner's; the JWKS is anyone's.
CALL test.drop_roles('regress_authoob_keys_api', 'regress_authoob_keys_plain');
CREATE ROLE regress_authoob_keys_api IN ROLE authoob_api;
CREATE ROLE regress_authoob_keys_plain;
SET ROLE regress_authoob_keys_api;
SELECT test.outcome($$ SELECT count(*) FROM authoob.signing_keys $$);
SELECT test.outcome($$ SELECT authoob_rotate_key() $$);
SELECT test.outcome($$ SELECT authoob_new_signing_key('ES256', NULL) $$);
SELECT jsonb_array_length(authoob_jwks() -> 'keys') > 0 AS api_reads_jwks,
       bool_and(NOT k ?| ARRAY['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) AS no_private_member
FROM jsonb_array_elements(authoob_jwks() -> 'keys') k;
SET ROLE regress_authoob_keys_plain;
SELECT jsonb_array_length(authoob_jwks() -> 'keys') > 0 AS public_reads_jwks;
RESET ROLE;
DROP ROLE regress_authoob_keys_api, regress_authoob_keys_plain;
