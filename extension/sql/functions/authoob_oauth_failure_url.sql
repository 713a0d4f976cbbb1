-- Where a sign-in with a provider that failed after its flow was known
-- leads the browser (docs/identity-providers.md): the app's redirect_to
-- with Supabase Auth's error parameters.  The failure is the error raised
-- (its SQLSTATE, message and DETAIL); one that is not authoob's own (no
-- PTxxx: a bug, a hook's own error) is logged and told as "the sign-in
-- failed", its words being no business of the browser's.
CREATE OR REPLACE FUNCTION authoob_oauth_failure_url(redirect_to text, provider text, failure_state text,
                                                     failure text, failure_detail text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    code text;
BEGIN
    BEGIN
        code := CASE WHEN failure_detail LIKE '{%' THEN failure_detail::jsonb ->> 'error_code' END;
    EXCEPTION WHEN OTHERS THEN
        code := NULL;           -- a detail that only looks like JSON (a hook's)
    END;
    IF failure_state NOT LIKE 'PT%' THEN
        RAISE WARNING 'sign-in with identity provider % failed: %', provider, failure;
        failure := 'the sign-in failed';
    END IF;
    RETURN @extschema@.authoob_oauth_error_url(redirect_to,
        CASE WHEN failure_state LIKE 'PT5%' OR failure_state NOT LIKE 'PT%' THEN 'server_error' ELSE 'access_denied' END,
        coalesce(code, 'oauth_failed'),
        failure);
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_failure_url(text, text, text, text, text) FROM PUBLIC;
