-- HS256 secrets rotated out (authoob_rotate_secret, or a change of
-- signing_alg): they still verify the tokens they signed until
-- valid_until.
CREATE TABLE authoob.previous_keys (
    kid text PRIMARY KEY,
    secret bytea NOT NULL,
    valid_until timestamptz NOT NULL
);
CREATE TRIGGER previous_keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.previous_keys
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.authoob_invalidate_cache();
REVOKE ALL ON authoob.previous_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.previous_keys', '');
