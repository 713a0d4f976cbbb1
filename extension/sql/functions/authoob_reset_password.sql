-- PUT P/reset_password (and P/password/reset): a new password for the
-- token's user, which ends every session of the user.
CREATE OR REPLACE FUNCTION authoob_reset_password(token text, payload text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_reset_password'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_reset_password(token text, payload jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_reset_password'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_reset_password(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_reset_password(text, text) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_reset_password(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_reset_password(text, jsonb) TO authoob_api;
