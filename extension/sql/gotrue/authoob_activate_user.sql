-- The user of a mailed activation token, the account activated and the
-- token spent: a sign-in proved by the mail (Supabase Auth's signup
-- link).  Owner only.
CREATE OR REPLACE FUNCTION authoob_activate_user(token text, client_ip inet DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_activate_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activate_user(text, inet) FROM PUBLIC;
