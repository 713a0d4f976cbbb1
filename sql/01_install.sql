--
-- Installing authoob: one statement, pgcrypto comes along.
--
CREATE EXTENSION authoob CASCADE;

SELECT extname FROM pg_extension WHERE extname IN ('authoob', 'pgcrypto') ORDER BY 1;

-- The signing secret is made at install time from a strong random source:
-- 32 bytes, and a new value on every install.
SELECT length(secret_key) AS secret_bytes FROM authoob.settings;
CREATE TEMP TABLE first_secret AS SELECT secret_key FROM authoob.settings;
DROP EXTENSION authoob;
CREATE EXTENSION authoob;
SELECT s.secret_key <> f.secret_key AS secret_is_new
FROM authoob.settings s, first_secret f;

-- Request parameters (passwords, tokens) are never written to the server
-- log, even with statement logging on.
SELECT s AS database_setting FROM pg_db_role_setting, unnest(setconfig) s
WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND setrole = 0 AND s LIKE 'log_parameter%';

-- Settings are read back without the secret.
SELECT key, value FROM jsonb_each(authoob_settings()) ORDER BY key;
SELECT authoob_settings() ? 'secret_key' AS shows_secret;

-- Configure the application.  Tests run with bcrypt cost 4 (12 by default).
SELECT key, value FROM jsonb_each(authoob_configure('{
    "app_url": "https://app.example.com",
    "api_url": "https://api.example.com",
    "email_sender": "no-reply@example.com",
    "bcrypt_cost": 4}'))
WHERE key IN ('app_url', 'api_url', 'email_sender', 'bcrypt_cost') ORDER BY key;

-- Helpers for the next tests, in a schema of their own.
CREATE SCHEMA test;

-- test.outcome(statement): 'ok' and the result, or the SQLSTATE and message
-- the caller would see (PTxxx: the HTTP status xxx).  The statement runs in
-- a subtransaction, so a failed action is undone as it would be on its own.
CREATE FUNCTION test.outcome(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE statement INTO result;
    RETURN 'ok ' || coalesce(result, '(null)');
EXCEPTION WHEN OTHERS OR query_canceled THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- base64url without padding, as in JWTs
CREATE FUNCTION test.b64url(data bytea) RETURNS text
LANGUAGE sql AS $$
    SELECT translate(replace(encode(data, 'base64'), E'\n', ''), '+/=', '-_')
$$;

CREATE FUNCTION test.b64url_decode(data text) RETURNS bytea
LANGUAGE sql AS $$
    SELECT decode(rpad(translate(data, '-_', '+/'),
                       (length(data) + 3) / 4 * 4, '='), 'base64')
$$;

-- The header authoob signs with its current key (kid: the first 11
-- characters of the base64url SHA-256 of the secret), for another alg.
CREATE FUNCTION test.header(alg text DEFAULT 'HS256') RETURNS text
LANGUAGE sql AS $$
    SELECT format('{"alg":"%s","kid":"%s","typ":"JWT"}', alg,
                  left(test.b64url(sha256(secret_key)), 11))
    FROM authoob.settings
$$;

-- A JWT signed with HS256 and the given key (by default authoob's secret):
-- how tests forge tokens that only the signature makes valid.
CREATE FUNCTION test.sign(header text, claims text,
                          key bytea DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT signing_input || '.' ||
           test.b64url(hmac(convert_to(signing_input, 'UTF8'),
                            coalesce(key, (SELECT secret_key FROM authoob.settings)),
                            'sha256'))
    FROM (SELECT test.b64url(convert_to(header, 'UTF8')) || '.' ||
                 test.b64url(convert_to(claims, 'UTF8')) AS signing_input) s
$$;

-- The claims of a token, decoded without checking anything.
CREATE FUNCTION test.claims(token text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT convert_from(test.b64url_decode(split_part(token, '.', 2)), 'UTF8')::jsonb
$$;
