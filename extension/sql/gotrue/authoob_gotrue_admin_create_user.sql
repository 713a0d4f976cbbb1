-- POST G/admin/users (auth.admin.createUser): for a service credential
-- only (authoob_check_service_token: 401 without a token, 403 for any
-- other), audited with the actor service_role and the client's address.
-- Each admin route's function is this: the check, the address, the owner's
-- function; the actor is its SET clause, which lasts this call only.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_create_user(token text, payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET authoob.admin_actor = 'service_role'
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT set_config('authoob.admin_ip', coalesce(host(client_ip), ''), true);
    SELECT @extschema@.authoob_admin_create_user(@extschema@.authoob_gotrue_body(payload));
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_create_user(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_create_user(text, text, inet) TO authoob_api;
