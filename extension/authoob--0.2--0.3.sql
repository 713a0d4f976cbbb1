/* authoob--0.2--0.3.sql: from 0.2 to 0.3 (the README's "Upgrades") */

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.3'" to load this file. \quit

-- ==== The owner-context rule: begin ====
-- Whatever runs with the owner's rights runs with a search_path of
-- authoob's choosing (README "Security"): authoob_attempt_outcome runs the
-- caller's action and records its failure as authoob_attempt does, and
-- takes the same fixed search_path as every SECURITY DEFINER function.
ALTER FUNCTION authoob_attempt_outcome(text, text, inet) SET search_path = pg_catalog, pg_temp;
-- ==== The owner-context rule: end ====

-- ==== The HS256 secret retired with its algorithm: begin ====
-- Leaving HS256 retires the secret as authoob_rotate_secret does (README
-- "Signing keys and JWKS"): it verifies what it signed for a token
-- lifetime, then it is gone, and the secret left in its place is a new
-- random one, so that whoever held the old one (a verifier's
-- configuration) cannot mint tokens, now or after a return to HS256.  A
-- secret the same update sets is the owner's choice for a later HS256
-- (its setting already ends every session and forgets every earlier key),
-- and stays.  authoob_rotate_secret may read the settings as this backend
-- cached them before the update: what it reads is the secret, unchanged
-- when it runs, and the lifetime is given.
CREATE OR REPLACE FUNCTION authoob_signing_alg_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authoob.signing_keys k SET valid_until = now() + make_interval(secs => NEW.token_ttl)
    WHERE k.alg = OLD.signing_alg AND k.valid_until IS NULL;
    IF OLD.signing_alg = 'HS256' AND NEW.secret_key = OLD.secret_key THEN
        PERFORM @extschema@.authoob_rotate_secret(make_interval(secs => NEW.token_ttl));
    END IF;
    IF NEW.signing_alg <> 'HS256' AND NOT EXISTS (
        SELECT 1 FROM authoob.signing_keys k WHERE k.alg = NEW.signing_alg AND k.valid_until IS NULL) THEN
        PERFORM @extschema@.authoob_new_signing_key(NEW.signing_alg, NULL);
    END IF;
    RETURN NULL;
END
$$;

-- A database that left HS256 under 0.2 still holds the secret it signed
-- with, which verifiers may hold too: it has signed nothing since, so it
-- goes at once (the new binaries already refuse it while another alg is
-- set), and a return to HS256 signs with a secret nobody holds.
SELECT @extschema@.authoob_rotate_secret(interval '0')
FROM authoob.settings s WHERE s.signing_alg <> 'HS256';
-- ==== The HS256 secret retired with its algorithm: end ====

-- ==== PKCE flows bound to their mails: begin ====
-- The code of a mailed link belongs to the flow of the request that caused
-- the mail, and to no other (README "Supabase users").  0.2 bound it to the
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

CREATE OR REPLACE FUNCTION authoob_mail_prepare(max_requests integer DEFAULT 100)
RETURNS integer AS 'MODULE_PATHNAME', 'authoob_mail_prepare_0_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- password/ask and resend for a request that started the flow flow_id:
-- whether a mail was asked for (false: the mail interval held it back).
-- Owner only, called by the functions below.
CREATE FUNCTION authoob_password_ask_for_flow(payload jsonb, client_ip inet, flow_id bigint)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_password_ask_for_flow'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_activation_ask_for_flow(payload jsonb, client_ip inet, flow_id bigint)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_activation_ask_for_flow'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_password_ask_for_flow(jsonb, inet, bigint),
    authoob_activation_ask_for_flow(jsonb, inet, bigint) FROM PUBLIC;

