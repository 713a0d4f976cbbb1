-- GET G/user/identities/authorize?provider=&redirect_to=[&code_challenge=
-- &code_challenge_method=][&skip_http_redirect=true] (auth-js
-- linkIdentity) and GET P/identities/authorize (docs/identity-providers.md,
-- "Linking and unlinking"), as GoTrue's LinkIdentity: the signed-in user
-- starts a flow that adds the provider's identity to their account (the
-- callback refuses an identity already linked, to them or to another user:
-- 422 identity_already_exists).  Checks in GoTrue's order: the token,
-- manual_linking (404 manual_linking_disabled), then those of a sign-in's
-- authorize.  The answer is {"url"} (skip_http_redirect=true, as auth-js
-- asks), else a redirect there; the URL is authoob's own, one-time, which
-- binds the flow to the browser that opens it (authoob_oauth_start).
CREATE OR REPLACE FUNCTION authoob_link_identity(dialect text, token text, query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_verify(token);
    q jsonb := @extschema@.authoob_gotrue_body(query);
    got jsonb;
BEGIN
    IF NOT (SELECT s.manual_linking FROM authoob.settings s) THEN
        RETURN @extschema@.authoob_gotrue_not_built('identities');
    END IF;
    -- sharded, as a sign-in with a provider (authoob_oauth_authorize)
    IF EXISTS (SELECT FROM authoob.partition pt WHERE pt.partitions > 1) THEN
        RAISE EXCEPTION 'Unsupported provider: linking an identity is not available sharded'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    got := @extschema@.authoob_oauth_start(dialect, q, uid);
    IF q ->> 'skip_http_redirect' = 'true' THEN
        RETURN got;
    END IF;
    RETURN got || '{"redirect": true}';
END
$$;

REVOKE ALL ON FUNCTION authoob_link_identity(text, text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_link_identity(text, text, text, inet) TO authoob_api;
