-- POST G/factors: a TOTP factor enrolled, as Supabase Auth answers it.
CREATE OR REPLACE FUNCTION authoob_gotrue_enroll_factor(token text, payload text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_gotrue_enroll_factor'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_enroll_factor(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_enroll_factor(text, text) TO authoob_api;
