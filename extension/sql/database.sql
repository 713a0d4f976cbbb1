-- Request parameters carry passwords and tokens: never write them to the
-- server log, even when an administrator turns statement logging on.  The
-- setting belongs to the database, and DROP EXTENSION leaves it.
DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET log_parameter_max_length = 0',
                              pg_catalog.current_database());
END
$$;
