-- otp's ask for a magic link and its code, for the flow flow_id the
-- request started, its link to redirect_to: whether a mail was asked for
-- (false: the mail interval held it back).  Owner only.
CREATE OR REPLACE FUNCTION authoob_magic_link_ask_for_flow(payload jsonb, client_ip inet,
    flow_id bigint, redirect_to text)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_magic_link_ask_for_flow'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_magic_link_ask_for_flow(jsonb, inet, bigint, text) FROM PUBLIC;
