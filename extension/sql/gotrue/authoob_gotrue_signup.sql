-- POST /signup: registers as P/register does (firstname and lastname of
-- data too), the rest of data kept as PUT /user keeps it; without
-- require_activation, the address counts as confirmed, as Supabase Auth's
-- autoconfirm has it (no activation mail goes), and the user signs in
-- with a refreshable session as at the token endpoint (the other fields
-- of data are then saved as PUT P/profile saves them); else answers the
-- user alone.  The account is this transaction's, and so is every
-- activation token of it: they carry the request's flow.  A known address
-- with require_activation is not told apart (GoTrue's signup.go): the
-- answer is a user as GoTrue's sanitizeUser makes it, with a made-up id
-- of the form real ones have (the password hashed all the same, in
-- authoob_register: the same time and budget as a new address),
-- and an account not yet activated gets its activation mail again, as
-- POST /resend sends it.  Its mail is the dialect's: its link leads to
-- the query's redirect_to if allowed (else app_url), and it carries a code.
CREATE OR REPLACE FUNCTION authoob_gotrue_signup(payload text, client_ip inet DEFAULT NULL,
                                                  redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    data jsonb := coalesce(nullif(body -> 'data', 'null'), '{}');
    registered jsonb;
    fields jsonb;
    uid bigint;
    confirm boolean;
    flow bigint;
BEGIN
    IF jsonb_typeof(data) <> 'object' THEN
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "data is an object."}';
    ELSIF coalesce(body ->> 'email', '') = '' AND coalesce(body ->> 'phone', '') = '' THEN
        -- no address: GoTrue's api.go takes it for an anonymous sign-in
        RETURN @extschema@.authoob_gotrue_sign_in_anonymously(data, client_ip);
    ELSIF body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    END IF;
    SELECT s.require_activation INTO confirm FROM authoob.settings s;
    BEGIN
        registered := @extschema@.authoob_register_for_dialect(jsonb_build_object(
            'email', body -> 'email', 'password1', body -> 'password', 'password2', body -> 'password',
            'firstname', data -> 'firstname', 'lastname', data -> 'lastname'), client_ip,
            @extschema@.authoob_redirect_url(redirect_to));
    EXCEPTION WHEN SQLSTATE 'PT409' THEN
        IF NOT confirm THEN
            RAISE;
        END IF;
        PERFORM @extschema@.authoob_gotrue_resend((body || '{"type": "signup"}')::text, client_ip, redirect_to);
        -- an id of the form the settings give real ones
        RETURN jsonb_build_object('id', CASE s.jwt_sub WHEN 'uuid' THEN gen_random_uuid()::text
                ELSE nextval(pg_get_serial_sequence('authoob.users', 'id'))::text END,
            'aud', s.jwt_audience, 'role', s.jwt_role,
            'email', lower(body ->> 'email'), 'phone', '',
            'app_metadata', '{"provider": "email", "providers": ["email"], "roles": []}'::jsonb,
            'user_metadata', data, 'identities', '[]'::jsonb, 'created_at', now(), 'updated_at', now(),
            'is_anonymous', false)
        FROM authoob.settings s;
    END;
    SELECT u.id INTO uid FROM authoob.users u WHERE lower(u.email) = lower(body ->> 'email');
    fields := @extschema@.authoob_gotrue_user_metadata(uid, data) - 'firstname' - 'lastname';
    IF NOT confirm THEN
        UPDATE authoob.users u SET confirmed_at = now() WHERE u.id = uid;
        UPDATE authoob.mail_tokens t SET used_at = now()
        WHERE t.user_id = uid AND t.kind = 'activation' AND t.used_at IS NULL;
        -- its mail is the dialect's (kind signup) or, before 0.3's mails, activation
        UPDATE authoob.mail_outbox m SET state = 'suppressed'
        WHERE m.user_id = uid AND m.kind IN ('activation', 'signup') AND m.state = 'pending';
        IF fields <> '{}' AND registered ? 'token' THEN
            PERFORM @extschema@.authoob_update_profile(registered ->> 'token', fields);
        END IF;
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

REVOKE ALL ON FUNCTION authoob_gotrue_signup(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_signup(text, inet, text) TO authoob_api;
