-- The registered hooks, in the order they run, for the owner.
CREATE OR REPLACE FUNCTION authoob_hooks()
RETURNS TABLE (hook text, function regprocedure, run_order integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.hook, h.function, h.run_order FROM authoob.hooks h
    ORDER BY h.hook, h.run_order, h.function::text
$$;

REVOKE ALL ON FUNCTION authoob_hooks() FROM PUBLIC;
