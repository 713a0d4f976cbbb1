--
-- Activation: the register mail, POST /authoob/activate/<token> and the
-- mailed link GET /authoob/activate/<token>.
--
\i sql/fixtures/setup.psql

-- Registering queues the activation mail in the same transaction.
SELECT authoob_register('{"email": "new@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS newtok \gset
SELECT kind, sender, recipient, subject, state, attempts,
       message_id ~ '^<[0-9a-f-]{36}@example\.com>$' AS stable_message_id
FROM authoob.mail_outbox WHERE recipient = 'new@example.com';
-- The link is api_url + prefix + /activate/<token>.
SELECT regexp_replace(body_text, '/activate/[A-Za-z0-9_-]{43}\M', '/activate/<token>') AS body_text
FROM authoob.mail_outbox WHERE recipient = 'new@example.com';
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act
FROM authoob.mail_outbox WHERE recipient = 'new@example.com' \gset

-- Only the token's SHA-256 is stored.
SELECT count(*) AS by_hash FROM authoob.mail_tokens WHERE token_hash = sha256(convert_to(:'act', 'UTF8'));
SELECT count(*) AS in_clear FROM authoob.mail_tokens WHERE token_hash = convert_to(:'act', 'UTF8');
SELECT extract(epoch FROM expires_at - created_at) AS lifetime_seconds
FROM authoob.mail_tokens WHERE token_hash = sha256(convert_to(:'act', 'UTF8'));

-- POST: 201 with no body; a spent token is unknown (404) like any other,
-- even once the account is unconfirmed again; unknown 404.
SELECT confirmed_at IS NULL AS unconfirmed FROM authoob.users WHERE email = 'new@example.com';
SELECT authoob_activate(:'act') IS NULL AS no_body;
SELECT confirmed_at IS NOT NULL AS confirmed FROM authoob.users WHERE email = 'new@example.com';
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act'));
UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'new@example.com';
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act'));
SELECT confirmed_at IS NULL AS still_unconfirmed FROM authoob.users WHERE email = 'new@example.com';
UPDATE authoob.users SET confirmed_at = now() WHERE email = 'new@example.com';
SELECT test.outcome($$ SELECT authoob_activate('garbage') $$);
SELECT test.outcome($$ SELECT authoob_activate('') $$);
SELECT test.outcome($$ SELECT authoob_activate(NULL) $$);
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, repeat('A', 100000)));
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act' || ''' OR ''1''=''1'));

