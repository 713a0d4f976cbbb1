-- PUT P/profile: the name fields and the updatable custom fields of the
-- token's user; the private JSON after.
CREATE OR REPLACE FUNCTION authoob_update_profile(token text, payload text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_update_profile'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_update_profile(token text, payload jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_update_profile'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_update_profile(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_update_profile(text, text) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_update_profile(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_update_profile(text, jsonb) TO authoob_api;
