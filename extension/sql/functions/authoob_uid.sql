-- The user authoob_authenticate() verified in this transaction, or NULL:
-- for row-level security policies.
CREATE OR REPLACE FUNCTION authoob_uid()
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_uid'
LANGUAGE C STABLE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION authoob_uid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_uid() TO PUBLIC;
