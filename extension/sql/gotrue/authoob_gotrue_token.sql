-- POST /token (grant_type password, refresh_token, pkce or id_token), through
-- authoob_attempt('gotrue_token', ...), which counts failures as for
-- P/token and passes the body it parsed (the jsonb form).  The text form
-- parses it here, for 0.2's fronts and for SQL callers.
CREATE OR REPLACE FUNCTION authoob_gotrue_token(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF payload ->> 'grant_type' = 'pkce' THEN
        RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_gotrue_pkce(payload, client_ip));
    ELSIF payload ->> 'grant_type' = 'id_token' THEN
        RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_gotrue_id_token(payload, client_ip));
    ELSIF payload ->> 'grant_type' = 'web3' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('web3');
    ELSIF payload ->> 'grant_type' = 'password' AND payload ? 'phone' AND NOT payload ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone_login');
    ELSIF payload ->> 'grant_type' IS DISTINCT FROM 'password'
          AND payload ->> 'grant_type' IS DISTINCT FROM 'refresh_token' THEN
        -- GoTrue's token.go, word for word
        RAISE EXCEPTION 'unsupported_grant_type' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "invalid_credentials"}';
    END IF;
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_token_grant(payload, client_ip, NULL));
END
$$;

CREATE OR REPLACE FUNCTION authoob_gotrue_token(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@.authoob_gotrue_token(@extschema@.authoob_gotrue_body(payload), client_ip);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_token(jsonb, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_token(jsonb, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_gotrue_token(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_token(text, inet) TO authoob_api;
