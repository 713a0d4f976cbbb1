-- A request that will mail a link (sign-up, recovery, resend) and sends a
-- code_challenge starts the PKCE flow whose id its mail's token will
-- carry (returned); the flows past the mailed tokens' lifetime go.  No
-- challenge: no flow (NULL), and the link follows the implicit flow.
CREATE OR REPLACE FUNCTION authoob_gotrue_start_flow(body jsonb, kind text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    challenge text := nullif(body ->> 'code_challenge', '');
    method text := lower(coalesce(nullif(body ->> 'code_challenge_method', ''), 's256'));
    flow bigint;
BEGIN
    IF body ->> 'email' IS NULL THEN
        RETURN NULL;
    END IF;
    IF challenge !~ '^[A-Za-z0-9._~-]{43,128}$' OR (challenge IS NOT NULL AND method NOT IN ('s256', 'plain')) THEN
        RAISE EXCEPTION 'Invalid value for code_challenge' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF challenge IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM authoob.flow_states f
    WHERE f.created_at < now() - (SELECT make_interval(secs => greatest(s.activation_ttl, s.reset_ttl))
                                  FROM authoob.settings s);
    INSERT INTO authoob.flow_states (email, kind, code_challenge, code_challenge_method)
    VALUES (lower(body ->> 'email'), authoob_gotrue_start_flow.kind, challenge, method)
    RETURNING id INTO flow;
    RETURN flow;
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_start_flow(jsonb, text) FROM PUBLIC;
