-- POST /signup: registers as P/register does (firstname and lastname of
-- data too); without require_activation, signs in with a refreshable
-- session as the token endpoint does (the rest of data is then saved as
-- PUT P/profile saves it), else answers the user alone.  The account is
-- this transaction's, and so is every activation token of it: they carry
-- the request's flow.  Its mail is the dialect's: its link leads to the
-- query's redirect_to if allowed (else app_url), and it carries a code.
CREATE OR REPLACE FUNCTION authoob_gotrue_signup(payload text, client_ip inet DEFAULT NULL,
                                                  redirect_to text DEFAULT NULL)
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
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "data is an object."}';
    ELSIF body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    ELSIF NOT body ? 'email' AND NOT body ? 'password' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('anonymous');
    END IF;
    registered := @extschema@.authoob_register_for_dialect(jsonb_build_object(
        'email', body -> 'email', 'password1', body -> 'password', 'password2', body -> 'password',
        'firstname', data -> 'firstname', 'lastname', data -> 'lastname'), client_ip,
        @extschema@.authoob_redirect_url(redirect_to));
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

REVOKE ALL ON FUNCTION authoob_gotrue_signup(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_signup(text, inet, text) TO authoob_api;
