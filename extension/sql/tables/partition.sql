-- A sharded deployment (docs/scale-out.md, "Sharding") is a PL/Proxy
-- database in front of N partitions, each an ordinary authoob database
-- that knows its number here (authoob_set_partition).  A database without
-- a row here is not sharded and nothing changes for it.
CREATE TABLE authoob.partition (
    partition integer NOT NULL,
    partitions integer NOT NULL,
    CHECK (partitions BETWEEN 1 AND 1024 AND partitions & (partitions - 1) = 0
           AND partition >= 0 AND partition < partitions)
);
CREATE UNIQUE INDEX partition_one_row ON authoob.partition ((true));
REVOKE ALL ON authoob.partition FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.partition', '');
