-- PUT P/reset_password (and P/password/reset) through
-- authoob_attempt('reset_password', ...), which counts a wrong
-- reauthentication nonce against the user (secure_password_change,
-- extension/mail_tokens.c): request is {"token", "body"}, as the route
-- makes it.
CREATE OR REPLACE FUNCTION authoob_reset_password_request(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts jsonb := @extschema@.authoob_gotrue_body(request);
BEGIN
    RETURN @extschema@.authoob_reset_password(parts ->> 'token', parts ->> 'body');
END
$$;

REVOKE ALL ON FUNCTION authoob_reset_password_request(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_reset_password_request(text, inet) TO authoob_api;
