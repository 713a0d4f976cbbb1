-- auth.admin.getUserById, for the owner in SQL and for GET
-- G/admin/users/<uuid>: the user object, 404 for no such user.
CREATE OR REPLACE FUNCTION authoob_admin_get_user(user_id uuid)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_admin_user_json(@extschema@.authoob_admin_user_id(user_id::text))
$$;

REVOKE ALL ON FUNCTION authoob_admin_get_user(uuid) FROM PUBLIC;
