-- Gives a user a role, for the owner (and the hooks it owns, as the
-- seed's give_role): 400 for a role that does not exist.
CREATE OR REPLACE FUNCTION authoob_grant_role(user_id bigint, role text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    role_id bigint;
BEGIN
    SELECT r.id INTO role_id FROM authoob.roles r WHERE r.name = role;
    IF role_id IS NULL THEN
        RAISE EXCEPTION 'no role %', coalesce(quote_literal(role), 'NULL') USING ERRCODE = 'PT400';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authoob.users u WHERE u.id = user_id) THEN
        RAISE EXCEPTION 'no user %', user_id USING ERRCODE = 'PT404';
    END IF;
    INSERT INTO authoob.roles_users (user_id, role_id) VALUES (user_id, role_id)
    ON CONFLICT DO NOTHING;
END
$$;

REVOKE ALL ON FUNCTION authoob_grant_role(bigint, text) FROM PUBLIC;
