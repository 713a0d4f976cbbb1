-- POST P/email/confirm: {"token"} (the link's) or {"email", "code"} (the
-- new address and the mail's code) makes the new address the user's and
-- ends their sessions; a new session is the answer, as the token
-- endpoint answers it.  Through authoob_attempt('email_change_confirm',
-- ...), which counts tokens that match nothing and wrong codes.
CREATE OR REPLACE FUNCTION authoob_email_change_confirm(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    RETURN @extschema@.authoob_grant_session_of(@extschema@.authoob_apply_email_change(
        CASE WHEN nullif(body ->> 'code', '') IS NOT NULL
             THEN @extschema@.authoob_spend_mail_code('email_change', body ->> 'email', body ->> 'code', client_ip)
             ELSE @extschema@.authoob_email_change_user(body ->> 'token', client_ip) END),
        client_ip, 'otp');
END
$$;

REVOKE ALL ON FUNCTION authoob_email_change_confirm(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_email_change_confirm(text, inet) TO authoob_api;
