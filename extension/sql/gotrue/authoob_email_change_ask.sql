-- A signed-in user's ask to change their address: the new address gets a
-- link and a code, the old a notice (extension/gotrue.c); nonce, with
-- secure_password_change, as a password change needs it.  Owner only.
CREATE OR REPLACE FUNCTION authoob_email_change_ask(token text, email text, gotrue boolean,
                                                    redirect_to text, nonce text DEFAULT NULL)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_email_change_ask'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_email_change_ask(text, text, boolean, text, text) FROM PUBLIC;
