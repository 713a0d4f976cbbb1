--
-- Row-level security: the rest of the application knows the user of the
-- transaction through authoob_authenticate(token) and authoob_uid().
--
CREATE TABLE notes (
    id serial PRIMARY KEY,
    owner_id bigint NOT NULL DEFAULT authoob_uid(),
    body text NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes
    USING (owner_id = authoob_uid())
    WITH CHECK (owner_id = authoob_uid());
CREATE ROLE regress_authoob_app;
GRANT SELECT, INSERT ON notes TO regress_authoob_app;
GRANT USAGE ON SEQUENCE notes_id_seq TO regress_authoob_app;

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
-- A setting cannot forge the user.
SET authoob.uid = '1';
SELECT count(*) AS visible FROM notes;
RESET authoob.uid;
-- A bad token fails the transaction's authentication with PT401.
SELECT test.outcome(format($$ SELECT authoob_authenticate(%L) $$, 'bad token'));
RESET ROLE;

DROP TABLE notes;
DROP ROLE regress_authoob_app;
