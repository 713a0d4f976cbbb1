--
-- Supabase Auth's dialect (docs/supabase.md): the functions behind
-- the routes under gotrue_prefix, called as the front calls them, and the
-- error code each error carries in its detail, which the front answers as
-- "error_code" (test.failure shows SQLSTATE, message and detail).
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never

-- A custom field the user may change, one they may not, one not shown.
ALTER TABLE authoob.users ADD COLUMN nick text, ADD COLUMN plan text DEFAULT 'free',
    ADD COLUMN note text;
SELECT authoob_add_field('nick', exposed => true, updatable => true);
SELECT authoob_add_field('plan', exposed => true, updatable => false);
SELECT authoob_add_field('note', exposed => false, updatable => true);

-- GET G/settings: what auth-js asks first.
SELECT authoob_gotrue_settings();

-- POST G/signup without require_activation: registered as P/register
-- does, confirmed at once (as Supabase Auth's autoconfirm), and signed in
-- with a refreshable session; data's firstname and lastname go to the
-- registration, nick (a field the user may change) as PUT P/profile, the
-- rest to the free-form user_metadata as it is: "plan" there is the
-- user's, the server's stays "free" in app_metadata.
SELECT authoob_gotrue_signup('{"email": "ada@example.com", "password": "1Password",
    "data": {"firstname": "Ada", "nick": "ada", "plan": "gold", "else": 1}}', '192.0.2.1') AS s \gset
SELECT array_agg(k ORDER BY k) AS keys FROM jsonb_object_keys(:'s'::jsonb) k;
SELECT id AS uid FROM authoob.users WHERE email = 'ada@example.com' \gset
SELECT j ->> 'token_type' AS token_type, authoob_verify(j ->> 'access_token') = :uid AS verified,
       j -> 'user' ->> 'id' = :'uid' AS user_id_text, j -> 'user' -> 'user_metadata' AS user_metadata,
       j -> 'user' -> 'app_metadata' AS app_metadata
FROM (SELECT :'s'::jsonb AS j) s;
SELECT count(*) AS sessions, count(refresh_secret) AS refreshable FROM authoob.sessions WHERE user_id = :uid;
-- confirmed already: no confirmation mail goes
SELECT count(*) FILTER (WHERE state = 'pending') AS pending_mails,
       count(*) FILTER (WHERE state = 'suppressed') AS suppressed_mails
FROM authoob.mail_outbox WHERE user_id = :uid;
SELECT :'s'::jsonb ->> 'access_token' AS access, :'s'::jsonb ->> 'refresh_token' AS refresh \gset

-- Its errors, each with its error code.
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "Ada@Example.com", "password": "1Password"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "bea@example.com", "password": "weak"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "not an address", "password": "1Password"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": ') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('[1]') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "bea@example.com", "password": "1Password", "data": 7}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"phone": "+33100000000", "password": "1Password"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{}') $$);

-- GET G/user: the user object, rendered from the private JSON of GET
-- P/profile (the same field rules) and the user's row and roles; it
-- writes nothing, so that a standby may answer it.
SELECT authoob_create_role('editor');
SELECT authoob_create_role('admin');
SELECT authoob_grant_role(:uid, 'editor'), authoob_grant_role(:uid, 'admin');
BEGIN TRANSACTION READ ONLY;
SELECT authoob_gotrue_user(:'access') AS u \gset
COMMIT;
SELECT array_agg(k ORDER BY k) AS keys FROM jsonb_object_keys(:'u'::jsonb) k;
SELECT u ->> 'id' = :'uid' AS id, u ->> 'email' AS email, u ->> 'aud' AS aud, u ->> 'role' AS role,
       u ->> 'email_confirmed_at' = u ->> 'confirmed_at' AS confirmed,
       u ->> 'last_sign_in_at' IS NOT NULL AS signed_in_by_sign_up,
       u -> 'app_metadata' AS app_metadata, u -> 'user_metadata' AS user_metadata,
       (u -> 'identities' -> 0 -> 'identity_data') - 'sub' AS identity_data,
       u ->> 'created_at' = (authoob_profile(:'access') ->> 'create_date') AS created_at
FROM (SELECT :'u'::jsonb AS u) u;
-- the same object as in a session's "user" (one renderer)
SELECT :'u'::jsonb = authoob_gotrue_user_json(:uid) AS same_as_user_json,
       authoob_gotrue_user_json(0) IS NULL AS no_such_user;
SELECT test.failure($$ SELECT authoob_gotrue_user('x') $$);
SELECT test.failure($$ SELECT authoob_gotrue_user(NULL) $$);

-- It runs GET P/profile's hooks, once each: pre_profile, and post_profile,
-- whose answer replaces the private JSON the object is made from: a name
-- field goes to user_metadata, anything else it adds to app_metadata.
CREATE SEQUENCE profile_hook_calls;
CREATE FUNCTION count_profile(context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT NULL::jsonb FROM (SELECT nextval('public.profile_hook_calls')) n $$;
CREATE FUNCTION shape_profile(context jsonb) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT (context -> 'response' || '{"firstname": "Countess", "tier": 2}') - 'plan'
$$;
SELECT authoob_add_hook('pre_profile', 'count_profile(jsonb)');
SELECT authoob_add_hook('post_profile', 'shape_profile(jsonb)');
SELECT authoob_gotrue_user(:'access') AS u \gset
SELECT currval('profile_hook_calls') AS pre_profile_calls,
       :'u'::jsonb -> 'user_metadata' AS user_metadata, :'u'::jsonb -> 'app_metadata' AS app_metadata;
SELECT authoob_remove_hook('pre_profile', 'count_profile(jsonb)');
SELECT authoob_remove_hook('post_profile', 'shape_profile(jsonb)');

-- POST G/token, through authoob_attempt('gotrue_token', ...) as the front
-- calls it: grant_type password, refresh_token, and what is not built.
CALL authoob_attempt('gotrue_token', '{"email": "ada@example.com", "password": "1Password"}', '192.0.2.1', 'password', 'psql', NULL) \gset called_
SELECT :'called_response'::jsonb -> 'user' ->> 'email' AS signed_in,
       :'called_response'::jsonb -> 'user' ->> 'last_sign_in_at' IS NOT NULL AS sign_in_recorded;
SELECT authoob_gotrue_token(format('{"grant_type": "refresh_token", "refresh_token": "%s"}', :'refresh')) AS g \gset
SELECT :'g'::jsonb ->> 'refresh_token' <> :'refresh' AS rotated, :'g'::jsonb -> 'user' ->> 'id' = :'uid' AS same_user;
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "email": "ada@example.com", "password": "Wrong1"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "email": {}, "password": 1}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "refresh_token", "refresh_token": "made-up"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "magic"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "id_token"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "phone": "+33100000000", "password": "1Password"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "made-up", "code_verifier": "x"}') $$);

