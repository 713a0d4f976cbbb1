-- POST G/admin/users (auth.admin.createUser): for a service credential
-- only (authoob_check_service_token: 401 without a token, 403 for any
-- other), audited with the actor service_role and the client's address.
-- Each admin route's function is this: the check, the actor and address
-- for the audit log (set for this call only: a function with a SET clause
-- gives back at its end what it set locally), the owner's function.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_create_user(token text, payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT set_config('authoob.admin_actor', 'service_role', true),
           set_config('authoob.admin_ip', coalesce(host(client_ip), ''), true);
    SELECT @extschema@.authoob_admin_create_user(@extschema@.authoob_gotrue_body(payload));
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_create_user(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_create_user(text, text, inet) TO authoob_api;
