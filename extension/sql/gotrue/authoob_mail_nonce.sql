-- A reauthentication's 6-digit nonce mailed to the user (extension/
-- mail_tokens.c).  Owner only: authoob_gotrue_reauthenticate checks who
-- asks.
CREATE OR REPLACE FUNCTION authoob_mail_nonce(user_id bigint)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_mail_nonce'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mail_nonce(bigint) FROM PUBLIC;
