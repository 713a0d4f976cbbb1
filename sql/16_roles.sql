--
-- Roles: the seed's authoob.Role and authoob.roles_users.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "hooked@example.com", "password1": "3Password", "password2": "3Password"}') IS NOT NULL AS registered;
SELECT authoob_create_role('admin', 'Administrators') IS NOT NULL AS created;
SELECT authoob_create_role('customer') IS NOT NULL AS created;
SELECT name, description FROM authoob.roles ORDER BY name;
SELECT id AS uid FROM authoob.users WHERE email = 'hooked@example.com' \gset
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') ->> 'token' AS tok \gset

SELECT authoob_grant_role(:uid, 'customer');
SELECT authoob_grant_role(:uid, 'customer');  -- twice is once
SELECT authoob_user_roles(:uid);
SELECT test.outcome(format($$ SELECT authoob_grant_role(%s, 'no_such_role') $$, :uid));
SELECT test.outcome($$ SELECT authoob_grant_role(999999, 'customer') $$);

-- A protected route: the user id when the token's user has the role,
-- 401 for a bad token, 403 without the role.
SELECT authoob_verify_role(:'tok', 'customer') = :uid AS customer;
SELECT test.outcome(format($$ SELECT authoob_verify_role(%L, 'admin') $$, :'tok'));
SELECT test.outcome($$ SELECT authoob_verify_role('bad token', 'customer') $$);
SELECT authoob_grant_role(:uid, 'admin');
SELECT authoob_verify_role(:'tok', 'admin') = :uid AS admin;
SELECT authoob_revoke_role(:uid, 'admin') AS revoked;
SELECT test.outcome(format($$ SELECT authoob_verify_role(%L, 'admin') $$, :'tok'));

-- Row-level security by role: authoob_has_role() for the transaction's user.
CREATE TABLE reports (id serial PRIMARY KEY, body text);
ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY admins_only ON reports USING (authoob_has_role('admin'));
INSERT INTO reports (body) VALUES ('for admins');
CALL test.drop_roles('regress_authoob_reader');
CREATE ROLE regress_authoob_reader;
GRANT SELECT ON reports TO regress_authoob_reader;
SET ROLE regress_authoob_reader;
BEGIN;
SELECT authoob_authenticate(:'tok') IS NOT NULL AS authenticated;
SELECT count(*) AS visible FROM reports;
COMMIT;
RESET ROLE;
SELECT authoob_grant_role(:uid, 'admin');
SET ROLE regress_authoob_reader;
BEGIN;
SELECT authoob_authenticate(:'tok') IS NOT NULL AS authenticated;
SELECT count(*) AS visible FROM reports;
COMMIT;
RESET ROLE;
DROP TABLE reports;
DROP ROLE regress_authoob_reader;

-- Deleting a role takes it from its users.
SELECT authoob_delete_role('admin') AS deleted;
SELECT authoob_user_roles(:uid);

-- The seed's post_register example: new users get the role
-- custom_user_role when payload.type is 1, else customer; 400 when that
-- role does not exist.
CREATE FUNCTION give_role(context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authoob_grant_role((context -> 'user' ->> 'id')::bigint,
        CASE WHEN context -> 'payload' -> 'type' = '1' THEN 'custom_user_role' ELSE 'customer' END);
    RETURN NULL;
END
$$;
SELECT authoob_add_hook('post_register', 'give_role(jsonb)');
SELECT authoob_register('{"email": "plain@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_user_roles(id) FROM authoob.users WHERE email = 'plain@example.com';
SELECT test.outcome($$ SELECT authoob_register('{"email": "special@example.com", "password1": "1Password", "password2": "1Password", "type": 1}') $$);
SELECT count(*) AS created FROM authoob.users WHERE email = 'special@example.com';
SELECT authoob_create_role('custom_user_role') IS NOT NULL AS created;
SELECT authoob_register('{"email": "special@example.com", "password1": "1Password", "password2": "1Password", "type": 1}') IS NOT NULL AS registered;
SELECT authoob_user_roles(id) FROM authoob.users WHERE email = 'special@example.com';
SELECT authoob_remove_hook('post_register', 'give_role(jsonb)');
