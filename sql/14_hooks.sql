--
-- Hooks: SQL functions (context jsonb) RETURNS jsonb, called inside the
-- action's transaction.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never
-- One recording hook per hook name: it writes its name and context down.
CREATE TABLE hook_calls (id serial PRIMARY KEY, hook text, context jsonb);
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT unnest(ARRAY['pre_register', 'post_register', 'pre_login',
        'before_login', 'post_login', 'pre_profile', 'post_profile', 'pre_user_profile',
        'post_user_profile', 'pre_token', 'post_token', 'pre_activate', 'post_activate',
        'already_activated', 'mail_activate_redirect', 'pre_reset_auth', 'post_reset_auth',
        'pre_ask_reset', 'post_ask_reset', 'pre_reset_token', 'post_reset_token',
        'pre_update_profile', 'post_update_profile', 'pre_logout', 'post_logout',
        'mail_register', 'mail_ask_reset_password'])
    LOOP
        EXECUTE format($f$
            CREATE FUNCTION public.record_%1$s(context jsonb) RETURNS jsonb
            LANGUAGE sql AS $b$
                INSERT INTO public.hook_calls (hook, context) VALUES (%1$L, context);
                SELECT NULL::jsonb
            $b$ $f$, name);
        PERFORM authoob_add_hook(name, format('public.record_%s(jsonb)', name)::regprocedure);
    END LOOP;
END
$$;
SELECT count(*) AS registered FROM authoob_hooks();

-- Which hooks an action fired, in order, with the keys of their contexts.
CREATE FUNCTION fired() RETURNS TABLE (hook text, context_keys text)
LANGUAGE sql AS $$
    SELECT hook, coalesce((SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(context) k), '')
    FROM hook_calls ORDER BY id
$$;

