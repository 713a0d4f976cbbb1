-- A user's roles, sorted.
CREATE OR REPLACE FUNCTION authoob_user_roles(user_id bigint)
RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(r.name ORDER BY r.name), '{}')
    FROM authoob.roles_users ru JOIN authoob.roles r ON r.id = ru.role_id
    WHERE ru.user_id = authoob_user_roles.user_id
$$;

REVOKE ALL ON FUNCTION authoob_user_roles(bigint) FROM PUBLIC;
