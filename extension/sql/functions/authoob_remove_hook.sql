-- Unregisters a hook's function, for the owner; whether it was registered.
CREATE OR REPLACE FUNCTION authoob_remove_hook(hook text, function regprocedure)
RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (DELETE FROM authoob.hooks h
                     WHERE h.hook = authoob_remove_hook.hook
                       AND h.function = authoob_remove_hook.function
                     RETURNING 1)
    SELECT count(*) > 0 FROM removed
$$;

REVOKE ALL ON FUNCTION authoob_remove_hook(text, regprocedure) FROM PUBLIC;
