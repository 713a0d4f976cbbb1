-- PUT P/email {"email"}: a signed-in user asks to change their address;
-- the new address gets a link (app_url?email_change_token=<token>) and a
-- 6-digit code, the old a notice.  With secure_password_change, a
-- session over a day old is refused (400 reauthentication_needed): a
-- nonce is taken only where its wrong guesses are counted (PUT G/user).
-- NULL (204).
CREATE OR REPLACE FUNCTION authoob_email_change(token text, payload text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.authoob_email_change_ask(token,
        @extschema@.authoob_gotrue_body(payload) ->> 'email', false, NULL);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION authoob_email_change(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_email_change(text, text) TO authoob_api;
