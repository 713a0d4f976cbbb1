-- Custom user fields (docs/sql-api.md, "Custom user fields"): columns an
-- application added to authoob.users, shown in the private JSON
-- (exposed), the public JSON (public), and/or changed by PUT P/profile
-- (updatable).
CREATE TABLE authoob.user_fields (
    name text PRIMARY KEY,
    exposed boolean NOT NULL DEFAULT true,
    updatable boolean NOT NULL DEFAULT false,
    public boolean NOT NULL DEFAULT false
);
CREATE TRIGGER user_fields_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.user_fields
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.authoob_invalidate_cache();
REVOKE ALL ON authoob.user_fields FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.user_fields', '');
