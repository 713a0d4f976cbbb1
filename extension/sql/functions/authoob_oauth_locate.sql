-- Sharded, where a sign-in with a provider ends (docs/identity-providers.md,
-- "Sharding"): this partition's number when the identity the hand-off
-- names is here, else NULL.  The proxy asks every partition.  A hand-off
-- this deployment did not seal is a PT400.
CREATE OR REPLACE FUNCTION authoob_oauth_locate(handoff text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    payload jsonb := @extschema@.authoob_oauth_handoff_open(coalesce(handoff, ''));
BEGIN
    IF payload IS NULL OR NOT EXISTS (SELECT FROM authoob.partition pt WHERE pt.partitions > 1) THEN
        RAISE EXCEPTION 'not a sign-in this deployment handed over' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_oauth_state"}';
    END IF;
    RETURN (SELECT pt.partition FROM authoob.partition pt
            WHERE EXISTS (SELECT FROM authoob.identities i
                          WHERE i.provider = payload ->> 'provider'
                            AND i.subject = @extschema@.authoob_oauth_subject(payload -> 'claims')));
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_locate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_oauth_locate(text) TO authoob_api;