-- PUT G/user: data's fields of P/profile as PUT P/profile sets them, the
-- rest merged into user_metadata as Supabase Auth merges it (a key set, a
-- null removes it, the others kept), answered as GET G/user answers.
SELECT authoob_gotrue_update_user(:'access', '{"data": {"nick": "countess", "plan": "platinum", "lastname": "Lovelace",
    "else": null, "avatar_url": "https://img.example.com/ada.png", "prefs": {"theme": "dark"}}}') AS u \gset
SELECT :'u'::jsonb -> 'user_metadata' AS user_metadata, :'u'::jsonb -> 'app_metadata' ->> 'plan' AS plan;
SELECT user_metadata, nick, plan FROM authoob.users WHERE id = :uid;
-- user_metadata holds 16 kB of JSON at most: more is 400, and changes nothing
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, %L) $$, :'access',
    json_build_object('data', json_build_object('big', repeat('x', 16400)))));
SELECT octet_length(user_metadata::text) < 200 AS unchanged FROM authoob.users WHERE id = :uid;
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"data": 7}') $$, :'access'));
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"data": {"firstname": 5}}') $$, :'access'));
-- an address change waits for the new address's confirmation
SELECT authoob_gotrue_update_user(:'access', '{"email": "other@example.com"}') ->> 'email' AS still;
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, 'x') $$, :'access'));
SELECT test.failure($$ SELECT authoob_gotrue_update_user('x', '{}') $$);
-- a new password ends every session of the user, this one too
SELECT authoob_gotrue_update_user(:'access', '{"password": "2Password"}') ->> 'email' AS changed;
SELECT test.failure(format($$ SELECT authoob_gotrue_user(%L) $$, :'access'));
SELECT test.failure(format($$ SELECT authoob_gotrue_update_user(%L, '{"password": "weak"}') $$,
    authoob_gotrue_token('{"grant_type": "password", "email": "ada@example.com", "password": "2Password"}') ->> 'access_token'));

