-- POST P/otp/verify: {"token"} (a magic link's) or {"email", "code"} (its
-- mail's 6-digit code) signs in, once, as the token endpoint answers
-- (amr otp); through authoob_attempt('otp_verify', ...), which counts
-- tokens that match nothing, and wrong codes as wrong passwords.
CREATE OR REPLACE FUNCTION authoob_otp_verify(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    RETURN @extschema@.authoob_grant_session_of(
        CASE WHEN nullif(body ->> 'code', '') IS NOT NULL
             THEN @extschema@.authoob_spend_mail_code('magiclink', body ->> 'email', body ->> 'code', client_ip)
             ELSE @extschema@.authoob_magic_link_user(body ->> 'token', client_ip, true) END,
        client_ip, 'otp');
END
$$;

REVOKE ALL ON FUNCTION authoob_otp_verify(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_otp_verify(text, inet) TO authoob_api;
