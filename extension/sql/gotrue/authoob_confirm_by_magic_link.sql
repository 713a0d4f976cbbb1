-- An account confirmed by its magic link, as its address's owner takes
-- it: a password, identities and sessions from before the address was
-- proved go (docs/security.md, "Magic links").  Owner only.
CREATE OR REPLACE FUNCTION authoob_confirm_by_magic_link(user_id bigint)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_confirm_by_magic_link'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_confirm_by_magic_link(bigint) FROM PUBLIC;
