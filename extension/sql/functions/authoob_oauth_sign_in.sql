-- The end of a sign-in with an identity provider, once what the provider
-- said (claims) is known to be its word (docs/identity-providers.md): the
-- user (authoob_oauth_user: the hooks around the user got or made), then
-- where the browser goes: the flow's redirect_to with a one-time code for
-- grant_type=pkce when the app sent a code_challenge, else with the
-- session in the fragment.  A link (link_user_id) adds nothing here: its
-- code carries what the provider said, and the identity is added when
-- the app that asked exchanges the code with its verifier
-- (authoob_gotrue_pkce), so that a browser made to open someone else's
-- link URL links nothing; what would refuse the link is tried here first,
-- and undone, to answer the browser at once.  {"url": ...}.  Owner only:
-- the callback, and sharded the partition of the user
-- (authoob_oauth_finish).
CREATE OR REPLACE FUNCTION authoob_oauth_sign_in(p authoob.identity_providers, claims jsonb,
                                                 redirect_to text, code_challenge text,
                                                 code_challenge_method text, link_user_id bigint,
                                                 client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint;
    code text;
BEGIN
    IF link_user_id IS NULL THEN
        uid := @extschema@.authoob_oauth_user(p, claims, NULL, client_ip);
    ELSE
        BEGIN
            PERFORM @extschema@.authoob_oauth_identity_user(p, claims, link_user_id, client_ip);
            RAISE SQLSTATE 'PTDRY';
        EXCEPTION WHEN SQLSTATE 'PTDRY' THEN
            uid := link_user_id;        -- it would link: undone, the exchange's to do
        END;
        IF code_challenge IS NULL THEN
            RAISE EXCEPTION 'linking an identity needs the PKCE flow' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        END IF;
    END IF;
    IF code_challenge IS NULL THEN
        RETURN jsonb_build_object('url', @extschema@.authoob_url_with_session(redirect_to,
            @extschema@.authoob_grant_session_of(uid, client_ip, 'oauth', p.name), NULL));
    END IF;
    code := @extschema@.authoob_link_code();
    INSERT INTO authoob.flow_states (email, kind, code_challenge, code_challenge_method, user_id,
                                     auth_code_hash, code_expires_at, provider, link_claims)
    -- (an anonymous user linking an identity has no address)
    SELECT coalesce(u.email, ''), 'oauth', authoob_oauth_sign_in.code_challenge,
           authoob_oauth_sign_in.code_challenge_method, uid, sha256(convert_to(code, 'UTF8')),
           now() + interval '5 minutes', p.name, CASE WHEN link_user_id IS NOT NULL THEN claims END
    FROM authoob.users u WHERE u.id = uid;
    RETURN jsonb_build_object('url', @extschema@.authoob_url_with_query(redirect_to, 'code=' || code));
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_sign_in(authoob.identity_providers, jsonb, text, text, text, bigint, inet) FROM PUBLIC;
