-- Changes an identity provider's settings (docs/identity-providers.md),
-- for the owner: the keys of changes only (a key set to null clears it).
-- A changed issuer or jwks_url drops what the front had read from the
-- old one.  Answers the row without the client secret.
CREATE OR REPLACE FUNCTION authoob_alter_identity_provider(name text, changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old authoob.identity_providers;
    r authoob.identity_providers;
BEGIN
    SELECT * INTO old FROM authoob.identity_providers p WHERE p.name = authoob_alter_identity_provider.name
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no identity provider %', coalesce(quote_literal(name), 'NULL') USING ERRCODE = 'PT404';
    END IF;
    r := @extschema@.authoob_identity_provider_row(old, changes);
    IF r.issuer IS DISTINCT FROM old.issuer THEN
        r.discovery := NULL;
    END IF;
    IF r.issuer IS DISTINCT FROM old.issuer OR r.jwks_url IS DISTINCT FROM old.jwks_url THEN
        r.jwks := NULL;
        r.jwks_fetched_at := NULL;
    END IF;
    r.updated_at := now();
    BEGIN
        UPDATE authoob.identity_providers p
        SET (kind, issuer, authorization_url, token_url, userinfo_url, jwks_url, client_id, client_secret,
             token_auth_method, scopes, email_claim, email_verified_claim, enabled, discovery, jwks,
             jwks_fetched_at, updated_at)
          = (r.kind, r.issuer, r.authorization_url, r.token_url, r.userinfo_url, r.jwks_url, r.client_id,
             r.client_secret, r.token_auth_method, r.scopes, r.email_claim, r.email_verified_claim, r.enabled,
             r.discovery, r.jwks, r.jwks_fetched_at, r.updated_at)
        WHERE p.name = old.name;
    EXCEPTION WHEN check_violation OR not_null_violation THEN
        RAISE EXCEPTION 'bad identity provider' USING ERRCODE = 'PT400',
            DETAIL = 'An oidc provider has an issuer, an oauth2 provider its authorization_url, token_url and userinfo_url.';
    END;
    RETURN to_jsonb(r) - 'client_secret';
END
$$;

REVOKE ALL ON FUNCTION authoob_alter_identity_provider(text, jsonb) FROM PUBLIC;
