-- The user of a mailed reset token, the token spent: a sign-in proved by
-- the mail (Supabase Auth's recovery link).  Owner only.
CREATE OR REPLACE FUNCTION authoob_spend_reset_token(token text, client_ip inet DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_spend_reset_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_spend_reset_token(text, inet) FROM PUBLIC;
