-- The enabled identity provider name (docs/identity-providers.md), with
-- what it needs before a sign-in: an OpenID Connect provider's discovery
-- document, fetched from its issuer the first time and kept in its row
-- once its issuer is the provider's own and its URLs are usable.  An
-- unknown provider is a PT400, a provider that cannot be read a PT502.
-- Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_provider(name text)
RETURNS authoob.identity_providers
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authoob.identity_providers;
    doc jsonb;
BEGIN
    SELECT * INTO p FROM authoob.identity_providers ip
    WHERE ip.name = authoob_oauth_provider.name AND ip.enabled;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Unsupported provider: provider is not enabled' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF p.kind <> 'oidc' OR p.discovery IS NOT NULL THEN
        RETURN p;
    END IF;
    doc := @extschema@.authoob_oauth_answer(@extschema@.authoob_provider_fetch(
        rtrim(p.issuer, '/') || '/.well-known/openid-configuration', NULL, NULL),
        'the identity provider''s discovery document cannot be read');
    IF doc ->> 'issuer' IS DISTINCT FROM p.issuer THEN
        RAISE EXCEPTION 'the identity provider''s discovery document is another issuer''s' USING ERRCODE = 'PT502';
    END IF;
    -- an https issuer names https URLs only: plain http to a loopback
    -- address is for a provider the owner put on this machine, never one an
    -- issuer out there may point the database at
    IF p.issuer ILIKE 'https://%' AND EXISTS (
           SELECT FROM unnest(ARRAY[doc ->> 'authorization_endpoint', doc ->> 'token_endpoint',
                                    doc ->> 'userinfo_endpoint', doc ->> 'jwks_uri']) AS u (url)
           WHERE u.url NOT ILIKE 'https://%') THEN
        RAISE EXCEPTION 'the identity provider''s discovery document names a URL that is not https' USING ERRCODE = 'PT502';
    END IF;
    -- its URLs pass the checks of the owner's own
    PERFORM @extschema@.authoob_identity_provider_row(p, jsonb_strip_nulls(jsonb_build_object(
        'authorization_url', doc ->> 'authorization_endpoint', 'token_url', doc ->> 'token_endpoint',
        'userinfo_url', doc ->> 'userinfo_endpoint', 'jwks_url', doc ->> 'jwks_uri')));
    UPDATE authoob.identity_providers ip SET discovery = doc WHERE ip.name = p.name;
    p.discovery := doc;
    RETURN p;
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_provider(text) FROM PUBLIC;
