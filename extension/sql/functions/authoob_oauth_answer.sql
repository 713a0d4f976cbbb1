-- A provider's answer (authoob_provider_fetch), as the JSON object it must be
-- (status 200); else a PT502 that says what (refused): the provider's
-- error member when it gives one (RFC 6749 5.2), never the answer itself,
-- nor why it could not be reached (the server's log says that: the
-- browser learns nothing of the database host's network).
CREATE OR REPLACE FUNCTION authoob_oauth_answer(answer jsonb, refused text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb;
BEGIN
    BEGIN
        body := (answer ->> 'body')::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        body := NULL;
    END;
    IF answer ->> 'status' = '200' AND jsonb_typeof(body) = 'object' AND NOT body ? 'error' THEN
        RETURN body;
    END IF;
    RAISE EXCEPTION '%', refused || coalesce(': ' || left(body ->> 'error', 200), '')
        USING ERRCODE = 'PT502';
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_answer(jsonb, text) FROM PUBLIC;
