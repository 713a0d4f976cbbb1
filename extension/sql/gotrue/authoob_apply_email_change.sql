-- The address change whose token was spent in this transaction made the
-- user's: the new address is theirs, confirmed (the mail proved it), and
-- every session of theirs ends.  An address another account took
-- meanwhile (a registration racing the change) is 409, Supabase Auth's
-- 422 email_exists: the unique index decides which one wins.  Owner only.
CREATE OR REPLACE FUNCTION authoob_apply_email_change(uid bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    address text;
BEGIN
    SELECT t.new_email INTO address FROM authoob.mail_tokens t
    WHERE t.user_id = uid AND t.kind = 'email_change' AND t.used_at = now()
    ORDER BY t.created_at DESC LIMIT 1;
    IF address IS NULL THEN
        RETURN uid;
    END IF;
    BEGIN
        UPDATE authoob.users u SET email = address, confirmed_at = coalesce(u.confirmed_at, now()),
            update_date = now()
        WHERE u.id = uid;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'Email address already in use' USING ERRCODE = 'PT409',
            DETAIL = '{"error_code": "email_exists", "gotrue": {"status": 422, "msg": "A user with this email address has already been registered"}}';
    END;
    DELETE FROM authoob.sessions s WHERE s.user_id = uid;
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_apply_email_change(bigint) FROM PUBLIC;
