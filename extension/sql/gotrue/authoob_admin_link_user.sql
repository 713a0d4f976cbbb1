-- The user a link of Supabase Auth's type is for, as its invite.go and
-- adminGenerateLink (mail.go) find or make it: invite and signup make the
-- account of an unknown address, unconfirmed until its link is followed
-- (user_metadata from data; signup with the password given, which the
-- policy checks, invite with one nobody knows), and refuse a confirmed one
-- (422 email_exists); signup merges data into an unconfirmed account's
-- user_metadata; recovery needs a known address (404 user_not_found).
-- Audited as Supabase Auth names it: user_invited (and invited_at set),
-- user_recovery_requested, user_confirmation_requested, or the admin's
-- user_signedup of a new account.  Any other type: the user, if any (the
-- link says what it makes).  Owner only.
CREATE OR REPLACE FUNCTION authoob_admin_link_user(type text, email text, data jsonb,
                                                   password text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    address text := nullif(authoob_admin_link_user.email, '');
    uid bigint;
    who uuid;
    confirmed boolean;
BEGIN
    -- the address checked as a sign-up's is (400 for none or a bad one)
    PERFORM @extschema@.authoob_admin_password_hash(address, NULL);
    SELECT u.id, u.uuid, u.confirmed_at IS NOT NULL INTO uid, who, confirmed
    FROM authoob.users u WHERE lower(u.email) = lower(address) FOR UPDATE;
    IF type NOT IN ('invite', 'signup', 'recovery') THEN
        RETURN uid;
    ELSIF type = 'recovery' THEN
        IF uid IS NULL THEN
            RAISE EXCEPTION 'User with this email not found' USING ERRCODE = 'PT404',
                DETAIL = '{"error_code": "user_not_found"}';
        END IF;
        PERFORM @extschema@.authoob_audit('user_recovery_requested', who,
                                          jsonb_build_object('user_email', address));
        RETURN uid;
    ELSIF confirmed THEN
        RAISE EXCEPTION 'A user with this email address has already been registered'
            USING ERRCODE = 'PT422', DETAIL = '{"error_code": "email_exists"}';
    ELSIF uid IS NULL THEN
        IF type = 'signup' AND coalesce(password, '') = '' THEN
            RAISE EXCEPTION 'Signup requires a valid password' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        END IF;
        PERFORM @extschema@.authoob_admin_create_user(jsonb_build_object(
            'email', address, 'password', password,
            'user_metadata', coalesce(nullif(data, 'null'), '{}')));
        SELECT u.id, u.uuid INTO uid, who FROM authoob.users u WHERE lower(u.email) = lower(address);
    ELSIF type = 'signup' THEN
        PERFORM @extschema@.authoob_admin_apply(uid, jsonb_build_object('user_metadata', data));
        PERFORM @extschema@.authoob_audit('user_confirmation_requested', who,
                                          jsonb_build_object('user_email', address));
    END IF;
    IF type = 'invite' THEN
        UPDATE authoob.users u SET invited_at = now() WHERE u.id = uid;
        PERFORM @extschema@.authoob_audit('user_invited', who,
                                          jsonb_build_object('user_id', who, 'user_email', address));
    END IF;
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_link_user(text, text, jsonb, text) FROM PUBLIC;
