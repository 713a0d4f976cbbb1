-- The outcome of a delivery: sent (error NULL), or retried later with a
-- doubling delay, or failed for good after mail_max_attempts attempts, or
-- at once when the error is permanent (a mail no retry can send).
CREATE OR REPLACE FUNCTION authoob_mail_done(mail_id bigint, error text DEFAULT NULL,
                                  permanent boolean DEFAULT false)
RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE authoob.mail_outbox m
    SET state = CASE WHEN error IS NULL THEN 'sent'
                     WHEN permanent OR m.attempts >= s.mail_max_attempts THEN 'failed'
                     ELSE 'pending' END,
        sent_at = CASE WHEN error IS NULL THEN now() END,
        last_error = left(error, 2000),
        next_attempt_at = CASE WHEN error IS NULL THEN m.next_attempt_at
            ELSE now() + make_interval(secs =>
                s.mail_retry_delay * power(2, least(greatest(m.attempts - 1, 0), 16))) END
    FROM authoob.settings s
    WHERE m.id = mail_id AND m.state = 'sending'
    RETURNING m.state
$$;

REVOKE ALL ON FUNCTION authoob_mail_done(bigint, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mail_done(bigint, text, boolean) TO authoob_api;
