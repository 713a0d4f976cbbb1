-- PUT P/password/reset/token: a mailed reset token and a new password.
-- The front calls it through authoob_attempt('password_reset_token', ...).
CREATE OR REPLACE FUNCTION authoob_password_reset_token(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_reset_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_password_reset_token(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_reset_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_password_reset_token(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_password_reset_token(text, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_password_reset_token(jsonb, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_password_reset_token(jsonb, inet) TO authoob_api;
