-- Forward auth (GET P/verify): who a token stands for, as the headers a
-- proxy passes upstream.
CREATE OR REPLACE FUNCTION authoob_verify_headers(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_verify_headers'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_verify_headers(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_verify_headers(text) TO authoob_api;
