--
-- Secret rotation: a new signing key becomes current; the previous one
-- still verifies the tokens it signed until a chosen time, then it is gone.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "register@mail.com", "password1": "New1Password", "password2": "New1Password"}') IS NOT NULL AS registered;
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') ->> 'token' AS old \gset
SELECT test.claims(:'old') IS NOT NULL AS logged_in, test.header() AS old_header \gset

SELECT authoob_rotate_secret(interval '1 hour') AS rotation \gset
SELECT :'rotation'::jsonb ->> 'previous_kid' = substring(:'old_header' FROM '"kid":"([^"]+)"') AS previous_is_the_old_key,
       :'rotation'::jsonb ->> 'kid' <> :'rotation'::jsonb ->> 'previous_kid' AS new_kid,
       abs(extract(epoch FROM (:'rotation'::jsonb ->> 'previous_valid_until')::timestamptz - now()) - 3600) < 60 AS valid_for_an_hour;
SELECT length(kid) AS kid_length, length(secret) AS secret_bytes FROM authoob.previous_keys
WHERE kid = :'rotation'::jsonb ->> 'previous_kid';

-- New tokens carry the new kid; old ones still verify.
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') ->> 'token' AS new \gset
SELECT convert_from(test.b64url_decode(split_part(:'new', '.', 1)), 'UTF8') = test.header() AS signed_with_the_new_key,
       convert_from(test.b64url_decode(split_part(:'new', '.', 1)), 'UTF8') <> :'old_header' AS not_the_old_one;
SELECT authoob_verify(:'old') = authoob_verify(:'new') AS both_verify;

-- When its time is up, the previous key is gone, and so are its tokens.
UPDATE authoob.previous_keys SET valid_until = now() - interval '1 second'
WHERE kid = :'rotation'::jsonb ->> 'previous_kid';
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'old'));
SELECT authoob_verify(:'new') IS NOT NULL AS new_still_valid;

-- By default the previous key lives as long as a token does; a rotation
-- with no grace ends the old tokens at once (and forgets expired keys).
SELECT abs(extract(epoch FROM (authoob_rotate_secret() ->> 'previous_valid_until')::timestamptz - now()) - 86400) < 60
       AS valid_for_token_ttl;
SELECT authoob_verify(:'new') IS NOT NULL AS still_valid_after_second_rotation;
SELECT count(*) AS expired_keys_kept FROM authoob.previous_keys WHERE valid_until <= now();
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') ->> 'token' AS latest \gset
SELECT authoob_rotate_secret(interval '0') IS NOT NULL AS rotated;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'latest'));
SELECT authoob_verify(:'new') IS NOT NULL AS earlier_key_keeps_its_own_time;

-- Setting secret_key is a clean break: every session ends and no earlier
-- key verifies anything, so setting a key back revives none of its tokens.
SELECT authoob_configure('{"secret_key": "a shared secret of at least 32 bytes, A"}') IS NOT NULL AS set_a;
SELECT authoob_login('{"email": "register@mail.com", "password": "New1Password"}') ->> 'token' AS under_a \gset
SELECT authoob_rotate_secret(interval '1 hour') IS NOT NULL AS rotated;
SELECT authoob_verify(:'under_a') IS NOT NULL AS verifies_after_rotation;
SELECT authoob_configure('{"secret_key": "a shared secret of at least 32 bytes, B"}') IS NOT NULL AS set_b;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'under_a'));
SELECT count(*) AS sessions, (SELECT count(*) FROM authoob.previous_keys) AS previous_keys FROM authoob.sessions;
SELECT authoob_configure('{"secret_key": "a shared secret of at least 32 bytes, A"}') IS NOT NULL AS set_a_again;
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'under_a'));

-- Only the owner rotates.
CALL test.drop_roles('regress_authoob_rotator');
CREATE ROLE regress_authoob_rotator IN ROLE authoob_api;
SET ROLE regress_authoob_rotator;
SELECT test.outcome($$ SELECT authoob_rotate_secret() $$);
RESET ROLE;
DROP ROLE regress_authoob_rotator;
