-- A new refreshable session for a user whose sign-in was proved otherwise
-- than by a password (a mailed token, a PKCE code), as the token endpoint
-- answers it; the client's sign-in limit applies.  method ('otp',
-- 'magiclink', 'oauth' with the identity provider's name; NULL:
-- 'password') is its tokens' amr.  Owner only.
CREATE OR REPLACE FUNCTION authoob_grant_session_of(user_id bigint, client_ip inet DEFAULT NULL,
                                                    method text DEFAULT NULL, provider text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_grant_session_of'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_grant_session_of(bigint, inet, text, text) FROM PUBLIC;