-- POST G/recover: {} for any address, the reset mail made by the mailers:
-- Supabase Auth's recovery mail, its link to G/verify (redirect_to: the
-- query's, if allowed, else app_url) and a 6-digit code; POST G/verify
-- type recovery with the link's token signs in.
SELECT authoob_gotrue_recover('{"email": "ada@example.com"}', '192.0.2.1') AS known,
       authoob_gotrue_recover('{"email": "nobody@example.com"}', '192.0.2.1') AS unknown;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT subject, regexp_replace(regexp_replace(body_text, 'token=[A-Za-z0-9_-]{43}&', 'token=<token>&'),
                               'code: [0-9]{6}', 'code: <code>') AS body_text
FROM authoob.mail_outbox WHERE kind = 'recovery' AND recipient = 'ada@example.com';
SELECT substring(body_text FROM '[?&]token=([A-Za-z0-9_-]+)') AS rt,
       substring(body_text FROM 'code: ([0-9]{6})') AS rcode
FROM authoob.mail_outbox WHERE kind = 'recovery' AND recipient = 'ada@example.com' \gset
CALL authoob_attempt('gotrue_verify', format('{"type": "recovery", "token_hash": "%s"}', :'rt'), '192.0.2.1', NULL) \gset verified_
SELECT authoob_verify(:'verified_response'::jsonb ->> 'access_token') = :uid AS recovered;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "recovery", "token_hash": "%s"}') $$, :'rt'));
-- The link spent, its mail's code is spent too; a new mail's code, with
-- its address, signs in once; a wrong code is Supabase Auth's 403.
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "recovery", "email": "ada@example.com", "token": "%s"}') $$, :'rcode'));
UPDATE authoob.throttle SET window_start = now() - interval '1 day' WHERE scope = 'ask';
SELECT authoob_gotrue_recover('{"email": "ada@example.com"}', '192.0.2.1', 'https://evil.example.com/') AS again;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS rcode,
       substring(body_text FROM 'redirect_to=([^\s]*)') AS redirect_to
FROM authoob.mail_outbox WHERE kind = 'recovery' AND recipient = 'ada@example.com' ORDER BY id DESC LIMIT 1 \gset
SELECT :'redirect_to' AS redirect_to;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "recovery", "email": "ada@example.com", "token": "%s"}') $$,
                           lpad(((:'rcode'::integer + 1) % 1000000)::text, 6, '0')));
SELECT authoob_gotrue_verify(format('{"type": "recovery", "email": "ADA@example.com", "token": "%s"}', :'rcode'))
       ->> 'access_token' AS by_code \gset
