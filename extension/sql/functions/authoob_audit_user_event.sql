-- The users' own acts in authoob.audit_log, by triggers, whichever route
-- or function did them: a sign-up (a new row, not a restored one; the
-- address and the client's that registration noted), a sign-in (login_count
-- grows; the address is the sign-in's), a password change (the hash and
-- update_date change: a rehash on sign-in keeps update_date), and a live
-- session ended (logout, a password change; not one expired, nor those of
-- a deleted user).  An admin's act on the user writes its own record
-- first (authoob_audit), and then these stay quiet for that user in that
-- transaction: one record an act.  Only the user's uuid is written, and
-- the action's name as Supabase Auth's audit log names it.
CREATE OR REPLACE FUNCTION authoob_audit_user_event()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who uuid;
    action text;
    ip inet;
    payload jsonb := '{}';
BEGIN
    IF TG_TABLE_NAME = 'sessions' THEN
        IF OLD.expires_at <= now() THEN
            RETURN NULL;
        END IF;
        SELECT u.uuid INTO who FROM authoob.users u WHERE u.id = OLD.user_id;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        action := 'logout';
        ip := OLD.ip;
    ELSIF TG_OP = 'INSERT' THEN
        -- a row made now: a restore's rows (pg_restore) were made before
        IF NEW.create_date <> now() THEN
            RETURN NULL;
        END IF;
        who := NEW.uuid;
        action := 'user_signedup';
        ip := nullif(current_setting('authoob.sign_up_ip', true), '')::inet;
        payload := jsonb_build_object('user_email', NEW.email);
    ELSIF NEW.login_count > OLD.login_count THEN
        who := NEW.uuid;
        action := 'login';
        ip := NEW.current_login_ip;
    ELSIF NEW.password IS DISTINCT FROM OLD.password AND NEW.update_date > OLD.update_date THEN
        who := NEW.uuid;
        action := 'user_updated_password';
    ELSE
        RETURN NULL;
    END IF;
    IF action <> 'login' AND EXISTS (
        SELECT FROM authoob.audit_log a
        WHERE a.target = who AND a.created_at = now() AND a.actor <> who::text) THEN
        RETURN NULL;
    END IF;
    INSERT INTO authoob.audit_log (actor, action, target, ip_address, payload)
    VALUES (who::text, action, who, ip, payload);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION authoob_audit_user_event() FROM PUBLIC;
