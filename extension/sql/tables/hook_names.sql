-- The hook names are written once, in the C sources (authoob.h): this table
-- is filled from them, and the registry (authoob.hooks) references it.
CREATE TABLE authoob.hook_names (
    name text PRIMARY KEY,
    position integer NOT NULL UNIQUE
);
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM @extschema@.authoob_hook_names() WITH ORDINALITY AS h (n, p);
REVOKE ALL ON authoob.hook_names FROM PUBLIC;
