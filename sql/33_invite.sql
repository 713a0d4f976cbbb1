--
-- Supabase Auth's invitations and the admin's links (README "Supabase
-- users"): auth.admin.inviteUserByEmail (POST G/invite) makes an
-- unconfirmed account and mails it a link of type invite and a code;
-- auth.admin.generateLink (POST G/admin/generate_link) makes the link of a
-- sign-up, an invitation or a recovery and hands it out, mailing nothing;
-- mailed codes live code_ttl seconds at most.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never
SELECT authoob_configure('{"jwt_sub": "uuid", "redirect_urls": "https://app.example.com/welcome"}') -> 'jwt_sub' AS jwt_sub;
SELECT authoob_service_token() AS service \gset
SELECT has_function_privilege('authoob_api', 'authoob_admin_invite_user(text, jsonb, text)', 'EXECUTE') AS api_may_invite,
       has_function_privilege('authoob_api', 'authoob_admin_generate_link(jsonb, text)', 'EXECUTE') AS api_may_make_links,
       has_function_privilege('authoob_api', 'authoob_gotrue_mail_link(bigint, text, text, boolean)', 'EXECUTE') AS api_may_mail_links,
       has_function_privilege('authoob_api', 'authoob_gotrue_invite(text, text, inet, text)', 'EXECUTE') AS api_may_call_route;

-- POST G/invite: an unconfirmed account, data its user_metadata,
-- invited_at; the mail of type invite, its link to the allowed
-- redirect_to, and a code; audited as user_invited by service_role.
SELECT authoob_gotrue_invite(:'service', '{"email": "ivy@example.com", "data": {"team": "blue"}}', '192.0.2.1',
                             'https://app.example.com/welcome') AS ivy \gset
SELECT :'ivy'::jsonb ->> 'email' AS email, :'ivy'::jsonb ? 'email_confirmed_at' AS confirmed,
       :'ivy'::jsonb -> 'user_metadata' AS user_metadata, :'ivy'::jsonb ? 'invited_at' AS invited;
SELECT kind, subject, regexp_replace(regexp_replace(body_text, 'token=[A-Za-z0-9_-]{43}&', 'token=<token>&'),
                                     'code: [0-9]{6}', 'code: <code>') AS body_text
FROM authoob.mail_outbox WHERE recipient = 'ivy@example.com';
SELECT actor, action, ip_address, payload ->> 'user_email' AS user_email
FROM authoob.audit_log WHERE target = (:'ivy'::jsonb ->> 'id')::uuid ORDER BY id;
-- invited again while unconfirmed: a new mail, whose code alone is valid
SELECT substring(body_text FROM 'code: ([0-9]{6})') AS first_code
FROM authoob.mail_outbox WHERE recipient = 'ivy@example.com' \gset
SELECT authoob_admin_invite_user('ivy@example.com') ->> 'email' AS invited_again;
SELECT substring(body_text FROM '[?&]token=([A-Za-z0-9_-]+)') AS ivy_link,
       substring(body_text FROM 'code: ([0-9]{6})') AS ivy_code
FROM authoob.mail_outbox WHERE recipient = 'ivy@example.com' ORDER BY id DESC LIMIT 1 \gset
SELECT count(*) AS mails FROM authoob.mail_outbox WHERE recipient = 'ivy@example.com';
SELECT :'first_code' = :'ivy_code' OR test.failure(format(
    $$ SELECT authoob_gotrue_verify('{"type": "invite", "email": "ivy@example.com", "token": "%s"}') $$, :'first_code'))
    LIKE 'PT403: Token has expired or is invalid%' AS older_code_refused;
-- verify type invite with the code: confirmed, signed in; the link is then spent
SELECT authoob_gotrue_verify(format('{"type": "invite", "email": "ivy@example.com", "token": "%s"}', :'ivy_code'))
       ->> 'access_token' AS ivy_token \gset
SELECT authoob_verify(:'ivy_token') = id AS signed_in, confirmed_at IS NOT NULL AS confirmed
FROM authoob.users WHERE email = 'ivy@example.com';
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "invite", "token_hash": "%s"}') $$, :'ivy_link'));
-- a confirmed address is not invited (422 email_exists); nor is anyone
-- by a token that is no service credential, nor by no token
SELECT test.failure(format($$ SELECT authoob_gotrue_invite(%L, '{"email": "ivy@example.com"}') $$, :'service'));
SELECT test.failure($$ SELECT authoob_gotrue_invite(NULL, '{"email": "x@example.com"}') $$);
SELECT test.failure(format($$ SELECT authoob_gotrue_invite(%L, '{"email": "x@example.com"}') $$, :'ivy_token'));
SELECT test.failure(format($$ SELECT authoob_gotrue_invite(%L, '{"email": "not an address"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_invite(%L, '{"email": "x@example.com", "data": [1]}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_invite(%L, '[]') $$, :'service'));

-- POST G/admin/generate_link: no mail, the link in the answer
SELECT count(*) AS mails_before FROM authoob.mail_outbox \gset
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "signup", "email": "sam@example.com"}') $$, :'service'));
SELECT authoob_gotrue_admin_generate_link(:'service', '{"type": "signup", "email": "sam@example.com",
    "password": "1Password", "data": {"nick": "sam"}, "redirect_to": "https://evil.example.com/"}', '192.0.2.1',
    'https://app.example.com/welcome') AS sam \gset
