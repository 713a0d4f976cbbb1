-- Verify a token and remember its user for the rest of the transaction,
-- where row-level security policies read it with authoob_uid().
CREATE OR REPLACE FUNCTION authoob_authenticate(token text)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_authenticate'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_authenticate(text) TO PUBLIC;
