-- Registers a function (context jsonb) RETURNS jsonb for a hook
-- (docs/sql-api.md, "Hooks"), for the owner; run_order places it among the
-- hook's others.
CREATE OR REPLACE FUNCTION authoob_add_hook(hook text, function regprocedure,
                                            run_order integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn pg_proc;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM authoob.hook_names n WHERE n.name = authoob_add_hook.hook) THEN
        RAISE EXCEPTION 'unknown hook %', coalesce(quote_literal(hook), 'NULL')
            USING ERRCODE = 'PT400',
                  DETAIL = 'Valid hooks: ' || (SELECT string_agg(n.name, ', ' ORDER BY n.position)
                                               FROM authoob.hook_names n) || '.';
    END IF;
    SELECT * INTO fn FROM pg_proc WHERE oid = function;
    IF fn.prokind <> 'f' OR fn.pronargs <> 1 OR fn.proargtypes[0] <> 'jsonb'::regtype
       OR fn.prorettype <> 'jsonb'::regtype OR fn.proretset THEN
        RAISE EXCEPTION 'function % cannot be a hook', function
            USING ERRCODE = 'PT400',
                  DETAIL = 'A hook is a function (context jsonb) RETURNS jsonb.';
    END IF;
    INSERT INTO authoob.hooks AS h (hook, function, run_order)
    VALUES (hook, function,
            coalesce(run_order, (SELECT coalesce(max(h2.run_order), 0) + 10
                                FROM authoob.hooks h2 WHERE h2.hook = authoob_add_hook.hook)))
    ON CONFLICT ON CONSTRAINT hooks_pkey DO UPDATE SET run_order = EXCLUDED.run_order;
END
$$;

REVOKE ALL ON FUNCTION authoob_add_hook(text, regprocedure, integer) FROM PUBLIC;
