-- The hooks pre_oauth_signin {provider, claims} and post_oauth_signin
-- {user, identity} of a sign-in with an identity provider, for
-- authoob_oauth_callback (extension/hooks.c).  Owner only.
CREATE OR REPLACE FUNCTION authoob_fire_oauth_hook(hook text, user_id bigint, provider text, claims jsonb,
                                                   identity jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_fire_oauth_hook'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_fire_oauth_hook(text, bigint, text, jsonb, jsonb) FROM PUBLIC;
