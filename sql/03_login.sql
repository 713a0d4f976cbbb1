--
-- Logging in: POST /authoob/login
--
\i sql/fixtures/setup.psql

SELECT count(authoob_register(jsonb_build_object('email', email, 'password1', password, 'password2', password))) AS registered
FROM (VALUES ('register@mail.com', '1Password'), ('ada@example.com', 'Analytical1')) u(email, password);
-- Success answers {"token"} and nothing else; the address is matched
-- whatever its case, and the client IP (optional) is tracked.
SELECT authoob_login('{"email": "REGISTER@mail.com", "password": "1Password"}', '192.0.2.1') AS l \gset
SELECT jsonb_object_keys(:'l'::jsonb) AS keys;
SELECT authoob_verify(:'l'::jsonb ->> 'token') = id AS token_is_theirs
FROM authoob.users WHERE email = 'register@mail.com';

-- Flask-Security's trackable columns: count, current and last login.
SELECT login_count, current_login_ip, last_login_ip,
       current_login_at = last_login_at AS first_login
FROM authoob.users WHERE email = 'register@mail.com';
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}', '198.51.100.7') IS NOT NULL AS logged_in;
SELECT login_count, current_login_ip, last_login_ip,
       current_login_at >= last_login_at AS ordered
FROM authoob.users WHERE email = 'register@mail.com';
-- without an IP
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT login_count, current_login_ip, last_login_ip
FROM authoob.users WHERE email = 'register@mail.com';

-- A wrong password and an unknown address give the same answer.
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com", "password": "2Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "nobody@mail.com", "password": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com", "password": ""}') $$);
-- a password longer than bcrypt reads is never silently cut to match
SELECT test.outcome(format($$ SELECT authoob_login(%L) $$,
    jsonb_build_object('email', 'register@mail.com', 'password', '1Password' || repeat('x', 100))));

-- A deactivated user cannot log in.
UPDATE authoob.users SET active = false WHERE email = 'ada@example.com';
SELECT test.outcome($$ SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') $$);
UPDATE authoob.users SET active = true WHERE email = 'ada@example.com';
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') IS NOT NULL AS logged_in;

-- Missing or malformed data is a 400, not a failed login.
SELECT test.outcome($$ SELECT authoob_login(NULL::text) $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": ["register@mail.com"], "password": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "register@mail.com", "password": 1}') $$);

-- Failed logins are not counted as logins.
SELECT login_count FROM authoob.users WHERE email = 'register@mail.com';
