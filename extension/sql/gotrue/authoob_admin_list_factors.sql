-- auth.admin.mfa.listFactors, for the owner in SQL and for GET
-- G/admin/users/<uuid>/factors: the user's factors as its user object
-- lists them (verified or not, never a secret), [] for none.  404 for no
-- such user.  Reads, so it is not audited.
CREATE OR REPLACE FUNCTION authoob_admin_list_factors(user_id uuid)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(@extschema@.authoob_gotrue_user_json(
        @extschema@.authoob_admin_user_id(user_id::text)) -> 'factors', '[]')
$$;

REVOKE ALL ON FUNCTION authoob_admin_list_factors(uuid) FROM PUBLIC;
