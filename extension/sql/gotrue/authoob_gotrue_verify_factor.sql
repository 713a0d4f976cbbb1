-- POST G/factors/<id>/verify, through authoob_attempt('gotrue_mfa_verify'):
-- request is {"token", "factor_id", "body": {"challenge_id", "code"}}; the
-- answer is the token endpoint's, in the session now at aal2.
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_factor(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_gotrue_verify_factor'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_verify_factor(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify_factor(text, inet) TO authoob_api;
