-- authoob_attempt() for the proxy, whose PL/Proxy functions cannot CALL a
-- procedure: the action's error comes back as {"error": {...}} in a
-- transaction that commits the failure it recorded; the proxy raises it.
CREATE OR REPLACE FUNCTION authoob_attempt_outcome(action text, arg text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_attempt_outcome'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_attempt_outcome(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_attempt_outcome(text, text, inet) TO authoob_api;
