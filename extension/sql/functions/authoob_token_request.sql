-- The body of POST P/token with the query string's grant_type in it, for
-- authoob_attempt, whose one argument is the body.
CREATE OR REPLACE FUNCTION authoob_token_request(payload text, query_grant text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_token_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_token_request(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token_request(text, text) TO authoob_api;
