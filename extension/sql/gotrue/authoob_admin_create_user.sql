-- auth.admin.createUser, for the owner in SQL and for POST G/admin/users:
-- an account with attrs as authoob_admin_apply sets them (an "id" may
-- choose its uuid; without a password, a random one nobody knows, as
-- Supabase Auth draws), no mail sent, not confirmed unless email_confirm.
-- Audited as user_signedup by the admin.  Answers the user object.
CREATE OR REPLACE FUNCTION authoob_admin_create_user(attrs jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    address text := nullif(attrs ->> 'email', '');
    id uuid;
    uid bigint;
BEGIN
    IF jsonb_typeof(attrs) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'Could not parse request body as JSON' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_json"}';
    ELSIF address IS NULL AND nullif(attrs ->> 'phone', '') IS NULL THEN
        RAISE EXCEPTION 'Cannot create a user without either an email or phone'
            USING ERRCODE = 'PT400', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    IF nullif(attrs ->> 'id', '') IS NOT NULL THEN
        IF (attrs ->> 'id') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            RAISE EXCEPTION 'ID must conform to the uuid v4 format' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        ELSIF (attrs ->> 'id')::uuid = '00000000-0000-0000-0000-000000000000' THEN
            RAISE EXCEPTION 'ID cannot be a nil uuid' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed"}';
        END IF;
        id := (attrs ->> 'id')::uuid;
        -- sharded, a user lives where the hash of their uuid leads
        IF EXISTS (SELECT FROM authoob.partition p
                   WHERE hashtext(id::text) & (p.partitions - 1) <> p.partition) THEN
            RAISE EXCEPTION 'ID does not route to this partition' USING ERRCODE = 'PT400',
                DETAIL = '{"error_code": "validation_failed", "reason": "Sharded, a chosen id must hash to the partition of its email."}';
        END IF;
    END IF;
    -- the address checked as a change of it is, before there is a user
    PERFORM @extschema@.authoob_admin_apply(NULL, jsonb_build_object('email', address));
    IF coalesce(attrs ->> 'password', '') = '' THEN
        attrs := attrs || jsonb_build_object('password',
            replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') || 'Aa1');
    END IF;
    id := coalesce(id, @extschema@.authoob_new_user_uuid());
    -- the admin's record first: the users' own triggers then stay quiet
    PERFORM @extschema@.authoob_audit('user_signedup', id, jsonb_build_object(
        'user_email', address, 'provider', 'email'));
    -- no hash matches '!': the password of attrs replaces it below
    INSERT INTO authoob.users (email, password, uuid) VALUES (address, '!', id)
    RETURNING authoob.users.id INTO uid;
    PERFORM @extschema@.authoob_admin_apply(uid, attrs - 'email');
    RETURN @extschema@.authoob_admin_user_json(uid);
END
$$;

REVOKE ALL ON FUNCTION authoob_admin_create_user(jsonb) FROM PUBLIC;
