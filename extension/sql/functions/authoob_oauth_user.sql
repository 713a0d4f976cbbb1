-- Whose sign-in a provider's answer (claims) is, with the application's
-- say (docs/sql-api.md, "Hooks"): pre_oauth_signin {provider, claims} may
-- refuse it, then the user got or made, or the identity added to
-- link_user_id (authoob_oauth_identity_user), then post_oauth_signin
-- {user, identity}; all in the caller's transaction.  Owner only: the end
-- of a callback, of an ID token's grant, of a link's code exchange.
CREATE OR REPLACE FUNCTION authoob_oauth_user(p authoob.identity_providers, claims jsonb,
                                              link_user_id bigint, client_ip inet)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint;
    subject_id text := @extschema@.authoob_oauth_subject(claims);
BEGIN
    PERFORM @extschema@.authoob_fire_oauth_hook('pre_oauth_signin', NULL, p.name, claims, NULL);
    uid := @extschema@.authoob_oauth_identity_user(p, claims, link_user_id, client_ip);
    PERFORM @extschema@.authoob_fire_oauth_hook('post_oauth_signin', uid, NULL, NULL,
        (SELECT to_jsonb(i) FROM authoob.identities i WHERE i.provider = p.name AND i.subject = subject_id));
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_user(authoob.identity_providers, jsonb, bigint, inet) FROM PUBLIC;
