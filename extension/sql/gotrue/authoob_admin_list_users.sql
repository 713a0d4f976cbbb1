-- auth.admin.listUsers, for the owner in SQL and for GET G/admin/users:
-- page (from 1) of per_page users, newest first as Supabase Auth sorts
-- them, and how many there are: {"users": [...], "aud": ..., "total": n}.
CREATE OR REPLACE FUNCTION authoob_admin_list_users(page integer DEFAULT 1, per_page integer DEFAULT 50)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF page IS NULL OR page < 1 OR per_page IS NULL OR per_page < 1 OR per_page > 100000 THEN
        RAISE EXCEPTION 'Bad Pagination Parameters: page from 1, per_page from 1 to 100000'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    RETURN jsonb_build_object(
        'users', coalesce((SELECT jsonb_agg(@extschema@.authoob_admin_user_json(p.id) ORDER BY p.create_date DESC, p.id DESC)
                           FROM (SELECT u.id, u.create_date FROM authoob.users u
                                 ORDER BY u.create_date DESC, u.id DESC
                                 OFFSET (page - 1)::bigint * per_page LIMIT per_page) p), '[]'),
        'aud', (SELECT s.jwt_audience FROM authoob.settings s),
        'total', (SELECT count(*) FROM authoob.users));
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_list_users(integer, integer) FROM PUBLIC;
