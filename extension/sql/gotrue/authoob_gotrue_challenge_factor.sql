-- POST G/factors/<id>/challenge: a challenge to verify a code against.
CREATE OR REPLACE FUNCTION authoob_gotrue_challenge_factor(token text, factor_id text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_gotrue_challenge_factor'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_challenge_factor(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_challenge_factor(text, text, inet) TO authoob_api;
