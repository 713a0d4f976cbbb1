/* authoob--0.2--0.3.sql: from 0.2 to 0.3 (docs/upgrades.md) */
--
-- Built by `make` from this template, as the install script is: each \ir
-- line is replaced by the current source of a function new or changed in
-- 0.3 (extension/sql/).  What is written here is what only an update does:
-- the tables' new columns and constraints, and the rows it moves.  t/105
-- checks that the result has the catalog of a fresh install.

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.3'" to load this file. \quit

-- ==== The owner-context rule ====
-- Whatever runs with the owner's rights runs with a search_path of
-- authoob's choosing (docs/security.md): authoob_attempt_outcome runs the
-- caller's action and records its failure as authoob_attempt does, and
-- takes the same fixed search_path as every SECURITY DEFINER function.
\ir functions/authoob_attempt_outcome.sql

-- ==== The HS256 secret retired with its algorithm ====
-- Leaving HS256 retires the secret as authoob_rotate_secret does
-- (docs/sql-api.md, "Signing keys and JWKS"): the trigger below.
\ir functions/authoob_signing_alg_changed.sql

-- A database that left HS256 under 0.2 still holds the secret it signed
-- with, which verifiers may hold too: it has signed nothing since, so it
-- goes at once (the new binaries already refuse it while another alg is
-- set), and a return to HS256 signs with a secret nobody holds.
SELECT @extschema@.authoob_rotate_secret(interval '0')
FROM authoob.settings s WHERE s.signing_alg <> 'HS256';

-- ==== PKCE flows bound to their mails ====
-- The code of a mailed link belongs to the flow of the request that caused
-- the mail, and to no other (docs/supabase.md).  0.2 bound it to the
-- newest flow of the address started before the token was made; reset and
-- activation mails are made later, by the mailers, so a stranger's request
-- between the owner's and the mailer's run (held back by the mail
-- interval, yet starting a flow) owned the code of the owner's link.  Now
-- the request carries its flow to the mail request it records, the mailer
-- to the token it makes (sign-up binds its token in its own transaction),
-- and the link to exactly that flow; a token of no flow, or of a flow
-- without a challenge, follows the implicit flow.  No foreign key: a flow
-- past its lifetime goes without touching the tokens, and a token whose
-- flow has gone follows the implicit flow.
ALTER TABLE authoob.mail_requests ADD COLUMN flow_id bigint;
ALTER TABLE authoob.mail_tokens ADD COLUMN flow_id bigint;

-- What was asked before the update keeps its flow, so that its link still
-- answers the client that waits for it: a request not yet mailed, the
-- flow its own transaction started (0.2 started it right after recording
-- the request, at the same now()); a token already mailed, the flow 0.2
-- would have given it, for the rest of its lifetime.
UPDATE authoob.mail_requests r SET flow_id = (
    SELECT f.id FROM authoob.flow_states f
    WHERE f.email = lower(r.email) AND f.created_at = r.requested_at
      AND f.kind = CASE r.kind WHEN 'reset' THEN 'recovery' ELSE 'signup' END
    ORDER BY f.id DESC LIMIT 1);
UPDATE authoob.mail_tokens t SET flow_id = (
    SELECT f.id FROM authoob.flow_states f, authoob.users u
    WHERE u.id = t.user_id AND f.email = lower(u.email) AND f.created_at <= t.created_at
      AND f.auth_code_hash IS NULL
      AND f.kind = CASE t.kind WHEN 'reset' THEN 'recovery' ELSE 'signup' END
    ORDER BY f.id DESC LIMIT 1)
WHERE t.used_at IS NULL AND t.expires_at > now();


\ir functions/authoob_mail_prepare.sql
\ir gotrue/authoob_password_ask_for_flow.sql
\ir gotrue/authoob_activation_ask_for_flow.sql
-- authoob_gotrue_start_flow returns the flow it starts
DROP FUNCTION authoob_gotrue_start_flow(jsonb, text);
\ir gotrue/authoob_gotrue_start_flow.sql
\ir gotrue/authoob_gotrue_verify_link.sql

