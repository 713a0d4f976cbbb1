-- The user a bearer token stands for, or 401 session_not_found, which
-- @supabase/auth-js reads as "this session is over".
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_token(token text)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@.authoob_verify(token);
EXCEPTION WHEN SQLSTATE 'PT401' THEN
    RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
        DETAIL = '{"error_code": "session_not_found"}';
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify_token(text) FROM PUBLIC;