-- GET, the mailed link: activates and answers the URL to redirect to.
SELECT authoob_register('{"email": "link@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act2
FROM authoob.mail_outbox WHERE recipient = 'link@example.com' \gset
SELECT authoob_activate_redirect(:'act2') ->> 'url' =
       'https://app.example.com?validated_user=' || id AS redirects_to_app
FROM authoob.users WHERE email = 'link@example.com';
SELECT test.outcome(format($$ SELECT authoob_activate_redirect(%L) $$, :'act2'));
SELECT test.outcome($$ SELECT authoob_activate_redirect('garbage') $$);

-- 409 "Unable to activate": an unspent token of an account that is already
-- active (an operator confirmed it by hand).
SELECT authoob_register('{"email": "byhand@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act_byhand
FROM authoob.mail_outbox WHERE recipient = 'byhand@example.com' \gset
UPDATE authoob.users SET confirmed_at = now() WHERE email = 'byhand@example.com';
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act_byhand'));

-- An expired token is no match.
SELECT authoob_register('{"email": "late@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT substring(body_text FROM '/activate/([A-Za-z0-9_-]+)') AS act3
FROM authoob.mail_outbox WHERE recipient = 'late@example.com' \gset
UPDATE authoob.mail_tokens SET expires_at = now() - interval '1 second'
WHERE token_hash = sha256(convert_to(:'act3', 'UTF8'));
SELECT test.outcome(format($$ SELECT authoob_activate(%L) $$, :'act3'));

-- An action that does not happen sends nothing: a refused registration and
-- a rolled-back one leave no mail.
SELECT test.outcome($$ SELECT authoob_register('{"email": "new@example.com", "password1": "1Password", "password2": "1Password"}') $$);
BEGIN;
SELECT authoob_register('{"email": "rolledback@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
ROLLBACK;
SELECT count(*) AS mails FROM authoob.mail_outbox WHERE recipient IN ('rolledback@example.com')
   OR (recipient = 'new@example.com' AND kind = 'activation' AND id > (SELECT min(id) FROM authoob.mail_outbox WHERE recipient = 'new@example.com'));

-- require_activation: unconfirmed users cannot log in (403, told only after
-- the password is right) and their tokens do not work until they activate.
SELECT authoob_configure('{"require_activation": true}') ->> 'require_activation' AS require_activation;
SELECT test.outcome($$ SELECT authoob_login('{"email": "late@example.com", "password": "1Password"}') $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "late@example.com", "password": "2Password"}') $$);
SELECT authoob_register('{"email": "strict@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token' AS stricttok \gset
SELECT test.outcome(format($$ SELECT authoob_profile(%L) $$, :'stricttok'));
SELECT authoob_activate(substring(body_text FROM '/activate/([A-Za-z0-9_-]+)')) IS NULL AS activated
FROM authoob.mail_outbox WHERE recipient = 'strict@example.com';
SELECT authoob_profile(:'stricttok') ->> 'email' AS now_works;
SELECT authoob_login('{"email": "strict@example.com", "password": "1Password"}') IS NOT NULL AS logs_in;
SELECT authoob_login('{"email": "new@example.com", "password": "1Password"}') IS NOT NULL AS activated_user_logs_in;
SELECT authoob_configure('{"require_activation": false}') ->> 'require_activation' AS require_activation;
SELECT authoob_login('{"email": "late@example.com", "password": "1Password"}') IS NOT NULL AS unconfirmed_logs_in_by_default;

-- prevent_mail_send: mails are kept, marked suppressed, never sent.
SELECT authoob_configure('{"prevent_mail_send": true}') ->> 'prevent_mail_send' AS prevent_mail_send;
SELECT authoob_register('{"email": "quiet@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT state FROM authoob.mail_outbox WHERE recipient = 'quiet@example.com';
SELECT authoob_configure('{"prevent_mail_send": false}') ->> 'prevent_mail_send' AS prevent_mail_send;

-- Templates are data; user fields are HTML-escaped in the HTML body and
-- cannot break out of the subject line.
UPDATE authoob.mail_templates SET
    subject = 'Welcome {{firstname}}',
    body_html = '<p>Hello {{firstname}}</p><p><a href="{{link}}">activate</a></p>'
WHERE kind = 'activation';
SELECT authoob_register(jsonb_build_object('email', 'html@example.com',
    'password1', '1Password', 'password2', '1Password',
    'firstname', E'<b>Ada</b> & "co"\r\nBcc: victim@example.com')) IS NOT NULL AS registered;
SELECT subject, regexp_replace(body_html, '[A-Za-z0-9_-]{43}"', '<token>"') AS body_html
FROM authoob.mail_outbox WHERE recipient = 'html@example.com';
UPDATE authoob.mail_templates SET subject = 'Activate your account' WHERE kind = 'activation';

-- Mail needs its settings: without api_url, registering is an operator's
-- error (the HTTP front answers 500 and logs it), and nothing is written.
SELECT authoob_configure('{"api_url": null}') ->> 'api_url' AS api_url;
SELECT test.outcome($$ SELECT authoob_register('{"email": "noconf@example.com", "password1": "1Password", "password2": "1Password"}') $$);
SELECT count(*) AS users FROM authoob.users WHERE email = 'noconf@example.com';
SELECT authoob_configure('{"api_url": "https://api.example.com"}') ->> 'api_url' AS api_url;
