-- Sharded, an identity provider's answer checked on the partition of the
-- sign-in's flow is handed to the partition of its user through the proxy
-- (docs/identity-providers.md, "Sharding"): sealed with a MAC under the
-- secret the partitions share, opened only when the MAC is this
-- deployment's (extension/provider_keys.c).  Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_handoff_seal(payload jsonb)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_oauth_handoff_seal'
LANGUAGE C VOLATILE STRICT SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_oauth_handoff_seal(jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authoob_oauth_handoff_open(handoff text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_oauth_handoff_open'
LANGUAGE C STABLE STRICT SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_oauth_handoff_open(text) FROM PUBLIC;
