-- Where a redirect_to may lead: app_url or an entry of redirect_urls,
-- exactly or followed by a path, a query or a fragment; anything else
-- leads to app_url.
CREATE OR REPLACE FUNCTION authoob_redirect_url(wanted text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN wanted !~ '[[:space:][:cntrl:]"<>\\]' AND EXISTS (
        SELECT 1 FROM regexp_split_to_table(concat_ws(' ', s.app_url, s.redirect_urls), '[ ,]+') AS a (url)
        WHERE a.url <> '' AND (wanted = a.url OR
              (left(wanted, length(a.url)) = a.url AND
               (right(a.url, 1) = '/' OR substr(wanted, length(a.url) + 1, 1) IN ('/', '?', '#')))))
    THEN wanted ELSE s.app_url END
    FROM authoob.settings s
$$;

REVOKE ALL ON FUNCTION authoob_redirect_url(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_redirect_url(text) TO authoob_api;