SELECT authoob_verify(:'by_code') = :uid AS recovered_by_code;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "recovery", "email": "ada@example.com", "token": "%s"}') $$, :'rcode'));
SELECT count(*) AS codes_in_clear FROM authoob.mail_tokens WHERE position(convert_to(:'rcode', 'UTF8') IN code_hash) > 0;
SELECT test.failure($$ SELECT authoob_gotrue_verify('{"type": "magiclink", "token_hash": "x"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_verify('{"type": "sms", "token_hash": "x"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_verify('{"type": "other", "token_hash": "x"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_verify('{"type": "signup"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_recover('{"email": "ada@example.com", "code_challenge": "short"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_recover('{}') $$);

-- With require_activation, POST G/signup answers the user alone, who
-- signs in once the mailed link is followed: GET G/verify (the implicit
-- flow: the session in the redirect's fragment).
SELECT authoob_configure('{"require_activation": true, "redirect_urls": "https://app.example.com/welcome"}')
       -> 'require_activation' AS require_activation;
SELECT authoob_gotrue_settings() -> 'mailer_autoconfirm' AS mailer_autoconfirm;
SELECT authoob_gotrue_signup('{"email": "bea@example.com", "password": "1Password"}') AS b \gset
SELECT :'b'::jsonb ? 'access_token' AS signed_in, :'b'::jsonb ->> 'email' AS email,
       :'b'::jsonb ? 'email_confirmed_at' AS confirmed_key_shown;
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "email": "bea@example.com", "password": "1Password"}') $$);
SELECT substring(body_text FROM '[?&]token=([A-Za-z0-9_-]+)') AS act
FROM authoob.mail_outbox WHERE recipient = 'bea@example.com' \gset
SELECT regexp_replace(authoob_gotrue_verify_link(format('{"type": "signup", "token": "%s", "redirect_to": "https://app.example.com/welcome"}', :'act'), '192.0.2.1') ->> 'url',
                      '=[^&]+', '=...', 'g') AS redirect;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "signup", "token_hash": "%s"}') $$, :'act'));
SELECT test.failure($$ SELECT authoob_gotrue_verify_link('{"type": "signup", "token": "made-up"}') $$);
-- Or with the code of the mail (verifyOtp({email, token, type: 'signup'})),
-- which confirms the address; its template may use Supabase Auth's
-- variables, {{ .Data.<key> }} the user_metadata.
UPDATE authoob.mail_templates SET subject = '{{ .Token }} is your code, {{ .Data.firstname }}'
WHERE kind = 'signup';
SELECT authoob_gotrue_signup('{"email": "dee@example.com", "password": "1Password", "data": {"firstname": "Dee"}}',
                             NULL, 'https://app.example.com/welcome/2') ->> 'email' AS registered;
SELECT regexp_replace(subject, '^[0-9]{6} ', '<code> ') AS subject,
       substring(body_text FROM '(https://\S+)') ~ '^https://api\.example\.com/auth/v1/verify\?token=[A-Za-z0-9_-]{43}&type=signup&redirect_to=https%3A%2F%2Fapp\.example\.com%2Fwelcome%2F2$' AS link
FROM authoob.mail_outbox WHERE recipient = 'dee@example.com';
SELECT substring(subject FROM '^[0-9]{6}') AS dcode FROM authoob.mail_outbox WHERE recipient = 'dee@example.com' \gset
SELECT authoob_gotrue_verify(format('{"type": "signup", "email": "dee@example.com", "token": "%s"}', :'dcode'))
       -> 'user' ->> 'email' AS confirmed_by_code;
SELECT confirmed_at IS NOT NULL AS confirmed FROM authoob.users WHERE email = 'dee@example.com';
-- Only the newest code of a kind is valid: a new mail takes the older
-- code away, and it does not come back when housekeeping removes the newer
-- token once spent.  An activation code proves nothing once the account
-- is confirmed (here by the owner: as by another mail's link).
SELECT authoob_gotrue_signup('{"email": "eve@example.com", "password": "1Password"}') ->> 'email' AS registered;
SELECT substring(subject FROM '^[0-9]{6}') AS ecode1 FROM authoob.mail_outbox WHERE recipient = 'eve@example.com' \gset
UPDATE authoob.throttle SET window_start = now() - interval '1 day' WHERE scope = 'ask';
SELECT authoob_gotrue_resend('{"type": "signup", "email": "eve@example.com"}', '192.0.2.1') AS resent;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT substring(subject FROM '^[0-9]{6}') AS ecode2
FROM authoob.mail_outbox WHERE recipient = 'eve@example.com' ORDER BY id DESC LIMIT 1 \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "signup", "email": "eve@example.com", "token": "%s"}') $$, :'ecode1'));
SELECT authoob_gotrue_verify(format('{"type": "signup", "email": "eve@example.com", "token": "%s"}', :'ecode2'))
       -> 'user' ->> 'email' AS confirmed_by_code;
SELECT count(*) > 0 AS swept FROM (SELECT authoob_housekeeping()) h;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "signup", "email": "eve@example.com", "token": "%s"}') $$, :'ecode1'));
SELECT authoob_gotrue_signup('{"email": "fay@example.com", "password": "1Password"}') ->> 'email' AS registered;
SELECT substring(subject FROM '^[0-9]{6}') AS fcode FROM authoob.mail_outbox WHERE recipient = 'fay@example.com' \gset
UPDATE authoob.users SET confirmed_at = now() WHERE email = 'fay@example.com';
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "signup", "email": "fay@example.com", "token": "%s"}') $$, :'fcode'));

-- POST G/resend type signup, with a code_challenge: the PKCE flow.  The
-- new mail's link leads to the app with a one-time code, which signs in
-- only with the verifier of the client that asked.
SELECT authoob_gotrue_signup('{"email": "cid@example.com", "password": "1Password"}') ->> 'email' AS registered;
SELECT authoob_gotrue_resend('{"type": "signup", "email": "cid@example.com",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "s256"}', '192.0.2.1') AS resent;
SELECT authoob_mail_prepare() AS requests_taken;
SELECT substring(body_text FROM '[?&]token=([A-Za-z0-9_-]+)') AS act
FROM authoob.mail_outbox WHERE recipient = 'cid@example.com' ORDER BY id DESC LIMIT 1 \gset
SELECT substring(authoob_gotrue_verify_link(format('{"type": "signup", "token": "%s", "redirect_to": "https://app.example.com/welcome"}', :'act')) ->> 'url'
                 FROM '^https://app\.example\.com/welcome\?code=([A-Za-z0-9_-]{43})$') AS code \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "%s", "code_verifier": "%s"}') $$,
                           :'code', repeat('x', 43)));
