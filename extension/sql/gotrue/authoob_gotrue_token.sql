-- POST /token (grant_type password, refresh_token or pkce), through
-- authoob_attempt('gotrue_token', ...), which counts failures as for
-- P/token.
CREATE OR REPLACE FUNCTION authoob_gotrue_token(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    IF body ->> 'grant_type' = 'pkce' THEN
        RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_gotrue_pkce(body, client_ip));
    ELSIF body ->> 'grant_type' = 'id_token' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('oauth');
    ELSIF body ->> 'grant_type' = 'password' AND body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    END IF;
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_token_grant(payload, client_ip, NULL));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_token(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_token(text, inet) TO authoob_api;