-- ==== Supabase Auth's mails: its links, its codes, its variables ====
-- The mails a route of the dialect causes carry that dialect's link
-- (G/verify?token=&type=&redirect_to=) and a 6-digit code that verifyOtp
-- takes with the address (docs/supabase.md); their templates are
-- Supabase Auth's own kinds, signup and recovery, and every template may
-- use its variables.  A mail request of the dialect says so, and where its
-- link leads; a token keeps its code as an HMAC.  Sign-up, recover and
-- resend take the query's redirect_to (0.2's fronts call them without).
ALTER TABLE authoob.mail_requests ADD COLUMN gotrue boolean NOT NULL DEFAULT false,
    ADD COLUMN redirect_to text;
ALTER TABLE authoob.mail_tokens ADD COLUMN code_hash bytea;
ALTER TABLE authoob.mail_templates DROP CONSTRAINT mail_templates_kind_check,
    ADD CONSTRAINT mail_templates_kind_check
        CHECK (kind IN ('activation', 'reset', 'signup', 'recovery', 'invite'));
\ir rows/mail_templates_gotrue.sql
\ir gotrue/authoob_register_for_dialect.sql
\ir gotrue/authoob_spend_mail_code.sql
DROP FUNCTION authoob_gotrue_signup(text, inet);
\ir gotrue/authoob_gotrue_signup.sql
DROP FUNCTION authoob_gotrue_recover(text, inet);
\ir gotrue/authoob_gotrue_recover.sql
DROP FUNCTION authoob_gotrue_resend(text, inet);
\ir gotrue/authoob_gotrue_resend.sql
\ir gotrue/authoob_gotrue_verify.sql

-- ==== A budget of password hashes ====
-- A hash is the costliest work a request asks for, and a success costs as
-- much as a failure (docs/security.md): every registration and sign-in
-- that hashes counts, per client (scope hash_ip) and per account for
-- sign-ins (scope sign_in), and a client hashes at most
-- client_hashes_at_once passwords at a time.
ALTER TABLE authoob.settings
    ADD COLUMN client_hashes_per_window integer NOT NULL DEFAULT 30,
    ADD COLUMN account_sign_ins_per_window integer NOT NULL DEFAULT 30,
    ADD COLUMN client_hashes_at_once integer NOT NULL DEFAULT 2;
ALTER TABLE authoob.throttle DROP CONSTRAINT throttle_scope_check,
    ADD CONSTRAINT throttle_scope_check
        CHECK (scope IN ('login', 'ip', 'token', 'ask', 'ask_ip', 'hash_ip', 'sign_in'));
-- The counting moved into C (throttle.c): one cached statement a count,
-- where this function's PL/pgSQL ran three and swept the table of rows
-- a day old with every sign-in.
DROP FUNCTION authoob_record_failure(text, text);

-- ==== A sign-in's body parsed once ====
-- authoob_attempt takes the request's parts apart in 0.3 (the body, the
-- query string's grant_type, the User-Agent), parses a sign-in's body
-- once and calls the action's jsonb form with it (docs/security.md); its
-- outcome function for the proxy has the same new form (made above, with
-- authoob_attempt_outcome.sql).  0.2's forms stay.
\ir functions/authoob_attempt.sql
\ir functions/authoob_token_grant.sql
\ir gotrue/authoob_gotrue_token.sql

-- ==== Supabase Auth's dialect: its error codes, GET /user in C ====
-- Every error a route of the dialect answers carries its error code in its
-- detail; GET /user does P/profile's work once and writes nothing, and
-- the user object has one renderer, in C; a token's refusal says
-- session_not_found itself, so the wrapper that said it goes.
\ir gotrue/authoob_gotrue_user_json.sql
-- GET /user answers json, written as text
DROP FUNCTION authoob_gotrue_user(text);
\ir gotrue/authoob_gotrue_user.sql
\ir gotrue/authoob_gotrue_update_user.sql
-- authoob_gotrue_mailed_user takes a code with its address too
DROP FUNCTION authoob_gotrue_mailed_user(text, text, inet);
\ir gotrue/authoob_gotrue_mailed_user.sql
DROP FUNCTION authoob_gotrue_verify_token(text);

