--
-- Password hashes: bcrypt (the default) or argon2id; every kind verifies,
-- and a login replaces a hash made with older settings.
--
\i sql/fixtures/setup.psql

CREATE FUNCTION hash_of(address text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(password, '^(\$[^$]+\$(v=[0-9]+\$)?[^$]+\$).*$', '\1')
    FROM authoob.users WHERE email = address
$$;
SELECT authoob_register('{"email": "hashes@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT hash_of('hashes@example.com') AS bcrypt_cost_4;

-- Moving to argon2id (small parameters here, to keep the tests fast).
SELECT key, value FROM jsonb_each(authoob_configure('{"password_hash": "argon2id",
    "argon2_memory": 1024, "argon2_time": 1, "argon2_parallelism": 1}'))
WHERE key LIKE 'argon2%' OR key = 'password_hash' ORDER BY key;
SELECT hash_of('hashes@example.com') AS still_bcrypt;
SELECT authoob_login('{"email": "hashes@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT hash_of('hashes@example.com') AS moved_to_argon2id;
SELECT authoob_login('{"email": "hashes@example.com", "password": "1Password"}') IS NOT NULL AS logged_in_again;
SELECT test.outcome($$ SELECT authoob_login('{"email": "hashes@example.com", "password": "2Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "nobody@example.com", "password": "1Password"}') $$);
-- new users get argon2id at once; a failed login changes no hash
SELECT authoob_register('{"email": "argon@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT hash_of('argon@example.com') AS argon2id;

-- New parameters: the next login rehashes.
SELECT authoob_configure('{"argon2_memory": 2048}') ->> 'argon2_memory' AS argon2_memory;
SELECT authoob_login('{"email": "argon@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT hash_of('argon@example.com') AS rehashed;

-- argon2id has no 72-byte limit (1024 bytes here, to bound the work).
SELECT authoob_register(jsonb_build_object('email', 'long@argon.io',
    'password1', 'P1' || repeat('x', 200), 'password2', 'P1' || repeat('x', 200))) IS NOT NULL AS registered;
SELECT test.outcome(format($$ SELECT authoob_register(%L) $$, jsonb_build_object('email', 'huge@argon.io',
    'password1', 'P1' || repeat('x', 1100), 'password2', 'P1' || repeat('x', 1100))));
-- the 200th byte counts: no truncation
SELECT test.outcome(format($$ SELECT authoob_login(%L) $$, jsonb_build_object('email', 'long@argon.io',
    'password', 'P1' || repeat('x', 199) || 'y')));

-- Back to bcrypt: argon2id hashes still verify and move back, except one
-- bcrypt could not hold (a password over 72 bytes keeps its argon2id hash).
SELECT authoob_configure('{"password_hash": "bcrypt", "bcrypt_cost": 5}') ->> 'password_hash' AS password_hash;
SELECT authoob_login('{"email": "argon@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT hash_of('argon@example.com') AS back_to_bcrypt_cost_5;
SELECT authoob_login(jsonb_build_object('email', 'long@argon.io', 'password', 'P1' || repeat('x', 200))) IS NOT NULL AS logged_in;
SELECT hash_of('long@argon.io') AS kept;
SELECT authoob_configure('{"bcrypt_cost": 4}') ->> 'bcrypt_cost' AS bcrypt_cost;

SELECT test.outcome($$ SELECT authoob_configure('{"password_hash": "md5"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"argon2_memory": 10}') $$);

-- Other names of bcrypt (made by libcrypt, as PHP, Node and Python write
-- them; Supabase Auth takes them through its admin API): they verify, and
-- a login makes them again as pgcrypto's $2a$.  A stored "!" (an account
-- imported without a password) matches nothing, and is no error.
INSERT INTO authoob.users (email, password) VALUES
    ('bcrypt2b@example.com', '$2b$04$abcdefghijklmnopqrstuupOL103Cg4UBTMgc8pjhVh/J4xFs25.W'),
    ('bcrypt2y@example.com', '$2y$05$abcdefghijklmnopqrstuu5ijqvjIFOFtGrFWhZneri.JT/3Q8Hbe'),
    ('nopassword@example.com', '!');
SELECT test.outcome($$ SELECT authoob_login('{"email": "bcrypt2b@example.com", "password": "2Password"}') $$);
SELECT authoob_login('{"email": "bcrypt2b@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT hash_of('bcrypt2b@example.com') AS made_again_as_2a;
SELECT authoob_login('{"email": "bcrypt2y@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT hash_of('bcrypt2y@example.com') AS made_again_at_cost_4;
SELECT test.outcome($$ SELECT authoob_login('{"email": "nopassword@example.com", "password": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "nopassword@example.com", "password": "!"}') $$);
