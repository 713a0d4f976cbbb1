-- POST P/logout?scope=local|others|global: ends this session, the user's
-- other sessions, or all of them.
CREATE OR REPLACE FUNCTION authoob_logout_scope(token text, scope text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_logout_scope'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_logout_scope(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_logout_scope(text, text) TO authoob_api;
