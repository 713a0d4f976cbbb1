-- Raises unless token is a service credential (401 without one, 403 for
-- any other: a user's token, one expired, forged or of another issuer);
-- the admin routes' functions call it first.
CREATE OR REPLACE FUNCTION authoob_check_service_token(token text)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_check_service_token'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_check_service_token(text) FROM PUBLIC;
