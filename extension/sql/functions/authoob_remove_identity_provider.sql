-- Removes an identity provider (docs/identity-providers.md), for the
-- owner; refused (PT409) while users have identities there, since they
-- would lose that way in: disable it ({"enabled": false}) instead, or
-- remove those identities first.
CREATE OR REPLACE FUNCTION authoob_remove_identity_provider(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM authoob.identity_providers p WHERE p.name = authoob_remove_identity_provider.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no identity provider %', coalesce(quote_literal(name), 'NULL') USING ERRCODE = 'PT404';
    END IF;
EXCEPTION WHEN foreign_key_violation THEN
    RAISE EXCEPTION 'identity provider % has identities', quote_literal(name) USING ERRCODE = 'PT409',
        DETAIL = 'Disable it with authoob_alter_identity_provider(name, ''{"enabled": false}''), or remove its identities first.';
END
$$;

REVOKE ALL ON FUNCTION authoob_remove_identity_provider(text) FROM PUBLIC;
