-- POST P/token: grant_type password (signs in, as login) or refresh_token.
-- query_grant is the grant_type of the query string, if any.  The front
-- calls it through authoob_attempt('token', ...), which counts failures
-- and ends the session of a reused refresh token, and passes the body it
-- parsed (the jsonb form).
CREATE OR REPLACE FUNCTION authoob_token_grant(payload text, client_ip inet DEFAULT NULL,
                                    query_grant text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_token_grant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_token_grant(payload jsonb, client_ip inet DEFAULT NULL,
                                    query_grant text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_token_grant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_token_grant(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token_grant(text, inet, text) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_token_grant(jsonb, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token_grant(jsonb, inet, text) TO authoob_api;