-- register
SELECT authoob_register('{"email": "hooked@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS tok \gset
SELECT * FROM fired();
-- user is the private user JSON; payload the request body; link the mailed link
SELECT context -> 'payload' AS payload FROM hook_calls WHERE hook = 'pre_register';
SELECT context -> 'user' ->> 'email' AS user_email, context -> 'user' ? 'password' AS shows_hash
FROM hook_calls WHERE hook = 'post_register';
SELECT context ->> 'link' ~ '^https://api\.example\.com/authoob/activate/[A-Za-z0-9_-]{43}$' AS link
FROM hook_calls WHERE hook = 'mail_register';
SELECT substring(context ->> 'link' FROM '[A-Za-z0-9_-]{43}$') AS act FROM hook_calls WHERE hook = 'mail_register' \gset
TRUNCATE hook_calls;

-- login, profile, public profile, token, profile update, password change
SELECT authoob_login('{"email": "hooked@example.com", "password": "1Password"}') IS NOT NULL AS logged_in;
SELECT authoob_profile(:'tok') IS NOT NULL AS profile;
SELECT authoob_public_profile(id::text) IS NOT NULL AS public_profile FROM authoob.users WHERE email = 'hooked@example.com';
SELECT authoob_token(:'tok') IS NOT NULL AS token;
SELECT authoob_update_profile(:'tok', '{"username": "hooked"}') IS NOT NULL AS updated;
SELECT authoob_reset_password(:'tok', '{"password1": "2Password", "password2": "2Password"}') IS NULL AS changed;
SELECT * FROM fired();
SELECT context -> 'user_id' = to_jsonb(u.id) AS user_id_is_the_id
FROM hook_calls, authoob.users u WHERE hook = 'pre_user_profile' AND u.email = 'hooked@example.com';
SELECT context -> 'response' ->> 'username' AS response_username, context -> 'user' ->> 'username' AS user_username
FROM hook_calls WHERE hook = 'post_update_profile';
SELECT context -> 'response' ? 'token' AS response_has_token FROM hook_calls WHERE hook = 'post_token';
TRUNCATE hook_calls;

-- activation (POST twice: the spent token is then unknown; then the mailed
-- link of another user)
SELECT authoob_activate(:'act') IS NULL AS activated;
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act'));
-- (the refused second try left no trace: what its hooks wrote was undone with it)
SELECT * FROM fired();
SELECT context ->> 'token' = :'act' AS token_is_the_mailed_one FROM hook_calls WHERE hook = 'pre_activate' LIMIT 1;
TRUNCATE hook_calls;
SELECT authoob_register('{"email": "hooked2@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT substring(context ->> 'link' FROM '[A-Za-z0-9_-]{43}$') AS act2 FROM hook_calls WHERE hook = 'mail_register' \gset
TRUNCATE hook_calls;
SELECT authoob_activate_redirect(:'act2') ? 'url' AS redirects;
SELECT * FROM fired();
SELECT context ->> 'app_url' AS app_url FROM hook_calls WHERE hook = 'mail_activate_redirect';
TRUNCATE hook_calls;

-- recovery: a known address, an unknown one, then the reset
SELECT authoob_password_ask('{"email": "hooked@example.com"}') IS NULL AS asked;
SELECT authoob_password_ask('{"email": "unknown@example.com"}') IS NULL AS asked;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT * FROM fired();
SELECT context -> 'user' AS user_of_unknown FROM hook_calls WHERE hook = 'post_ask_reset' ORDER BY id DESC LIMIT 1;
SELECT substring(context ->> 'link' FROM '[A-Za-z0-9_-]{43}$') AS rt FROM hook_calls WHERE hook = 'mail_ask_reset_password' \gset
TRUNCATE hook_calls;
SELECT authoob_password_reset_token(jsonb_build_object('token', :'rt', 'password1', '3Password', 'password2', '3Password')) IS NULL AS reset;
SELECT * FROM fired();
TRUNCATE hook_calls;

-- logout
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') ->> 'token' AS tok \gset
TRUNCATE hook_calls;
SELECT authoob_logout(:'tok') IS NULL AS logged_out;
SELECT * FROM fired();

-- Without hooks, nothing is called.
SELECT count(*) AS removed FROM authoob_hooks() h WHERE authoob_remove_hook(h.hook, h.function);
TRUNCATE hook_calls;
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') IS NOT NULL AS logged_in;
SELECT count(*) AS calls FROM hook_calls;

-- A hook that raises undoes the whole action; PTxxx is that HTTP status,
-- a plain RAISE EXCEPTION (P0001) is a 400, anything else a 500.
CREATE FUNCTION closed(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Registrations are closed' USING ERRCODE = 'PT403';
END
$$;
SELECT authoob_add_hook('post_register', 'closed(jsonb)');
SELECT test.outcome($$ SELECT authoob_register('{"email": "closed@example.com", "password1": "1Password", "password2": "1Password"}') $$);
SELECT count(*) AS users FROM authoob.users WHERE email = 'closed@example.com';
SELECT count(*) AS mails FROM authoob.mail_outbox WHERE recipient = 'closed@example.com';
SELECT authoob_remove_hook('post_register', 'closed(jsonb)');
CREATE FUNCTION plain_error(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'No logins on Sunday';
END
$$;
SELECT authoob_add_hook('pre_login', 'plain_error(jsonb)');
SELECT test.outcome($$ SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') $$);
SELECT authoob_remove_hook('pre_login', 'plain_error(jsonb)');
CREATE FUNCTION broken(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT to_jsonb(1 / 0) $$;
SELECT authoob_add_hook('pre_login', 'broken(jsonb)');
SELECT test.outcome($$ SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') $$);
SELECT authoob_remove_hook('pre_login', 'broken(jsonb)');

-- A post hook that answers an object replaces the response.
CREATE FUNCTION profile_with_greeting(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT context -> 'response' || jsonb_build_object('greeting', 'Hello ' || (context -> 'user' ->> 'username'))
$$;
SELECT authoob_add_hook('post_profile', 'profile_with_greeting(jsonb)');
SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') ->> 'token' AS tok \gset
SELECT authoob_profile(:'tok') ->> 'greeting' AS greeting;
SELECT authoob_remove_hook('post_profile', 'profile_with_greeting(jsonb)');
-- several functions of one hook run in run_order; the last object answered wins
CREATE FUNCTION answer_a(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"by": "a"}'::jsonb $$;
CREATE FUNCTION answer_b(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"by": "b"}'::jsonb $$;
SELECT authoob_add_hook('post_token', 'answer_b(jsonb)', 20);
SELECT authoob_add_hook('post_token', 'answer_a(jsonb)', 10);
SELECT hook, function, run_order FROM authoob_hooks();
SELECT authoob_token(:'tok') AS answer;
SELECT authoob_add_hook('post_token', 'answer_a(jsonb)', 30);
SELECT authoob_token(:'tok') AS answer;
SELECT authoob_remove_hook('post_token', 'answer_a(jsonb)'), authoob_remove_hook('post_token', 'answer_b(jsonb)');

-- Mail hooks may replace the mail or cancel it.
CREATE FUNCTION custom_mail(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('subject', E'Bienvenue\r\nBcc: x@example.com', 'text', 'Activez : ' || (context ->> 'link'),
                              'html', '<a href="' || (context ->> 'link') || '">Activez</a>')
$$;
SELECT authoob_add_hook('mail_register', 'custom_mail(jsonb)');
SELECT authoob_register('{"email": "french@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT subject, body_text ~ '^Activez : https://api\.example\.com/authoob/activate/' AS text_replaced,
       body_html ~ '^<a href="https://api' AS html_replaced
FROM authoob.mail_outbox WHERE recipient = 'french@example.com';
SELECT authoob_remove_hook('mail_register', 'custom_mail(jsonb)');
CREATE FUNCTION no_mail(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"send": false}'::jsonb $$;
SELECT authoob_add_hook('mail_ask_reset_password', 'no_mail(jsonb)');
SELECT authoob_password_ask('{"email": "french@example.com"}') IS NULL AS asked;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT count(*) AS reset_mails FROM authoob.mail_outbox WHERE recipient = 'french@example.com' AND kind = 'reset';
SELECT authoob_remove_hook('mail_ask_reset_password', 'no_mail(jsonb)');

-- A reset mail is made by authoob_mail_prepare() (every mailer's claim runs
-- it), long after its request answered 204: a mail hook that raises there
-- drops that request's mail, with a warning in the server log, and the
-- other requests still get theirs.
CREATE FUNCTION refuse_french(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF context -> 'user' ->> 'email' = 'french@example.com' THEN
        RAISE EXCEPTION 'no reset mail for %', context -> 'user' ->> 'email';
    END IF;
    RETURN NULL;
END
$$;
SELECT authoob_add_hook('mail_ask_reset_password', 'refuse_french(jsonb)');
SELECT authoob_configure('{"reset_mail_interval": 0}') ->> 'reset_mail_interval' AS reset_mail_interval;
SELECT count(*) AS mails_before FROM authoob.mail_outbox WHERE kind = 'reset' \gset
SELECT authoob_password_ask('{"email": "french@example.com"}') IS NULL AS asked,
       authoob_password_ask('{"email": "hooked@example.com"}') IS NULL AS asked_too;
SET client_min_messages = warning;
SELECT authoob_mail_prepare() AS requests_taken;
RESET client_min_messages;
SELECT recipient FROM authoob.mail_outbox WHERE kind = 'reset' ORDER BY id OFFSET :mails_before;
SELECT count(*) AS requests_left FROM authoob.mail_requests;
SELECT authoob_remove_hook('mail_ask_reset_password', 'refuse_french(jsonb)');
SELECT authoob_configure('{"reset_mail_interval": 60}') ->> 'reset_mail_interval' AS reset_mail_interval;

-- mail_activate_redirect may choose the URL; already_activated may answer
-- instead of 409.
CREATE FUNCTION redirect_to_welcome(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('url', (context ->> 'app_url') || '/welcome?user=' || (context -> 'user' ->> 'id'))
$$;
CREATE FUNCTION already(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('message', 'Already active: welcome back, ' || (context -> 'user' ->> 'email'))
$$;
SELECT authoob_add_hook('mail_activate_redirect', 'redirect_to_welcome(jsonb)');
SELECT authoob_add_hook('already_activated', 'already(jsonb)');
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act3
FROM authoob.mail_outbox WHERE recipient = 'french@example.com' \gset
SELECT authoob_activate_redirect(:'act3') ->> 'url' = 'https://app.example.com/welcome?user=' || id AS chosen_url
FROM authoob.users WHERE email = 'french@example.com';
SELECT authoob_register('{"email": "confirmed-by-hand@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
UPDATE authoob.users SET confirmed_at = now() WHERE email = 'confirmed-by-hand@example.com';
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act4
FROM authoob.mail_outbox WHERE recipient = 'confirmed-by-hand@example.com' \gset
SELECT authoob_activate(:'act4') AS instead_of_409;
SELECT authoob_remove_hook('mail_activate_redirect', 'redirect_to_welcome(jsonb)'),
       authoob_remove_hook('already_activated', 'already(jsonb)');

-- Registering hooks: known names, the right signature, the owner only.
SELECT authoob_add_hook('post_nothing', 'answer_a(jsonb)');
CREATE FUNCTION wrong_signature(context json) RETURNS json LANGUAGE sql AS $$ SELECT context $$;
SELECT test.outcome($$ SELECT authoob_add_hook('pre_login', 'wrong_signature(json)') $$);
SELECT test.outcome($$ SELECT authoob_add_hook('pre_login', 'no_such_function(jsonb)') $$);
CALL test.drop_roles('regress_authoob_hooker');
CREATE ROLE regress_authoob_hooker;
SET ROLE regress_authoob_hooker;
SELECT test.outcome($$ SELECT authoob_add_hook('pre_login', 'answer_a(jsonb)') $$);
RESET ROLE;
DROP ROLE regress_authoob_hooker;
-- a hook function dropped after it was registered is an operator's error
CREATE FUNCTION doomed(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
SELECT authoob_add_hook('pre_login', 'doomed(jsonb)');
DROP FUNCTION doomed(jsonb);
SELECT regexp_replace(test.outcome($$ SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') $$),
                      'function [0-9]+', 'function N') AS outcome;
DELETE FROM authoob.hooks;

-- A hook cannot hang the service: past hook_timeout milliseconds (2000 by
-- default) it is cancelled, and the action fails with a clear error.
SELECT authoob_configure('{"hook_timeout": 200}') ->> 'hook_timeout' AS hook_timeout;
CREATE FUNCTION slow(context jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT pg_sleep(30); SELECT NULL::jsonb $$;
SELECT authoob_add_hook('pre_login', 'slow(jsonb)');
SELECT clock_timestamp() AS started \gset
SELECT test.outcome($$ SELECT authoob_login('{"email": "hooked@example.com", "password": "3Password"}') $$);
SELECT clock_timestamp() - :'started'::timestamptz < interval '10 seconds' AS cancelled_quickly;
SELECT authoob_remove_hook('pre_login', 'slow(jsonb)');
-- a CPU-bound hook too
CREATE FUNCTION spin(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    LOOP END LOOP;
END
$$;
SELECT authoob_add_hook('pre_profile', 'spin(jsonb)');
SELECT test.outcome(format($$ SELECT authoob_profile(%L) $$, :'tok'));
SELECT authoob_remove_hook('pre_profile', 'spin(jsonb)');
-- the timer is off once the hook is done: a later long statement is not cancelled
SELECT pg_sleep(0.4) IS NOT NULL AS slept;
SELECT authoob_configure('{"hook_timeout": 2000}') ->> 'hook_timeout' AS hook_timeout;
