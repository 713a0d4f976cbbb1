-- auth.admin.updateUserById, for the owner in SQL and for PUT
-- G/admin/users/<uuid>: attrs as authoob_admin_apply sets them, audited
-- as user_modified.  404 for no such user.  Answers the user object.
CREATE OR REPLACE FUNCTION authoob_admin_update_user(user_id uuid, attrs jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_admin_user_id(user_id::text);
BEGIN
    PERFORM @extschema@.authoob_audit('user_modified', user_id,
        coalesce(CASE WHEN jsonb_typeof(attrs) = 'object' THEN
            (attrs - 'password' - 'password_hash') || jsonb_build_object('password', attrs ? 'password') END, '{}'));
    PERFORM @extschema@.authoob_admin_apply(uid, attrs);
    RETURN @extschema@.authoob_admin_user_json(uid);
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_update_user(uuid, jsonb) FROM PUBLIC;
