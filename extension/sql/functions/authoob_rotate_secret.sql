-- A new HS256 secret, for the owner; the previous one verifies what it
-- signed for previous_valid_for (by default a token's lifetime).
CREATE OR REPLACE FUNCTION authoob_rotate_secret(previous_valid_for interval DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_rotate_secret'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_rotate_secret(interval) FROM PUBLIC;
