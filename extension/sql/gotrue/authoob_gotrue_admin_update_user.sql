-- PUT G/admin/users/<uuid> (auth.admin.updateUserById), as
-- authoob_gotrue_admin_create_user is.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_update_user(token text, user_id text, payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT set_config('authoob.admin_actor', 'service_role', true),
           set_config('authoob.admin_ip', coalesce(host(client_ip), ''), true);
    SELECT @extschema@.authoob_admin_update_user(
        (SELECT u.uuid FROM authoob.users u WHERE u.id = @extschema@.authoob_admin_user_id(user_id)),
        @extschema@.authoob_gotrue_body(payload));
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_update_user(text, text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_update_user(text, text, text, inet) TO authoob_api;
