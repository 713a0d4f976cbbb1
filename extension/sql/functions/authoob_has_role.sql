-- For row-level security policies: whether the user authenticated in this
-- transaction (authoob_authenticate) has the role.
CREATE OR REPLACE FUNCTION authoob_has_role(role text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM authoob.roles_users ru JOIN authoob.roles r ON r.id = ru.role_id
                   WHERE ru.user_id = @extschema@.authoob_uid() AND r.name = role)
$$;

REVOKE ALL ON FUNCTION authoob_has_role(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_has_role(text) TO PUBLIC;
