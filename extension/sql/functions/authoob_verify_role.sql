-- For protected routes: the token's user id if the user has the role,
-- 401 for a bad token, 403 "Forbidden" without the role.
CREATE OR REPLACE FUNCTION authoob_verify_role(token text, role text)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_verify(token);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM authoob.roles_users ru JOIN authoob.roles r ON r.id = ru.role_id
                   WHERE ru.user_id = uid AND r.name = role) THEN
        RAISE EXCEPTION 'Forbidden' USING ERRCODE = 'PT403',
            DETAIL = format('The role %s is required.', role);
    END IF;
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_verify_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_verify_role(text, text) TO PUBLIC;