SELECT :'sam'::jsonb ->> 'email' AS email, :'sam'::jsonb ? 'email_confirmed_at' AS confirmed,
       :'sam'::jsonb -> 'user_metadata' AS user_metadata, :'sam'::jsonb ->> 'verification_type' AS verification_type,
       :'sam'::jsonb ->> 'redirect_to' AS redirect_to, :'sam'::jsonb ->> 'email_otp' ~ '^[0-9]{6}$' AS code,
       regexp_replace(:'sam'::jsonb ->> 'action_link', 'token=[A-Za-z0-9_-]{43}&', 'token=<token>&') AS action_link,
       :'sam'::jsonb ->> 'action_link' LIKE '%token=' || (:'sam'::jsonb ->> 'hashed_token') || '&%' AS link_has_token;
SELECT count(*) - :mails_before AS mails_sent FROM authoob.mail_outbox;
-- the hashed token is verifyOtp's token_hash: confirms and signs in
SELECT authoob_gotrue_verify(format('{"type": "signup", "token_hash": "%s"}', :'sam'::jsonb ->> 'hashed_token'))
       ->> 'access_token' AS sam_token \gset
SELECT authoob_verify(:'sam_token') = id AS signed_in, confirmed_at IS NOT NULL AS confirmed
FROM authoob.users WHERE email = 'sam@example.com';
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "signup", "email": "sam@example.com", "password": "1Password"}') $$, :'service'));
-- recovery: a known address only; its code signs in
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "recovery", "email": "nobody@example.com"}') $$, :'service'));
SELECT authoob_admin_generate_link('{"type": "recovery", "email": "sam@example.com"}') ->> 'email_otp' AS sam_code \gset
SELECT authoob_gotrue_verify(format('{"type": "recovery", "email": "sam@example.com", "token": "%s"}', :'sam_code'))
       ->> 'access_token' AS sam_token \gset
SELECT authoob_verify(:'sam_token') = id AS recovered FROM authoob.users WHERE email = 'sam@example.com';
-- invite by link: the account made, no mail
SELECT authoob_admin_generate_link('{"type": "invite", "email": "una@example.com", "data": {"team": "red"}}') - 'id'
       - 'created_at' - 'updated_at' - 'invited_at' - 'identities' - 'action_link' - 'hashed_token' - 'email_otp' AS una;
SELECT count(*) - :mails_before AS mails_sent FROM authoob.mail_outbox;
-- magiclink: a known address's magic link, which signs in once by its
-- hashed_token; an unknown address's is a sign-up's (Supabase Auth's
-- mail.go), with a password nobody knows
SELECT l ->> 'verification_type' AS verification_type, l ->> 'action_link' LIKE '%type=magiclink%' AS magic_link,
       authoob_gotrue_verify(format('{"type": "magiclink", "token_hash": "%s"}', l ->> 'hashed_token')) ? 'access_token' AS signs_in
