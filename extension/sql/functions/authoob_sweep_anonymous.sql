-- Removes the anonymous users (no address: docs/supabase.md, "Anonymous
-- sign-in") made more than older_than ago, with their sessions, factors
-- and roles, for the owner; how many went.  An anonymous user's data is
-- its own: whoever keeps rows of it decides how long (Supabase's advice
-- is 30 days).  Housekeeping calls the same each run when
-- anonymous_retention (days) is set.
CREATE OR REPLACE FUNCTION authoob_sweep_anonymous(older_than interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be an interval of zero or more' USING ERRCODE = 'PT400';
    END IF;
    DELETE FROM authoob.users u WHERE u.email IS NULL AND u.create_date < now() - older_than;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION authoob_sweep_anonymous(interval) FROM PUBLIC;
