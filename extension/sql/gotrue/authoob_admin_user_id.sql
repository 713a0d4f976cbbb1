-- The account an admin route names in its path (text, as the front passes
-- it): its uuid, or its numeric id (the user object's id while jwt_sub is
-- 'id'), else 404 as Supabase Auth's loadUser answers.
CREATE OR REPLACE FUNCTION authoob_admin_user_id(user_uuid text)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint;
BEGIN
    IF user_uuid ~ '^[1-9][0-9]{0,17}$' THEN
        SELECT u.id INTO uid FROM authoob.users u WHERE u.id = user_uuid::bigint;
    ELSIF user_uuid IS NULL OR user_uuid !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'user_id must be an UUID' USING ERRCODE = 'PT404',
            DETAIL = '{"error_code": "validation_failed"}';
    ELSE
        SELECT u.id INTO uid FROM authoob.users u WHERE u.uuid = user_uuid::uuid;
    END IF;
    IF uid IS NULL THEN
        RAISE EXCEPTION 'User not found' USING ERRCODE = 'PT404',
            DETAIL = '{"error_code": "user_not_found"}';
    END IF;
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_user_id(text) FROM PUBLIC;
