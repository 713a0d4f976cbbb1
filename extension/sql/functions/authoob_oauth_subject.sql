-- Who a provider's answer names: the ID token's (or userinfo answer's)
-- sub, else a plain OAuth 2.0 provider's id (GitHub's); NULL if neither.
CREATE OR REPLACE FUNCTION authoob_oauth_subject(claims jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(nullif(claims ->> 'sub', ''), nullif(claims ->> 'id', ''))
$$;

REVOKE ALL ON FUNCTION authoob_oauth_subject(jsonb) FROM PUBLIC;
