-- POST /recover: asks for a reset mail as P/password/ask does (the same
-- answer whether the address is known or not), for the request's flow; a
-- request the mail interval holds back keeps no flow.  The mail is the
-- dialect's: its link leads to the query's redirect_to if allowed (else
-- app_url), and it carries a code.
CREATE OR REPLACE FUNCTION authoob_gotrue_recover(payload text, client_ip inet DEFAULT NULL,
                                                  redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    flow bigint := @extschema@.authoob_gotrue_start_flow(body, 'recovery');
BEGIN
    IF NOT @extschema@.authoob_password_ask_for_flow(body, client_ip, flow,
                                                         @extschema@.authoob_redirect_url(redirect_to)) THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    END IF;
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_recover(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_recover(text, inet, text) TO authoob_api;
