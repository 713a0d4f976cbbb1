-- POST G/factors/<id>/verify, through authoob_attempt('gotrue_mfa_verify'):
-- request is {"token", "factor_id", "body": {"challenge_id", "code"}}; the
-- answer is a session, now at aal2, with Supabase Auth's user object.
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_factor(request text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_gotrue_session(@extschema@.authoob_mfa_verify_challenge(request, client_ip))
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify_factor(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify_factor(text, inet) TO authoob_api;
