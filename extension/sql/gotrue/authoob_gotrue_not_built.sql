-- What is not built answers as GoTrue answers when that feature is turned
-- off (the disabled checks of its internal/api: magic_link.go, external.go,
-- signup.go, token.go, resend.go, mfa.go, web3.go, middleware.go, auth.go); what GoTrue
-- cannot turn off answers 422 <what>_not_built.  The form with a token is
-- for the routes GoTrue serves to a signed-in user (or an admin) only: the
-- token is verified first, as its requireAuthentication does.
CREATE OR REPLACE FUNCTION authoob_gotrue_not_built(what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- status, error code, message
    answer text[] := CASE what
        WHEN 'otp' THEN '{PT422, email_provider_disabled, Login with magic link is disabled}'
        WHEN 'oauth' THEN '{PT400, validation_failed, "Unsupported provider: provider is not enabled"}'
        WHEN 'anonymous' THEN '{PT422, anonymous_provider_disabled, Anonymous sign-ins are disabled}'
        WHEN 'phone' THEN '{PT400, phone_provider_disabled, Phone signups are disabled}'
        WHEN 'phone_login' THEN '{PT422, phone_provider_disabled, Phone logins are disabled}'
        WHEN 'phone_resend' THEN '{PT400, phone_provider_disabled, Phone logins are disabled}'
        WHEN 'web3' THEN '{PT422, web3_provider_disabled, Web3 provider is disabled}'
        WHEN 'mfa' THEN '{PT422, mfa_totp_enroll_not_enabled, MFA enroll is disabled for TOTP}'
        WHEN 'sso' THEN '{PT404, saml_provider_disabled, SAML 2.0 is disabled}'
        WHEN 'identities' THEN '{PT404, manual_linking_disabled, Manual linking is disabled}'
        WHEN 'admin' THEN '{PT403, not_admin, User not allowed}'
        ELSE '{PT422, not_built, This is not built in authoob yet}' END;
BEGIN
    RAISE EXCEPTION '%', answer[3] USING ERRCODE = answer[1],
        DETAIL = pg_catalog.jsonb_build_object('error_code', answer[2])::text;
END
$$;

CREATE OR REPLACE FUNCTION authoob_gotrue_not_built(what text, token text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.authoob_verify(token);
    RETURN @extschema@.authoob_gotrue_not_built(what);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_not_built(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_not_built(text) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_gotrue_not_built(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_not_built(text, text) TO authoob_api;
