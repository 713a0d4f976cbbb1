-- POST /verify: a mailed link's token (token_hash; or token without an
-- email), or the 6-digit code of a mail (token, with the email it was
-- sent to), signs the user in; through authoob_attempt('gotrue_verify',
-- ...), which counts tokens that match nothing, and wrong codes as wrong
-- passwords.  A magic link's or its code's session says amr otp, as
-- GoTrue's verify does.
CREATE OR REPLACE FUNCTION authoob_gotrue_verify(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_grant_session_of(
        @extschema@.authoob_gotrue_mailed_user(body ->> 'type',
            coalesce(nullif(body ->> 'token_hash', ''), nullif(body ->> 'token', '')), client_ip,
            CASE WHEN nullif(body ->> 'token_hash', '') IS NULL THEN nullif(body ->> 'email', '') END),
        client_ip, CASE WHEN body ->> 'type' IN ('magiclink', 'email') THEN 'otp' END));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify(text, inet) TO authoob_api;
