-- A link of Supabase Auth's verification type for a user and its code,
-- mailed or handed out (extension/gotrue.c): the invitation's mail, and
-- the admin's generate_link.  Owner only: whoever holds the link may
-- sign in as the user.
CREATE OR REPLACE FUNCTION authoob_gotrue_mail_link(user_id bigint, type text, redirect_to text,
                                                    send boolean)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_gotrue_mail_link'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_mail_link(bigint, text, text, boolean) FROM PUBLIC;
