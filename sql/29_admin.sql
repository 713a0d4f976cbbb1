--
-- Supabase Auth's admin API (README "Supabase users"): a service_role
-- token that only the owner can sign; the admin routes' functions take it
-- and no other (a user's token, one forged, expired or of another
-- issuer); the same operations as the owner's SQL functions; bans; and
-- the audit log that every admin action and the users' own sign-ups,
-- sign-ins, password changes and session ends write.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never
SELECT authoob_configure('{"jwt_sub": "uuid"}') -> 'jwt_sub' AS jwt_sub;

-- The credential: the owner's alone, a token of no user and no session.
SELECT authoob_service_token() AS service \gset
SELECT test.claims(:'service') - 'iat' - 'exp' AS claims,
       (test.claims(:'service') ->> 'exp')::bigint - (test.claims(:'service') ->> 'iat')::bigint > 9 * 365 * 86400 AS lasts_years;
SELECT has_function_privilege('authoob_api', 'authoob_service_token(interval)', 'EXECUTE') AS api_may_sign,
       has_function_privilege('authoob_api', 'authoob_admin_create_user(jsonb)', 'EXECUTE') AS api_may_create,
       has_function_privilege('authoob_api', 'authoob_gotrue_admin_create_user(text, text, inet)', 'EXECUTE') AS api_may_call_route;
SELECT test.failure($$ SELECT authoob_service_token(interval '-1 day') $$);

-- createUser: confirmed on request, metadata kept, the address checked
SELECT authoob_gotrue_admin_create_user(:'service', '{"email": "ada@example.com", "password": "1Password",
    "email_confirm": true, "user_metadata": {"nick": "ada", "firstname": "Ada"},
    "app_metadata": {"plan": "pro"}}', '192.0.2.1') AS ada \gset
SELECT :'ada'::jsonb ->> 'email' AS email, :'ada'::jsonb ->> 'email_confirmed_at' IS NOT NULL AS confirmed,
       :'ada'::jsonb -> 'user_metadata' AS user_metadata,
       :'ada'::jsonb -> 'app_metadata' ->> 'plan' AS plan,
       (SELECT firstname FROM authoob.users WHERE email = 'ada@example.com') AS firstname_column;
SELECT :'ada'::jsonb ->> 'id' AS ada_id \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"email": "ADA@example.com"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"email": "not an address"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"password": "1Password"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"email": "weak@example.com", "password": "short"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"email": "x@example.com", "id": "nope"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_create_user(%L, '{"email": "x@example.com", "user_metadata": [1]}') $$, :'service'));
-- without a password, one nobody knows; the user may sign in once set
SELECT authoob_admin_create_user('{"email": "bob@example.com", "id": "0b0b0b0b-0000-4000-8000-000000000001"}') ->> 'id' AS bob_id;
SELECT test.failure($$ SELECT authoob_login('{"email": "bob@example.com", "password": ""}') $$);

-- the user signs in with what the admin set
SELECT authoob_login('{"email": "ada@example.com", "password": "1Password"}') ->> 'token' AS ada_token \gset

-- The admin routes take a service token and no other: no token (401), a
-- user's token, one whose role is forged, alg none, an expired service
-- token, one of another issuer (403).
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(NULL, %L) $$, :'ada_id'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$, :'ada_token', :'ada_id'));
-- (the user's own token with its role changed, its signature kept)
SELECT split_part(:'ada_token', '.', 1) || '.'
       || test.b64url(convert_to((test.claims(:'ada_token') || '{"role": "service_role"}')::text, 'UTF8'))
       || '.' || split_part(:'ada_token', '.', 3) AS forged_role \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$, :'forged_role', :'ada_id'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$,
    test.b64url('{"alg":"none","typ":"JWT"}'::bytea) || '.' || split_part(:'service', '.', 2) || '.', :'ada_id'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$,
    split_part(:'service', '.', 1) || '.' || split_part(:'service', '.', 2) || '.' || repeat('A', 43), :'ada_id'));
SELECT test.sign(test.header(), (test.claims(:'service') || jsonb_build_object('exp', extract(epoch FROM now())::bigint - 10))::text) AS expired \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$, :'expired', :'ada_id'));
SELECT test.sign(test.header(), (test.claims(:'service') || '{"iss": "https://elsewhere.example.com"}')::text) AS other_issuer \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$, :'other_issuer', :'ada_id'));
-- a token of a user whose role says service_role (as a custom_access_token
-- hook could make it) is still a user's
SELECT test.sign(test.header(), ((test.claims(:'service') || test.claims(:'ada_token')) || '{"role": "service_role"}')::text) AS user_as_service \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, %L) $$, :'user_as_service', :'ada_id'));
-- and a service token is nobody's: no user route takes it
SELECT test.failure(format($$ SELECT authoob_gotrue_user(%L) $$, :'service'));

-- getUserById, and 404s as Supabase Auth's loadUser
SELECT authoob_gotrue_admin_user(:'service', :'ada_id') ->> 'email' AS got;
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, 'not-a-uuid') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_user(%L, '00000000-0000-4000-8000-000000000000') $$, :'service'));

