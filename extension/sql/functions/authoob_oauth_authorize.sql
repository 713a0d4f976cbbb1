-- GET P/authorize and G/authorize?provider=&redirect_to=[&code_challenge=
-- &code_challenge_method=] (docs/identity-providers.md; auth-js's
-- signInWithOAuth): the redirect to the provider, with a state (single
-- use, ten minutes, bound to this browser by the cookie the answer sets),
-- a nonce and PKCE S256 (authoob_oauth_start).  An OpenID Connect
-- provider's discovery document is fetched first (authoob_oauth_provider).
-- dialect: whose callback the provider sends the browser back to.
-- ?link=: the one-time URL of a link flow (authoob_link_identity), which
-- binds it to this browser and goes on to the provider; spent, expired or
-- unknown, it leads to app_url with bad_oauth_state, as a callback's
-- state does.
CREATE OR REPLACE FUNCTION authoob_oauth_authorize(dialect text, query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    f authoob.oauth_flows;
    state text := @extschema@.authoob_link_code();
    browser text := @extschema@.authoob_link_code();
BEGIN
    IF NOT q ? 'link' THEN
        RETURN @extschema@.authoob_oauth_start(dialect, q, NULL);
    END IF;
    SELECT * INTO f FROM authoob.oauth_flows o
    WHERE o.start_hash = sha256(convert_to(coalesce(q ->> 'link', ''), 'UTF8'))
    FOR UPDATE;
    IF NOT FOUND OR f.created_at < now() - interval '10 minutes' THEN
        RETURN @extschema@.authoob_oauth_error_url((SELECT s.app_url FROM authoob.settings s),
            'invalid_request', 'bad_oauth_state', 'OAuth state is unknown, spent or expired');
    END IF;
    UPDATE authoob.oauth_flows o SET state_hash = sha256(convert_to(state, 'UTF8')),
        browser_hash = sha256(convert_to(browser, 'UTF8')), start_hash = NULL
    WHERE o.state_hash = f.state_hash;
    RETURN @extschema@.authoob_oauth_redirect(f, state, browser);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_authorize(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_authorize(text, text, inet) TO authoob_api;