-- A request that will mail a link (sign-up, recovery, resend) and sends a
-- code_challenge starts the PKCE flow whose id its mail's token will
-- carry (returned); the flows past the mailed tokens' lifetime go.  No
-- challenge: no flow (NULL), and the link follows the implicit flow.
DROP FUNCTION authoob_gotrue_start_flow(jsonb, text);
CREATE FUNCTION authoob_gotrue_start_flow(body jsonb, kind text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    challenge text := nullif(body ->> 'code_challenge', '');
    method text := lower(coalesce(nullif(body ->> 'code_challenge_method', ''), 's256'));
    flow bigint;
BEGIN
    IF body ->> 'email' IS NULL THEN
        RETURN NULL;
    END IF;
    IF challenge !~ '^[A-Za-z0-9._~-]{43,128}$' OR (challenge IS NOT NULL AND method NOT IN ('s256', 'plain')) THEN
        RAISE EXCEPTION 'Invalid value for code_challenge' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF challenge IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM authoob.flow_states f
    WHERE f.created_at < now() - (SELECT make_interval(secs => greatest(s.activation_ttl, s.reset_ttl))
                                  FROM authoob.settings s);
    INSERT INTO authoob.flow_states (email, kind, code_challenge, code_challenge_method)
    VALUES (lower(body ->> 'email'), authoob_gotrue_start_flow.kind, challenge, method)
    RETURNING id INTO flow;
    RETURN flow;
END
$$;
REVOKE ALL ON FUNCTION authoob_gotrue_start_flow(jsonb, text) FROM PUBLIC;

-- POST /signup: registers as P/register does (firstname and lastname of
-- data too); without require_activation, signs in with a refreshable
-- session as the token endpoint does (the rest of data is then saved as
-- PUT P/profile saves it), else answers the user alone.  The account is
-- this transaction's, and so is every activation token of it: they carry
-- the request's flow.
CREATE OR REPLACE FUNCTION authoob_gotrue_signup(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    data jsonb := coalesce(nullif(body -> 'data', 'null'), '{}');
    registered jsonb;
    uid bigint;
    confirm boolean;
    flow bigint;
BEGIN
    IF jsonb_typeof(data) <> 'object' THEN
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400';
    ELSIF body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    ELSIF NOT body ? 'email' AND NOT body ? 'password' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('anonymous');
    END IF;
    registered := @extschema@.authoob_register(jsonb_build_object(
        'email', body -> 'email', 'password1', body -> 'password', 'password2', body -> 'password',
        'firstname', data -> 'firstname', 'lastname', data -> 'lastname'), client_ip);
    SELECT u.id INTO uid FROM authoob.users u WHERE lower(u.email) = lower(body ->> 'email');
    SELECT s.require_activation INTO confirm FROM authoob.settings s;
    IF NOT confirm AND data - 'firstname' - 'lastname' <> '{}' AND registered ? 'token' THEN
        PERFORM @extschema@.authoob_update_profile(registered ->> 'token', data - 'firstname' - 'lastname');
    END IF;
    -- register's own session: this protocol signs in with refreshable ones
    DELETE FROM authoob.sessions s
    WHERE s.user_id = uid AND s.refresh_secret IS NULL AND s.created_at = now();
    flow := @extschema@.authoob_gotrue_start_flow(body, 'signup');
    IF flow IS NOT NULL THEN
        UPDATE authoob.mail_tokens t SET flow_id = flow WHERE t.user_id = uid AND t.kind = 'activation';
    END IF;
    IF confirm THEN
        RETURN @extschema@.authoob_gotrue_user_json(uid);
    END IF;
    -- the registration proved the password: no second hash of it
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_grant_session_of(uid, client_ip));
END
$$;

-- POST /recover: asks for a reset mail as P/password/ask does (the same
-- answer whether the address is known or not), for the request's flow; a
-- request the mail interval holds back keeps no flow.
CREATE OR REPLACE FUNCTION authoob_gotrue_recover(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    flow bigint := @extschema@.authoob_gotrue_start_flow(body, 'recovery');
BEGIN
    IF NOT @extschema@.authoob_password_ask_for_flow(body, client_ip, flow) THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    END IF;
    RETURN '{}';
END
$$;

-- POST /resend: type signup mails the activation link again (200 {}
-- whatever the address), for the request's flow as POST /recover does;
-- the other types need what is not built yet.
CREATE OR REPLACE FUNCTION authoob_gotrue_resend(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    flow bigint;
BEGIN
    IF body ->> 'type' IN ('email_change', 'sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built(CASE body ->> 'type' WHEN 'email_change'
                                                     THEN 'email_change' ELSE 'otp' END);
    ELSIF body ->> 'type' IS DISTINCT FROM 'signup' THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = 'type is signup.';
    END IF;
    flow := @extschema@.authoob_gotrue_start_flow(body, 'signup');
    IF NOT @extschema@.authoob_activation_ask_for_flow(jsonb_build_object('email', body -> 'email'),
                                                       client_ip, flow) THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    END IF;
    RETURN '{}';
END
$$;

-- GET /verify?token=&type=&redirect_to=: the mailed link, verified as
-- POST /verify; redirects to redirect_to if allowed, else app_url.  When
-- the request that caused the mail started the PKCE flow (the flow its
-- token carries), with a one-time code of that flow in the query string;
-- else (the implicit flow) with the session in the fragment.  Through
-- authoob_attempt('gotrue_verify_link', ...).
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_link(query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    link_kind text := q ->> 'type';
    target text := @extschema@.authoob_redirect_url(q ->> 'redirect_to');
    uid bigint;
    flow bigint;
    code text;
    session jsonb;
BEGIN
    IF target IS NULL THEN
        RAISE EXCEPTION 'authoob is not configured: app_url is not set';
    END IF;
    uid := @extschema@.authoob_gotrue_mailed_user(link_kind, nullif(q ->> 'token', ''), client_ip);
    SELECT f.id INTO flow FROM authoob.mail_tokens t JOIN authoob.flow_states f ON f.id = t.flow_id
    WHERE t.token_hash = sha256(convert_to(q ->> 'token', 'UTF8'))
      AND f.code_challenge IS NOT NULL AND f.auth_code_hash IS NULL
    FOR UPDATE OF f;
    IF flow IS NOT NULL THEN
        code := @extschema@.authoob_link_code();
        UPDATE authoob.flow_states f
        SET user_id = uid, auth_code_hash = sha256(convert_to(code, 'UTF8')),
            code_expires_at = now() + interval '5 minutes'
        WHERE f.id = flow;
        RETURN jsonb_build_object('url', split_part(target, '#', 1)
            || CASE WHEN split_part(target, '#', 1) LIKE '%?%' THEN '&' ELSE '?' END || 'code=' || code
            || coalesce(substring(target FROM '#.*$'), ''));
    END IF;
    session := @extschema@.authoob_grant_session_of(uid, client_ip);
    RETURN jsonb_build_object('url', split_part(target, '#', 1) || '#access_token=' || (session ->> 'access_token')
        || '&expires_at=' || (session ->> 'expires_at') || '&expires_in=' || (session ->> 'expires_in')
        || '&refresh_token=' || (session ->> 'refresh_token') || '&token_type=bearer&type='
        || CASE link_kind WHEN 'recovery' THEN 'recovery' ELSE 'signup' END);
END
$$;
-- ==== PKCE flows bound to their mails: end ====
