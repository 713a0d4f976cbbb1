-- GET /user: as GET P/profile (its hooks), in the shape of Supabase Auth.
CREATE OR REPLACE FUNCTION authoob_gotrue_user(token text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_gotrue_verify_token(token);
BEGIN
    PERFORM @extschema@.authoob_profile(token);
    RETURN @extschema@.authoob_gotrue_user_json(uid);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_user(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_user(text) TO authoob_api;
