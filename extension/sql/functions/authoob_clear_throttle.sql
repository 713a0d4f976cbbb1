-- Lifts blocks of the brute-force limits (all, a scope, or one key), for
-- the owner; how many rows it removed.
CREATE OR REPLACE FUNCTION authoob_clear_throttle(scope text DEFAULT NULL, key text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH cleared AS (DELETE FROM authoob.throttle t
                     WHERE (authoob_clear_throttle.scope IS NULL OR t.scope = authoob_clear_throttle.scope)
                       AND (authoob_clear_throttle.key IS NULL OR t.key = authoob_clear_throttle.key)
                     RETURNING 1)
    SELECT count(*) FROM cleared
$$;

REVOKE ALL ON FUNCTION authoob_clear_throttle(text, text) FROM PUBLIC;
