-- The uuid of a new user (the default of authoob.users.uuid): random, and
-- in a sharded deployment drawn until it routes to this partition (README
-- "Scale-out: sharding"), as mailed and refresh tokens are.  Owner only.
CREATE OR REPLACE FUNCTION authoob_new_user_uuid()
RETURNS uuid AS 'MODULE_PATHNAME', 'authoob_new_user_uuid'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_new_user_uuid() FROM PUBLIC;
