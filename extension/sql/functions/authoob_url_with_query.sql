-- url with query's parameters added to its own (before its fragment):
-- where a redirect to the app carries a code or an error.
CREATE OR REPLACE FUNCTION authoob_url_with_query(url text, query text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT split_part(url, '#', 1) || CASE WHEN split_part(url, '#', 1) LIKE '%?%' THEN '&' ELSE '?' END
           || query || coalesce(substring(url FROM '#.*$'), '')
$$;

REVOKE ALL ON FUNCTION authoob_url_with_query(text, text) FROM PUBLIC;
