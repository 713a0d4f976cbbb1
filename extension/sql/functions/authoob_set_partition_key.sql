-- Gives this partition the key every partition of the deployment shares
-- to seal a sign-in with an identity provider handed from one to another
-- (docs/identity-providers.md, "Sharding"): 32 bytes or more, base64.
-- scripts/shard-setup.sh draws one and gives it to all.  Owner only.
CREATE OR REPLACE FUNCTION authoob_set_partition_key(key text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bytes bytea;
BEGIN
    BEGIN
        bytes := decode(key, 'base64');
    EXCEPTION WHEN OTHERS THEN
        bytes := NULL;
    END;
    IF octet_length(bytes) IS DISTINCT FROM greatest(octet_length(bytes), 32) THEN
        RAISE EXCEPTION 'a hand-off key is 32 bytes or more, base64' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE authoob.partition SET handoff_key = bytes;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this database is no partition: authoob_set_partition first'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION authoob_set_partition_key(text) FROM PUBLIC;
