-- POST P/activate/<token>: the mailed activation token confirms the
-- account (201), once.  The front calls it through
-- authoob_attempt('activate', ...), which counts tokens that match nothing.
CREATE OR REPLACE FUNCTION authoob_activate(token text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_activate'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activate(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_activate(text, inet) TO authoob_api;
