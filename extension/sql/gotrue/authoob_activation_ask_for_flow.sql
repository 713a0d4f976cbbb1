-- authoob_activation_ask for a request that started the PKCE flow flow_id
-- (Supabase Auth's resend), its mail the dialect's (its link to
-- redirect_to, and a code): whether a mail was asked for (false: the mail
-- interval held it back).  Owner only.
CREATE OR REPLACE FUNCTION authoob_activation_ask_for_flow(payload jsonb, client_ip inet, flow_id bigint,
    redirect_to text)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_activation_ask_for_flow'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activation_ask_for_flow(jsonb, inet, bigint, text) FROM PUBLIC;
