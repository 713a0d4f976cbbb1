-- A flow with the provider q names (docs/identity-providers.md), from the
-- query of an authorize route: provider, redirect_to (off the allowed
-- list: app_url, as a mailed link's), the app's own PKCE code_challenge
-- and code_challenge_method.  A sign-in's answer is the redirect to the
-- provider with the cookie of its browser (authoob_oauth_redirect).  A
-- link (link_user_id, the signed-in user adding the identity) is asked by
-- a script whose answer cannot set the browser's cookie: its answer is a
-- one-time URL of authoob's own (authorize?link=) that binds the flow to
-- the first browser that opens it and sends that browser on to the
-- provider.  Secrets: 256 random bits each, base64url, kept as SHA-256
-- (the state's routes to this partition).  Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_start(dialect text, q jsonb, link_user_id bigint)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    p authoob.identity_providers := @extschema@.authoob_oauth_provider(q ->> 'provider');
    f authoob.oauth_flows;
    prefix text;
    challenge text := nullif(q ->> 'code_challenge', '');
    method text := lower(coalesce(nullif(q ->> 'code_challenge_method', ''), 's256'));
    state text := @extschema@.authoob_link_code();
    browser text := @extschema@.authoob_link_code();
    start text := @extschema@.authoob_link_code();
BEGIN
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
    -- a link is added when the app that asked exchanges its code
    -- (authoob_oauth_sign_in): without PKCE, nothing would tell that app
    -- from a browser someone else sent to the link's URL
    IF link_user_id IS NOT NULL AND (challenge IS NULL OR method <> 's256') THEN
        RAISE EXCEPTION 'Linking an identity needs the PKCE flow (code_challenge, S256)' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    DELETE FROM authoob.oauth_flows o WHERE o.created_at < now() - interval '10 minutes';
    INSERT INTO authoob.oauth_flows (state_hash, browser_hash, start_hash, provider, dialect, nonce,
                                     code_verifier, redirect_to, code_challenge, code_challenge_method,
                                     link_user_id)
    VALUES (sha256(convert_to(state, 'UTF8')),
            CASE WHEN link_user_id IS NULL THEN sha256(convert_to(browser, 'UTF8')) END,
            CASE WHEN link_user_id IS NOT NULL THEN sha256(convert_to(start, 'UTF8')) END,
            p.name, dialect, @extschema@.authoob_link_code(), @extschema@.authoob_link_code(),
            @extschema@.authoob_redirect_url(q ->> 'redirect_to'), challenge,
            CASE WHEN challenge IS NOT NULL THEN method END, link_user_id)
    RETURNING * INTO f;
    IF link_user_id IS NOT NULL THEN
        -- the state sent to the provider is drawn when a browser opens it
        RETURN jsonb_build_object('url', s.api_url || prefix || '/authorize?link=' || start);
    END IF;
    RETURN @extschema@.authoob_oauth_redirect(f, state, browser);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_start(text, jsonb, bigint) FROM PUBLIC;
