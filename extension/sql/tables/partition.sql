-- A sharded deployment (docs/scale-out.md, "Sharding") is a PL/Proxy
-- database in front of N partitions, each an ordinary authoob database
-- that knows its number here (authoob_set_partition).  A database without
-- a row here is not sharded and nothing changes for it.  handoff_key: the
-- secret every partition shares (authoob_set_partition_key) to seal a
-- sign-in with an identity provider handed from one to another
-- (docs/identity-providers.md, "Sharding").
CREATE TABLE authoob.partition (
    partition integer NOT NULL,
    partitions integer NOT NULL,
    handoff_key bytea CHECK (octet_length(handoff_key) >= 32),
    CHECK (partitions BETWEEN 1 AND 1024 AND partitions & (partitions - 1) = 0
           AND partition >= 0 AND partition < partitions)
);
CREATE UNIQUE INDEX partition_one_row ON authoob.partition ((true));
REVOKE ALL ON authoob.partition FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.partition', '');
