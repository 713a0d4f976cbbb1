-- GET G/admin/users/<uuid>/factors (auth.admin.mfa.listFactors): for a
-- service credential only; reads, so it is not audited.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_factors(token text, user_id text)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT @extschema@.authoob_admin_list_factors(
        (SELECT u.uuid FROM authoob.users u WHERE u.id = @extschema@.authoob_admin_user_id(user_id)));
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_factors(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_factors(text, text) TO authoob_api;
