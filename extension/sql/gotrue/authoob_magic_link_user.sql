-- The user of a magic link's token, limited as mailed tokens are; with
-- spend, the token spent and the address confirmed.  Owner only:
-- authoob_attempt counts its failures (through the verify functions).
CREATE OR REPLACE FUNCTION authoob_magic_link_user(token text, client_ip inet, spend boolean)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_magic_link_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_magic_link_user(text, inet, boolean) FROM PUBLIC;
