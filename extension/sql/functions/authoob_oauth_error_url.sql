-- Where a failed sign-in with a provider leads the app: its redirect_to
-- with Supabase Auth's error parameters (never an error page of ours).
CREATE OR REPLACE FUNCTION authoob_oauth_error_url(url text, error text, error_code text, description text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('url', @extschema@.authoob_url_with_query(url,
        'error=' || @extschema@.authoob_url_encode(error)
        || '&error_code=' || @extschema@.authoob_url_encode(error_code)
        || '&error_description=' || @extschema@.authoob_url_encode(description)))
$$;

REVOKE ALL ON FUNCTION authoob_oauth_error_url(text, text, text, text) FROM PUBLIC;
