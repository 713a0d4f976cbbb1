-- POST P/mfa/recover, through authoob_attempt('mfa_recover'): request is
-- {"token", "body"}; an unspent recovery code raises the session to aal2,
-- once.
CREATE OR REPLACE FUNCTION authoob_mfa_recover(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_recover'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_recover(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mfa_recover(text, inet) TO authoob_api;
