-- GET P/activate/<token>, the link of the activation mail: activates as
-- authoob_activate does and answers where to redirect ({"url"}: app_url
-- with validated_user, or what mail_activate_redirect says).  The front
-- calls it through authoob_attempt('activate_redirect', ...).
CREATE OR REPLACE FUNCTION authoob_activate_redirect(token text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_activate_redirect'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activate_redirect(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_activate_redirect(text, inet) TO authoob_api;
