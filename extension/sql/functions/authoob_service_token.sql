-- The admin API's credential, a service_role token (README "Supabase
-- users"): owner only, whoever holds it manages every user.
CREATE OR REPLACE FUNCTION authoob_service_token(valid_for interval DEFAULT interval '10 years')
RETURNS text AS 'MODULE_PATHNAME', 'authoob_service_token'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_service_token(interval) FROM PUBLIC;
