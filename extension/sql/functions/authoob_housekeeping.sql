-- Removes what no request will read again (docs/operations.md
-- "Housekeeping"), at most batch rows of each kind a
-- call, and answers how many of each it removed; "more" says a kind had
-- more than batch to go, for the caller to call again (each call its own
-- short transaction: never a long lock).  The fronts call it on a schedule
-- (authoob-http --housekeeping); any number of them may at once: a second
-- call while one runs on the same database is a no-op ({"busy": true}),
-- and no call waits for a row a request holds (SKIP LOCKED).
--
-- What goes, and why it is safe:
--   sessions        past expires_at: no token of theirs verifies, and no
--                   refresh revives one (both require expires_at > now())
--   refresh_tokens  those of such sessions, first, so that deleting a
--                   session never cascades to an unbounded number of rows.
--                   A rotated token of a live session stays as long as its
--                   session: presenting it again after refresh_reuse_interval
--                   must end the session (reuse detection), which a deleted
--                   row would answer as an unknown token instead
--   mail_tokens     spent or past expires_at: neither activates nor resets
--   flow_states     past the longest mailed token's lifetime, as
--                   authoob_gotrue_start_flow removes them
--   mails           sent, failed for good or suppressed, older than
--                   mail_retention; pending and leased mails stay
--   throttle        a day without a failure and not blocked, as
--                   authoob_record_failure removes a few at a time
--   audit_log       records older than audit_retention days
--   anonymous_users anonymous users made more than anonymous_retention
--                   days ago, when it is set (authoob_sweep_anonymous)
CREATE OR REPLACE FUNCTION authoob_housekeeping(batch integer DEFAULT 1000)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    removed jsonb := '{}';
    more boolean := false;
    kind text;
    target text;
    source text;
    condition text;
    n bigint;
BEGIN
    IF batch IS NULL OR batch < 1 OR batch > 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000' USING ERRCODE = 'PT400';
    END IF;
    -- one run at a time per database: the others have nothing to add.  The
    -- settings' row is the lock, which only the owner may take (an
    -- advisory lock's key anyone who connects could hold, and stall every
    -- run); authoob_configure waits for a run's batches, no longer.
    SELECT * INTO s FROM authoob.settings FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN '{"busy": true}';
    END IF;
    -- each kind: its table, the rows o of it to remove with where they
    -- come from, and what makes them garbage ($2: a flow's lifetime, $3:
    -- mail_retention, $4: audit_retention, $5: anonymous_retention)
    FOR kind, target, source, condition IN VALUES
        ('refresh_tokens', 'authoob.refresh_tokens',
         'authoob.sessions x JOIN authoob.refresh_tokens o ON o.session_id = x.jti', 'x.expires_at < now()'),
        ('sessions', 'authoob.sessions', 'authoob.sessions o',
         'o.expires_at < now() AND NOT EXISTS (SELECT FROM authoob.refresh_tokens r WHERE r.session_id = o.jti)'),
        ('mail_tokens', 'authoob.mail_tokens', 'authoob.mail_tokens o', 'least(o.expires_at, o.used_at) < now()'),
        ('flow_states', 'authoob.flow_states', 'authoob.flow_states o', 'o.created_at < now() - $2'),
        ('mails', 'authoob.mail_outbox', 'authoob.mail_outbox o',
         $c$o.state IN ('sent', 'failed', 'suppressed') AND o.created_at < now() - $3$c$),
        ('throttle', 'authoob.throttle', 'authoob.throttle o',
         $c$o.last_failure_at < now() - interval '1 day' AND (o.blocked_until IS NULL OR o.blocked_until < now())$c$),
        ('audit_log', 'authoob.audit_log', 'authoob.audit_log o', 'o.created_at < now() - $4'),
        ('anonymous_users', 'authoob.users', 'authoob.users o',
         $c$o.email IS NULL AND $5 > interval '0' AND o.create_date < now() - $5$c$)
    LOOP
        EXECUTE format('DELETE FROM %s t WHERE t.ctid = ANY (ARRAY(SELECT o.ctid FROM %s WHERE %s'
                       ' LIMIT $1 FOR UPDATE OF o SKIP LOCKED))', target, source, condition)
            USING batch, make_interval(secs => greatest(s.activation_ttl, s.reset_ttl)),
                  make_interval(secs => s.mail_retention), make_interval(days => s.audit_retention),
                  make_interval(days => s.anonymous_retention);
        GET DIAGNOSTICS n = ROW_COUNT;
        removed := removed || jsonb_build_object(kind, n);
        more := more OR n = batch;
    END LOOP;
    RETURN removed || jsonb_build_object('more', more);
END
$$;

REVOKE ALL ON FUNCTION authoob_housekeeping(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_housekeeping(integer) TO authoob_api;
