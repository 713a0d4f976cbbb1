--
-- Custom user fields (the seed's CustomUserMixin): columns added to
-- authoob.users, registered as exposed, updatable and/or public.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "hooked@example.com", "password1": "3Password", "password2": "3Password"}') IS NOT NULL AS registered;
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') ->> 'token' AS tok \gset
SELECT id AS uid FROM authoob.users WHERE email = 'hooked@example.com' \gset
-- a username, which a refused update below must leave as it is
SELECT authoob_update_profile(:'tok', '{"username": "hooked"}') ->> 'username' AS username;

-- The seed's example: test_field, updatable and exposed.
ALTER TABLE authoob.users ADD COLUMN test_field text;
SELECT authoob_add_field('test_field', exposed => true, updatable => true);
SELECT authoob_profile(:'tok') -> 'test_field' AS test_field;
SELECT authoob_update_profile(:'tok', '{"test_field": "a value"}') ->> 'test_field' AS updated;
SELECT test_field FROM authoob.users WHERE id = :uid;
-- not public unless registered so
SELECT authoob_public_profile(:'uid') ? 'test_field' AS in_public;
SELECT authoob_add_field('test_field', exposed => true, updatable => true, public => true);
SELECT authoob_public_profile(:'uid') ->> 'test_field' AS in_public;

-- Values are cast to the column's type; what does not fit is a 400 naming
-- the field, and changes nothing.
ALTER TABLE authoob.users ADD COLUMN age integer CHECK (age >= 0),
                          ADD COLUMN nickname varchar(8),
                          ADD COLUMN newsletter boolean NOT NULL DEFAULT false,
                          ADD COLUMN preferences jsonb,
                          ADD COLUMN internal_note text;
SELECT authoob_add_field('age', updatable => true);
SELECT authoob_add_field('nickname', updatable => true);
SELECT authoob_add_field('newsletter', updatable => true);
SELECT authoob_add_field('preferences', updatable => true);
SELECT authoob_add_field('internal_note', exposed => false);
SELECT key, value FROM jsonb_each(authoob_update_profile(:'tok', '{"age": 36, "nickname": "Ada",
    "newsletter": true, "preferences": {"theme": "dark"}, "internal_note": "ignored: not updatable"}'))
WHERE key IN ('age', 'nickname', 'newsletter', 'preferences', 'internal_note') ORDER BY key;
SELECT authoob_update_profile(:'tok', '{"age": "37"}') -> 'age' AS string_cast;
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, %L) $$, :'tok', v)) AS outcome
FROM (VALUES ('{"age": "old"}'), ('{"age": 1.5}'), ('{"age": -1}'), ('{"age": [1]}'),
             ('{"age": 99999999999}'), ('{"nickname": "far too long"}'),
             ('{"newsletter": null}'), ('{"newsletter": "maybe"}'),
             ('{"username": "fine", "age": "bad"}')) t(v);
SELECT username, age, nickname, newsletter, internal_note FROM authoob.users WHERE id = :uid;

-- The extension's own columns, the password hash among them, can never be
-- registered; nor can a column that does not exist.
SELECT test.outcome($$ SELECT authoob_add_field('password', exposed => true) $$);
SELECT test.outcome($$ SELECT authoob_add_field('email', public => true) $$);
SELECT test.outcome($$ SELECT authoob_add_field('no_such_column') $$);

-- Removing a field hides it again; a dropped column simply disappears.
SELECT authoob_remove_field('nickname');
SELECT authoob_profile(:'tok') ? 'nickname' AS shows_nickname;
ALTER TABLE authoob.users DROP COLUMN preferences;
SELECT authoob_profile(:'tok') ? 'preferences' AS shows_preferences;
SELECT array_agg(k ORDER BY k) AS private_keys FROM jsonb_object_keys(authoob_profile(:'tok')) k;

-- Exposed fields are part of the user JSON hooks receive.
CREATE TABLE seen (context jsonb);
CREATE FUNCTION remember(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO seen VALUES (context); SELECT NULL::jsonb
$$;
SELECT authoob_add_hook('post_login', 'remember(jsonb)');
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') IS NOT NULL AS logged_in;
SELECT context -> 'user' -> 'test_field' AS test_field_in_hook FROM seen;
SELECT authoob_remove_hook('post_login', 'remember(jsonb)');
DROP TABLE seen;

-- Fields are removed, then their columns dropped.
SELECT authoob_remove_field(name) FROM authoob.user_fields ORDER BY name;
ALTER TABLE authoob.users DROP COLUMN age, DROP COLUMN nickname, DROP COLUMN newsletter,
                          DROP COLUMN internal_note;

-- A value too large for a unique custom field's index is the user's 400 too.
ALTER TABLE authoob.users ADD COLUMN handle text UNIQUE;
SELECT authoob_add_field('handle', updatable => true);
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, %L) $$, :'tok',
    jsonb_build_object('handle', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 130) i))));
SELECT authoob_remove_field('handle');
ALTER TABLE authoob.users DROP COLUMN handle;