FROM (SELECT authoob_gotrue_admin_generate_link(:'service', '{"type": "magiclink", "email": "sam@example.com"}') AS l) s;
SELECT l ->> 'verification_type' AS verification_type, l ->> 'email' AS email, l ->> 'email_confirmed_at' IS NULL AS unconfirmed
FROM (SELECT authoob_gotrue_admin_generate_link(:'service', '{"type": "magiclink", "email": "newbie@example.com"}') AS l) s;
-- what is not built answers as Supabase Auth with the feature off; an
-- unknown type, as Supabase Auth does
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "email_change_new", "email": "sam@example.com", "new_email": "s@example.com"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "phone", "email": "sam@example.com"}') $$, :'service'));
SELECT test.failure(format($$ SELECT authoob_gotrue_admin_generate_link(%L, '{"type": "recovery"}') $$, :'service'));
SELECT test.failure($$ SELECT authoob_gotrue_admin_generate_link('x.y.z', '{"type": "recovery", "email": "sam@example.com"}') $$);
SELECT string_agg(action, ',' ORDER BY id) AS audited FROM authoob.audit_log WHERE actor = 'service_role';

-- Codes live code_ttl seconds at most, their links as long as before.
SELECT test.failure($$ SELECT authoob_configure('{"code_ttl": 59}') $$);
SELECT authoob_configure('{"code_ttl": 600}') -> 'code_ttl' AS code_ttl;
SELECT authoob_admin_generate_link('{"type": "recovery", "email": "ivy@example.com"}') AS late \gset
UPDATE authoob.mail_tokens SET created_at = created_at - interval '11 minutes'
WHERE user_id = (SELECT id FROM authoob.users WHERE email = 'ivy@example.com') AND used_at IS NULL;
SELECT test.failure(format($$ SELECT authoob_gotrue_verify('{"type": "recovery", "email": "ivy@example.com", "token": "%s"}') $$,
                           :'late'::jsonb ->> 'email_otp')) AS late_code;
SELECT authoob_gotrue_verify(format('{"type": "recovery", "token_hash": "%s"}', :'late'::jsonb ->> 'hashed_token'))
       ? 'access_token' AS link_still_works;

-- GET G/verify of a link that fails (spent, unknown, a type not built):
-- Supabase Auth's 303 to the allowed redirect_to (else app_url) with the
-- error in the fragment, the failure counted all the same; without a
-- token or type, the JSON error.
SELECT authoob_clear_throttle() >= 0 AS cleared;
CALL authoob_attempt('gotrue_verify_link', format('{"type": "invite", "token": "%s", "redirect_to": "https://app.example.com/welcome#x"}', :'ivy_link'),
                     '192.0.2.9', NULL, NULL);
CALL authoob_attempt('gotrue_verify_link', '{"type": "magiclink", "token": "nope", "redirect_to": "https://evil.example.com/"}',
                     '192.0.2.9', NULL, NULL);
SELECT scope, window_failures FROM authoob.throttle WHERE key LIKE '192.0.2.%' ORDER BY scope;
SELECT test.failure($$ CALL authoob_attempt('gotrue_verify_link', '{"type": "signup"}', '192.0.2.9', NULL, NULL) $$);

-- Failed sign-ins are in the audit log, with the address tried and the
-- client's (never the password), as the owner writes them once the
-- sign-in has rolled back; so is a wrong mailed code.  A sign-up's record
-- carries its address and client.
SELECT authoob_clear_throttle() >= 0 AS cleared;
CALL authoob_attempt('gotrue_token', '{"email": "SAM@example.com", "password": "wrong"}', '192.0.2.20', 'password', NULL);
CALL authoob_attempt('login', '{"email": "ghost@example.com", "password": "1Password"}', '192.0.2.21', NULL, NULL);
CALL authoob_attempt('gotrue_verify', '{"type": "recovery", "email": "sam@example.com", "token": "000000"}', '192.0.2.22', NULL, NULL);
CALL authoob_attempt('gotrue_token', '{"refresh_token": "nope"}', '192.0.2.23', 'refresh_token', NULL);
SELECT a.actor = coalesce(u.uuid::text, 'anonymous') AS actor_is_account, a.action, a.target = u.uuid AS target_is_account,
       a.ip_address, a.outcome, a.payload
FROM authoob.audit_log a LEFT JOIN authoob.users u ON u.uuid = a.target
WHERE a.outcome = 'failure' ORDER BY a.id;
SELECT authoob_register('{"email": "reg@example.com", "password1": "1Password", "password2": "1Password"}', '192.0.2.30') IS NOT NULL AS registered;
SELECT action, ip_address, payload FROM authoob.audit_log
WHERE target = (SELECT uuid FROM authoob.users WHERE email = 'reg@example.com') ORDER BY id;
