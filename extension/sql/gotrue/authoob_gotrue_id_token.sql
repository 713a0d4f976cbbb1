-- grant_type=id_token (auth-js signInWithIdToken; GoTrue's token_oidc.go):
-- an ID token the app got from an OpenID Connect provider itself (a
-- native Google or Apple sign-in, One Tap) signs in.  "provider" names an
-- authoob provider row of kind oidc (else "issuer" and "client_id" the one
-- row that has both); the token is checked as the callback checks one
-- (authoob_oauth_id_token: a key of the provider's JWK Set, iss, aud =
-- client_id, exp, iat) with GoTrue's nonce rule: the body's nonce and the
-- token's are both there or both absent, and the token's is the hex
-- SHA-256 of the body's; with an access_token, the token's at_hash must be
-- its.  The user is found or made as by the callback
-- (authoob_oauth_identity_user, between the hooks pre_oauth_signin and
-- post_oauth_signin), and the answer is a session whose amr says oauth
-- and the provider.  A token failing a check is a PT401 (counted against
-- the client by authoob_attempt, as a wrong PKCE code is) answered as
-- GoTrue answers it: 400 {"error", "error_description"}.  An ID token is
-- not spent: as in Supabase Auth it signs in again until it expires
-- (docs/identity-providers.md).  Owner only.
CREATE OR REPLACE FUNCTION authoob_gotrue_id_token(body jsonb, client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    wrong record;
    token text := coalesce(body ->> 'id_token', '');
    provider_name text := coalesce(body ->> 'provider', '');
    nonce text := nullif(body ->> 'nonce', '');
    access_token text := nullif(body ->> 'access_token', '');
    p authoob.identity_providers;
    claims jsonb;
    uid bigint;
BEGIN
    -- GoTrue decodes the body into its parameters' types, in Go's words
    SELECT e.key, CASE jsonb_typeof(e.value) WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof(e.value) END AS kind,
           CASE e.key WHEN 'link_identity' THEN 'bool' ELSE 'string' END AS wanted
    INTO wrong FROM jsonb_each(body) e
    WHERE (e.key IN ('id_token', 'access_token', 'nonce', 'provider', 'client_id', 'issuer')
           AND jsonb_typeof(e.value) NOT IN ('string', 'null'))
       OR (e.key = 'link_identity' AND jsonb_typeof(e.value) NOT IN ('boolean', 'null'))
    ORDER BY e.key LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Could not parse request body as JSON: json: cannot unmarshal % into Go struct field IdTokenGrantParams.% of type %',
            wrong.kind, wrong.key, wrong.wanted USING ERRCODE = 'PT400', DETAIL = '{"error_code": "bad_json"}';
    END IF;
    IF token = '' THEN
        RAISE EXCEPTION 'id_token required' USING ERRCODE = 'PT400',
            DETAIL = '{"gotrue": {"status": 400, "oauth_error": "invalid request", "msg": "id_token required"}}';
    ELSIF provider_name = '' AND (coalesce(body ->> 'client_id', '') = '' OR coalesce(body ->> 'issuer', '') = '') THEN
        RAISE EXCEPTION 'provider or client_id and issuer required' USING ERRCODE = 'PT400',
            DETAIL = '{"gotrue": {"status": 400, "oauth_error": "invalid request", "msg": "provider or client_id and issuer required"}}';
    ELSIF body -> 'link_identity' = 'true' THEN
        -- linking an identity to a signed-in user is not built
        PERFORM @extschema@.authoob_gotrue_not_built('identities');
    END IF;
    -- as G/authorize: a provider's subject names no partition
    -- (docs/identity-providers.md)
    IF EXISTS (SELECT FROM authoob.partition pt WHERE pt.partitions > 1) THEN
        RAISE EXCEPTION 'Unsupported provider: sign-in with a provider is not available sharded'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    PERFORM @extschema@.authoob_check_client_throttle(client_ip);
    IF provider_name = '' THEN
        SELECT ip.name INTO provider_name FROM authoob.identity_providers ip
        WHERE ip.kind = 'oidc' AND ip.issuer = body ->> 'issuer' AND ip.client_id = body ->> 'client_id'
        ORDER BY ip.enabled DESC, ip.name LIMIT 1;
    END IF;
    SELECT * INTO p FROM authoob.identity_providers ip WHERE ip.name = provider_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Custom OIDC provider % not allowed', to_json(coalesce(provider_name, ''))
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    ELSIF p.kind <> 'oidc' THEN
        RAISE EXCEPTION 'Provider % is not an OIDC provider', to_json(p.name)
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    ELSIF NOT p.enabled THEN
        RAISE EXCEPTION 'Provider (issuer %) is not enabled', to_json(p.issuer)
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "provider_disabled"}';
    END IF;
    -- its discovery document (for its keys), fetched the first time
    p := @extschema@.authoob_oauth_provider(p.name);
    claims := @extschema@.authoob_oauth_id_token(p, token,
        CASE WHEN nonce IS NOT NULL THEN encode(sha256(convert_to(nonce, 'UTF8')), 'hex') END);
    -- OpenID Connect Core 3.2.2.9: the left half of the access token's SHA-256 (RS256, ES256)
    IF access_token IS NOT NULL AND nullif(claims ->> 'at_hash', '') IS NOT NULL
       AND claims ->> 'at_hash' IS DISTINCT FROM translate(rtrim(encode(substring(
               sha256(convert_to(access_token, 'UTF8')) FROM 1 FOR 16), 'base64'), '='), '+/', '-_') THEN
        RAISE EXCEPTION 'the ID token is not of this access token (at_hash)' USING ERRCODE = 'PT401',
            DETAIL = '{"gotrue": {"status": 400, "oauth_error": "invalid request", "msg": "Bad ID token"}}';
    END IF;
    uid := @extschema@.authoob_oauth_user(p, claims, NULL, client_ip);
    RETURN @extschema@.authoob_grant_session_of(uid, client_ip, 'oauth', p.name);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_id_token(jsonb, inet) FROM PUBLIC;
