-- The claims of an OpenID Connect provider's ID token
-- (docs/identity-providers.md): signed RS256 or ES256 by a key of the
-- provider's JWK Set, kept in its row; a kid the set does not have fetches
-- the set again, at most once a minute.  Then iss is the
-- provider's, aud its client_id (azp too when aud names others), exp not
-- past and iat not ahead (a minute's leeway for the clocks), nonce the
-- flow's.  The claims, or a PT401 for a token that fails any of it.
-- Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_id_token(p authoob.identity_providers, token text, nonce text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    part text := split_part(token, '.', 1);
    header jsonb;
    key jsonb;
    published jsonb;
    claims jsonb;
    now_s numeric := extract(epoch FROM now());
BEGIN
    BEGIN
        header := convert_from(decode(translate(part, '-_', '+/') || repeat('=', (4 - length(part) % 4) % 4),
                                      'base64'), 'UTF8')::jsonb;
    EXCEPTION WHEN OTHERS THEN
        header := NULL;
    END;
    IF jsonb_typeof(header) IS DISTINCT FROM 'object' OR header ->> 'alg' NOT IN ('RS256', 'ES256') THEN
        RAISE EXCEPTION 'the ID token is not signed RS256 or ES256' USING ERRCODE = 'PT401';
    END IF;
    FOR attempt IN 1..2 LOOP
        SELECT k INTO key FROM jsonb_array_elements(CASE jsonb_typeof(p.jwks -> 'keys') WHEN 'array' THEN p.jwks -> 'keys' END) k
        WHERE (header ->> 'kid' IS NULL OR k ->> 'kid' = header ->> 'kid') AND coalesce(k ->> 'use', 'sig') = 'sig'
          AND k ->> 'kty' = CASE header ->> 'alg' WHEN 'RS256' THEN 'RSA' ELSE 'EC' END
        LIMIT 1;
        EXIT WHEN key IS NOT NULL OR attempt = 2 OR p.jwks_fetched_at > now() - interval '1 minute';
        published := @extschema@.authoob_oauth_answer(@extschema@.authoob_provider_fetch(
            coalesce(p.jwks_url, p.discovery ->> 'jwks_uri'), NULL, NULL),
            'the identity provider''s keys cannot be read');
        IF jsonb_typeof(published -> 'keys') IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'the identity provider''s keys are no JWK Set' USING ERRCODE = 'PT502';
        END IF;
        UPDATE authoob.identity_providers ip SET jwks = published, jwks_fetched_at = now()
        WHERE ip.name = p.name;
        p.jwks := published;
    END LOOP;
    IF key IS NULL THEN
        RAISE EXCEPTION 'the ID token is signed by a key the provider does not publish' USING ERRCODE = 'PT401';
    END IF;
    claims := @extschema@.authoob_jws_verify(token, key);
    IF claims IS NULL THEN
        RAISE EXCEPTION 'the ID token''s signature does not verify' USING ERRCODE = 'PT401';
    ELSIF claims ->> 'iss' IS DISTINCT FROM p.issuer THEN
        RAISE EXCEPTION 'the ID token is not the provider''s (iss)' USING ERRCODE = 'PT401';
    ELSIF NOT (claims -> 'aud' = to_jsonb(p.client_id) OR
               (jsonb_typeof(claims -> 'aud') = 'array' AND claims -> 'aud' @> to_jsonb(ARRAY[p.client_id])
                AND (jsonb_array_length(claims -> 'aud') = 1 OR claims ->> 'azp' = p.client_id))) THEN
        RAISE EXCEPTION 'the ID token is for another client (aud)' USING ERRCODE = 'PT401';
    ELSIF jsonb_typeof(claims -> 'exp') IS DISTINCT FROM 'number' OR (claims ->> 'exp')::numeric < now_s - 60 THEN
        RAISE EXCEPTION 'the ID token has expired' USING ERRCODE = 'PT401';
    ELSIF jsonb_typeof(claims -> 'iat') IS DISTINCT FROM 'number' OR (claims ->> 'iat')::numeric > now_s + 60 THEN
        RAISE EXCEPTION 'the ID token is issued in the future (iat)' USING ERRCODE = 'PT401';
    ELSIF claims ->> 'nonce' IS DISTINCT FROM nonce THEN
        RAISE EXCEPTION 'the ID token is not of this sign-in (nonce)' USING ERRCODE = 'PT401';
    ELSIF coalesce(claims ->> 'sub', '') = '' THEN
        RAISE EXCEPTION 'the ID token names no subject' USING ERRCODE = 'PT401';
    END IF;
    RETURN claims;
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_id_token(authoob.identity_providers, text, text) FROM PUBLIC;
