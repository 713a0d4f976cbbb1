-- A new role (the seed's authoob.Role), for the owner; its id.
CREATE OR REPLACE FUNCTION authoob_create_role(name text, description text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO authoob.roles (name, description) VALUES (name, description) RETURNING id
$$;

REVOKE ALL ON FUNCTION authoob_create_role(text, text) FROM PUBLIC;
