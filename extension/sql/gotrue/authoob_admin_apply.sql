-- What an admin sets on an account (Supabase Auth's AdminUserParams), for
-- authoob_admin_create_user and authoob_admin_update_user, which audit it:
-- email (checked, and not another account's: 422 email_exists), password
-- (the policy, then hashed; it ends the user's sessions as any password
-- change does), email_confirm (confirms now), user_metadata and
-- app_metadata (merged as Supabase Auth merges them: each top-level key
-- set, a null removes it; the seed's username, firstname and lastname of
-- user_metadata go to their columns), ban_duration (a Go duration, or
-- "none"; a ban ends the user's sessions at once).  Phone numbers are not
-- built.  A NULL user_id only checks the email.  Owner only.
CREATE OR REPLACE FUNCTION authoob_admin_apply(user_id bigint, attrs jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := authoob_admin_apply.user_id;
    address text := nullif(attrs ->> 'email', '');
    fields jsonb;
    removed text[];
    banned timestamptz;
BEGIN
    IF jsonb_typeof(attrs) <> 'object' THEN
        RAISE EXCEPTION 'Could not parse request body as JSON' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_json"}';
    ELSIF nullif(attrs ->> 'phone', '') IS NOT NULL THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    END IF;
    FOR fields IN SELECT attrs -> k FROM unnest(ARRAY['user_metadata', 'app_metadata']) k
                  WHERE coalesce(jsonb_typeof(attrs -> k), 'null') NOT IN ('object', 'null') LOOP
        RAISE EXCEPTION 'Could not parse request body as JSON: metadata must be an object'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "bad_json"}';
    END LOOP;
    IF address IS NOT NULL THEN
        PERFORM @extschema@.authoob_admin_password_hash(address, NULL);
        IF EXISTS (SELECT FROM authoob.users u
                   WHERE lower(u.email) = lower(address) AND u.id IS DISTINCT FROM uid) THEN
            RAISE EXCEPTION 'A user with this email address has already been registered'
                USING ERRCODE = 'PT422', DETAIL = '{"error_code": "email_exists"}';
        END IF;
        UPDATE authoob.users u SET email = address, update_date = now()
        WHERE u.id = uid AND u.email IS DISTINCT FROM address;
    END IF;
    IF jsonb_typeof(attrs -> 'password') = 'string' THEN
        -- as every password change: reset mails spent, sessions ended
        UPDATE authoob.mail_tokens t SET used_at = now()
        WHERE t.user_id = uid AND t.kind = 'reset' AND t.used_at IS NULL;
        DELETE FROM authoob.sessions s WHERE s.user_id = uid;
        UPDATE authoob.users u SET update_date = now(),
            password = @extschema@.authoob_admin_password_hash(NULL, attrs ->> 'password')
        WHERE u.id = uid;
    END IF;
    IF attrs -> 'email_confirm' = 'true' THEN
        UPDATE authoob.users u SET confirmed_at = coalesce(u.confirmed_at, now()) WHERE u.id = uid;
    END IF;
    IF jsonb_typeof(attrs -> 'user_metadata') = 'object' THEN
        fields := @extschema@.authoob_gotrue_user_metadata(uid, attrs -> 'user_metadata');
        UPDATE authoob.users u SET
            username = CASE WHEN fields ? 'username' THEN left(fields ->> 'username', 255) ELSE u.username END,
            firstname = CASE WHEN fields ? 'firstname' THEN left(fields ->> 'firstname', 255) ELSE u.firstname END,
            lastname = CASE WHEN fields ? 'lastname' THEN left(fields ->> 'lastname', 255) ELSE u.lastname END
        WHERE u.id = uid AND fields ?| ARRAY['username', 'firstname', 'lastname'];
    END IF;
    IF jsonb_typeof(attrs -> 'app_metadata') = 'object' THEN
        removed := ARRAY(SELECT e.key FROM jsonb_each(attrs -> 'app_metadata') e
                         WHERE jsonb_typeof(e.value) = 'null');
        UPDATE authoob.users u SET app_metadata = (u.app_metadata - removed)
                                                  || ((attrs -> 'app_metadata') - removed)
        WHERE u.id = uid;
    END IF;
    IF nullif(attrs ->> 'ban_duration', '') IS NOT NULL THEN
        banned := @extschema@.authoob_admin_ban_until(attrs ->> 'ban_duration');
        UPDATE authoob.users u SET banned_until = banned WHERE u.id = uid;
        IF banned IS NOT NULL THEN
            DELETE FROM authoob.sessions s WHERE s.user_id = uid;
        END IF;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_apply(bigint, jsonb) FROM PUBLIC;
