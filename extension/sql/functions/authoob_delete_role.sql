-- Deletes a role (and who had it), for the owner; whether there was one.
CREATE OR REPLACE FUNCTION authoob_delete_role(name text)
RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (DELETE FROM authoob.roles r WHERE r.name = authoob_delete_role.name
                     RETURNING 1)
    SELECT count(*) > 0 FROM removed
$$;

REVOKE ALL ON FUNCTION authoob_delete_role(text) FROM PUBLIC;
