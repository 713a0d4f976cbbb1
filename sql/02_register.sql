--
-- Registering: POST /authoob/register
--
\i sql/fixtures/setup.psql

-- Success answers {"token": <JWT>}, a token that works at once.
SELECT authoob_register('{"email": "register@mail.com",
                          "password1": "1Password", "password2": "1Password"}') AS r \gset
SELECT jsonb_object_keys(:'r'::jsonb) AS keys;
SELECT (:'r'::jsonb ->> 'token') ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' AS is_jwt;
SELECT authoob_profile(:'r'::jsonb ->> 'token') ->> 'email' AS email;

-- firstname and lastname may come along; a jsonb argument works as well as text.
SELECT authoob_register(jsonb_build_object(
    'email', 'ada@example.com', 'password1', 'Analytical1', 'password2', 'Analytical1',
    'firstname', 'Ada', 'lastname', 'Lovelace')) IS NOT NULL AS registered;
SELECT email, firstname, lastname, active, confirmed_at IS NULL AS unconfirmed,
       login_count, password LIKE '$2a$04$%' AS bcrypt_hash
FROM authoob.users ORDER BY id;

-- Errors, checked in the original's order: missing data (a body that is
-- not a JSON object), password policy (a missing password fails it),
-- mismatching passwords (so does a missing password2), invalid email (so
-- does a missing one), already registered.
SELECT test.outcome($$ SELECT authoob_register(NULL::text) $$);
SELECT test.outcome($$ SELECT authoob_register('') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com"') $$);
SELECT test.outcome($$ SELECT authoob_register('["x@example.com"]') $$);
SELECT test.outcome($$ SELECT authoob_register('"x@example.com"') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com", "password1": "test"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com", "password1": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"password1": "1Password", "password2": "1Password"}') $$);
-- the policy: 8 characters, an upper-case letter, a digit
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com", "password1": "1Pass", "password2": "1Pass"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com", "password1": "1password", "password2": "1password"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "x@example.com", "password1": "Passwords", "password2": "Passwords"}') $$);
-- policy comes before the comparison, the comparison before the email
SELECT test.outcome($$ SELECT authoob_register('{"email": "bad", "password1": "weak", "password2": "other"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "bad", "password1": "1Password", "password2": "2Password"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "bad", "password1": "1Password", "password2": "1Password"}') $$);
-- already registered, whatever the case of the address
SELECT test.outcome($$ SELECT authoob_register('{"email": "Register@Mail.COM", "password1": "1Password", "password2": "1Password"}') $$);

-- Email rules: ASCII, one @, a dotted domain with an alphabetic last label.
SELECT address, authoob_register(jsonb_build_object(
           'email', address, 'password1', '1Password', 'password2', '1Password')) IS NOT NULL AS accepted
FROM (VALUES ('first.last+tag@sub.example.org'), ('o''hara@example.ie'), ('x_y-z@a-b.co')) v(address);
SELECT address, test.outcome(format($$ SELECT authoob_register(%L::jsonb) $$,
           jsonb_build_object('email', address, 'password1', '1Password', 'password2', '1Password'))) AS outcome
FROM (VALUES ('plainaddress'), ('@example.com'), ('a@'), ('a@b'), ('a@b.c1'), ('a@@b.io'),
             ('a b@example.com'), ('.a@example.com'), ('a..b@example.com'), ('a.@example.com'),
             ('a@-b.io'), ('a@b-.io'), ('a@b..io'), ('a@.b.io'), ('jörg@example.com'),
             ('a@exämple.com'), ('a@b.io '), (' a@b.io'), ('"a"@b.io'), ('a@b.io,c@d.io')) v(address);

-- Nothing was written by any refused call.
SELECT count(*) AS users FROM authoob.users;
