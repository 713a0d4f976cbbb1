-- The asymmetric signing keys (docs/sql-api.md, "Signing keys and JWKS"):
-- the current one of an alg (valid_until NULL) signs; the ones rotated out
-- verify what they signed until valid_until.  The kid is the RFC 7638
-- thumbprint of the public JWK.  The private key (PKCS #8 PEM) is the
-- owner's only: no function returns it.
CREATE TABLE authoob.signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    private_key text NOT NULL,
    public_jwk jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    valid_until timestamptz
);
CREATE UNIQUE INDEX signing_keys_current ON authoob.signing_keys (alg) WHERE valid_until IS NULL;
CREATE TRIGGER signing_keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.authoob_invalidate_cache();
REVOKE ALL ON authoob.signing_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.signing_keys', '');
