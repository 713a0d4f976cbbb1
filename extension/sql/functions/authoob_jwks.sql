-- The public keys that verify live tokens (current and rotated out but
-- still valid), as a JWK Set; never an HS256 secret.  Public keys are
-- public: anyone may read them.
CREATE OR REPLACE FUNCTION authoob_jwks() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('keys', coalesce(jsonb_agg(k.public_jwk ORDER BY k.created_at DESC, k.kid), '[]'))
    FROM authoob.signing_keys k
    WHERE k.valid_until IS NULL OR k.valid_until > now()
$$;

REVOKE ALL ON FUNCTION authoob_jwks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_jwks() TO authoob_api;
GRANT EXECUTE ON FUNCTION authoob_jwks() TO PUBLIC;
