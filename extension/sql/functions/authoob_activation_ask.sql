-- Another activation mail (Supabase Auth's resend), asked as a reset mail
-- is: the request recorded whoever's address it is, its mail made by the
-- mailers' authoob_mail_prepare() for an account not yet activated.
CREATE OR REPLACE FUNCTION authoob_activation_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_activation_ask'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activation_ask(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_activation_ask(text, inet) TO authoob_api;
