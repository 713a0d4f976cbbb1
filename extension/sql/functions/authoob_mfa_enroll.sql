-- POST P/mfa/factors: a TOTP factor enrolled, unverified until its first
-- code, and ten recovery codes, shown this once (docs/security.md,
-- "Multi-factor authentication").
CREATE OR REPLACE FUNCTION authoob_mfa_enroll(token text, payload text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_mfa_enroll'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_mfa_enroll(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mfa_enroll(text, text) TO authoob_api;
