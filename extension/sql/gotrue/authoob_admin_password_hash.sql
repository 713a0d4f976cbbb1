-- An admin's address checked, and the hash of the password they set
-- after the policy (extension/admin.c).  Owner only.
CREATE OR REPLACE FUNCTION authoob_admin_password_hash(email text, password text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_admin_password_hash'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_admin_password_hash(text, text) FROM PUBLIC;
