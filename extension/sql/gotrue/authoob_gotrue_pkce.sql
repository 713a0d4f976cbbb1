-- grant_type=pkce: the code of a mailed link and the secret of the client
-- that asked for the mail sign in, once; a client blocked from signing in
-- (its failures here count as at P/token) is refused first.
CREATE OR REPLACE FUNCTION authoob_gotrue_pkce(body jsonb, client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f authoob.flow_states;
    verifier text := body ->> 'code_verifier';
    challenge text;
BEGIN
    PERFORM @extschema@.authoob_check_client_throttle(client_ip);
    SELECT * INTO f FROM authoob.flow_states fs
    WHERE fs.auth_code_hash = sha256(convert_to(coalesce(body ->> 'auth_code', ''), 'UTF8'))
      AND fs.code_expires_at > now()
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "flow_state_not_found"}';
    END IF;
    -- S256: the challenge is the verifier's SHA-256 in base64url
    challenge := CASE f.code_challenge_method WHEN 'plain' THEN verifier
        ELSE translate(rtrim(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '='), '+/', '-_') END;
    IF verifier IS NULL OR verifier !~ '^[A-Za-z0-9._~-]{43,128}$' OR challenge IS DISTINCT FROM f.code_challenge THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "bad_code_verifier"}';
    END IF;
    DELETE FROM authoob.flow_states fs WHERE fs.id = f.id;
    RETURN @extschema@.authoob_grant_session_of(f.user_id, client_ip);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_pkce(jsonb, inet) FROM PUBLIC;
