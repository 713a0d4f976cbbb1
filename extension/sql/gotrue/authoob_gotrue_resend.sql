-- POST /resend: type signup mails the activation link again (200 {}
-- whatever the address), for the request's flow as POST /recover does;
-- type email_change the mail of the change the address's account waits
-- for (200 {} alike); the phone's types as GoTrue with phone sign-in off.  The mail is the dialect's,
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
    IF body ->> 'type' IN ('sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone_resend');
    ELSIF body ->> 'type' = 'email_change' THEN
        PERFORM @extschema@.authoob_email_change_again_for_flow(jsonb_build_object('email', body -> 'email'),
            client_ip, NULL, @extschema@.authoob_redirect_url(redirect_to));
        RETURN '{}';
    ELSIF body ->> 'type' IS DISTINCT FROM 'signup' THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed", "reason": "type is signup or email_change."}';
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
