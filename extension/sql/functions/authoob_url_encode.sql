-- text percent-encoded but for RFC 3986's unreserved characters, as a
-- query's or a form's value is written (its UTF-8 bytes).
CREATE OR REPLACE FUNCTION authoob_url_encode(value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(string_agg(CASE WHEN c BETWEEN 48 AND 57 OR c BETWEEN 65 AND 90 OR c BETWEEN 97 AND 122
                                         OR c IN (45, 46, 95, 126)
                                    THEN chr(c) ELSE '%' || upper(lpad(to_hex(c), 2, '0')) END, '' ORDER BY i), '')
    FROM (SELECT convert_to(value, 'UTF8') AS b) x,
         LATERAL generate_series(0, length(x.b) - 1) AS i,
         LATERAL get_byte(x.b, i) AS c
$$;

REVOKE ALL ON FUNCTION authoob_url_encode(text) FROM PUBLIC;
