-- POST /verify: a mailed token (token_hash, or token) signs the user in;
-- through authoob_attempt('gotrue_verify', ...), which counts tokens that
-- match nothing.
CREATE OR REPLACE FUNCTION authoob_gotrue_verify(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_grant_session_of(
        @extschema@.authoob_gotrue_mailed_user(body ->> 'type',
            coalesce(nullif(body ->> 'token_hash', ''), nullif(body ->> 'token', '')), client_ip),
        client_ip));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify(text, inet) TO authoob_api;
