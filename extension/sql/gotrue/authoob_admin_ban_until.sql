-- When a ban_duration of Supabase Auth's admin API ends: a Go duration
-- ("24h", "1h30m", "90s"), now plus it; "none" (or a zero duration)
-- lifts the ban (NULL).  Anything else is 400 as Supabase Auth words it.
CREATE OR REPLACE FUNCTION authoob_admin_ban_until(duration text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total interval := interval '0';
    part text[];
BEGIN
    IF duration = 'none' THEN
        RETURN NULL;
    ELSIF duration !~ '^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' OR length(duration) > 64 THEN
        RAISE EXCEPTION 'invalid format for ban duration: time: invalid duration "%"', duration
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    FOR part IN SELECT regexp_matches(duration, '([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)', 'g') LOOP
        total := total + part[1]::numeric * CASE part[2]
            WHEN 'h' THEN interval '1 hour' WHEN 'm' THEN interval '1 minute'
            WHEN 's' THEN interval '1 second' WHEN 'ms' THEN interval '1 millisecond'
            ELSE interval '1 microsecond' / CASE part[2] WHEN 'ns' THEN 1000 ELSE 1 END END;
    END LOOP;
    RETURN CASE WHEN total > interval '0' THEN now() + total END;
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_ban_until(text) FROM PUBLIC;
