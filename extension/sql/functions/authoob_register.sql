-- POST P/register: a new account and its first token; the activation
-- mail goes to the outbox in the same transaction.
CREATE OR REPLACE FUNCTION authoob_register(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_register'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_register(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_register'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_register(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_register(text, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_register(jsonb, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_register(jsonb, inet) TO authoob_api;
