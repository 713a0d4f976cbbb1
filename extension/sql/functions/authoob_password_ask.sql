-- POST P/password/ask: records a reset mail request for the address,
-- known or not (204 alike); the mailers make the mail.
CREATE OR REPLACE FUNCTION authoob_password_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_password_ask(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_password_ask(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_password_ask(text, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_password_ask(jsonb, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_password_ask(jsonb, inet) TO authoob_api;
