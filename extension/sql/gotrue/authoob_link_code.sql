-- The one-time code of the PKCE flow routes, as mailed tokens do, to the
-- partition that made it (docs/scale-out.md, "Sharding"): drawn in C by
-- the same routine.
CREATE OR REPLACE FUNCTION authoob_link_code()
RETURNS text AS 'MODULE_PATHNAME', 'authoob_link_code'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_link_code() FROM PUBLIC;
