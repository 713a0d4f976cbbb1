-- DELETE P/mfa/factors/<id> and G/factors/<id>: a factor removed (a
-- verified one from an aal2 session only); the user's other sessions end.
CREATE OR REPLACE FUNCTION authoob_mfa_unenroll(token text, factor_id text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_unenroll'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_unenroll(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mfa_unenroll(text, text) TO authoob_api;
