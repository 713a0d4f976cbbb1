-- Mail delivery, for authoob-http's mailer.  A claim leases due mails for
-- lease seconds: SKIP LOCKED lets several mailers claim side by side, and a
-- mailer that dies mid-delivery leaves its mails to be claimed again when
-- the lease ends.
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

REVOKE ALL ON FUNCTION authoob_mail_claim(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mail_claim(integer, integer) TO authoob_api;
