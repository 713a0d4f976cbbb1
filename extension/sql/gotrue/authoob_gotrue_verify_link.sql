-- GET /verify?token=&type=&redirect_to=: the mailed link, verified as
-- POST /verify; redirects to redirect_to if allowed, else app_url.  When
-- the request that caused the mail started the PKCE flow (the flow its
-- token carries), with a one-time code of that flow in the query string;
-- else (the implicit flow) with the session in the fragment.  Through
-- authoob_attempt('gotrue_verify_link', ...).  A magic link of the PKCE
-- flow is not spent here but by the exchange of its code, and each GET
-- gives a new code (the older one ends): a mail scanner that follows the
-- link first gets a code it cannot exchange, and the user's own click
-- still signs in (docs/decisions.md).
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_link(query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    link_kind text := q ->> 'type';
    target text := @extschema@.authoob_redirect_url(q ->> 'redirect_to');
    uid bigint;
    flow bigint;
    flow_kind text;
    kept bytea;
    code text;
    session jsonb;
BEGIN
    IF target IS NULL THEN
        RAISE EXCEPTION 'authoob is not configured: app_url is not set'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT f.id, f.kind INTO flow, flow_kind
    FROM authoob.mail_tokens t JOIN authoob.flow_states f ON f.id = t.flow_id
    WHERE t.token_hash = sha256(convert_to(q ->> 'token', 'UTF8'))
      AND f.code_challenge IS NOT NULL AND (f.auth_code_hash IS NULL OR f.kind = 'magiclink')
    FOR UPDATE OF f;
    IF flow_kind = 'magiclink' AND link_kind IN ('magiclink', 'email') THEN
        uid := @extschema@.authoob_magic_link_user(q ->> 'token', client_ip, false);
        kept := sha256(convert_to(q ->> 'token', 'UTF8'));
    ELSE
        uid := @extschema@.authoob_gotrue_mailed_user(link_kind, nullif(q ->> 'token', ''), client_ip);
    END IF;
    IF flow IS NOT NULL THEN
        code := @extschema@.authoob_link_code();
        UPDATE authoob.flow_states f
        SET user_id = uid, auth_code_hash = sha256(convert_to(code, 'UTF8')),
            code_expires_at = now() + interval '5 minutes', mail_token_hash = kept
        WHERE f.id = flow;
        RETURN jsonb_build_object('url', @extschema@.authoob_url_with_query(target, 'code=' || code));
    END IF;
    session := @extschema@.authoob_grant_session_of(uid, client_ip,
        CASE WHEN link_kind IN ('magiclink', 'email') THEN 'otp' END);
    RETURN jsonb_build_object('url', @extschema@.authoob_url_with_session(target, session,
        CASE WHEN link_kind IN ('recovery', 'invite', 'magiclink') THEN link_kind ELSE 'signup' END));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify_link(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify_link(text, inet) TO authoob_api;
