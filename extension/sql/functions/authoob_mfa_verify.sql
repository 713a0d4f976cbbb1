-- POST P/mfa/factors/<id>/verify, through authoob_attempt('mfa_verify'):
-- request is {"token", "factor_id", "body"}; a code of the factor raises
-- the session to aal2.
CREATE OR REPLACE FUNCTION authoob_mfa_verify(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_verify'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_verify(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mfa_verify(text, inet) TO authoob_api;