-- ==== Supabase Auth's users: a uuid each, their metadata ====
-- Supabase apps hold their users' ids as uuid (README "Supabase users"):
-- every user gets one, drawn as a new user's is (routed to its partition
-- when sharded); tokens keep the numeric id as their sub until jwt_sub
-- says 'uuid', and both forms verify whatever it says.  user_metadata is
-- the user's free-form JSON, app_metadata the server's.
\ir functions/authoob_new_user_uuid.sql
ALTER TABLE authoob.users
    ADD COLUMN uuid uuid,
    ADD COLUMN user_metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(user_metadata) = 'object'),
    ADD COLUMN app_metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(app_metadata) = 'object');
UPDATE authoob.users SET uuid = @extschema@.authoob_new_user_uuid();
ALTER TABLE authoob.users
    ALTER COLUMN uuid SET NOT NULL,
    ALTER COLUMN uuid SET DEFAULT @extschema@.authoob_new_user_uuid();
CREATE UNIQUE INDEX users_uuid_key ON authoob.users (uuid);
ALTER TABLE authoob.settings
    ADD COLUMN jwt_sub text NOT NULL DEFAULT 'id' CHECK (jwt_sub IN ('id', 'uuid'));
-- the new columns are authoob's, not an application's custom fields
\ir functions/authoob_custom_columns.sql
-- sign-up and PUT /user keep what is not a field in user_metadata
\ir gotrue/authoob_gotrue_user_metadata.sql

-- ==== pgcrypto's functions are PUBLIC's again ====
-- 0.1 took EXECUTE from PUBLIC on every routine of its schema (REVOKE ...
-- ON ALL ROUTINES IN SCHEMA), pgcrypto's among them when it shares the
-- schema: an application's own use of digest() or crypt() by a role other
-- than the owner broke.  Give them back as pgcrypto made them, and as a
-- fresh install of 0.3 leaves them.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgcrypto'
             WHERE NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
END
$$;

-- ==== Housekeeping ====
-- What no request reads again leaves by authoob_housekeeping(), which the
-- fronts run on a schedule (docs/operations.md "Housekeeping"): finished
-- mails after mail_retention, and the indexes that find each kind of row
-- without a scan.  authoob_metrics() is what the fronts' metrics show of
-- the database.
ALTER TABLE authoob.settings
    ADD COLUMN mail_retention integer NOT NULL DEFAULT 604800;
CREATE INDEX sessions_expires_at_idx ON authoob.sessions (expires_at);
CREATE INDEX mail_tokens_spent_idx ON authoob.mail_tokens (least(expires_at, used_at));
CREATE INDEX mail_outbox_done_idx ON authoob.mail_outbox (created_at)
    WHERE state IN ('sent', 'failed', 'suppressed');
\ir functions/authoob_metrics.sql
\ir functions/authoob_housekeeping.sql

-- ==== Supabase Auth's answers ====
-- The dialect answers each error with GoTrue's status, error code and
-- words (docs/supabase.md): the detail of an error says them.
-- Registrations may be turned off, in both dialects.
ALTER TABLE authoob.settings ADD COLUMN disable_signup boolean NOT NULL DEFAULT false;
\ir gotrue/authoob_gotrue_pkce.sql
\ir gotrue/authoob_gotrue_settings.sql
\ir gotrue/authoob_gotrue_not_built.sql

