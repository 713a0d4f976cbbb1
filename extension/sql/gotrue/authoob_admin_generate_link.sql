-- auth.admin.generateLink, for the owner in SQL and for POST
-- G/admin/generate_link (Supabase Auth's adminGenerateLink): attrs are
-- its {type, email, password, data, redirect_to}; the user of the type
-- found or made (authoob_admin_link_user), and a link and its code made
-- as a mail's are, but no mail sent: the answer is the user object with
-- action_link, email_otp, hashed_token, verification_type and
-- redirect_to (attrs' redirect_to if allowed, else the query's if
-- allowed, else app_url).  Types signup, invite, recovery and
-- magiclink; the email change's answer as Supabase Auth does with the
-- feature off (its links carry the new address: the change makes them).
CREATE OR REPLACE FUNCTION authoob_admin_generate_link(attrs jsonb, redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    type text;
    target text;
    uid bigint;
BEGIN
    IF jsonb_typeof(attrs) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'Could not parse request body as JSON' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_json"}';
    END IF;
    type := attrs ->> 'type';
    target := CASE WHEN @extschema@.authoob_redirect_url(attrs ->> 'redirect_to') = attrs ->> 'redirect_to'
                   THEN attrs ->> 'redirect_to'
                   ELSE @extschema@.authoob_redirect_url(redirect_to) END;
    IF type = 'magiclink' AND NOT EXISTS (
        SELECT 1 FROM authoob.users u WHERE lower(u.email) = lower(attrs ->> 'email')) THEN
        -- Supabase Auth's mail.go: an unknown address's magic link is a
        -- sign-up's, with a password nobody knows
        type := 'signup';
        attrs := attrs || jsonb_build_object('password',
            replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') || 'Aa1');
    ELSIF type IN ('email_change_current', 'email_change_new') THEN
        PERFORM @extschema@.authoob_gotrue_not_built('email_change');
    END IF;
    uid := @extschema@.authoob_admin_link_user(type, attrs ->> 'email', attrs -> 'data',
                                               attrs ->> 'password');
    RETURN @extschema@.authoob_admin_user_json(uid)
        || @extschema@.authoob_gotrue_mail_link(uid, type, target, false);
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_generate_link(jsonb, text) FROM PUBLIC;
