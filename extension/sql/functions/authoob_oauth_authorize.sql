-- GET P/authorize and G/authorize?provider=&redirect_to=[&code_challenge=
-- &code_challenge_method=] (docs/identity-providers.md; auth-js's
-- signInWithOAuth): the redirect to the provider, with a state (single
-- use, ten minutes, bound to this browser by the cookie the answer sets),
-- a nonce and PKCE S256.  redirect_to off the allowed list leads to
-- app_url, as a mailed link's does.  An OpenID Connect provider's
-- discovery document is fetched first (authoob_oauth_provider).  dialect:
-- whose callback the provider sends the browser back to.
CREATE OR REPLACE FUNCTION authoob_oauth_authorize(dialect text, query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    s authoob.settings;
    p authoob.identity_providers;
    prefix text;
    challenge text := nullif(q ->> 'code_challenge', '');
    method text := lower(coalesce(nullif(q ->> 'code_challenge_method', ''), 's256'));
    state text := @extschema@.authoob_link_code();
    -- 256 random bits each, base64url (the state's routes to this partition)
    browser text := @extschema@.authoob_link_code();
    nonce text := @extschema@.authoob_link_code();
    verifier text := @extschema@.authoob_link_code();
BEGIN
    -- a provider's subject names no partition, nor does an address it
    -- vouches for: sharded, an account on another partition would go
    -- unseen (docs/identity-providers.md)
    IF EXISTS (SELECT FROM authoob.partition pt WHERE pt.partitions > 1) THEN
        RAISE EXCEPTION 'Unsupported provider: sign-in with a provider is not available sharded'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    p := @extschema@.authoob_oauth_provider(q ->> 'provider');
    SELECT * INTO s FROM authoob.settings;
    prefix := CASE dialect WHEN 'gotrue' THEN s.gotrue_prefix ELSE s.prefix END;
    IF s.api_url IS NULL OR s.app_url IS NULL OR prefix IS NULL THEN
        RAISE EXCEPTION 'authoob is not configured: api_url and app_url are needed to sign in with a provider'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF challenge !~ '^[A-Za-z0-9._~-]{43,128}$' OR (challenge IS NOT NULL AND method NOT IN ('s256', 'plain')) THEN
        RAISE EXCEPTION 'Invalid value for code_challenge' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    DELETE FROM authoob.oauth_flows f WHERE f.created_at < now() - interval '10 minutes';
    INSERT INTO authoob.oauth_flows (state_hash, browser_hash, provider, dialect, nonce, code_verifier,
                                     redirect_to, code_challenge, code_challenge_method)
    VALUES (sha256(convert_to(state, 'UTF8')), sha256(convert_to(browser, 'UTF8')), p.name, dialect, nonce,
            verifier, @extschema@.authoob_redirect_url(q ->> 'redirect_to'), challenge,
            CASE WHEN challenge IS NOT NULL THEN method END);
    RETURN jsonb_build_object(
        'url', @extschema@.authoob_url_with_query(
            coalesce(p.authorization_url, p.discovery ->> 'authorization_endpoint'),
            'response_type=code&client_id=' || @extschema@.authoob_url_encode(p.client_id)
            || '&redirect_uri=' || @extschema@.authoob_url_encode(s.api_url || prefix || '/callback')
            || CASE WHEN p.scopes <> '' THEN '&scope=' || @extschema@.authoob_url_encode(p.scopes) ELSE '' END
            || '&state=' || state
            || CASE WHEN p.kind = 'oidc' THEN '&nonce=' || nonce ELSE '' END
            || '&code_challenge=' || translate(rtrim(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '='), '+/', '-_')
            || '&code_challenge_method=S256'),
        'cookie', 'authoob_flow=' || browser || '; Path=' || prefix || '/callback; Max-Age=600; HttpOnly; SameSite=Lax'
            || CASE WHEN s.api_url LIKE 'https:%' THEN '; Secure' ELSE '' END);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_authorize(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_authorize(text, text, inet) TO authoob_api;
