-- One request to an identity provider, made by the database itself
-- (extension/provider_fetch.c): {"status": n, "body": "..."} or
-- {"error": "why"}.  Owner only: the provider functions call it with the
-- URLs of the owner's provider rows, so what a sign-in believes comes from
-- the provider, never from the caller (docs/identity-providers.md).
CREATE OR REPLACE FUNCTION authoob_provider_fetch(url text, form text, authorization text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_provider_fetch'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_provider_fetch(text, text, text) FROM PUBLIC;
