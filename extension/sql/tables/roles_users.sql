-- Who has which role (authoob_grant_role, authoob_user_roles).
CREATE TABLE authoob.roles_users (
    user_id bigint NOT NULL REFERENCES authoob.users ON DELETE CASCADE,
    role_id bigint NOT NULL REFERENCES authoob.roles ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX roles_users_role_id_idx ON authoob.roles_users (role_id);
REVOKE ALL ON authoob.roles_users FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.roles_users', '');
