-- Makes this database partition `partition` of `partitions` of a sharded
-- deployment (docs/scale-out.md, "Sharding"): the ids the front sees
-- (users, mails) are partition mod partitions from now on, and mailed and
-- refresh tokens are drawn to route here.  Owner only.
CREATE OR REPLACE FUNCTION authoob_set_partition(partition integer, partitions integer)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regclass;
    next_id bigint;
BEGIN
    IF partitions IS NULL OR partition IS NULL OR partitions NOT BETWEEN 1 AND 1024
       OR partitions & (partitions - 1) <> 0 OR partition NOT BETWEEN 0 AND partitions - 1 THEN
        RAISE EXCEPTION 'invalid partition % of %', partition, partitions
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The number of partitions is a power of two (PL/Proxy''s rule); partitions are numbered from 0.';
    END IF;
    DELETE FROM authoob.partition;
    INSERT INTO authoob.partition VALUES (authoob_set_partition.partition,
                                          authoob_set_partition.partitions);
    FOREACH t IN ARRAY ARRAY['authoob.users'::regclass, 'authoob.mail_outbox'::regclass] LOOP
        -- the first id past those taken that is partition mod partitions
        EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %s', t) INTO next_id;
        next_id := next_id + ((authoob_set_partition.partition - next_id) % authoob_set_partition.partitions
                              + authoob_set_partition.partitions) % authoob_set_partition.partitions;
        EXECUTE format('ALTER TABLE %s ALTER COLUMN id SET INCREMENT BY %s RESTART WITH %s',
                       t, authoob_set_partition.partitions, next_id);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION authoob_set_partition(integer, integer) FROM PUBLIC;
