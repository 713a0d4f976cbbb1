-- The settings, read back without the secret (the front reads its prefix
-- and header names here).
CREATE OR REPLACE FUNCTION authoob_settings()
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_settings'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_settings() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_settings() TO authoob_api;
