-- The user object of Supabase Auth: user_metadata holds what the user may
-- change (username, firstname, lastname and the custom fields registered
-- exposed and updatable), app_metadata what only the server changes (the
-- roles, the exposed custom fields that are not updatable).  VOLATILE, as
-- authoob_gotrue_session: they see what the call before them just wrote.
CREATE OR REPLACE FUNCTION authoob_gotrue_user_json(user_id bigint)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', u.id::text, 'aud', s.jwt_audience, 'role', s.jwt_role,
        'email', u.email, 'phone', '',
        'email_confirmed_at', u.confirmed_at, 'confirmed_at', u.confirmed_at,
        'last_sign_in_at', u.current_login_at,
        'app_metadata', jsonb_build_object('provider', 'email',
                                           'providers', jsonb_build_array('email'),
                                           'roles', coalesce((SELECT jsonb_agg(r.name ORDER BY r.name)
                                                              FROM authoob.roles_users ru
                                                              JOIN authoob.roles r ON r.id = ru.role_id
                                                              WHERE ru.user_id = u.id), '[]'))
                        || coalesce((SELECT jsonb_object_agg(f.name, to_jsonb(u) -> f.name)
                                     FROM authoob.user_fields f WHERE f.exposed AND NOT f.updatable), '{}'),
        'user_metadata', jsonb_build_object('username', u.username, 'firstname', u.firstname,
                                            'lastname', u.lastname)
                         || coalesce((SELECT jsonb_object_agg(f.name, to_jsonb(u) -> f.name)
                                      FROM authoob.user_fields f WHERE f.exposed AND f.updatable), '{}'),
        'identities', jsonb_build_array(jsonb_build_object(
            'identity_id', u.id::text, 'id', u.id::text, 'user_id', u.id::text,
            'provider', 'email', 'email', u.email,
            'identity_data', jsonb_build_object('sub', u.id::text, 'email', u.email,
                                                'email_verified', u.confirmed_at IS NOT NULL),
            'created_at', u.create_date, 'updated_at', u.update_date,
            'last_sign_in_at', u.current_login_at)),
        'factors', '[]'::jsonb,
        'is_anonymous', false,
        'created_at', u.create_date, 'updated_at', u.update_date)
    FROM authoob.users u, authoob.settings s
    WHERE u.id = authoob_gotrue_user_json.user_id
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_user_json(bigint) FROM PUBLIC;
