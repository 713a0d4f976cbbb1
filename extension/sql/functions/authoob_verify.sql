-- For the rest of the application: token to user id, or PT401.
CREATE OR REPLACE FUNCTION authoob_verify(token text)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_verify'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_verify(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_verify(text) TO PUBLIC;
