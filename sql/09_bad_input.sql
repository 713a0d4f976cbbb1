--
-- Bad input: every malformed call is a clear PT400 (or the route's own
-- error), never a crash, and writes nothing.
--
\i sql/fixtures/setup.psql

-- The account the logins below aim at (its password is 1Password).
SELECT authoob_register('{"email": "register@mail.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT count(*) AS users_before FROM authoob.users \gset
SELECT count(*) AS sessions_before FROM authoob.sessions \gset

-- Wrong JSON types where text is expected
SELECT field, kind, test.outcome(format($$ SELECT authoob_register(%L::jsonb) $$,
           jsonb_build_object('email', 'types@example.com', 'password1', '1Password', 'password2', '1Password')
           || jsonb_build_object(field, value))) AS outcome
FROM (VALUES ('email'), ('password1'), ('password2'), ('firstname')) f(field),
     (VALUES ('number', '42'::jsonb), ('array', '["1Password"]'), ('object', '{"a": "b"}'),
             ('null', 'null'), ('boolean', 'true')) v(kind, value)
WHERE NOT (field = 'firstname' AND kind = 'null')  -- null: no first name, accepted
ORDER BY field, kind;

-- NUL bytes: JSON can carry them only escaped, and PostgreSQL text cannot
-- hold them, so they never reach a row.
SELECT test.outcome($$ SELECT authoob_register('{"email": "nul\u0000@example.com", "password1": "1Password", "password2": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com", "password": "1Password\u0000"}') $$);
SELECT test.outcome($$ SELECT authoob_register(E'{"email": "nul@example.com", "password1": "1Pass\\u0000word", "password2": "1Pass\\u0000word"}') $$);

-- 10 MB strings in each field
SELECT field, left(test.outcome(format($$ SELECT authoob_register(%L::jsonb) $$,
           jsonb_build_object('email', 'huge@example.com', 'password1', '1Password', 'password2', '1Password')
           || jsonb_build_object(field, repeat('A1a', 3500000)))), 60) AS outcome
FROM (VALUES ('email'), ('password1'), ('password2'), ('firstname'), ('lastname')) f(field)
ORDER BY field;
SELECT left(test.outcome(format($$ SELECT authoob_login(%L::jsonb) $$,
           jsonb_build_object('email', repeat('a', 10000000), 'password', '1Password'))), 60) AS huge_login;
SELECT left(test.outcome(format($$ SELECT authoob_verify(%L) $$, repeat('a.', 5000000))), 60) AS huge_token;
SELECT left(test.outcome(format($$ SELECT authoob_public_profile(%L) $$, repeat('9', 10000000))), 60) AS huge_id;

-- Deeply nested and odd JSON
SELECT test.outcome(format($$ SELECT authoob_register(%L) $$, repeat('[', 100000) || repeat(']', 100000)));
SELECT test.outcome($$ SELECT authoob_register('{"email": "a@b.io", "password1": "1Password", "password2": "1Password"} trailing') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": 1e999999, "password1": "1Password", "password2": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "\ud800@example.com", "password1": "1Password", "password2": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_register('null') $$);
SELECT test.outcome($$ SELECT authoob_register('{}') $$);

-- Injection strings are data
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com''; DROP TABLE authoob.users; --", "password1": "1Password", "password2": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "'' OR 1=1 --", "password": "'' OR ''1''=''1"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com\" OR \"1\"=\"1", "password": "x"}') $$);

-- Nothing was written.
SELECT count(*) = :users_before AS same_users FROM authoob.users;
SELECT count(*) = :sessions_before AS same_sessions FROM authoob.sessions;
