-- 429 when the client is blocked from signing in (per-client limits),
-- for the sign-ins proved otherwise than by a password.  Owner only.
CREATE OR REPLACE FUNCTION authoob_check_client_throttle(client_ip inet)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_check_client_throttle'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_check_client_throttle(inet) FROM PUBLIC;
