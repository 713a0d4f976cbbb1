-- POST G/factors/<id>/verify's work: a code against a challenge of the
-- factor; the token endpoint's answer.  Owner only: the route calls it
-- through authoob_gotrue_verify_factor, which gives the answer Supabase
-- Auth's user object.
CREATE OR REPLACE FUNCTION authoob_mfa_verify_challenge(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_verify_challenge'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_verify_challenge(text, inet) FROM PUBLIC;
