-- The data of a sign-up or PUT /user (README "Supabase users"): what is
-- not a field of P/profile (username, firstname, lastname, the custom
-- fields registered updatable) is merged into the user's free-form
-- user_metadata as Supabase Auth merges it (each top-level key set, a
-- null removes it), within 16 kB; the fields' part is returned, for
-- authoob_update_profile.  Owner only.
CREATE OR REPLACE FUNCTION authoob_gotrue_user_metadata(user_id bigint, data jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fields text[] := ARRAY['username', 'firstname', 'lastname']
        || ARRAY(SELECT f.name FROM authoob.user_fields f WHERE f.updatable);
    free jsonb := data - fields;
    removed text[] := ARRAY(SELECT e.key FROM jsonb_each(free) e WHERE jsonb_typeof(e.value) = 'null');
    merged jsonb;
BEGIN
    IF free <> '{}' THEN
        UPDATE authoob.users u SET user_metadata = (u.user_metadata - removed) || (free - removed),
                                   update_date = now()
        WHERE u.id = authoob_gotrue_user_metadata.user_id
        RETURNING u.user_metadata INTO merged;
        IF octet_length(merged::text) > 16384 THEN
            RAISE EXCEPTION 'user_metadata may hold at most 16384 bytes of JSON' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed", "reason": "user_metadata is larger than 16 kB."}';
        END IF;
    END IF;
    RETURN data - ARRAY(SELECT e.key FROM jsonb_each(free) e);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_user_metadata(bigint, jsonb) FROM PUBLIC;
