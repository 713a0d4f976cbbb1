-- The user of a mailed token of type signup, invite or email (activation,
-- or a magic link), magiclink, or recovery (reset), the token spent; with
-- email, token is the 6-digit code of the newest mail of that type to
-- that address instead.  An address change's (email_change) is applied.
CREATE OR REPLACE FUNCTION authoob_gotrue_mailed_user(kind text, token text, client_ip inet,
                                                      email text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind IN ('sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built('otp');
    ELSIF kind IS NULL OR kind NOT IN ('signup', 'invite', 'email', 'recovery', 'magiclink', 'email_change') THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "type is signup, invite, email, magiclink, email_change or recovery."}';
    ELSIF token IS NULL THEN
        RAISE EXCEPTION 'Verify requires either a token or a token hash' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "token_hash is the token of the mailed link, token the code of the mail to email."}';
    END IF;
    IF email IS NOT NULL THEN
        RETURN @extschema@.authoob_apply_email_change(
            @extschema@.authoob_spend_mail_code(kind, email, token, client_ip));
    ELSIF kind = 'email_change' THEN
        RETURN @extschema@.authoob_apply_email_change(
            @extschema@.authoob_email_change_user(token, client_ip));
    ELSIF kind = 'recovery' THEN
        RETURN @extschema@.authoob_spend_reset_token(token, client_ip);
    ELSIF kind = 'magiclink' OR EXISTS (SELECT 1 FROM authoob.mail_tokens t
            WHERE t.token_hash = sha256(convert_to(token, 'UTF8')) AND t.kind = 'magiclink') THEN
        RETURN @extschema@.authoob_magic_link_user(token, client_ip, true);
    END IF;
    RETURN @extschema@.authoob_activate_user(token, client_ip);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_mailed_user(text, text, inet, text) FROM PUBLIC;
