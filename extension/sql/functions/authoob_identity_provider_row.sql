-- An identity provider's row as current (NULL: a new one) becomes with
-- changes (docs/identity-providers.md), checked: only the settable keys,
-- each of its type, a new one's defaults for the others; URLs https://, or http:// to a loopback address only
-- (a provider on the same machine, which no one on the network can stand
-- in for: the tests' provider); an OpenID Connect provider asks for the
-- scope openid.  What is wrong is a PT400 naming it.  Owner only: what
-- authoob_add_identity_provider and authoob_alter_identity_provider share.
CREATE OR REPLACE FUNCTION authoob_identity_provider_row(current authoob.identity_providers, changes jsonb)
RETURNS authoob.identity_providers
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    settable constant text[] := ARRAY['kind', 'issuer', 'authorization_url', 'token_url',
        'userinfo_url', 'jwks_url', 'client_id', 'client_secret', 'token_auth_method', 'scopes',
        'email_claim', 'email_verified_claim', 'enabled'];
    url_keys constant text[] := ARRAY['issuer', 'authorization_url', 'token_url', 'userinfo_url', 'jwks_url'];
    r authoob.identity_providers;
    key text;
    url text;
BEGIN
    IF jsonb_typeof(changes) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'an identity provider is configured with a JSON object' USING ERRCODE = 'PT400';
    END IF;
    SELECT k INTO key FROM jsonb_object_keys(changes) AS k WHERE k <> ALL (settable) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown identity provider setting %', quote_literal(key) USING ERRCODE = 'PT400',
            DETAIL = 'Settable: ' || array_to_string(settable, ', ') || '.';
    END IF;
    BEGIN
        r := jsonb_populate_record(current, CASE WHEN current IS NULL THEN jsonb_build_object(
            'token_auth_method', 'client_secret_basic', 'email_claim', 'email',
            'email_verified_claim', 'email_verified', 'enabled', true,
            'scopes', CASE changes ->> 'kind' WHEN 'oauth2' THEN '' ELSE 'openid email profile' END)
            ELSE '{}' END || changes);
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'bad identity provider setting' USING ERRCODE = 'PT400', DETAIL = SQLERRM;
    END;
    FOREACH key IN ARRAY url_keys LOOP
        url := to_jsonb(r) ->> key;
        IF url IS NOT NULL AND (length(url) > 2000 OR url ~ '[[:space:][:cntrl:]"<>\\#]' OR NOT (
                url ~* '^https://[^/?#@]+' OR
                url ~* '^http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]{1,5})?([/?]|$)')) THEN
            RAISE EXCEPTION 'identity provider setting % is not a usable URL', key USING ERRCODE = 'PT400',
                DETAIL = 'Expected an https:// URL (http:// only to a loopback address), with no fragment.';
        END IF;
    END LOOP;
    IF r.issuer ~ '[?]' THEN
        RAISE EXCEPTION 'an issuer has no query' USING ERRCODE = 'PT400';
    END IF;
    IF r.kind = 'oidc' AND NOT 'openid' = ANY (regexp_split_to_array(r.scopes, '[[:space:]]+')) THEN
        RAISE EXCEPTION 'an OpenID Connect provider needs the scope openid' USING ERRCODE = 'PT400';
    END IF;
    RETURN r;
END
$$;

REVOKE ALL ON FUNCTION authoob_identity_provider_row(authoob.identity_providers, jsonb) FROM PUBLIC;
