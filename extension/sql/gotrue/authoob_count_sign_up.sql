-- An anonymous sign-in counted against the client as a registration is
-- (extension/gotrue.c); 422 signup_disabled when registrations are off.
-- Owner only.
CREATE OR REPLACE FUNCTION authoob_count_sign_up(client_ip inet)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_count_sign_up'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_count_sign_up(inet) FROM PUBLIC;
