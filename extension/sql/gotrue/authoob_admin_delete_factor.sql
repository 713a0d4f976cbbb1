-- auth.admin.mfa.deleteFactor, for the owner in SQL and for DELETE
-- G/admin/users/<uuid>/factors/<id>: the factor goes, audited as
-- factor_deleted, and the user's sessions live on at aal1, as Supabase
-- Auth downgrades the sessions the factor raised (authoob does not record
-- which factor raised a session: every aal2 session of the user goes back
-- to aal1, and verifies again with a factor it still has).  404 for no
-- such user, or no such factor of theirs.  Answers the factor as it was
-- listed.
CREATE OR REPLACE FUNCTION authoob_admin_delete_factor(user_id uuid, factor_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_admin_user_id(user_id::text);
    factor jsonb;
BEGIN
    SELECT f INTO factor FROM jsonb_array_elements(@extschema@.authoob_admin_list_factors(user_id)) f
    WHERE f ->> 'id' = factor_id::text;
    IF factor IS NULL THEN
        RAISE EXCEPTION 'Factor not found' USING ERRCODE = 'PT404',
            DETAIL = '{"error_code": "mfa_factor_not_found"}';
    END IF;
    PERFORM @extschema@.authoob_audit('factor_deleted', user_id, jsonb_build_object(
        'factor_id', factor_id, 'factor_type', factor ->> 'factor_type'));
    DELETE FROM authoob.mfa_factors f WHERE f.id = factor_id AND f.user_id = uid;
    UPDATE authoob.sessions s SET aal = 'aal1', mfa_method = NULL, mfa_at = NULL
    WHERE s.user_id = uid AND s.aal = 'aal2';
    RETURN factor;
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_delete_factor(uuid, uuid) FROM PUBLIC;
