-- POST /signup without an address (auth-js's signInAnonymously), as
-- GoTrue's anonymous.go: with anonymous_signin on, a user with no address
-- and a password no one knows (a random bcrypt-shaped string: no sign-in
-- by password matches it, and none costs a hash to make), counted against
-- the client as a registration, signed in with a refreshable session whose
-- tokens say is_anonymous (docs/supabase.md, "Anonymous sign-in").  Its
-- data is kept as POST /signup keeps it (the fields of P/profile set as
-- PUT P/profile sets them, with the new session's token).  The user counts as confirmed, so
-- that require_activation lets its sessions live: there is no address to
-- confirm, and the user object shows no confirmation.  Owner only.
CREATE OR REPLACE FUNCTION authoob_gotrue_sign_in_anonymously(data jsonb, client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint;
    fields jsonb;
    session jsonb;
BEGIN
    IF NOT (SELECT s.anonymous_signin FROM authoob.settings s) THEN
        PERFORM @extschema@.authoob_gotrue_not_built('anonymous');
    END IF;
    PERFORM @extschema@.authoob_count_sign_up(client_ip);
    -- 60 characters as bcrypt writes them, 318 random bits after the cost
    INSERT INTO authoob.users (email, password, confirmed_at)
    SELECT NULL, format('$2a$%s$%s', lpad(s.bcrypt_cost::text, 2, '0'), translate(substr(encode(
               uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
               || uuid_send(gen_random_uuid()), 'base64'), 1, 53), '+', '.')), now()
    FROM authoob.settings s
    RETURNING id INTO uid;
    fields := @extschema@.authoob_gotrue_user_metadata(uid, data);
    session := @extschema@.authoob_grant_session_of(uid, client_ip);
    IF fields <> '{}' THEN
        PERFORM @extschema@.authoob_update_profile(session ->> 'access_token', fields);
    END IF;
    RETURN @extschema@.authoob_gotrue_session(session);
END
$$;

REVOKE ALL ON FUNCTION authoob_gotrue_sign_in_anonymously(jsonb, inet) FROM PUBLIC;
