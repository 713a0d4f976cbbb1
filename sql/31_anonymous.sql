--
-- Anonymous sign-in (docs/supabase.md, "Anonymous sign-in"): POST
-- G/signup without an address, as auth-js's signInAnonymously sends it,
-- makes a user with no address whose tokens say is_anonymous, for
-- policies to read; the owner sweeps old ones.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never

-- Off by default: GoTrue's answer with the feature off, and no user made.
SELECT authoob_gotrue_settings() -> 'external' ->> 'anonymous_users' AS anonymous_users;
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"data": {}}', '192.0.2.1') $$);
SELECT count(*) AS users FROM authoob.users;

SELECT authoob_configure('{"anonymous_signin": true}') -> 'anonymous_signin' AS anonymous_signin;
SELECT authoob_gotrue_settings() -> 'external' ->> 'anonymous_users' AS anonymous_users;
SELECT test.failure($$ SELECT authoob_configure('{"anonymous_signin": "yes"}') $$);
SELECT test.failure($$ SELECT authoob_configure('{"anonymous_retention": -1}') $$);

-- signInAnonymously({options: {data}}): a session, a user without an
-- address; data's firstname as P/profile's field, the rest free-form.
-- "is_anonymous" in data is the user's own metadata, not the claim.
SELECT authoob_gotrue_signup('{"data": {"firstname": "Anon", "theme": "dark", "is_anonymous": false}}',
    '192.0.2.1') AS s \gset
SELECT id AS uid FROM authoob.users WHERE email IS NULL \gset
SELECT j ->> 'token_type' AS token_type, j ? 'refresh_token' AS refreshable,
       authoob_verify(j ->> 'access_token') = :uid AS verified,
       j -> 'user' ->> 'email' AS email, j -> 'user' ->> 'is_anonymous' AS is_anonymous,
       j -> 'user' -> 'identities' AS identities, j -> 'user' -> 'app_metadata' AS app_metadata,
       j -> 'user' -> 'user_metadata' AS user_metadata,
       j -> 'user' ? 'email_confirmed_at' AS shows_confirmed, j -> 'user' ? 'last_sign_in_at' AS signed_in
FROM (SELECT :'s'::jsonb AS j) s;
SELECT :'s'::jsonb ->> 'access_token' AS anon, :'s'::jsonb ->> 'refresh_token' AS anon_refresh \gset
-- its tokens: an empty email, is_anonymous, the method anonymous
SELECT test.claims(:'anon') ->> 'email' AS email, test.claims(:'anon') -> 'is_anonymous' AS is_anonymous,
       test.claims(:'anon') -> 'amr' -> 0 ->> 'method' AS method;
-- ... and so do its refreshed ones
SELECT authoob_gotrue_token(jsonb_build_object('grant_type', 'refresh_token', 'refresh_token', :'anon_refresh'))
    ->> 'access_token' AS anon2 \gset
SELECT test.claims(:'anon2') -> 'is_anonymous' AS is_anonymous, authoob_verify(:'anon2') = :uid AS verified;
-- the forward-auth headers: no address
SELECT authoob_verify_headers(:'anon') ->> 'X-Auth-User-Email' AS email_header;
-- no mail of any kind
SELECT count(*) AS mails FROM authoob.mail_outbox;

-- Everyone else's tokens say is_anonymous false.
SELECT authoob_gotrue_signup('{"email": "ada@example.com", "password": "1Password"}', '192.0.2.1')
    ->> 'access_token' AS ada \gset
SELECT test.claims(:'ada') -> 'is_anonymous' AS is_anonymous, test.claims(:'ada') -> 'amr' -> 0 ->> 'method' AS method,
       authoob_gotrue_user(:'ada')::jsonb -> 'is_anonymous' AS user_is_anonymous;

