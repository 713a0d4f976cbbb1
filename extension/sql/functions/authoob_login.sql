-- POST P/login: {"token"} for a right email and password, 401
-- "Authentication failed" alike for a wrong password and an unknown
-- address.  The front calls it through authoob_attempt('login', ...),
-- which counts failures.
CREATE OR REPLACE FUNCTION authoob_login(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_login'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_login(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_login'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_login(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_login(text, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_login(jsonb, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_login(jsonb, inet) TO authoob_api;
