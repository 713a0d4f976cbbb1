-- What authoob-http's metrics show of the database (docs/operations.md
-- "Metrics"): the mail outbox's depth (mails waiting, those due now, those
-- leased by a mailer) and the age in seconds of the asymmetric key that
-- signs new tokens (null under HS256: the secret carries no date).  Reads
-- the outbox through its partial index of undelivered mails only.
CREATE OR REPLACE FUNCTION authoob_metrics()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'mails_pending', count(*) FILTER (WHERE m.state = 'pending'),
        'mails_due', count(*) FILTER (WHERE m.state = 'pending' AND m.next_attempt_at <= now()),
        'mails_sending', count(*) FILTER (WHERE m.state = 'sending'),
        'signing_key_age', (SELECT extract(epoch FROM now() - k.created_at)::bigint
                            FROM authoob.signing_keys k JOIN authoob.settings s ON k.alg = s.signing_alg
                            WHERE k.valid_until IS NULL))
    FROM authoob.mail_outbox m
    WHERE m.state IN ('pending', 'sending')
$$;

REVOKE ALL ON FUNCTION authoob_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_metrics() TO authoob_api;
