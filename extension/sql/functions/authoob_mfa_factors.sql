-- GET P/mfa/factors: the user's factors, as Supabase Auth's user object
-- lists them (no secret).
CREATE OR REPLACE FUNCTION authoob_mfa_factors(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_factors'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_factors(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mfa_factors(text) TO authoob_api;
