-- The claims of an identity provider's ID token when the JWK given signed
-- it (RS256 or ES256), else NULL (extension/provider_keys.c).  Owner only:
-- authoob_oauth_id_token chooses the key and checks the claims.
CREATE OR REPLACE FUNCTION authoob_jws_verify(token text, jwk jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_jws_verify'
LANGUAGE C IMMUTABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_jws_verify(text, jsonb) FROM PUBLIC;
