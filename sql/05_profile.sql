--
-- Profiles: GET /authoob/profile, GET /authoob/profile/<id>, PUT /authoob/profile
--
\i sql/fixtures/setup.psql

SELECT authoob_register(jsonb_build_object(
    'email', 'ada@example.com', 'password1', 'Analytical1', 'password2', 'Analytical1',
    'firstname', 'Ada', 'lastname', 'Lovelace')) IS NOT NULL AS registered;
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') ->> 'token' AS tok \gset
SELECT id AS uid FROM authoob.users WHERE email = 'ada@example.com' \gset

-- The private user JSON: exactly these keys, never a hash or a token.
SELECT array_agg(k ORDER BY k) AS private_keys FROM jsonb_object_keys(authoob_profile(:'tok')) k;
SELECT authoob_profile(:'tok') - 'create_date' - 'update_date' - 'id' AS profile;
SELECT (authoob_profile(:'tok') ->> 'id')::bigint = :uid AS own_id;
SELECT test.outcome($$ SELECT authoob_profile(NULL) $$);
SELECT test.outcome($$ SELECT authoob_profile('not a token') $$);

-- The public user JSON: id and username, for anyone.
SELECT authoob_public_profile(:'uid') - 'id' AS public_profile;
SELECT test.outcome($$ SELECT authoob_public_profile('999999') $$);
SELECT test.outcome($$ SELECT authoob_public_profile('abc') $$);
SELECT test.outcome($$ SELECT authoob_public_profile('-1') $$);
SELECT test.outcome($$ SELECT authoob_public_profile('1 OR 1=1') $$);
SELECT test.outcome($$ SELECT authoob_public_profile('99999999999999999999999') $$);
SELECT test.outcome($$ SELECT authoob_public_profile('') $$);
SELECT test.outcome($$ SELECT authoob_public_profile(NULL) $$);

-- Updating: username, firstname, lastname; unknown keys are ignored; id and
-- email never change here; null clears a field; update_date moves.
SELECT update_date AS before_update FROM authoob.users WHERE id = :uid \gset
SELECT authoob_update_profile(:'tok', '{"username": "ada", "firstname": "Augusta Ada",
    "id": 12345, "email": "other@example.com", "is_admin": true}') - 'create_date' - 'update_date' - 'id' AS updated;
SELECT id = :uid AS same_id, email, username, firstname, lastname,
       update_date > :'before_update'::timestamptz AS update_date_moved
FROM authoob.users WHERE id = :uid;
SELECT authoob_update_profile(:'tok', '{"lastname": null}') ->> 'lastname' AS lastname;
SELECT authoob_update_profile(:'tok', '{}') ->> 'username' AS unchanged;
SELECT authoob_update_profile(:'tok', jsonb_build_object('firstname', 'Ada')) ->> 'firstname' AS jsonb_argument;
SELECT authoob_public_profile(:'uid') ->> 'username' AS public_username;

-- A bad value is a 400 naming the field, and changes nothing.
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, '{"username": 42}') $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, '{"firstname": ["a"]}') $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, '{"lastname": {"a": 1}}') $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, '{"username": "ok", "lastname": true}') $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, %L) $$, :'tok',
    jsonb_build_object('username', repeat('x', 256))));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, 'nope') $$, :'tok'));
SELECT test.outcome(format($$ SELECT authoob_update_profile(%L, NULL::text) $$, :'tok'));
SELECT test.outcome($$ SELECT authoob_update_profile('bad token', '{"username": "x"}') $$);
SELECT username, firstname, lastname FROM authoob.users WHERE id = :uid;
-- names are text: any Unicode, quotes and SQL are stored as given
SELECT authoob_update_profile(:'tok', '{"username": "Ада 👩‍💻", "lastname": "O''Brien\"); DROP TABLE authoob.users; --"}')
    - 'create_date' - 'update_date' - 'id' AS stored_as_given;
SELECT count(*) > 0 AS users_table_still_there FROM authoob.users;
