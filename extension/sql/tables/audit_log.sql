-- What happened to whose account (docs/security.md, "Audit log"): every
-- admin action, and the users' own sign-ins, sign-ups, password changes
-- and session ends, one row each, written in the transaction that did it
-- (so a failure leaves no row).  actor: the user's uuid for their own
-- acts, 'service_role' for the admin API, the owner's role for the SQL
-- functions; target: the user acted on; payload: what was asked, never a
-- secret (no password, hash or token).  Owner only; housekeeping removes
-- rows older than audit_retention days.
CREATE TABLE authoob.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    target uuid,
    ip_address inet,
    outcome text NOT NULL DEFAULT 'success',
    payload jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object')
);
-- what housekeeping looks for, and a user's history
CREATE INDEX audit_log_created_at_idx ON authoob.audit_log (created_at);
CREATE INDEX audit_log_target_idx ON authoob.audit_log (target);
REVOKE ALL ON authoob.audit_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.audit_log_id_seq', '');
CREATE TRIGGER audit_user_event AFTER INSERT OR UPDATE OF login_count, password ON authoob.users
    FOR EACH ROW EXECUTE FUNCTION @extschema@.authoob_audit_user_event();
CREATE TRIGGER audit_session_end AFTER DELETE ON authoob.sessions
    FOR EACH ROW EXECUTE FUNCTION @extschema@.authoob_audit_user_event();
