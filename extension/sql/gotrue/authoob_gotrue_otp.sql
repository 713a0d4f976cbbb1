-- POST /otp (and /magiclink): a magic link and a 6-digit code to the
-- address, asked as POST /recover asks (200 {} whether the address is
-- known or not, the same work; the mailers make the mail of an account's
-- address), for the request's PKCE flow.  With otp_signup on, create_user
-- (true unless false, as GoTrue reads it) signs up by code: an unknown
-- address gets an account, its user_metadata the request's data, and the
-- mail (docs/supabase.md, "Magic links and email codes").  A phone
-- number: as GoTrue with phone sign-in off.
CREATE OR REPLACE FUNCTION authoob_gotrue_otp(payload text, client_ip inet DEFAULT NULL,
                                              redirect_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    flow bigint;
BEGIN
    IF nullif(body ->> 'email', '') IS NOT NULL AND nullif(body ->> 'phone', '') IS NOT NULL THEN
        RAISE EXCEPTION 'Only an email address or phone number should be provided' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    ELSIF nullif(body ->> 'phone', '') IS NOT NULL THEN
        RETURN @extschema@.authoob_gotrue_not_built('phone_resend');
    ELSIF nullif(body ->> 'email', '') IS NULL THEN
        RAISE EXCEPTION 'One of email or phone must be set' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    flow := @extschema@.authoob_gotrue_start_flow(body, 'magiclink');
    IF NOT @extschema@.authoob_magic_link_ask_for_flow(jsonb_build_object('email', body -> 'email',
                                                           'create_user', body -> 'create_user' IS DISTINCT FROM 'false',
                                                           'data', body -> 'data'),
                                                       client_ip, flow,
                                                       @extschema@.authoob_redirect_url(redirect_to)) THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    END IF;
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_otp(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_otp(text, inet, text) TO authoob_api;
