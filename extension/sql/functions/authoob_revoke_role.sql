-- Takes a role from a user, for the owner; whether the user had it.
CREATE OR REPLACE FUNCTION authoob_revoke_role(user_id bigint, role text)
RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (DELETE FROM authoob.roles_users ru USING authoob.roles r
                     WHERE ru.role_id = r.id AND r.name = role
                       AND ru.user_id = authoob_revoke_role.user_id
                     RETURNING 1)
    SELECT count(*) > 0 FROM removed
$$;

REVOKE ALL ON FUNCTION authoob_revoke_role(bigint, text) FROM PUBLIC;
