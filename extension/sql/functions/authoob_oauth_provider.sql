-- The enabled identity provider name (docs/identity-providers.md), with
-- what it needs before a sign-in: an OpenID Connect provider's discovery
-- document, read by the front (the answer "discovery" of fetched, the
-- front's answers so far) and kept in its row once its issuer is the
-- provider's own and its URLs are usable.  {"provider": its row}, or
-- {"fetch": ...} when the front must fetch the document first; an
-- unknown provider is a PT400, a provider that cannot be read a PT502.
-- Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_provider(name text, fetched jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authoob.identity_providers;
    answer jsonb := (SELECT a FROM jsonb_array_elements(coalesce(fetched, '[]')) a
                     WHERE a ->> 'for' = 'discovery' LIMIT 1);
    doc jsonb;
BEGIN
    SELECT * INTO p FROM authoob.identity_providers ip
    WHERE ip.name = authoob_oauth_provider.name AND ip.enabled;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Unsupported provider: provider is not enabled' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF p.kind <> 'oidc' OR p.discovery IS NOT NULL THEN
        RETURN jsonb_build_object('provider', to_jsonb(p));
    ELSIF answer IS NULL THEN
        RETURN jsonb_build_object('fetch', jsonb_build_object('for', 'discovery',
            'url', rtrim(p.issuer, '/') || '/.well-known/openid-configuration'));
    END IF;
    doc := @extschema@.authoob_oauth_answer(answer, 'the identity provider''s discovery document cannot be read');
    IF doc ->> 'issuer' IS DISTINCT FROM p.issuer THEN
        RAISE EXCEPTION 'the identity provider''s discovery document is another issuer''s' USING ERRCODE = 'PT502';
    END IF;
    -- its URLs pass the checks of the owner's own
    PERFORM @extschema@.authoob_identity_provider_row(p, jsonb_strip_nulls(jsonb_build_object(
        'authorization_url', doc ->> 'authorization_endpoint', 'token_url', doc ->> 'token_endpoint',
        'userinfo_url', doc ->> 'userinfo_endpoint', 'jwks_url', doc ->> 'jwks_uri')));
    UPDATE authoob.identity_providers ip SET discovery = doc WHERE ip.name = p.name;
    p.discovery := doc;
    RETURN jsonb_build_object('provider', to_jsonb(p));
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_provider(text, jsonb) FROM PUBLIC;
