-- The user of a mail's 6-digit code (Supabase Auth's verifyOtp with an
-- email and a token), the code's token spent, a signup code's account
-- activated; throttled as a password is (extension/gotrue.c).  Owner only:
-- authoob_attempt counts its failures (through authoob_gotrue_verify).
CREATE OR REPLACE FUNCTION authoob_spend_mail_code(type text, email text, code text, client_ip inet)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_spend_mail_code'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_spend_mail_code(text, text, text, inet) FROM PUBLIC;
