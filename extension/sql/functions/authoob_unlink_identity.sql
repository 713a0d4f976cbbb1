-- DELETE G/user/identities/<identity_id> (auth-js unlinkIdentity) and
-- DELETE P/identities/<identity_id> (docs/identity-providers.md, "Linking
-- and unlinking"), as GoTrue's DeleteIdentity: the signed-in user's own
-- identity at a provider goes, 200 {}.  Its checks in GoTrue's order: the
-- token; manual_linking (404 manual_linking_disabled); an id that is not a
-- uuid (404 validation_failed); the last identity, as the user object
-- counts them, the address's and the providers' (422
-- single_identity_not_deletable); an identity that is not the user's, of
-- another user or of none alike (422 identity_not_found, which tells
-- nothing of other users' identities).  The address's own identity
-- ("email") is the account's address, not a row: it is changed by an
-- email change, never unlinked (422 validation_failed;
-- docs/decisions.md).  The user's row is locked first, so that two
-- unlinks at once cannot leave it without a way in.  The audit log gets
-- identity_unlinked, with GoTrue's payload.
CREATE OR REPLACE FUNCTION authoob_unlink_identity(token text, identity_id text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_verify(token);
    s authoob.settings;
    u authoob.users;
    gone authoob.identities;
    wanted uuid;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    IF NOT s.manual_linking THEN
        RETURN @extschema@.authoob_gotrue_not_built('identities');
    END IF;
    IF identity_id IS NULL
       OR identity_id !~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' THEN
        RAISE EXCEPTION 'identity_id must be an UUID' USING ERRCODE = 'PT404',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    wanted := identity_id::uuid;
    SELECT * INTO u FROM authoob.users x WHERE x.id = uid FOR UPDATE;
    IF (u.email IS NOT NULL)::integer
       + (SELECT count(*) FROM authoob.identities i WHERE i.user_id = uid) <= 1 THEN
        RAISE EXCEPTION 'User must have at least 1 identity after unlinking' USING ERRCODE = 'PT422',
            DETAIL = '{"error_code": "single_identity_not_deletable"}';
    END IF;
    IF u.email IS NOT NULL AND s.jwt_sub = 'uuid' AND wanted = u.uuid THEN
        RAISE EXCEPTION 'The email identity is the account''s address: change the address instead'
            USING ERRCODE = 'PT422', DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    DELETE FROM authoob.identities i WHERE i.id = wanted AND i.user_id = uid RETURNING * INTO gone;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Identity doesn''t exist' USING ERRCODE = 'PT422',
            DETAIL = '{"error_code": "identity_not_found"}';
    END IF;
    INSERT INTO authoob.audit_log (actor, action, target, ip_address, payload)
    VALUES (u.uuid::text, 'identity_unlinked', u.uuid, client_ip,
            jsonb_build_object('identity_id', gone.id, 'provider', gone.provider, 'provider_id', gone.subject));
    RETURN '{}';
END
$$;

REVOKE ALL ON FUNCTION authoob_unlink_identity(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_unlink_identity(text, text, inet) TO authoob_api;
