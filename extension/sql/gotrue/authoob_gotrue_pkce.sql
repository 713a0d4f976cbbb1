-- grant_type=pkce: the code of a mailed link and the secret of the client
-- that asked for the mail sign in, once; a client blocked from signing in
-- (its failures here count as at P/token: PT401) is refused first.  The
-- dialect's answers are GoTrue's (token.go's PKCE), in the detail.  A
-- magic link's flow spends the mailed token here (which a newer link
-- may have ended).
CREATE OR REPLACE FUNCTION authoob_gotrue_pkce(body jsonb, client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f authoob.flow_states;
    p authoob.identity_providers;
    verifier text := body ->> 'code_verifier';
    challenge text;
BEGIN
    IF coalesce(body ->> 'auth_code', '') = '' OR coalesce(verifier, '') = '' THEN
        RAISE EXCEPTION 'invalid request: both auth code and code verifier should be non-empty'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    PERFORM @extschema@.authoob_check_client_throttle(client_ip);
    SELECT * INTO f FROM authoob.flow_states fs
    WHERE fs.auth_code_hash = sha256(convert_to(body ->> 'auth_code', 'UTF8'))
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "flow_state_not_found", "gotrue": {"status": 404, "msg": "invalid flow state, no valid flow state found"}}';
    ELSIF f.code_expires_at <= now() THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "flow_state_expired", "gotrue": {"status": 422, "msg": "invalid flow state, flow state has expired"}}';
    END IF;
    -- S256: the challenge is the verifier's SHA-256 in base64url
    challenge := CASE f.code_challenge_method WHEN 'plain' THEN verifier
        ELSE translate(rtrim(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '='), '+/', '-_') END;
    IF verifier !~ '^[A-Za-z0-9._~-]{43,128}$' OR challenge IS DISTINCT FROM f.code_challenge THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "bad_code_verifier", "gotrue": {"status": 400, "msg": "code challenge does not match previously saved code verifier"}}';
    END IF;
    DELETE FROM authoob.flow_states fs WHERE fs.id = f.id;
    -- a link (linkIdentity) is added now, by the app that asked for it
    IF f.link_claims IS NOT NULL THEN
        IF NOT (SELECT s.manual_linking FROM authoob.settings s) THEN
            RETURN @extschema@.authoob_gotrue_not_built('identities');
        END IF;
        SELECT * INTO p FROM authoob.identity_providers ip WHERE ip.name = f.provider AND ip.enabled;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'Unsupported provider: provider is not enabled' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        END IF;
        PERFORM @extschema@.authoob_oauth_user(p, f.link_claims, f.user_id, client_ip);
    END IF;
    -- a magic link is spent here, not by its GET (authoob_gotrue_verify_link)
    IF f.mail_token_hash IS NOT NULL THEN
        UPDATE authoob.mail_tokens t SET used_at = now()
        WHERE t.token_hash = f.mail_token_hash AND t.kind = 'magiclink' AND t.used_at IS NULL
          AND t.expires_at > now();
        IF NOT FOUND THEN
            RAISE EXCEPTION 'No token match' USING ERRCODE = 'PT401',
                DETAIL = '{"error_code": "otp_expired", "gotrue": {"status": 403, "msg": "Email link is invalid or has expired"}}';
        END IF;
        PERFORM @extschema@.authoob_confirm_by_magic_link(f.user_id);
    END IF;
    RETURN @extschema@.authoob_grant_session_of(f.user_id, client_ip,
        CASE f.kind WHEN 'magiclink' THEN 'magiclink' WHEN 'oauth' THEN 'oauth' END, f.provider);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_pkce(jsonb, inet) FROM PUBLIC;
