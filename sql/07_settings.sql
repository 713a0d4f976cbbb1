--
-- Settings: authoob_configure(jsonb) checks everything before it changes
-- anything, and answers the settings without the secret.
--
\i sql/fixtures/setup.psql

SELECT authoob_configure('{}') - 'secret_key' = authoob_configure('{}') AS never_the_secret;

SELECT test.outcome($$ SELECT authoob_configure('{"no_such_setting": 1}') $$);
SELECT test.outcome($$ SELECT authoob_configure(NULL) $$);
SELECT test.outcome($$ SELECT authoob_configure('[]') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": 3}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": 32}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": 4.5}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": "4"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"token_ttl": -1}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"token_ttl": null}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"require_activation": "yes"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"app_url": "javascript:alert(1)"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"api_url": "https://x.io/<script>"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"email_sender": "not an address"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"secret_key": "too short"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"prefix": "no-slash"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"prefix": "/trailing/"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"prefix": "/a b"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"token_header": "Bad Header:"}') $$);
SELECT test.outcome($$ SELECT authoob_configure('{"password_min_length": 0}') $$);
-- one bad key among good ones: nothing changes
SELECT test.outcome($$ SELECT authoob_configure('{"prefix": "/auth", "bcrypt_cost": 99}') $$);
SELECT authoob_settings() ->> 'prefix' AS prefix;

-- Good values, then back as they were.
SELECT key, value FROM jsonb_each(authoob_configure('{"prefix": "/api/v1/auth",
    "token_header": "X-Auth-Token", "app_url": null, "prevent_mail_send": true}'))
WHERE key IN ('prefix', 'token_header', 'app_url', 'prevent_mail_send') ORDER BY key;
SELECT authoob_configure('{"prefix": "/authoob", "token_header": "Authentication-Token",
                           "app_url": "https://app.example.com", "prevent_mail_send": false}') ->> 'prefix' AS prefix;

-- The password policy is configurable.
SELECT authoob_configure('{"password_min_length": 12, "password_require_uppercase": false,
                           "password_require_digit": false}') IS NOT NULL AS configured;
SELECT test.outcome($$ SELECT authoob_register('{"email": "policy@example.com", "password1": "Password123", "password2": "Password123"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "policy@example.com", "password1": "all lower case", "password2": "all lower case"}') $$) ~ '^ok ' AS registered;
SELECT authoob_configure('{"password_min_length": 8, "password_require_uppercase": true,
                           "password_require_digit": true}') IS NOT NULL AS configured;
-- 8 characters, not 8 bytes; at most 72 bytes (bcrypt's limit), never cut
SELECT test.outcome($$ SELECT authoob_register('{"email": "unicode@example.com", "password1": "Ab1éééé", "password2": "Ab1éééé"}') $$);
SELECT test.outcome($$ SELECT authoob_register('{"email": "unicode@example.com", "password1": "Ab1ééééé", "password2": "Ab1ééééé"}') $$) ~ '^ok ' AS registered;
SELECT test.outcome(format($$ SELECT authoob_register(%L) $$, jsonb_build_object('email', 'long@example.com',
    'password1', 'P1' || repeat('x', 71), 'password2', 'P1' || repeat('x', 71))));
SELECT test.outcome(format($$ SELECT authoob_register(%L) $$, jsonb_build_object('email', 'long@example.com',
    'password1', 'P1' || repeat('x', 70), 'password2', 'P1' || repeat('x', 70)))) ~ '^ok ' AS registered;
