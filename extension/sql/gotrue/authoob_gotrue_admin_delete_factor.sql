-- DELETE G/admin/users/<uuid>/factors/<id> (auth.admin.mfa.deleteFactor),
-- as authoob_gotrue_admin_delete_user is: the user is looked for before
-- the factor, whose id that is no uuid is 404 validation_failed, as
-- Supabase Auth's loadUser and loadFactor answer.
CREATE OR REPLACE FUNCTION authoob_gotrue_admin_delete_factor(token text, user_id text, factor_id text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint;
BEGIN
    PERFORM @extschema@.authoob_check_service_token(token);
    PERFORM set_config('authoob.admin_actor', 'service_role', true),
            set_config('authoob.admin_ip', coalesce(host(client_ip), ''), true);
    uid := @extschema@.authoob_admin_user_id(user_id);
    IF factor_id IS NULL OR factor_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'factor_id must be an UUID' USING ERRCODE = 'PT404',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    RETURN @extschema@.authoob_admin_delete_factor(
        (SELECT u.uuid FROM authoob.users u WHERE u.id = uid), factor_id::uuid);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_admin_delete_factor(text, text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_admin_delete_factor(text, text, text, inet) TO authoob_api;
