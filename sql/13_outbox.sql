--
-- Mail delivery: how a mailer (authoob-http) works the outbox.
--
\i sql/fixtures/setup.psql

-- (The outbox starts empty: the mails below are all it holds.)
SELECT authoob_configure('{"mail_max_attempts": 3, "mail_retry_delay": 30}') IS NOT NULL AS configured;
SELECT authoob_register('{"email": "mail1@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_register('{"email": "mail2@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;

-- A claim leases due mails: a second claim meanwhile gets nothing.
SELECT recipient, subject, attempts FROM authoob_mail_claim(10, 60) ORDER BY id;
SELECT count(*) AS claimed_again FROM authoob_mail_claim(10, 60);
SELECT recipient, state, attempts FROM authoob.mail_outbox WHERE recipient LIKE 'mail_@example.com' ORDER BY id;

-- Delivered: sent.  Failed: tried again later, with a doubling delay.
SELECT authoob_mail_done(id) AS outcome FROM authoob.mail_outbox WHERE recipient = 'mail1@example.com';
SELECT authoob_mail_done(id, 'connection refused') AS outcome FROM authoob.mail_outbox WHERE recipient = 'mail2@example.com';
SELECT recipient, state, sent_at IS NOT NULL AS sent, last_error,
       -- (a few seconds of slack: the delay ran from the earlier statement)
       CASE WHEN state = 'pending' THEN extract(epoch FROM next_attempt_at - now()) BETWEEN 20 AND 30 END AS retry_in_30s
FROM authoob.mail_outbox WHERE recipient LIKE 'mail_@example.com' ORDER BY id;
-- reporting twice changes nothing
SELECT authoob_mail_done(id) AS outcome FROM authoob.mail_outbox WHERE recipient = 'mail1@example.com';

-- When the delay has passed it is claimed again; after mail_max_attempts
-- failures it is failed for good, with its last error.
UPDATE authoob.mail_outbox SET next_attempt_at = now() WHERE recipient = 'mail2@example.com';
SELECT recipient, attempts FROM authoob_mail_claim();
SELECT authoob_mail_done(id, 'mailbox unavailable') AS outcome FROM authoob.mail_outbox WHERE recipient = 'mail2@example.com';
SELECT extract(epoch FROM next_attempt_at - now()) BETWEEN 50 AND 60 AS retry_in_60s
FROM authoob.mail_outbox WHERE recipient = 'mail2@example.com';
UPDATE authoob.mail_outbox SET next_attempt_at = now() WHERE recipient = 'mail2@example.com';
SELECT recipient, attempts FROM authoob_mail_claim();
SELECT authoob_mail_done(id, 'mailbox unavailable') AS outcome FROM authoob.mail_outbox WHERE recipient = 'mail2@example.com';
SELECT count(*) AS claimable FROM authoob_mail_claim();

-- A mailer that dies mid-delivery: its lease ends and another claims it.
SELECT authoob_register('{"email": "mail3@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT recipient FROM authoob_mail_claim(10, 60);
UPDATE authoob.mail_outbox SET next_attempt_at = now() WHERE recipient = 'mail3@example.com';
SELECT recipient, attempts FROM authoob_mail_claim(10, 60);

-- Suppressed mails (prevent_mail_send) are never claimed.
SELECT authoob_configure('{"prevent_mail_send": true}') ->> 'prevent_mail_send' AS prevent_mail_send;
SELECT authoob_register('{"email": "quiet@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_configure('{"prevent_mail_send": false}') ->> 'prevent_mail_send' AS prevent_mail_send;
SELECT recipient, state FROM authoob.mail_outbox WHERE state = 'suppressed';
SELECT count(*) AS suppressed_claimed FROM authoob_mail_claim(100, 60) c
JOIN authoob.mail_outbox m USING (id) WHERE m.state = 'suppressed';

-- The API role can work the outbox, and still not read it.
CALL test.drop_roles('regress_authoob_mailer');
CREATE ROLE regress_authoob_mailer IN ROLE authoob_api;
SET ROLE regress_authoob_mailer;
SELECT count(*) AS claimed FROM authoob_mail_claim();
SELECT test.outcome($$ SELECT count(*) FROM authoob.mail_outbox $$);
RESET ROLE;
DROP ROLE regress_authoob_mailer;
SELECT authoob_configure('{"mail_max_attempts": 8}') IS NOT NULL AS configured;

-- A mail no retry could send fails at once; a claimed mail given back
-- untried is due again, its attempt not counted.
SELECT authoob_register('{"email": "mail4@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT authoob_register('{"email": "mail5@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT recipient, attempts FROM authoob_mail_claim(10, 60) ORDER BY recipient;
SELECT authoob_mail_done(id, 'address refused', permanent => true) AS outcome
FROM authoob.mail_outbox WHERE recipient = 'mail4@example.com';
SELECT authoob_mail_release(id) AS released FROM authoob.mail_outbox WHERE recipient = 'mail5@example.com';
SELECT authoob_mail_release(id) AS released_twice FROM authoob.mail_outbox WHERE recipient = 'mail5@example.com';
SELECT recipient, state, attempts FROM authoob.mail_outbox WHERE recipient IN ('mail4@example.com', 'mail5@example.com') ORDER BY recipient;
SELECT recipient, attempts FROM authoob_mail_claim(10, 60);

-- A subject template cannot break out of its line, whatever its own text
-- holds.
UPDATE authoob.mail_templates SET subject = E'Hi\r\nBcc: x@example.com {{email}}' WHERE kind = 'activation';
SELECT authoob_register('{"email": "mail6@example.com", "password1": "1Password", "password2": "1Password"}') IS NOT NULL AS registered;
SELECT subject FROM authoob.mail_outbox WHERE recipient = 'mail6@example.com';
UPDATE authoob.mail_templates SET subject = 'Activate your account' WHERE kind = 'activation';
