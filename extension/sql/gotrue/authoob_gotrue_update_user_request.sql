-- PUT /user through authoob_attempt('gotrue_update_user', ...), which
-- counts a wrong reauthentication nonce against the user (extension/
-- mail_tokens.c): request is {"token", "body"}, as the route makes it.
CREATE OR REPLACE FUNCTION authoob_gotrue_update_user_request(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts jsonb := @extschema@.authoob_gotrue_body(request);
BEGIN
    RETURN @extschema@.authoob_gotrue_update_user(parts ->> 'token', parts ->> 'body');
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_update_user_request(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_update_user_request(text, inet) TO authoob_api;
