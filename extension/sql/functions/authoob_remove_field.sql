-- Unregisters a custom field, for the owner; whether it was registered.
CREATE OR REPLACE FUNCTION authoob_remove_field(name text)
RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (DELETE FROM authoob.user_fields f
                     WHERE f.name = authoob_remove_field.name RETURNING 1)
    SELECT count(*) > 0 FROM removed
$$;

REVOKE ALL ON FUNCTION authoob_remove_field(text) FROM PUBLIC;
