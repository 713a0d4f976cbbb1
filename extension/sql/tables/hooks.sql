-- Hooks (docs/sql-api.md, "Hooks"): SQL functions (context jsonb)
-- RETURNS jsonb called by name inside the action's transaction, in the
-- order of run_order.
CREATE TABLE authoob.hooks (
    hook text NOT NULL REFERENCES authoob.hook_names,
    function regprocedure NOT NULL,
    run_order integer NOT NULL,
    PRIMARY KEY (hook, function)
);
CREATE TRIGGER hooks_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.hooks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.authoob_invalidate_cache();
REVOKE ALL ON authoob.hooks FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.hooks', '');
