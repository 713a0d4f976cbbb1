-- PUT /user: data merged into user_metadata, its fields of P/profile as
-- PUT P/profile sets them; password as PUT P/reset_password (which ends
-- every session of the user, this one too), which with
-- secure_password_change needs the nonce GET /reauthenticate mailed;
-- email asks for an address change (authoob_email_change_ask: the new
-- address gets a link, to app_url, and a code; the address changes when
-- it is confirmed).
CREATE OR REPLACE FUNCTION authoob_gotrue_update_user(token text, payload text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_verify(token);
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    -- GoTrue's user.go: an anonymous user (no address) gets a password
    -- only with an address to sign in by
    IF coalesce(body ->> 'password', '') <> '' AND coalesce(body ->> 'email', '') = ''
       AND coalesce(body ->> 'phone', '') = ''
       AND EXISTS (SELECT 1 FROM authoob.users u WHERE u.id = uid AND u.email IS NULL) THEN
        RAISE EXCEPTION 'Updating password of an anonymous user without an email or phone is not allowed'
            USING ERRCODE = 'PT422', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF nullif(body ->> 'email', '') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM authoob.users u WHERE u.id = uid AND lower(u.email) = lower(body ->> 'email')) THEN
        PERFORM @extschema@.authoob_email_change_ask(token, body ->> 'email', true,
            @extschema@.authoob_redirect_url(NULL), body ->> 'nonce');
    END IF;
    IF jsonb_typeof(body -> 'data') = 'object' THEN
        PERFORM @extschema@.authoob_update_profile(token,
            @extschema@.authoob_gotrue_user_metadata(uid, body -> 'data'));
    ELSIF coalesce(jsonb_typeof(body -> 'data'), 'null') <> 'null' THEN
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "data is an object."}';
    END IF;
    IF body ? 'password' THEN
        PERFORM @extschema@.authoob_reset_password(token, jsonb_build_object(
            'password1', body -> 'password', 'password2', body -> 'password', 'nonce', body -> 'nonce'));
    END IF;
    RETURN @extschema@.authoob_gotrue_user_json(uid);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_update_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_update_user(text, text) TO authoob_api;
