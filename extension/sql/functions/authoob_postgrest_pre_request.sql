-- PostgREST: with db-pre-request = 'authoob_postgrest_pre_request',
-- PostgREST's own check of the token (signature, audience, role switch) is
-- followed by authoob's (its session still alive, its user active), and
-- authoob_uid() names the user inside the request, for row-level security.
-- No Authorization header: an anonymous request, authoob_uid() NULL.
CREATE OR REPLACE FUNCTION authoob_postgrest_pre_request()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- '' once a transaction before has set it: no headers either
    header text := nullif(pg_catalog.current_setting('request.headers', true), '')::json ->> 'authorization';
BEGIN
    IF header IS NOT NULL THEN
        IF header !~* '^bearer +' THEN
            RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401';
        END IF;
        PERFORM @extschema@.authoob_authenticate(regexp_replace(header, '^[Bb][Ee][Aa][Rr][Ee][Rr] +', ''));
    END IF;
END
$$;

REVOKE ALL ON FUNCTION authoob_postgrest_pre_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_postgrest_pre_request() TO PUBLIC;
