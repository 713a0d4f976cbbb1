-- What is not built yet answers 422 with its own error code.
CREATE OR REPLACE FUNCTION authoob_gotrue_not_built(what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% is not built in authoob yet', CASE what
        WHEN 'mfa' THEN 'Multi-factor authentication'
        WHEN 'otp' THEN 'Passwordless sign-in (magic link, one-time code)'
        WHEN 'oauth' THEN 'Sign-in with an external provider'
        WHEN 'email_change' THEN 'Changing the email address'
        WHEN 'reauthenticate' THEN 'Reauthentication by one-time code'
        WHEN 'anonymous' THEN 'Anonymous sign-in'
        WHEN 'phone' THEN 'Sign-in by phone'
        ELSE 'This' END
        USING ERRCODE = 'PT422',
              DETAIL = pg_catalog.jsonb_build_object('error_code', what || '_not_built')::text;
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_not_built(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_not_built(text) TO authoob_api;
