-- A claimed mail given back untried (the mailer is stopping, or its lease
-- ran too short to start): due again at once, the attempt not counted.
CREATE OR REPLACE FUNCTION authoob_mail_release(mail_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH released AS (
        UPDATE authoob.mail_outbox m
        SET state = 'pending', attempts = greatest(m.attempts - 1, 0), next_attempt_at = now()
        WHERE m.id = mail_id AND m.state = 'sending'
        RETURNING 1)
    SELECT count(*) > 0 FROM released
$$;

REVOKE ALL ON FUNCTION authoob_mail_release(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_mail_release(bigint) TO authoob_api;
