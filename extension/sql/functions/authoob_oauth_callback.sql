-- GET P/callback and G/callback?code=&state= (docs/identity-providers.md):
-- where the provider sends the browser back.  The state must be one this
-- browser started (its cookie, browser), unspent and under ten minutes
-- old.  The code is exchanged at the provider's token endpoint, then the
-- ID token is checked (OpenID Connect) or the user read from the userinfo
-- URL (plain OAuth 2.0), the user got or made
-- (authoob_oauth_identity_user) between the hooks pre_oauth_signin and
-- post_oauth_signin, and the browser sent to the flow's
-- redirect_to: with a one-time code for grant_type=pkce when the app sent
-- a code_challenge, else with the session in the fragment.  Whatever
-- fails sends the browser to the app with error parameters, the flow
-- spent and nothing else made.
CREATE OR REPLACE FUNCTION authoob_oauth_callback(query text, browser text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    s authoob.settings;
    f authoob.oauth_flows;
    p authoob.identity_providers;
    tokens jsonb;
    claims jsonb;
    uid bigint;
    code text;
    failure text;
    failure_code text;
    failure_state text;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    SELECT * INTO f FROM authoob.oauth_flows o
    WHERE o.state_hash = sha256(convert_to(coalesce(q ->> 'state', ''), 'UTF8'))
    FOR UPDATE;
    IF NOT FOUND OR f.created_at < now() - interval '10 minutes' OR browser IS NULL
       OR f.browser_hash IS DISTINCT FROM sha256(convert_to(browser, 'UTF8')) THEN
        -- (a link flow no browser has opened yet has no browser_hash)
        -- another browser's flow stays for the browser that started it
        RETURN @extschema@.authoob_oauth_error_url(s.app_url, 'invalid_request', 'bad_oauth_state',
            'OAuth state is unknown, spent, expired or of another browser');
    END IF;
    IF q ? 'error' THEN
        DELETE FROM authoob.oauth_flows o WHERE o.state_hash = f.state_hash;
        RETURN @extschema@.authoob_oauth_error_url(f.redirect_to, 'access_denied', 'provider_refused',
            left(coalesce(q ->> 'error_description', q ->> 'error'), 500));
    END IF;
    BEGIN
        p := @extschema@.authoob_oauth_provider(f.provider);
        tokens := @extschema@.authoob_oauth_answer(@extschema@.authoob_provider_fetch(
            coalesce(p.token_url, p.discovery ->> 'token_endpoint'),
            'grant_type=authorization_code&code=' || @extschema@.authoob_url_encode(coalesce(q ->> 'code', ''))
                || '&redirect_uri=' || @extschema@.authoob_url_encode(s.api_url
                    || CASE f.dialect WHEN 'gotrue' THEN s.gotrue_prefix ELSE s.prefix END || '/callback')
                || '&code_verifier=' || f.code_verifier
                || CASE WHEN p.token_auth_method = 'client_secret_post' THEN
                       '&client_id=' || @extschema@.authoob_url_encode(p.client_id)
                       || coalesce('&client_secret=' || @extschema@.authoob_url_encode(p.client_secret), '')
                   ELSE '' END,
            CASE WHEN p.token_auth_method = 'client_secret_basic' THEN
                'Basic ' || translate(encode(convert_to(@extschema@.authoob_url_encode(p.client_id) || ':'
                    || @extschema@.authoob_url_encode(coalesce(p.client_secret, '')), 'UTF8'), 'base64'), E'\n', '')
            END), 'the provider did not take the code');
        IF p.kind = 'oidc' THEN
            claims := @extschema@.authoob_oauth_id_token(p, coalesce(tokens ->> 'id_token', ''), f.nonce);
        ELSE
            claims := @extschema@.authoob_oauth_answer(@extschema@.authoob_provider_fetch(p.userinfo_url, NULL,
                'Bearer ' || coalesce(tokens ->> 'access_token', '')), 'the provider did not tell who the user is');
        END IF;
        -- the application's say, in the transaction (docs/sql-api.md, "Hooks")
        PERFORM @extschema@.authoob_fire_oauth_hook('pre_oauth_signin', NULL, p.name, claims, NULL);
        uid := @extschema@.authoob_oauth_identity_user(p, claims, f.link_user_id, client_ip);
        PERFORM @extschema@.authoob_fire_oauth_hook('post_oauth_signin', uid, NULL, NULL,
            (SELECT to_jsonb(i) FROM authoob.identities i WHERE i.user_id = uid AND i.provider = p.name
             ORDER BY i.last_sign_in_at DESC LIMIT 1));
        DELETE FROM authoob.oauth_flows o WHERE o.state_hash = f.state_hash;
        IF f.code_challenge IS NULL THEN
            RETURN jsonb_build_object('url', @extschema@.authoob_url_with_session(f.redirect_to,
                @extschema@.authoob_grant_session_of(uid, client_ip, 'oauth', p.name), NULL));
        END IF;
        code := @extschema@.authoob_link_code();
        INSERT INTO authoob.flow_states (email, kind, code_challenge, code_challenge_method, user_id,
                                         auth_code_hash, code_expires_at, provider)
        -- (an anonymous user linking an identity has no address)
        SELECT coalesce(u.email, ''), 'oauth', f.code_challenge, f.code_challenge_method, uid,
               sha256(convert_to(code, 'UTF8')), now() + interval '5 minutes', p.name
        FROM authoob.users u WHERE u.id = uid;
        RETURN jsonb_build_object('url', @extschema@.authoob_url_with_query(f.redirect_to, 'code=' || code));
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT, failure_code = PG_EXCEPTION_DETAIL,
                                failure_state = RETURNED_SQLSTATE;
    END;
    -- what failed is undone; the flow is spent all the same
    DELETE FROM authoob.oauth_flows o WHERE o.state_hash = f.state_hash;
    IF failure_state NOT LIKE 'PT%' THEN
        RAISE WARNING 'sign-in with identity provider % failed: %', f.provider, failure;
        failure := 'the sign-in failed';
    END IF;
    RETURN @extschema@.authoob_oauth_error_url(f.redirect_to,
        CASE WHEN failure_state LIKE 'PT5%' OR failure_state NOT LIKE 'PT%' THEN 'server_error' ELSE 'access_denied' END,
        coalesce(CASE WHEN failure_code LIKE '{%' THEN failure_code::jsonb ->> 'error_code' END, 'oauth_failed'),
        failure);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_callback(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_callback(text, text, inet) TO authoob_api;
