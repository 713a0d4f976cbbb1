-- POST G/invite (auth.admin.inviteUserByEmail): for a service credential
-- only, as the other admin routes (authoob_gotrue_admin_create_user);
-- the body's email and data, the query's redirect_to.
CREATE OR REPLACE FUNCTION authoob_gotrue_invite(token text, payload text, client_ip inet DEFAULT NULL,
                                                 redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_check_service_token(token);
    SELECT set_config('authoob.admin_actor', 'service_role', true),
           set_config('authoob.admin_ip', coalesce(host(client_ip), ''), true);
    SELECT @extschema@.authoob_admin_invite_user(b ->> 'email', b -> 'data', redirect_to)
    FROM @extschema@.authoob_gotrue_body(payload) b;
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_invite(text, text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_invite(text, text, inet, text) TO authoob_api;
