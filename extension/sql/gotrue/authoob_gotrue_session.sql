-- The token endpoint's answer with the user object of Supabase Auth.
CREATE OR REPLACE FUNCTION authoob_gotrue_session(session jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN jsonb_typeof(session -> 'user') = 'object'
                     AND (session -> 'user' ->> 'id') ~ '^[0-9]{1,18}$'
           THEN session || jsonb_build_object('user', @extschema@.authoob_gotrue_user_json(
                    (session -> 'user' ->> 'id')::bigint))
           ELSE session END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_session(jsonb) FROM PUBLIC;
