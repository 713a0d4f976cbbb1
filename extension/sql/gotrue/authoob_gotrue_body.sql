-- A request body as a JSON object, or 400 bad_json.
CREATE OR REPLACE FUNCTION authoob_gotrue_body(payload text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb;
BEGIN
    BEGIN
        body := payload::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        body := NULL;
    END;
    IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'Missing data' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_json"}';
    END IF;
    RETURN body;
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_body(text) FROM PUBLIC;
