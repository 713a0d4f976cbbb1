-- Each backend caches the settings, the hook registry and the user fields;
-- a change to these tables tells every backend to drop its copy.
CREATE OR REPLACE FUNCTION authoob_invalidate_cache() RETURNS trigger
AS 'MODULE_PATHNAME', 'authoob_invalidate_cache' LANGUAGE C;

REVOKE ALL ON FUNCTION authoob_invalidate_cache() FROM PUBLIC;
