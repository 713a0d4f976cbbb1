-- auth.admin.deleteUser, for the owner in SQL and for DELETE
-- G/admin/users/<uuid>: the account and all it owns (sessions, tokens,
-- roles: the foreign keys cascade), audited as user_deleted; soft
-- deletion (should_soft_delete) is not built: the account goes.  404 for
-- no such user.  Answers {} as Supabase Auth does.
CREATE OR REPLACE FUNCTION authoob_admin_delete_user(user_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_admin_user_id(user_id::text);
BEGIN
    PERFORM @extschema@.authoob_audit('user_deleted', user_id, jsonb_build_object(
        'user_email', (SELECT u.email FROM authoob.users u WHERE u.id = uid)));
    DELETE FROM authoob.users u WHERE u.id = uid;
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_delete_user(uuid) FROM PUBLIC;
