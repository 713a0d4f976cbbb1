--
-- PostgREST: it verifies a token itself and switches to the role of its
-- "role" claim; authoob_postgrest_pre_request() (PostgREST's db-pre-request)
-- then checks the session too and makes authoob_uid() name the user, for
-- row-level security.  PostgREST's part is played here by hand: the role
-- switch, and the request.headers setting it gives every request.
--
\i sql/fixtures/setup.psql

SELECT authoob_register('{"email": "rest@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS tok \gset
SELECT authoob_register('{"email": "other@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS other \gset
SELECT id AS rest_id FROM authoob.users WHERE email = 'rest@example.com' \gset
CALL test.drop_roles('regress_authenticated');
CREATE ROLE regress_authenticated NOLOGIN;
CREATE TABLE todos (id serial, owner bigint NOT NULL DEFAULT authoob_uid(), task text);
ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_todos ON todos USING (owner = authoob_uid()) WITH CHECK (owner = authoob_uid());
GRANT SELECT, INSERT ON todos TO regress_authenticated;
GRANT USAGE ON SEQUENCE todos_id_seq TO regress_authenticated;

-- a request with the token of rest@: its rows only
BEGIN;
SET LOCAL ROLE regress_authenticated;
SELECT set_config('request.headers', json_build_object('authorization', 'Bearer ' || :'tok')::text, true) IS NOT NULL AS headers_set;
SELECT authoob_postgrest_pre_request();
SELECT authoob_uid() = :rest_id AS uid_is_rest;
INSERT INTO todos (task) VALUES ('write the README');
COMMIT;
BEGIN;
SET LOCAL ROLE regress_authenticated;
SELECT set_config('request.headers', json_build_object('authorization', 'bearer  ' || :'other')::text, true) IS NOT NULL AS headers_set;
SELECT authoob_postgrest_pre_request();
INSERT INTO todos (task) VALUES ('another''s task');
SELECT count(*) AS visible_to_other FROM todos;
COMMIT;
-- the user is the transaction's only: the next request starts anonymous
BEGIN;
SET LOCAL ROLE regress_authenticated;
SELECT authoob_postgrest_pre_request();
SELECT authoob_uid() IS NULL AS anonymous, count(*) AS visible FROM todos;
COMMIT;
-- a token whose session ended (logout) is refused, though PostgREST would
-- still find it well signed: PT401
SELECT authoob_logout(:'other') IS NULL AS logged_out;
BEGIN;
SET LOCAL ROLE regress_authenticated;
SELECT set_config('request.headers', json_build_object('authorization', 'Bearer ' || :'other')::text, true) IS NOT NULL AS headers_set;
SELECT test.outcome($$ SELECT authoob_postgrest_pre_request() $$);
ROLLBACK;
BEGIN;
SELECT set_config('request.headers', '{"authorization": "Basic dXNlcjpwYXNz"}', true) IS NOT NULL AS headers_set;
SELECT test.outcome($$ SELECT authoob_postgrest_pre_request() $$);
ROLLBACK;
SELECT owner = :rest_id AS rest_owns, task FROM todos ORDER BY id;

DROP TABLE todos;
DROP ROLE regress_authenticated;
