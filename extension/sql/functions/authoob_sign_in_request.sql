-- The body of POST P/login and POST P/token for 0.2's form of
-- authoob_attempt: the query string's grant_type and the client's
-- User-Agent header in it, which the session keeps (printable ASCII, at
-- most 255 characters).  0.3's form takes the three apart.
CREATE OR REPLACE FUNCTION authoob_sign_in_request(payload text, query_grant text, user_agent text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_sign_in_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_sign_in_request(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_sign_in_request(text, text, text) TO authoob_api;
