-- Rotation for every alg: a new current key of signing_alg (for HS256 a
-- new secret, as authoob_rotate_secret); the previous one verifies what it
-- signed for previous_valid_for, by default the token lifetime.
CREATE OR REPLACE FUNCTION authoob_rotate_key(previous_valid_for interval DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE s.signing_alg
           WHEN 'HS256' THEN @extschema@.authoob_rotate_secret(previous_valid_for)
           ELSE @extschema@.authoob_new_signing_key(s.signing_alg, previous_valid_for) END
    FROM authoob.settings s
$$;

REVOKE ALL ON FUNCTION authoob_rotate_key(interval) FROM PUBLIC;
