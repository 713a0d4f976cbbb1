-- GET /reauthenticate (auth-js's reauthenticate()), as GoTrue's
-- reauthenticate.go: a signed-in user with a confirmed address gets a
-- 6-digit nonce by mail, which updateUser({password, nonce}) then gives
-- (secure_password_change); 200 {}.  One mail each reset_mail_interval
-- per user, as resend (else 429 over_email_send_rate_limit with GoTrue's
-- words); the user's row is locked so that two requests at once send one.
CREATE OR REPLACE FUNCTION authoob_gotrue_reauthenticate(token text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_verify(token);
    address text;
    confirmed boolean;
    wait integer;
BEGIN
    SELECT u.email, u.confirmed_at IS NOT NULL INTO address, confirmed
    FROM authoob.users u WHERE u.id = uid FOR UPDATE;
    IF address IS NULL THEN
        RAISE EXCEPTION 'Reauthentication requires the user to have an email or a phone number'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    ELSIF NOT confirmed THEN
        RAISE EXCEPTION 'Please verify your email first.' USING ERRCODE = 'PT422',
            DETAIL = '{"error_code": "email_not_confirmed"}';
    END IF;
    SELECT ceil(extract(epoch FROM t.created_at + make_interval(secs => s.reset_mail_interval) - now()))::integer
    INTO wait
    FROM authoob.mail_tokens t, authoob.settings s
    WHERE t.user_id = uid AND t.kind = 'reauthentication'
      AND t.created_at > now() - make_interval(secs => s.reset_mail_interval)
    ORDER BY t.created_at DESC LIMIT 1;
    IF wait IS NOT NULL THEN
        RAISE EXCEPTION 'For security purposes, you can only request this after % seconds.', wait
            USING ERRCODE = 'PT429', DETAIL = jsonb_build_object('error_code', 'over_email_send_rate_limit',
                'headers', jsonb_build_object('Retry-After', wait::text))::text;
    END IF;
    PERFORM @extschema@.authoob_mail_nonce(uid);
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_reauthenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_reauthenticate(text) TO authoob_api;
