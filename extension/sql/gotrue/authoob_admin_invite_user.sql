-- auth.admin.inviteUserByEmail, for the owner in SQL and for POST
-- G/invite: the account of email made (user_metadata from data) or an
-- unconfirmed one's found (a confirmed one: 422 email_exists), then the
-- invitation mailed, Supabase Auth's link (type invite, to redirect_to if
-- allowed, else app_url) and a code; following it confirms the address
-- and signs the user in, who then sets a password (PUT G/user).  Answers
-- the user object.
CREATE OR REPLACE FUNCTION authoob_admin_invite_user(email text, data jsonb DEFAULT '{}',
                                                     redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_admin_link_user('invite', email, data);
BEGIN
    PERFORM @extschema@.authoob_gotrue_mail_link(uid, 'invite',
        @extschema@.authoob_redirect_url(redirect_to), true);
    RETURN @extschema@.authoob_admin_user_json(uid);
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_invite_user(text, jsonb, text) FROM PUBLIC;
