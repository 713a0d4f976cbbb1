-- The assurance level of the session authoob_authenticate() verified in
-- this transaction ('aal1', 'aal2'), or NULL: for row-level security
-- policies that require a second factor (docs/security.md,
-- "Multi-factor authentication").  It reads the session, the owner's.
CREATE OR REPLACE FUNCTION authoob_aal()
RETURNS text AS 'MODULE_PATHNAME', 'authoob_aal'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_aal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_aal() TO PUBLIC;
