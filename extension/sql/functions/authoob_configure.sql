-- Changes settings (docs/settings.md), for the owner: every key and
-- value is checked first, so a bad one changes nothing; the settings
-- after, without the secret.
CREATE OR REPLACE FUNCTION authoob_configure(settings jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_configure'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_configure(jsonb) FROM PUBLIC;
