-- The user of an address change's mailed token, the token spent.  Owner
-- only: authoob_attempt counts its failures.
CREATE OR REPLACE FUNCTION authoob_email_change_user(token text, client_ip inet)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_email_change_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_email_change_user(text, inet) FROM PUBLIC;
