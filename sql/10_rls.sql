--
-- Row-level security: the rest of the application knows the user of the
-- transaction through authoob_authenticate(token) and authoob_uid().
--
\i sql/fixtures/setup.psql

CREATE TABLE notes (
    id serial PRIMARY KEY,
    owner_id bigint NOT NULL DEFAULT authoob_uid(),
    body text NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes
    USING (owner_id = authoob_uid())
    WITH CHECK (owner_id = authoob_uid());
CALL test.drop_roles('regress_authoob_app');
CREATE ROLE regress_authoob_app;
GRANT SELECT, INSERT ON notes TO regress_authoob_app;
GRANT USAGE ON SEQUENCE notes_id_seq TO regress_authoob_app;

SELECT count(authoob_register(jsonb_build_object('email', email, 'password1', password, 'password2', password))) AS registered
FROM (VALUES ('register@mail.com', '1Password'), ('ada@example.com', 'Analytical1')) u(email, password);
SELECT id AS alice_id FROM authoob.users WHERE email = 'register@mail.com' \gset
SELECT authoob_login('{"email": "register@mail.com", "password": "1Password"}') ->> 'token' AS alice \gset
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') ->> 'token' AS ada \gset

SET ROLE regress_authoob_app;
-- Each request: one transaction, authenticated first.
BEGIN;
SELECT authoob_authenticate(:'alice') IS NOT NULL AS authenticated;
INSERT INTO notes (body) VALUES ('alice''s note');
COMMIT;
BEGIN;
SELECT authoob_authenticate(:'ada') IS NOT NULL AS authenticated;
INSERT INTO notes (body) VALUES ('ada''s note');
SELECT body FROM notes;
COMMIT;

-- Outside an authenticated transaction there is no user: no rows.
SELECT authoob_uid() IS NULL AS no_user;
SELECT count(*) AS visible FROM notes;
-- A setting cannot forge the user (here alice's id).
SET authoob.uid = :'alice_id';
SELECT count(*) AS visible FROM notes;
RESET authoob.uid;
-- A bad token fails the transaction's authentication with PT401.
SELECT test.outcome(format($$ SELECT authoob_authenticate(%L) $$, 'bad token'));
RESET ROLE;

DROP TABLE notes;
DROP ROLE regress_authoob_app;
