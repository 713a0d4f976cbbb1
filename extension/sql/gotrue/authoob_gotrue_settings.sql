-- GET /settings: what this server offers, as @supabase/auth-js reads it.
CREATE OR REPLACE FUNCTION authoob_gotrue_settings()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'external', jsonb_build_object('email', true, 'phone', false, 'anonymous_users', s.anonymous_signin),
        'disable_signup', s.disable_signup,
        'mailer_autoconfirm', NOT s.require_activation,
        'phone_autoconfirm', false,
        'sms_provider', '',
        'saml_enabled', false)
    FROM authoob.settings s
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_settings() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_settings() TO authoob_api;
