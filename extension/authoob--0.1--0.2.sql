/* authoob--0.1--0.2.sql: from 0.1 to 0.2 (the README's "Upgrades") */

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.2'" to load this file. \quit

-- Per-IP limits count a client's network: a client commonly owns a whole
-- IPv6 /64 and could rotate through it.
ALTER TABLE authoob.settings
    ADD COLUMN ip_prefix_v4 integer NOT NULL DEFAULT 32,
    ADD COLUMN ip_prefix_v6 integer NOT NULL DEFAULT 64;

-- authoob_attempt records failures as the extension's owner: a caller of
-- the request functions may not record failures of its choosing (it could
-- lock any account out without even trying a password).
REVOKE EXECUTE ON FUNCTION authoob_record_failure(text, text) FROM authoob_api;

-- password/ask records every request the same way, for a registered
-- address or not, so that neither its answer nor its time tells who is
-- registered; authoob_mail_prepare(), which every mailer's claim runs,
-- makes the reset mails of registered addresses and drops the others.
CREATE TABLE authoob.mail_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('reset')),
    email text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON authoob.mail_requests FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_requests', '');

CREATE FUNCTION authoob_mail_prepare(max_requests integer DEFAULT 100)
RETURNS integer AS 'MODULE_PATHNAME', 'authoob_mail_prepare'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_mail_prepare(integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authoob_mail_claim(max_mails integer DEFAULT 10,
                                              lease integer DEFAULT 60)
RETURNS TABLE (id bigint, sender text, recipient text, subject text,
               body_text text, body_html text, message_id text, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_mail_prepare();
    UPDATE authoob.mail_outbox m
    SET state = 'sending', attempts = m.attempts + 1,
        next_attempt_at = now() + make_interval(secs => greatest(lease, 1))
    WHERE m.id IN (SELECT d.id FROM authoob.mail_outbox d
                   WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= now()
                   ORDER BY d.next_attempt_at, d.id
                   LIMIT greatest(max_mails, 0)
                   FOR UPDATE SKIP LOCKED)
    RETURNING m.id, m.sender, m.recipient, m.subject, m.body_text, m.body_html,
              m.message_id, m.attempts
$$;
CREATE OR REPLACE FUNCTION authoob_password_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION authoob_password_ask(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
