-- POST P/otp {"email", "create_user", "data"}: records a magic link
-- request for the address, known or not (204 alike); the mailers make the
-- mail (a link and a 6-digit code) for an account's address and drop the
-- others.  create_user true with otp_signup on: a registration (the
-- client's limits, disable_signup), and an unknown address gets an
-- account whose user_metadata is data, and the mail.
CREATE OR REPLACE FUNCTION authoob_otp_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_otp_ask'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_otp_ask(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_otp_ask(text, inet) TO authoob_api;
