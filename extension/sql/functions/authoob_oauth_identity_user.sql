-- Whose sign-in a provider's answer is (docs/identity-providers.md): the
-- user of the identity (provider, subject) if there is one, its claims
-- brought up to date (a link refuses it: identity_already_exists); else
-- the signed-in user adding it (link_user_id; audited as identity_linked,
-- and an anonymous user takes the address the provider verified);
-- else the account of the same address, ONLY when the provider says the
-- address is verified and the account is confirmed (anything less would
-- let whoever registers the victim's address at a provider take the
-- account, or keep one waiting there); else a new user, confirmed when
-- the provider verified the address, counted against the client as a
-- registration is and refused while disable_signup is on (as Supabase
-- Auth does).  The identity is made or updated.  Owner only.
CREATE OR REPLACE FUNCTION authoob_oauth_identity_user(p authoob.identity_providers, claims jsonb,
                                                       link_user_id bigint, client_ip inet)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject_id text := @extschema@.authoob_oauth_subject(claims);
    address text := lower(nullif(claims ->> p.email_claim, ''));
    verified boolean := coalesce(claims -> p.email_verified_claim IN ('true', '"true"'), false);
    ident authoob.identities;
    account authoob.users;
    uid bigint := link_user_id;
    new_uuid uuid;
BEGIN
    IF subject_id IS NULL THEN
        RAISE EXCEPTION 'the provider names no subject' USING ERRCODE = 'PT502';
    END IF;
    SELECT * INTO ident FROM authoob.identities i WHERE i.provider = p.name AND i.subject = subject_id
    FOR UPDATE;
    IF FOUND THEN
        -- GoTrue's linkIdentityToUser: a link adds an identity, never finds one
        IF link_user_id IS NOT NULL AND ident.user_id <> link_user_id THEN
            RAISE EXCEPTION 'Identity is already linked to another user' USING ERRCODE = 'PT422',
                DETAIL = '{"error_code": "identity_already_exists"}';
        ELSIF link_user_id IS NOT NULL THEN
            RAISE EXCEPTION 'Identity is already linked' USING ERRCODE = 'PT422',
                DETAIL = '{"error_code": "identity_already_exists"}';
        END IF;
        UPDATE authoob.identities i SET claims = authoob_oauth_identity_user.claims, email = address,
            last_sign_in_at = now(), updated_at = now()
        WHERE i.id = ident.id;
        RETURN ident.user_id;
    END IF;
    IF uid IS NULL THEN
        SELECT * INTO account FROM authoob.users u WHERE lower(u.email) = address FOR UPDATE;
        IF FOUND AND verified AND account.confirmed_at IS NOT NULL THEN
            uid := account.id;
        ELSIF FOUND THEN
            RAISE EXCEPTION 'an account with this address exists: sign in to it, then link this provider'
                USING ERRCODE = 'PT422', DETAIL = '{"error_code": "email_exists"}';
        ELSIF address IS NULL THEN
            RAISE EXCEPTION 'the provider tells no email address' USING ERRCODE = 'PT422',
                DETAIL = '{"error_code": "validation_failed"}';
        ELSE
            -- as an admin creates one: no password anyone knows, no mail
            PERFORM @extschema@.authoob_count_sign_up(client_ip);
            new_uuid := @extschema@.authoob_new_user_uuid();
            PERFORM @extschema@.authoob_admin_create_user(jsonb_build_object(
                'id', new_uuid, 'email', address, 'email_confirm', verified));
            SELECT u.id INTO uid FROM authoob.users u WHERE u.uuid = new_uuid;
        END IF;
    END IF;
    -- a callback at the same time may add the same subject first: the
    -- unique index makes this one wait for it, then refuse
    BEGIN
        INSERT INTO authoob.identities (provider, subject, user_id, email, claims, last_sign_in_at)
        VALUES (p.name, subject_id, uid, address, claims, now())
        RETURNING * INTO ident;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'Identity is already linked to another user' USING ERRCODE = 'PT422',
            DETAIL = '{"error_code": "identity_already_exists"}';
    END;
    IF link_user_id IS NOT NULL THEN
        SELECT * INTO account FROM authoob.users u WHERE u.id = uid FOR UPDATE;
        INSERT INTO authoob.audit_log (actor, action, target, ip_address, payload)
        VALUES (account.uuid::text, 'identity_linked', account.uuid, client_ip,
                jsonb_build_object('identity_id', ident.id, 'provider', ident.provider, 'provider_id', ident.subject));
        -- an anonymous user takes the address the provider verified, as
        -- GoTrue's linkIdentityToUser makes it permanent; an address another
        -- account has refuses the link (email_exists), an unverified one
        -- leaves the user anonymous (docs/identity-providers.md)
        IF account.email IS NULL AND address IS NOT NULL AND verified THEN
            IF EXISTS (SELECT FROM authoob.users u WHERE lower(u.email) = address) THEN
                RAISE EXCEPTION 'A user with this email address has already been registered'
                    USING ERRCODE = 'PT400', DETAIL = '{"error_code": "email_exists"}';
            END IF;
            UPDATE authoob.users u SET email = address, confirmed_at = coalesce(u.confirmed_at, now()),
                update_date = now()
            WHERE u.id = uid;
        END IF;
    END IF;
    RETURN uid;
END
$$;

REVOKE ALL ON FUNCTION authoob_oauth_identity_user(authoob.identity_providers, jsonb, bigint, inet) FROM PUBLIC;
