-- DELETE P/sessions/<id>: ends one of the token's user's sessions.
CREATE OR REPLACE FUNCTION authoob_end_session(token text, session_id text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_end_session'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_end_session(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_end_session(text, text) TO authoob_api;
