-- Sharded, the end of a sign-in with a provider on the partition of its
-- user (docs/identity-providers.md, "Sharding"): the hand-off the
-- partition of the flow sealed (authoob_oauth_callback), taken once and
-- within its minute, on the one partition it belongs to: the one holding
-- the identity, else that of the user adding it, else that of the address
-- (where the proxy sends a new user's sign-up).  Then as unsharded
-- (authoob_oauth_sign_in).  Whatever fails sends the browser to the app
-- with error parameters, nothing made; a hand-off that is not this
-- deployment's, expired or taken already, to app_url.
CREATE OR REPLACE FUNCTION authoob_oauth_finish(handoff text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    payload jsonb := @extschema@.authoob_oauth_handoff_open(coalesce(handoff, ''));
    s authoob.settings;
    part authoob.partition;
    p authoob.identity_providers;
    said jsonb := payload -> 'claims';
    address text;
    here boolean;
    failure text;
    failure_detail text;
    failure_state text;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    SELECT * INTO part FROM authoob.partition;
    -- unsharded, no sign-in is ever handed over
    IF coalesce(part.partitions, 1) = 1 OR payload IS NULL
       OR jsonb_typeof(payload -> 'expires_at') IS DISTINCT FROM 'number'
       OR (payload ->> 'expires_at')::numeric < extract(epoch FROM now()) THEN
        RETURN @extschema@.authoob_oauth_error_url(s.app_url, 'invalid_request', 'bad_oauth_state',
            'The sign-in could not be handed over: unknown or expired');
    END IF;
    DELETE FROM authoob.oauth_handoffs h WHERE h.expires_at < now();
    INSERT INTO authoob.oauth_handoffs (id, expires_at)
    VALUES (payload ->> 'id', to_timestamp((payload ->> 'expires_at')::numeric))
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN @extschema@.authoob_oauth_error_url(s.app_url, 'invalid_request', 'bad_oauth_state',
            'The sign-in was handed over already');
    END IF;
    BEGIN
        -- the provider of the same name and client as the one that answered
        SELECT * INTO p FROM authoob.identity_providers ip
        WHERE ip.name = payload ->> 'provider' AND ip.client_id = payload ->> 'client_id' AND ip.enabled;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'Unsupported provider: provider is not enabled' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        END IF;
        address := lower(nullif(said ->> p.email_claim, ''));
        here := EXISTS (SELECT FROM authoob.identities i
                        WHERE i.provider = p.name AND i.subject = @extschema@.authoob_oauth_subject(said));
        IF payload ->> 'link_user_id' IS NOT NULL
           AND (payload ->> 'from_partition')::integer IS DISTINCT FROM part.partition THEN
            -- a user adding the identity is on the partition of the flow: the
            -- proxy sends it elsewhere only where the identity is someone's
            RAISE EXCEPTION 'Identity is already linked to another user' USING ERRCODE = 'PT422',
                DETAIL = '{"error_code": "identity_already_exists"}';
        ELSIF NOT here AND payload ->> 'link_user_id' IS NULL AND address IS NOT NULL
              AND (hashtext(address) & (part.partitions - 1)) IS DISTINCT FROM part.partition THEN
            RAISE EXCEPTION 'this sign-in does not end on this partition' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "bad_oauth_state"}';
        END IF;
        RETURN @extschema@.authoob_oauth_sign_in(p, said, payload ->> 'redirect_to',
            payload ->> 'code_challenge', payload ->> 'code_challenge_method',
            (payload ->> 'link_user_id')::bigint, client_ip);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT, failure_detail = PG_EXCEPTION_DETAIL,
                                failure_state = RETURNED_SQLSTATE;
    END;
    -- nothing made; the hand-off is taken all the same
    RETURN @extschema@.authoob_oauth_failure_url(payload ->> 'redirect_to', payload ->> 'provider',
                                                 failure_state, failure, failure_detail);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_finish(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_finish(text, inet) TO authoob_api;
