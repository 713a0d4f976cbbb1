-- The redirect to the provider of the flow whose state is state
-- (docs/identity-providers.md): its authorization endpoint with the
-- state, the nonce (OpenID Connect) and PKCE S256, and the cookie that
-- binds the flow to the browser that follows it (browser, for the
-- callback's path only).  Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_redirect(f authoob.oauth_flows, state text, browser text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    p authoob.identity_providers := @extschema@.authoob_oauth_provider(f.provider);
    prefix text;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    prefix := CASE f.dialect WHEN 'gotrue' THEN s.gotrue_prefix ELSE s.prefix END;
    RETURN jsonb_build_object(
        'url', @extschema@.authoob_url_with_query(
            coalesce(p.authorization_url, p.discovery ->> 'authorization_endpoint'),
            'response_type=code&client_id=' || @extschema@.authoob_url_encode(p.client_id)
            || '&redirect_uri=' || @extschema@.authoob_url_encode(s.api_url || prefix || '/callback')
            || CASE WHEN p.scopes <> '' THEN '&scope=' || @extschema@.authoob_url_encode(p.scopes) ELSE '' END
            || '&state=' || state
            || CASE WHEN p.kind = 'oidc' THEN '&nonce=' || f.nonce ELSE '' END
            || '&code_challenge=' || translate(rtrim(encode(sha256(convert_to(f.code_verifier, 'UTF8')), 'base64'), '='), '+/', '-_')
            || '&code_challenge_method=S256'),
        'cookie', 'authoob_flow=' || browser || '; Path=' || prefix || '/callback; Max-Age=600; HttpOnly; SameSite=Lax'
            || CASE WHEN s.api_url LIKE 'https:%' THEN '; Secure' ELSE '' END);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_redirect(authoob.oauth_flows, text, text) FROM PUBLIC;
