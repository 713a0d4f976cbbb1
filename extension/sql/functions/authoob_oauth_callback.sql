-- GET P/callback and G/callback?code=&state= (docs/identity-providers.md):
-- where the provider sends the browser back.  The state must be one this
-- browser started (its cookie, browser), unspent and under ten minutes
-- old.  The code is exchanged at the provider's token endpoint, then the
-- ID token is checked (OpenID Connect) or the user read from the userinfo
-- URL (plain OAuth 2.0), and the sign-in ends (authoob_oauth_sign_in).
-- Sharded, it ends on the partition of its user instead: the answer is
-- {"handoff"} for the proxy, which finds that partition and calls
-- authoob_oauth_finish there.  Whatever fails sends the browser to the
-- app with error parameters, the flow spent and nothing else made.
CREATE OR REPLACE FUNCTION authoob_oauth_callback(query text, browser text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    s authoob.settings;
    part authoob.partition;
    f authoob.oauth_flows;
    p authoob.identity_providers;
    tokens jsonb;
    claims jsonb;
    failure text;
    failure_detail text;
    failure_state text;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    SELECT * INTO part FROM authoob.partition;
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
    -- the flow is spent whatever comes next (and undone with nothing else)
    DELETE FROM authoob.oauth_flows o WHERE o.state_hash = f.state_hash;
    IF q ? 'error' THEN
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
        IF coalesce(part.partitions, 1) = 1 THEN
            RETURN @extschema@.authoob_oauth_sign_in(p, claims, f.redirect_to, f.code_challenge,
                                                     f.code_challenge_method, f.link_user_id, client_ip);
        END IF;
        -- sharded: the partition of the user ends it (docs/identity-providers.md,
        -- "Sharding"); a user who adds the identity is on this one, a new
        -- one on the partition of the address, as the proxy routes addresses
        IF @extschema@.authoob_oauth_subject(claims) IS NULL THEN
            RAISE EXCEPTION 'the provider names no subject' USING ERRCODE = 'PT502';
        END IF;
        RETURN jsonb_build_object('handoff', @extschema@.authoob_oauth_handoff_seal(jsonb_build_object(
                'id', @extschema@.authoob_link_code(), 'expires_at', floor(extract(epoch FROM now())) + 60,
                'provider', p.name, 'client_id', p.client_id, 'claims', claims, 'redirect_to', f.redirect_to,
                'code_challenge', f.code_challenge, 'code_challenge_method', f.code_challenge_method,
                'link_user_id', f.link_user_id, 'from_partition', part.partition)),
            'partition', CASE WHEN f.link_user_id IS NOT NULL THEN part.partition
                              ELSE hashtext(lower(claims ->> p.email_claim)) & (part.partitions - 1) END);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT, failure_detail = PG_EXCEPTION_DETAIL,
                                failure_state = RETURNED_SQLSTATE;
    END;
    -- what failed is undone; the flow is spent all the same
    RETURN @extschema@.authoob_oauth_failure_url(f.redirect_to, f.provider, failure_state, failure, failure_detail);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_callback(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_callback(text, text, inet) TO authoob_api;