-- A user with no address signs in by no password, asks no recovery:
-- there is nothing to find it by (an empty address is answered as an
-- unknown one).
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "email": "", "password": "x"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_recover('{"email": ""}', '192.0.2.1') $$);
-- a password without an address: GoTrue's rule
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "2Password"}') $$, :'anon'));
-- no second factor (GoTrue's requireNotAnonymous), in either dialect
SELECT test.failure(format($$ SELECT authoob_gotrue_enroll_factor(%L, '{"factor_type": "totp"}') $$, :'anon'));
SELECT test.failure(format($$ SELECT authoob_mfa_enroll(%L, '{}') $$, :'anon'));
-- its password is no one's: P/profile's password change refuses any
SELECT test.outcome(format($$ SELECT authoob_reset_password(%L, '{"password1": "2Password", "password2": "2Password"}') IS NOT NULL $$, :'anon')) LIKE 'PT4%' AS p_change_refused;

-- Limited per client as sign-ups are: client_hashes_per_window counts
-- both, then 429.
SELECT authoob_configure('{"client_hashes_per_window": 3}') -> 'client_hashes_per_window' AS budget;
SELECT test.outcome($$ SELECT authoob_gotrue_signup('{}', '198.51.100.7') ->> 'token_type' $$) AS first,
       test.outcome($$ SELECT authoob_gotrue_signup('{}', '198.51.100.7') ->> 'token_type' $$) AS second,
       test.outcome($$ SELECT authoob_gotrue_signup('{"email": "bob@example.com", "password": "1Password"}',
                         '198.51.100.7') ->> 'token_type' $$) AS sign_up;
SELECT test.failure($$ SELECT authoob_gotrue_signup('{}', '198.51.100.7') $$);
SELECT test.outcome($$ SELECT authoob_gotrue_signup('{}', '198.51.100.8') ->> 'token_type' $$) AS other_client;
SELECT authoob_configure('{"client_hashes_per_window": 30}') -> 'client_hashes_per_window' AS budget;
-- disable_signup turns anonymous sign-ins off too, as GoTrue's
SELECT authoob_configure('{"disable_signup": true}') -> 'disable_signup' AS disable_signup;
SELECT test.failure($$ SELECT authoob_gotrue_signup('{}', '192.0.2.9') $$);
SELECT authoob_configure('{"disable_signup": false}') -> 'disable_signup' AS disable_signup;
-- require_activation: an anonymous user has nothing to confirm, its
-- sessions live (and no confirmation shows)
SELECT authoob_configure('{"require_activation": true}') -> 'require_activation' AS require_activation;
SELECT authoob_gotrue_signup('{}', '192.0.2.10') AS s2 \gset
SELECT authoob_gotrue_user(:'s2'::jsonb ->> 'access_token')::jsonb ->> 'is_anonymous' AS is_anonymous,
       authoob_gotrue_user(:'s2'::jsonb ->> 'access_token')::jsonb ? 'confirmed_at' AS shows_confirmed,
       authoob_gotrue_token(jsonb_build_object('grant_type', 'refresh_token',
                            'refresh_token', :'s2'::jsonb ->> 'refresh_token')) ? 'access_token' AS refreshes;
SELECT authoob_configure('{"require_activation": false}') -> 'require_activation' AS require_activation;

-- ==== is_anonymous in a policy (authoob_supabase's auth.jwt()) ====
CREATE EXTENSION authoob_supabase;
CALL test.drop_roles('regress_anon_authenticated');
CREATE ROLE regress_anon_authenticated NOLOGIN;
CREATE TABLE posts (id serial PRIMARY KEY, body text);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Everyone signed in reads" ON posts FOR SELECT USING (true);
-- as Supabase's docs write it: permanent users only may write
CREATE POLICY "Only permanent users can post" ON posts AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT (auth.jwt() ->> 'is_anonymous')::boolean) IS FALSE);
CREATE POLICY "Signed-in users post" ON posts FOR INSERT WITH CHECK (true);
GRANT SELECT, INSERT ON posts TO regress_anon_authenticated;
GRANT USAGE ON SEQUENCE posts_id_seq TO regress_anon_authenticated;
BEGIN;
SET LOCAL ROLE regress_anon_authenticated;
SELECT set_config('request.jwt.claims', test.claims(:'ada')::text, true) IS NOT NULL AS claims_set;
INSERT INTO posts (body) VALUES ('from ada');
COMMIT;
BEGIN;
SET LOCAL ROLE regress_anon_authenticated;
SELECT set_config('request.jwt.claims', test.claims(:'anon')::text, true) IS NOT NULL AS claims_set;
SELECT count(*) AS anon_reads FROM posts;
SELECT test.outcome($$ INSERT INTO posts (body) VALUES ('from anon') RETURNING 1 $$);
COMMIT;
SELECT body FROM posts;
DROP TABLE posts;
DROP EXTENSION authoob_supabase;
DROP SCHEMA auth;

-- ==== Sweeping old anonymous users ====
-- the owner's alone; a negative age is refused
SELECT has_function_privilege('authoob_api', 'authoob_sweep_anonymous(interval)', 'EXECUTE') AS api_may_sweep;
SELECT test.failure($$ SELECT authoob_sweep_anonymous(interval '-1 day') $$);
SELECT count(*) FILTER (WHERE email IS NULL) AS anonymous, count(*) FILTER (WHERE email IS NOT NULL) AS permanent
FROM authoob.users;
-- none is a day old yet; made older, they go with their sessions, and
-- only they do
SELECT authoob_sweep_anonymous(interval '1 day') AS swept;
UPDATE authoob.users SET create_date = now() - interval '40 days';
-- housekeeping leaves them while anonymous_retention is 0
SELECT authoob_housekeeping() -> 'anonymous_users' AS housekept;
SELECT authoob_configure('{"anonymous_retention": 30}') -> 'anonymous_retention' AS anonymous_retention;
SELECT authoob_housekeeping() -> 'anonymous_users' AS housekept;
SELECT authoob_gotrue_signup('{}', '192.0.2.11') ->> 'token_type' AS one_more;
UPDATE authoob.users SET create_date = now() - interval '2 days' WHERE email IS NULL;
SELECT authoob_sweep_anonymous(interval '1 day') AS swept;
SELECT count(*) FILTER (WHERE email IS NULL) AS anonymous, count(*) FILTER (WHERE email IS NOT NULL) AS permanent
FROM authoob.users;
SELECT count(*) AS sessions_of_gone FROM authoob.sessions s
WHERE NOT EXISTS (SELECT 1 FROM authoob.users u WHERE u.id = s.user_id);
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, :'anon')) LIKE 'PT401%' AS swept_token_refused;
