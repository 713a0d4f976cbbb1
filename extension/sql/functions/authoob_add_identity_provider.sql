-- Adds an identity provider (docs/identity-providers.md), for the owner;
-- answers its row without the client secret.  A table's CHECK that fails
-- (a kind without its URLs) is a PT400 as any other bad setting.
CREATE OR REPLACE FUNCTION authoob_add_identity_provider(name text, config jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authoob.identity_providers := @extschema@.authoob_identity_provider_row(NULL, config);
BEGIN
    r.name := authoob_add_identity_provider.name;
    r.created_at := now();
    r.updated_at := now();
    BEGIN
        INSERT INTO authoob.identity_providers SELECT r.*;
    EXCEPTION
        WHEN unique_violation THEN
            RAISE EXCEPTION 'identity provider % exists', quote_literal(name) USING ERRCODE = 'PT409';
        WHEN check_violation OR not_null_violation THEN
            RAISE EXCEPTION 'bad identity provider' USING ERRCODE = 'PT400',
                DETAIL = 'A name of lower-case letters, digits, _ and -; a client_id; an oidc provider has an issuer, '
                         'an oauth2 provider its authorization_url, token_url and userinfo_url.';
    END;
    RETURN to_jsonb(r) - 'client_secret';
END
$$;

REVOKE ALL ON FUNCTION authoob_add_identity_provider(text, jsonb) FROM PUBLIC;
