--
-- Changing the password while logged in: PUT /authoob/reset_password
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "change@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS t1 \gset
SELECT authoob_login('{"email": "change@example.com", "password": "1Password"}') ->> 'token' AS t2 \gset

SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, '{}') $$, :'t1'));
SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, '{"password1": "2Password"}') $$, :'t1'));
SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, 'not json') $$, :'t1'));
SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, '{"password1": "2Password", "password2": "3Password"}') $$, :'t1'));
SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, '{"password1": "weak", "password2": "weak"}') $$, :'t1'));
SELECT test.outcome($$ SELECT authoob_reset_password('bad token', '{"password1": "2Password", "password2": "2Password"}') $$);
-- none of these changed the password
SELECT authoob_login('{"email": "change@example.com", "password": "1Password"}') IS NOT NULL AS old_password_works;

-- Success answers no body (the front sends 201) ...
SELECT authoob_reset_password(:'t1', '{"password1": "2Password", "password2": "2Password"}') IS NULL AS no_body;
-- ... and every token issued before the change stops working.
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'t1'));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'t2'));
SELECT test.outcome($$ SELECT authoob_login('{"email": "change@example.com", "password": "1Password"}') $$);
SELECT authoob_login('{"email": "change@example.com", "password": "2Password"}') ->> 'token' AS t3 \gset
SELECT authoob_profile(:'t3') ->> 'email' AS new_password_works;
