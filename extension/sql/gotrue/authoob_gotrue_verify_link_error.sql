-- GET /verify's answer to a link that failed (spent, expired, unknown, of
-- a type not built; extension/attempt.c calls it once the failure is
-- counted): as Supabase Auth's verifyGet, a 303 to redirect_to if
-- allowed (else app_url) with the error in the fragment,
-- #error=<OAuth's name of the status>&error_code=<code>&error_description=<msg>&sb=
-- (form-encoded, as Go's url.Values writes it), which auth-js reads as the
-- failed sign-in.  NULL (the error stays a JSON error): a query without
-- type or token (Supabase Auth checks those before), too many attempts
-- (its rate limit comes first), anything but a 4xx, or nowhere to go.
CREATE OR REPLACE FUNCTION authoob_gotrue_verify_link_error(query text, sqlstate text, message text,
                                                            detail text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb;
    d jsonb;
    status integer;
    target text;
BEGIN
    BEGIN
        q := query::jsonb;
        d := detail::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN NULL;
    END;
    IF jsonb_typeof(q) IS DISTINCT FROM 'object' OR coalesce(q ->> 'type', '') = ''
       OR coalesce(q ->> 'token', '') = '' OR sqlstate !~ '^PT4[0-9][0-9]$' OR sqlstate = 'PT429' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
        d := '{}';
    END IF;
    status := coalesce((d -> 'gotrue' ->> 'status')::integer, substr(sqlstate, 3)::integer);
    target := @extschema@.authoob_redirect_url(q ->> 'redirect_to');
    IF target IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN jsonb_build_object('url', split_part(target, '#', 1) || '#' || (
        SELECT string_agg(p.key || '=' || (
                   SELECT coalesce(string_agg(CASE WHEN c ~ '^[A-Za-z0-9._~-]$' THEN c
                                                   WHEN c = ' ' THEN '+'
                                                   ELSE upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'),
                                                                             '(..)', '%\1', 'g')) END,
                                              '' ORDER BY n), '')
                   FROM regexp_split_to_table(p.value, '') WITH ORDINALITY AS t (c, n)), '&' ORDER BY p.key)
        FROM (VALUES ('error', CASE status WHEN 400 THEN 'invalid_request' WHEN 401 THEN 'unauthorized_client'
                                           WHEN 403 THEN 'access_denied' END),
                     ('error_code', coalesce(d ->> 'error_code', 'unexpected_failure')),
                     ('error_description', coalesce(d -> 'gotrue' ->> 'msg', message)),
                     ('sb', '')) AS p (key, value)
        WHERE p.value IS NOT NULL));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_verify_link_error(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_verify_link_error(text, text, text, text) TO authoob_api;
