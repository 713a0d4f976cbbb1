-- The user object an admin route answers: GET /user's (authoob_gotrue_user_json),
-- with banned_until while a ban lasts and invited_at once invited, as
-- Supabase Auth shows them.
CREATE OR REPLACE FUNCTION authoob_admin_user_json(user_id bigint)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_gotrue_user_json(u.id)
           || CASE WHEN u.banned_until IS NOT NULL
                   THEN jsonb_build_object('banned_until', u.banned_until) ELSE '{}' END
           || CASE WHEN u.invited_at IS NOT NULL
                   THEN jsonb_build_object('invited_at', u.invited_at) ELSE '{}' END
    FROM authoob.users u WHERE u.id = authoob_admin_user_json.user_id
$$;

REVOKE ALL ON FUNCTION authoob_admin_user_json(bigint) FROM PUBLIC;
