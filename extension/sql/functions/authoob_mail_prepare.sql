-- The mails of recorded requests (password/ask, resend): a reset or
-- activation token and its mail for an account's request, the flow of
-- the request on the token; nothing for an unknown address.  Every
-- mailer's claim runs it (authoob_mail_claim).  Owner only.
CREATE OR REPLACE FUNCTION authoob_mail_prepare(max_requests integer DEFAULT 100)
RETURNS integer AS 'MODULE_PATHNAME', 'authoob_mail_prepare_0_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mail_prepare(integer) FROM PUBLIC;
