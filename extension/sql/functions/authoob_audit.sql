-- An admin action's record in authoob.audit_log: the actor is the admin
-- API's ('service_role', set by the route's function for this transaction)
-- or the caller's role (the owner, calling the SQL function); the client's
-- address likewise.  Owner only.
CREATE OR REPLACE FUNCTION authoob_audit(action text, target uuid, payload jsonb DEFAULT '{}')
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO authoob.audit_log (actor, action, target, ip_address, payload)
    VALUES (coalesce(nullif(current_setting('authoob.admin_actor', true), ''), session_user::text),
            action, target, nullif(current_setting('authoob.admin_ip', true), '')::inet,
            coalesce(payload, '{}'))
$$;

REVOKE ALL ON FUNCTION authoob_audit(text, uuid, jsonb) FROM PUBLIC;
