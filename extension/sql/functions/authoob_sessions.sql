-- GET P/sessions: the token's user's live sessions (id, created, last
-- refreshed, ip, user agent, aal, current or not).
CREATE OR REPLACE FUNCTION authoob_sessions(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_sessions'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_sessions(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_sessions(text) TO authoob_api;
