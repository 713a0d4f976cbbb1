-- Where the implicit flow leads the app: url with the session in its
-- fragment, as Supabase Auth writes it (and type, when there is one).
CREATE OR REPLACE FUNCTION authoob_url_with_session(url text, session jsonb, type text)
RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT split_part(url, '#', 1) || '#access_token=' || (session ->> 'access_token')
        || '&expires_at=' || (session ->> 'expires_at') || '&expires_in=' || (session ->> 'expires_in')
        || '&refresh_token=' || (session ->> 'refresh_token') || '&token_type=bearer'
        || coalesce('&type=' || type, '')
$$;

REVOKE ALL ON FUNCTION authoob_url_with_session(text, jsonb, text) FROM PUBLIC;
