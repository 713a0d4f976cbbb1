-- A new current key of an asymmetric alg (ES256, EdDSA, RS256), made with
-- OpenSSL; the previous one verifies what it signed for
-- previous_valid_for.  Owner only.
CREATE OR REPLACE FUNCTION authoob_new_signing_key(alg text, previous_valid_for interval)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_new_signing_key'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_new_signing_key(text, interval) FROM PUBLIC;
