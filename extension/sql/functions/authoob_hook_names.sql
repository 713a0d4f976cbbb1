-- The hook names, written once in the C sources (authoob.h), in order:
-- authoob.hook_names is filled from them.
CREATE OR REPLACE FUNCTION authoob_hook_names() RETURNS SETOF text
AS 'MODULE_PATHNAME', 'authoob_hook_names'
LANGUAGE C IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_hook_names() FROM PUBLIC;