SELECT authoob_gotrue_token(format('{"grant_type": "pkce", "auth_code": "%s", "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}', :'code'))
       -> 'user' ->> 'email' AS exchanged;
SELECT test.failure(format($$ SELECT authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "%s", "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}') $$, :'code'));
SELECT test.failure($$ SELECT authoob_gotrue_resend('{"type": "sms", "phone": "+33100000000"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_resend('{"type": "email_change", "email": "cid@example.com"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_resend('{"type": "recovery", "email": "cid@example.com"}') $$);

-- What is not built: GoTrue's answer when the feature is off (else 422,
-- its own error code); the routes GoTrue serves to a signed-in user refuse
-- a bad token first.
SELECT what, test.failure(format('SELECT authoob_gotrue_not_built(%L)', what))
FROM unnest(ARRAY['otp', 'mfa', 'oauth', 'anonymous', 'phone',
                  'phone_login', 'web3', 'sso', 'identities', 'admin']) what;
SELECT test.failure($$ SELECT authoob_gotrue_not_built('admin', 'not-a-token') $$);
SELECT test.failure($$ SELECT authoob_gotrue_not_built('mfa', NULL) $$);
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "web3"}') $$);

-- A known address with require_activation: a made-up user, as GoTrue's
-- sanitizeUser makes it (no session, an id of its own in the form of
-- real ones, the request's data), and no account changed.
SELECT authoob_gotrue_signup('{"email": "Cid@example.com", "password": "1Password", "data": {"nick": "x"}}') AS o \gset
SELECT :'o'::jsonb ? 'access_token' AS signed_in, :'o'::jsonb ->> 'email' AS email,
       (:'o'::jsonb ->> 'id')::bigint NOT IN (SELECT id FROM authoob.users) AS made_up_id, :'o'::jsonb -> 'user_metadata' AS user_metadata,
       :'o'::jsonb -> 'identities' AS identities, :'o'::jsonb -> 'app_metadata' AS app_metadata;
SELECT count(*) AS accounts FROM authoob.users WHERE lower(email) = 'cid@example.com';
SELECT authoob_configure('{"require_activation": false}') -> 'require_activation' AS require_activation;

-- disable_signup: no registration in either dialect; G/settings says so.
SELECT authoob_configure('{"disable_signup": true}') -> 'disable_signup' AS disable_signup;
SELECT authoob_gotrue_settings() -> 'disable_signup' AS disable_signup;
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "dan@example.com", "password": "1Password"}') $$);
SELECT test.failure($$ SELECT authoob_register('{"email": "dan@example.com", "password1": "1Password", "password2": "1Password"}') $$);
SELECT authoob_configure('{"disable_signup": false}') -> 'disable_signup' AS disable_signup;

-- A weak password: every rule broken, as GoTrue lists them.
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "dan@example.com", "password": "longenough"}') $$);
SELECT test.failure($$ SELECT authoob_gotrue_signup('{"email": "dan@example.com", "password": "Sh0rt"}') $$);
SELECT test.failure(format($$ SELECT authoob_gotrue_signup('{"email": "dan@example.com", "password": "%s"}') $$, repeat('A1', 40)));

-- The limits speak the dialect too: 429, its wait in the detail's headers.
CALL authoob_attempt('gotrue_token', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.9', 'password', NULL, NULL);
UPDATE authoob.throttle SET blocked_until = now() + interval '1 hour' WHERE scope = 'login';
SELECT test.failure($$ SELECT authoob_gotrue_token('{"grant_type": "password", "email": "ada@example.com", "password": "2Password"}') $$);
