-- POST /resend: type signup mails the activation link again (200 {}
-- whatever the address), for the request's flow as POST /recover does;
-- the other types need what is not built yet.  The mail is the dialect's,
-- as POST /recover's.
CREATE OR REPLACE FUNCTION authoob_gotrue_resend(payload text, client_ip inet DEFAULT NULL,
                                                  redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    flow bigint;
BEGIN
    IF body ->> 'type' IN ('email_change', 'sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built(CASE body ->> 'type' WHEN 'email_change'
                                                     THEN 'email_change' ELSE 'phone_resend' END);
    ELSIF body ->> 'type' IS DISTINCT FROM 'signup' THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "type is signup."}';
    END IF;
    flow := @extschema@.authoob_gotrue_start_flow(body, 'signup');
    IF NOT @extschema@.authoob_activation_ask_for_flow(jsonb_build_object('email', body -> 'email'),
                                                       client_ip, flow,
                                                       @extschema@.authoob_redirect_url(redirect_to)) THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    END IF;
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_resend(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_resend(text, inet, text) TO authoob_api;