-- ==== Second factors ====
-- TOTP factors, Supabase Auth's challenges, recovery codes; a session
-- at aal2 says how it got there; wrong codes count as wrong passwords
-- (scope mfa); mfa_required (docs/security.md, "Multi-factor
-- authentication").
\ir tables/mfa_factors.sql
\ir tables/mfa_challenges.sql
\ir tables/mfa_recovery_codes.sql
ALTER TABLE authoob.sessions
    ADD COLUMN mfa_method text CHECK (mfa_method IN ('totp', 'recovery_code')),
    ADD COLUMN mfa_at timestamptz;
ALTER TABLE authoob.settings ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;
ALTER TABLE authoob.throttle DROP CONSTRAINT throttle_scope_check,
    ADD CONSTRAINT throttle_scope_check
        CHECK (scope IN ('login', 'ip', 'token', 'ask', 'ask_ip', 'hash_ip', 'sign_in', 'mfa'));
\ir functions/authoob_aal.sql
\ir functions/authoob_mfa_enroll.sql
\ir functions/authoob_mfa_factors.sql
\ir functions/authoob_mfa_recover.sql
\ir functions/authoob_mfa_unenroll.sql
\ir functions/authoob_mfa_verify.sql
\ir gotrue/authoob_gotrue_challenge_factor.sql
\ir gotrue/authoob_gotrue_enroll_factor.sql
\ir gotrue/authoob_mfa_verify_challenge.sql
\ir gotrue/authoob_gotrue_verify_factor.sql
-- the hooks pre_mfa_verify and post_mfa_verify, after those of 0.2
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM @extschema@.authoob_hook_names() WITH ORDINALITY AS h (n, p)
ON CONFLICT (name) DO NOTHING;

-- ==== The admin API, bans, the audit log ====
-- Supabase Auth's admin routes for a service_role token that
-- authoob_service_token() signs, the same as the owner's SQL functions
-- (README "Supabase users"); a user an admin bans signs in and refreshes
-- no more until banned_until; every admin action, sign-up, sign-in,
-- password change and session end leaves a record in authoob.audit_log,
-- kept audit_retention days (docs/security.md "Audit log").
ALTER TABLE authoob.users ADD COLUMN banned_until timestamptz;
-- which is authoob's, not an application's custom field
\ir functions/authoob_custom_columns.sql
ALTER TABLE authoob.settings ADD COLUMN audit_retention integer NOT NULL DEFAULT 90;
\ir functions/authoob_audit_user_event.sql
\ir tables/audit_log.sql
\ir functions/authoob_service_token.sql
\ir gotrue/authoob_check_service_token.sql
\ir gotrue/authoob_admin_password_hash.sql
\ir functions/authoob_audit.sql
\ir gotrue/authoob_admin_user_json.sql
\ir gotrue/authoob_admin_ban_until.sql
\ir gotrue/authoob_admin_user_id.sql
\ir gotrue/authoob_admin_apply.sql
\ir gotrue/authoob_admin_create_user.sql
\ir gotrue/authoob_admin_update_user.sql
\ir gotrue/authoob_admin_delete_user.sql
\ir gotrue/authoob_admin_list_users.sql
\ir gotrue/authoob_admin_get_user.sql
\ir gotrue/authoob_gotrue_admin_create_user.sql
\ir gotrue/authoob_gotrue_admin_update_user.sql
\ir gotrue/authoob_gotrue_admin_delete_user.sql
\ir gotrue/authoob_gotrue_admin_user.sql
\ir gotrue/authoob_gotrue_admin_users.sql
\ir gotrue/authoob_admin_list_factors.sql
\ir gotrue/authoob_admin_delete_factor.sql
\ir gotrue/authoob_gotrue_admin_factors.sql
\ir gotrue/authoob_gotrue_admin_delete_factor.sql
-- the import of a Supabase project's users (docs/supabase.md, "Bringing
-- your users"); bcrypt hashes named $2b$ and $2y$ verify (extension/password.c)
\ir gotrue/authoob_import_supabase.sql

-- Identity providers, OAuth 2.0 and OpenID Connect
-- (docs/identity-providers.md): the providers and the identities of
-- users there, the owner's functions that configure them, the sign-in's
-- flows and routes
\ir tables/identity_providers.sql
\ir tables/identities.sql
\ir functions/authoob_identity_provider_row.sql
\ir functions/authoob_add_identity_provider.sql
\ir functions/authoob_alter_identity_provider.sql
\ir functions/authoob_remove_identity_provider.sql
\ir tables/oauth_flows.sql
\ir tables/oauth_handoffs.sql
\ir functions/authoob_url_encode.sql
\ir functions/authoob_url_with_query.sql
\ir functions/authoob_url_with_session.sql
\ir functions/authoob_oauth_error_url.sql
\ir functions/authoob_jws_verify.sql
\ir functions/authoob_fire_oauth_hook.sql
\ir functions/authoob_provider_fetch.sql
\ir functions/authoob_oauth_answer.sql
\ir functions/authoob_oauth_provider.sql
\ir functions/authoob_oauth_id_token.sql
\ir functions/authoob_oauth_subject.sql
\ir functions/authoob_oauth_identity_user.sql
\ir functions/authoob_oauth_user.sql
\ir functions/authoob_oauth_redirect.sql
\ir functions/authoob_oauth_start.sql
-- the key that seals a sign-in with a provider handed between partitions
ALTER TABLE authoob.partition ADD COLUMN handoff_key bytea CHECK (octet_length(handoff_key) >= 32);
\ir functions/authoob_set_partition_key.sql
\ir functions/authoob_oauth_handoff.sql
\ir functions/authoob_oauth_sign_in.sql
\ir functions/authoob_oauth_failure_url.sql
\ir functions/authoob_oauth_authorize.sql
\ir functions/authoob_oauth_callback.sql
\ir functions/authoob_oauth_locate.sql
\ir functions/authoob_oauth_finish.sql
-- a sign-in with a provider ends with a PKCE code, as a mailed link's
ALTER TABLE authoob.flow_states DROP CONSTRAINT flow_states_kind_check,
    ADD CONSTRAINT flow_states_kind_check CHECK (kind IN ('signup', 'recovery', 'oauth'));
-- the hooks pre_oauth_signin and post_oauth_signin
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM @extschema@.authoob_hook_names() WITH ORDINALITY AS h (n, p)
ON CONFLICT (name) DO NOTHING;

-- ==== Anonymous sign-in ====
-- Supabase Auth's signInAnonymously (docs/supabase.md, "Anonymous
-- sign-in"), off until anonymous_signin: a user without an address, whose
-- tokens say is_anonymous; housekeeping removes old ones when
-- anonymous_retention is set, the owner with authoob_sweep_anonymous.
ALTER TABLE authoob.users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE authoob.settings ADD COLUMN anonymous_signin boolean NOT NULL DEFAULT false,
    ADD COLUMN anonymous_retention integer NOT NULL DEFAULT 0;
\ir gotrue/authoob_count_sign_up.sql
\ir gotrue/authoob_gotrue_sign_in_anonymously.sql
\ir gotrue/authoob_gotrue_signup.sql
\ir gotrue/authoob_gotrue_settings.sql
\ir functions/authoob_housekeeping.sql
\ir functions/authoob_sweep_anonymous.sql

-- ==== Reauthentication ====
-- GET G/reauthenticate mails a 6-digit nonce (a mailed code of its own
-- kind); with secure_password_change, updateUser({password}) needs it
-- unless the session signed in within a day, and PUT G/user goes through
-- authoob_attempt, as do PUT P/reset_password and P/password/reset, which
-- counts a wrong nonce (docs/supabase.md, "Reauthentication").
ALTER TABLE authoob.settings ADD COLUMN secure_password_change boolean NOT NULL DEFAULT false;
ALTER TABLE authoob.mail_tokens DROP CONSTRAINT mail_tokens_kind_check,
    ADD CONSTRAINT mail_tokens_kind_check CHECK (kind IN ('activation', 'reset', 'reauthentication'));
ALTER TABLE authoob.mail_templates DROP CONSTRAINT mail_templates_kind_check,
    ADD CONSTRAINT mail_templates_kind_check
        CHECK (kind IN ('activation', 'reset', 'signup', 'recovery', 'invite', 'reauthentication'));
\ir rows/mail_templates_reauthentication.sql
\ir gotrue/authoob_mail_nonce.sql
\ir gotrue/authoob_gotrue_reauthenticate.sql
\ir gotrue/authoob_gotrue_update_user_request.sql
\ir functions/authoob_reset_password_request.sql
\ir gotrue/authoob_gotrue_update_user.sql

-- ==== Invitations and the admin's links ====
-- auth.admin.inviteUserByEmail and auth.admin.generateLink (README
-- "Supabase users"): when an admin last invited the user; mailed codes
-- live code_ttl seconds at most, less than their links.
ALTER TABLE authoob.users ADD COLUMN invited_at timestamptz;
ALTER TABLE authoob.settings ADD COLUMN code_ttl integer NOT NULL DEFAULT 3600;
-- which shows invited_at
\ir gotrue/authoob_admin_user_json.sql
\ir gotrue/authoob_gotrue_mail_link.sql
\ir gotrue/authoob_admin_link_user.sql
\ir gotrue/authoob_admin_invite_user.sql
\ir gotrue/authoob_admin_generate_link.sql
\ir gotrue/authoob_gotrue_invite.sql
\ir gotrue/authoob_gotrue_admin_generate_link.sql
\ir gotrue/authoob_gotrue_verify_link_error.sql

-- ==== Passwordless sign-in ====
-- A magic link and a 6-digit code by mail (POST P/otp, Supabase Auth's
-- POST /otp), valid otp_ttl seconds; a session it opens says so in its
-- tokens' amr (docs/supabase.md, "Magic links and email codes").
ALTER TABLE authoob.mail_tokens DROP CONSTRAINT mail_tokens_kind_check,
    ADD CONSTRAINT mail_tokens_kind_check CHECK (kind IN ('activation', 'reset', 'magiclink', 'reauthentication'));
ALTER TABLE authoob.mail_requests DROP CONSTRAINT mail_requests_kind_check,
    ADD CONSTRAINT mail_requests_kind_check CHECK (kind IN ('reset', 'activation', 'magiclink'));
ALTER TABLE authoob.mail_templates DROP CONSTRAINT mail_templates_kind_check,
    ADD CONSTRAINT mail_templates_kind_check
        CHECK (kind IN ('activation', 'reset', 'signup', 'recovery', 'invite', 'reauthentication', 'magiclink'));
\ir rows/mail_templates_magiclink.sql
ALTER TABLE authoob.flow_states DROP CONSTRAINT flow_states_kind_check,
    ADD CONSTRAINT flow_states_kind_check CHECK (kind IN ('signup', 'recovery', 'oauth', 'magiclink')),
    ADD COLUMN mail_token_hash bytea,
    ADD COLUMN provider text,
    ADD COLUMN link_claims jsonb;
-- ... and a provider's session names its provider in its amr
ALTER TABLE authoob.sessions
    ADD COLUMN sign_in_method text CHECK (sign_in_method IN ('otp', 'magiclink', 'oauth')),
    ADD COLUMN sign_in_provider text,
    ADD CONSTRAINT sessions_sign_in_provider_check
        CHECK ((coalesce(sign_in_method, '') = 'oauth') = (sign_in_provider IS NOT NULL));
ALTER TABLE authoob.settings ADD COLUMN otp_ttl integer NOT NULL DEFAULT 600;
\ir functions/authoob_otp_ask.sql
\ir gotrue/authoob_magic_link_ask_for_flow.sql
\ir gotrue/authoob_magic_link_user.sql
-- a session says how it was opened: authoob_grant_session_of takes it
DROP FUNCTION authoob_grant_session_of(bigint, inet);
\ir gotrue/authoob_grant_session_of.sql
\ir gotrue/authoob_gotrue_mailed_user.sql
\ir gotrue/authoob_gotrue_verify.sql
\ir gotrue/authoob_gotrue_verify_link.sql
\ir gotrue/authoob_gotrue_pkce.sql
\ir gotrue/authoob_gotrue_otp.sql
\ir functions/authoob_otp_verify.sql
-- the hooks pre_otp, post_otp, mail_magic_link and post_otp_verify
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM @extschema@.authoob_hook_names() WITH ORDINALITY AS h (n, p)
ON CONFLICT (name) DO NOTHING;

-- ==== Email change ====
-- A signed-in user's new address gets a link and a code, the old one a
-- notice; the address changes when the new one is confirmed
-- (docs/supabase.md, "Email change").
ALTER TABLE authoob.mail_tokens DROP CONSTRAINT mail_tokens_kind_check,
    ADD CONSTRAINT mail_tokens_kind_check
        CHECK (kind IN ('activation', 'reset', 'magiclink', 'email_change', 'reauthentication')),
    ADD COLUMN new_email text;
ALTER TABLE authoob.mail_requests DROP CONSTRAINT mail_requests_kind_check,
    ADD CONSTRAINT mail_requests_kind_check
        CHECK (kind IN ('reset', 'activation', 'magiclink', 'email_change'));
ALTER TABLE authoob.mail_templates DROP CONSTRAINT mail_templates_kind_check,
    ADD CONSTRAINT mail_templates_kind_check
        CHECK (kind IN ('activation', 'reset', 'signup', 'recovery', 'invite', 'reauthentication', 'magiclink',
            'email_change', 'email_change_notice'));
\ir rows/mail_templates_email_change.sql
\ir gotrue/authoob_email_change_ask.sql
\ir gotrue/authoob_email_change_user.sql
\ir gotrue/authoob_email_change_again_for_flow.sql
\ir gotrue/authoob_apply_email_change.sql
\ir functions/authoob_email_change.sql
\ir functions/authoob_email_change_confirm.sql
\ir gotrue/authoob_gotrue_mailed_user.sql
\ir gotrue/authoob_gotrue_update_user.sql
\ir gotrue/authoob_gotrue_resend.sql
-- the hooks pre_email_change and mail_email_change
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM @extschema@.authoob_hook_names() WITH ORDINALITY AS h (n, p)
ON CONFLICT (name) DO NOTHING;

-- ==== Review: what a sign-in proved otherwise still has to respect ====
-- A banned user gets no session by a mailed code, a link or a provider
-- (authoob_grant_session_of, C); an address change's code is taken with
-- the new address only (C); a magic link confirms an account as its
-- address's owner takes it.
\ir gotrue/authoob_confirm_by_magic_link.sql

-- ==== Sign-up by code ====
-- A magic link asked with create_user may make the account of an unknown
-- address, in the mailer as the mail is made (docs/supabase.md, "Magic
-- links and email codes").
ALTER TABLE authoob.settings ADD COLUMN otp_signup boolean NOT NULL DEFAULT false;
ALTER TABLE authoob.mail_requests ADD COLUMN signup jsonb;

-- ==== signInWithIdToken ====
-- POST G/token?grant_type=id_token: an ID token the app got from an
-- OpenID Connect provider signs in (docs/identity-providers.md,
-- "signInWithIdToken").
\ir gotrue/authoob_gotrue_id_token.sql
-- ==== Linking and unlinking identities ====
-- A signed-in user adds an identity at a provider to their account and
-- removes one (auth-js linkIdentity, unlinkIdentity), while
-- manual_linking is on (docs/identity-providers.md, "Linking and
-- unlinking").
ALTER TABLE authoob.settings ADD COLUMN manual_linking boolean NOT NULL DEFAULT false;
\ir functions/authoob_link_identity.sql
\ir functions/authoob_unlink_identity.sql
