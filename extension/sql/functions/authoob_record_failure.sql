-- Records a failed attempt against the brute-force limits
-- (docs/security.md): a doubling wait per account after its free failures, and
-- each scope's cap per window; and the events that a budget counts
-- whatever their outcome (password asks, password hashes).
-- authoob_attempt() records as the owner and commits before raising the
-- action's error (a function could not: its error would roll the record
-- back); nobody else may call it.
CREATE OR REPLACE FUNCTION authoob_record_failure(scope text, key text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    window_seconds integer;
    limit_in_window integer;
    t authoob.throttle;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    IF NOT s.throttle THEN
        RETURN;
    END IF;
    window_seconds := CASE authoob_record_failure.scope WHEN 'login' THEN 3600 ELSE s.ip_window END;
    limit_in_window := CASE authoob_record_failure.scope WHEN 'login' THEN s.login_failures_per_hour
                                  WHEN 'ip' THEN s.ip_failures_per_window
                                  WHEN 'ask_ip' THEN s.asks_per_window
                                  WHEN 'hash_ip' THEN s.client_hashes_per_window
                                  WHEN 'sign_in' THEN s.account_sign_ins_per_window
                                  ELSE s.token_failures_per_window END;
    INSERT INTO authoob.throttle AS th (scope, key, consecutive, window_failures)
    VALUES (authoob_record_failure.scope, authoob_record_failure.key, 1, 1)
    ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET
        consecutive = th.consecutive + 1,
        window_start = CASE WHEN th.window_start <= now() - make_interval(secs => window_seconds)
                            THEN now() ELSE th.window_start END,
        window_failures = CASE WHEN th.window_start <= now() - make_interval(secs => window_seconds)
                               THEN 1 ELSE th.window_failures + 1 END,
        last_failure_at = now()
    RETURNING * INTO t;
    -- accounts: a doubling wait after the free failures; everyone: the window's cap
    UPDATE authoob.throttle th SET blocked_until = nullif(greatest(
        CASE WHEN authoob_record_failure.scope = 'login' AND t.consecutive >= s.login_free_failures
             THEN now() + make_interval(secs => least(s.login_backoff_max,
                                                      power(2, least(t.consecutive - s.login_free_failures, 20))))
        END,
        CASE WHEN t.window_failures >= limit_in_window
             THEN t.window_start + make_interval(secs => window_seconds)
        END), NULL)
    WHERE th.scope = t.scope AND th.key = t.key;
    -- forget what is a day old, a few rows at a time, and none that
    -- another transaction is writing: this runs with every sign-in
    DELETE FROM authoob.throttle th WHERE th.ctid IN (
        SELECT o.ctid FROM authoob.throttle o
        WHERE o.last_failure_at < now() - interval '1 day' LIMIT 10
        FOR UPDATE SKIP LOCKED);
END
$$;

REVOKE ALL ON FUNCTION authoob_record_failure(text, text) FROM PUBLIC;
