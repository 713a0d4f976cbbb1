-- Lengths are counted in characters (a password's minimum, a name's
-- maximum): in a database whose encoding is not UTF-8, SQL_ASCII above all,
-- PostgreSQL counts bytes, and a 7-character password of accented letters
-- would pass an 8-character policy.  authoob refuses such a database.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'authoob needs a UTF8 database, not %', pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0';
    END IF;
END
$$;

-- authoob's tables, owner-only: the functions of the extension's schema
-- are the way in (docs/security.md, privileges)
CREATE SCHEMA authoob;
COMMENT ON SCHEMA authoob IS 'authoob: users, roles, sessions and settings';
REVOKE ALL ON SCHEMA authoob FROM PUBLIC;

-- The role an HTTP front (or any API server) logs in as, or is granted:
-- what it may execute, each function's file grants.  Roles belong to the
-- cluster, so a second database reuses it, and DROP EXTENSION leaves it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authoob_api') THEN
        CREATE ROLE authoob_api NOLOGIN;
    END IF;
END
$$;
