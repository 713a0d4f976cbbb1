-- Removes what no request will read again (README "Operations", and
-- docs/operations.md "Housekeeping"), at most batch rows of each kind a
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
-- (When an audit log exists, its rows past their retention go here too.)
CREATE OR REPLACE FUNCTION authoob_housekeeping(batch integer DEFAULT 1000)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    removed jsonb := '{}';
    n bigint;
    more boolean := false;
BEGIN
    IF batch IS NULL OR batch < 1 OR batch > 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000' USING ERRCODE = 'PT400';
    END IF;
    -- one run at a time per database: the others have nothing to add
    IF NOT pg_try_advisory_xact_lock(hashtext('authoob_housekeeping'), 0) THEN
        RETURN '{"busy": true}';
    END IF;
    SELECT * INTO s FROM authoob.settings;

    DELETE FROM authoob.refresh_tokens r WHERE r.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.sessions x JOIN authoob.refresh_tokens o ON o.session_id = x.jti
        WHERE x.expires_at < now() LIMIT batch FOR UPDATE OF o SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('refresh_tokens', n);
    more := more OR n = batch;

    DELETE FROM authoob.sessions x WHERE x.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.sessions o
        WHERE o.expires_at < now()
          AND NOT EXISTS (SELECT FROM authoob.refresh_tokens r WHERE r.session_id = o.jti)
        LIMIT batch FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('sessions', n);
    more := more OR n = batch;

    DELETE FROM authoob.mail_tokens t WHERE t.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.mail_tokens o
        WHERE least(o.expires_at, o.used_at) < now()
        LIMIT batch FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('mail_tokens', n);
    more := more OR n = batch;

    DELETE FROM authoob.flow_states f WHERE f.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.flow_states o
        WHERE o.created_at < now() - make_interval(secs => greatest(s.activation_ttl, s.reset_ttl))
        LIMIT batch FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('flow_states', n);
    more := more OR n = batch;

    DELETE FROM authoob.mail_outbox m WHERE m.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.mail_outbox o
        WHERE o.state IN ('sent', 'failed', 'suppressed')
          AND o.created_at < now() - make_interval(secs => s.mail_retention)
        LIMIT batch FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('mails', n);
    more := more OR n = batch;

    DELETE FROM authoob.throttle t WHERE t.ctid = ANY (ARRAY(
        SELECT o.ctid FROM authoob.throttle o
        WHERE o.last_failure_at < now() - interval '1 day'
          AND (o.blocked_until IS NULL OR o.blocked_until < now())
        LIMIT batch FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed || jsonb_build_object('throttle', n);
    more := more OR n = batch;

    RETURN removed || jsonb_build_object('more', more);
END
$$;

REVOKE ALL ON FUNCTION authoob_housekeeping(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_housekeeping(integer) TO authoob_api;
