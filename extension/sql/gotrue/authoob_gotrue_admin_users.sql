-- GET G/admin/users?page=&per_page= (auth.admin.listUsers): for a service
-- credential only.  The front's REPLY_PAGE shape: {"body": {"users",
-- "aud"}, "headers": {"X-Total-Count", "Link"}}, the headers as Supabase
-- Auth's addPaginationHeaders writes them (a next page's link while there
-- is one, always the last's), which auth-js reads for nextPage, lastPage
-- and total.  An empty page or per_page is the default, as there.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_users(token text, query text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := coalesce(query::jsonb, '{}');
    page integer;
    per_page integer;
    list jsonb;
    last bigint;
    base text;
    link text := '';
BEGIN
    PERFORM @extschema@.authoob_check_service_token(token);
    BEGIN
        page := coalesce(nullif(q ->> 'page', ''), '1')::integer;
        per_page := coalesce(nullif(q ->> 'per_page', ''), '50')::integer;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'Bad Pagination Parameters: page and per_page are whole numbers'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END;
    list := @extschema@.authoob_admin_list_users(page, per_page);
    last := ((list ->> 'total')::bigint + per_page - 1) / per_page;
    SELECT coalesce(s.gotrue_prefix, '') || '/admin/users?page=' INTO base FROM authoob.settings s;
    IF last > page THEN
        link := format('<%s%s&per_page=%s>; rel="next", ', base, page + 1, per_page);
    END IF;
    link := link || format('<%s%s&per_page=%s>; rel="last"', base, last, per_page);
    RETURN jsonb_build_object('body', list - 'total', 'headers', jsonb_build_object(
        'X-Total-Count', list ->> 'total', 'Link', link));
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_users(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_users(text, text) TO authoob_api;