-- listUsers: newest first, a page, the headers auth-js reads
SELECT authoob_gotrue_admin_users(:'service', '{"page": "1", "per_page": "1"}') AS page1 \gset
SELECT jsonb_array_length(:'page1'::jsonb -> 'body' -> 'users') AS users, :'page1'::jsonb -> 'body' ->> 'aud' AS aud,
       :'page1'::jsonb -> 'body' -> 'users' -> 0 ->> 'email' AS newest, :'page1'::jsonb -> 'headers' AS headers;
SELECT authoob_gotrue_admin_users(:'service', '{}') -> 'headers' AS defaults;
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_users(%L, '{"page": "x"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_users(%L, '{}') $$, :'ada_token'));

-- updateUserById: metadata merged, a new password ends the sessions
SELECT authoob_gotrue_admin_update_user(:'service', :'ada_id',
    '{"user_metadata": {"nick": null, "theme": "dark"}, "app_metadata": {"plan": null, "tier": 2}, "password": "2Password"}')
    AS updated \gset
SELECT :'updated'::jsonb -> 'user_metadata' AS user_metadata, :'updated'::jsonb -> 'app_metadata' ->> 'tier' AS tier,
       :'updated'::jsonb -> 'app_metadata' ? 'plan' AS has_plan;
SELECT test.failure(format($$ SELECT authoob_verify(%L) $$, :'ada_token'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_update_user(%L, %L, '{"email": "bob@example.com"}') $$, :'service', :'ada_id'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_update_user(%L, %L, '{"ban_duration": "forever"}') $$, :'service', :'ada_id'));

-- a ban: no sign-in, no refresh, the sessions end; "none" lifts it
SELECT authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "2Password"}') AS grant_ \gset
SELECT authoob_gotrue_admin_update_user(:'service', :'ada_id', '{"ban_duration": "24h"}') ->> 'banned_until' IS NOT NULL AS banned;
SELECT test.failure($$ SELECT authoob_login('{"email": "ada@example.com", "password": "2Password"}') $$);
SELECT test.failure(format($$ SELECT authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": %s}') $$,
    to_jsonb(:'grant_'::jsonb ->> 'refresh_token')));
SELECT test.failure(format($$ SELECT authoob_verify(%L::jsonb ->> 'access_token') $$, :'grant_'));
-- a ban written otherwise (an import, the owner's UPDATE) leaves the
-- sessions, whose refresh is refused while it lasts
SELECT authoob_admin_update_user(:'ada_id', '{"ban_duration": "none"}') ? 'banned_until' AS still_banned;
SELECT authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "2Password"}') AS grant_ \gset
UPDATE authoob.users SET banned_until = now() + interval '1 hour' WHERE uuid = :'ada_id';
SELECT test.failure(format($$ SELECT authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": %s}') $$,
    to_jsonb(:'grant_'::jsonb ->> 'refresh_token')));
UPDATE authoob.users SET banned_until = now() - interval '1 second' WHERE uuid = :'ada_id';
SELECT authoob_admin_update_user(:'ada_id', '{"ban_duration": "none"}') ? 'banned_until' AS still_banned;
SELECT authoob_login('{"email": "ada@example.com", "password": "2Password"}') ? 'token' AS signs_in;

-- deleteUser: gone, and 404 the second time
SELECT authoob_gotrue_admin_delete_user(:'service', '0b0b0b0b-0000-4000-8000-000000000001', '192.0.2.2') AS deleted;
SELECT test.failure($$ SELECT authoob_admin_delete_user('0b0b0b0b-0000-4000-8000-000000000001') $$);

-- the user's own acts: a password change (which ends their sessions), a logout
SELECT authoob_login('{"email": "ada@example.com", "password": "2Password"}', '198.51.100.7') ->> 'token' AS ada_token \gset
SELECT authoob_reset_password(:'ada_token', '{"password1": "3Password", "password2": "3Password"}') IS NOT NULL AS changed;
SELECT authoob_login('{"email": "ada@example.com", "password": "3Password"}') ->> 'token' AS ada_token \gset
SELECT authoob_logout(:'ada_token') IS NOT NULL AS logged_out;

-- The audit log: the admin's acts by service_role (or the owner's role),
-- the user's own by their uuid, never a secret; the owner's alone.
SELECT CASE WHEN actor = :'ada_id' THEN 'ada' WHEN actor = current_user THEN 'owner' ELSE actor END AS actor,
       action, CASE target WHEN :'ada_id' THEN 'ada' ELSE target::text END AS target, ip_address,
       payload - 'user_email' AS payload
FROM authoob.audit_log ORDER BY id;
SELECT count(*) AS secrets FROM authoob.audit_log WHERE payload::text ~ 'Password';
SELECT has_table_privilege('authoob_api', 'authoob.audit_log', 'SELECT') AS api_reads_audit;
-- housekeeping removes what is older than audit_retention days
UPDATE authoob.audit_log SET created_at = now() - interval '91 days' WHERE action = 'user_deleted';
SELECT authoob_housekeeping() -> 'audit_log' AS removed;
SELECT test.failure($$ SELECT authoob_configure('{"audit_retention": 0}') $$);
