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

-- Every other test file starts from sql/fixtures/setup.psql: authoob
-- installed afresh and configured as above, and the helpers of the `test`
-- schema (test.outcome() and the JWT tools).
