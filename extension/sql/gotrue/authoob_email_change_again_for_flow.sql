-- resend, type email_change: another mail of the change waiting for
-- confirmation, asked as the other resends are.  Owner only.
CREATE OR REPLACE FUNCTION authoob_email_change_again_for_flow(payload jsonb, client_ip inet,
    flow_id bigint, redirect_to text)
RETURNS boolean AS 'MODULE_PATHNAME', 'authoob_email_change_again_for_flow'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_email_change_again_for_flow(jsonb, inet, bigint, text) FROM PUBLIC;
