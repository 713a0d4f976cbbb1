-- GET G/admin/users/<uuid> (auth.admin.getUserById): for a service
-- credential only; reads, so it is not audited.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_user(token text, user_id text)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT @extschema@.authoob_admin_user_json(@extschema@.authoob_admin_user_id(user_id));
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_user(text, text) TO authoob_api;
