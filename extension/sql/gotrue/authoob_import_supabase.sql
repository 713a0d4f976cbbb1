-- A Supabase project's users brought into authoob.users (docs/supabase.md,
-- "Bringing your users"), from source.users and source.identities as
-- Supabase Auth's migrations define them, restored into this database (a
-- pg_dump of schema auth, or postgres_fdw's IMPORT FOREIGN SCHEMA).  Each
-- keeps its id as uuid (so that apps' user_id columns still match), its
-- address lower-cased, its confirmation, creation and last sign-in times,
-- its bcrypt hash (which verifies as it is and is made again at the next
-- sign-in), raw_user_meta_data as user_metadata (username, firstname,
-- lastname to their columns), raw_app_meta_data as app_metadata, and its
-- ban.  Skipped and counted: deleted, SSO and anonymous users, users
-- without an address, those imported already (by uuid), and those whose
-- address another uuid holds here (each listed under "conflicts": nothing
-- is overwritten); sharded, those of another partition (run it on each),
-- and those whose uuid would route elsewhere than their address.  Rows
-- are read as jsonb, so that a column an older Supabase Auth lacks reads
-- as NULL.  One statement: all or nothing; a second run imports only what
-- is new.
-- Owner only: it reads whatever schema it is given with the owner's rights.
CREATE OR REPLACE FUNCTION authoob_import_supabase(source name DEFAULT 'auth')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    users_table regclass := to_regclass(format('%I.users', source));
    identities_table regclass := to_regclass(format('%I.identities', source));
    -- the identities of other providers of the users imported: authoob
    -- signs in by address (and password) only
    other_identities text := CASE WHEN identities_table IS NULL THEN $none$'{}'::jsonb$none$
        ELSE format($sql$(SELECT coalesce(jsonb_object_agg(k.provider, k.n), '{}') FROM (
            SELECT i.provider, count(*) AS n FROM %s i JOIN imported m ON m.uuid = i.user_id
            WHERE i.provider <> 'email' GROUP BY i.provider) k)$sql$, identities_table) END;
    result jsonb;
BEGIN
    IF users_table IS NULL OR (SELECT count(*) FROM pg_attribute a
                               WHERE a.attrelid = users_table AND NOT a.attisdropped
                                 AND a.attname IN ('id', 'email', 'encrypted_password')) <> 3 THEN
        RAISE EXCEPTION 'no users table of Supabase Auth in schema "%"', source USING ERRCODE = 'PT400',
            HINT = 'Restore the project''s schema auth first (docs/supabase.md, "Bringing your users").';
    END IF;
    EXECUTE format($sql$
        WITH source AS (
            SELECT (r ->> 'id')::uuid AS id, lower(btrim(r ->> 'email')) AS email,
                   coalesce(r ->> 'encrypted_password', '') AS hash, r
            FROM (SELECT to_jsonb(u) AS r FROM %s u) s
        ),
        sorted AS (
            SELECT s.*, CASE
                -- sharded, a user is the partition's their address leads
                -- to (the proxy's rule), one without an address partition 0's
                WHEN EXISTS (SELECT FROM authoob.partition p
                             WHERE CASE WHEN coalesce(s.email, '') = '' THEN 0
                                        ELSE hashtext(s.email) & (p.partitions - 1) END <> p.partition)
                    THEN 'other_partition'
                WHEN s.r ->> 'deleted_at' IS NOT NULL THEN 'deleted'
                WHEN (s.r ->> 'is_sso_user')::boolean THEN 'sso'
                WHEN (s.r ->> 'is_anonymous')::boolean THEN 'anonymous'
                WHEN coalesce(s.email, '') = '' THEN 'no_email'
                WHEN EXISTS (SELECT FROM authoob.users u WHERE u.uuid = s.id) THEN 'already_imported'
                -- and its uuid must lead there too, for the routes by uuid
                WHEN EXISTS (SELECT FROM authoob.partition p
                             WHERE hashtext(s.id::text) & (p.partitions - 1) <> p.partition) THEN 'unroutable'
                END AS skipped
            FROM source s
        ),
        -- a second account of an address (here, or earlier in the source)
        -- is left out by ON CONFLICT: a conflict
        imported AS (
            INSERT INTO authoob.users (uuid, email, password, confirmed_at, create_date, update_date,
                                       current_login_at, banned_until, username, firstname, lastname,
                                       user_metadata, app_metadata)
            SELECT s.id, s.email,
                   CASE WHEN s.hash ~ '^\$(2[abxy]\$[0-9]{2}\$[./A-Za-z0-9]{53}|argon2id\$.+)$'
                        THEN s.hash ELSE '!' END,
                   -- confirmed_at before Supabase Auth named it email_confirmed_at
                   (CASE WHEN s.r ? 'email_confirmed_at' THEN s.r ->> 'email_confirmed_at'
                         ELSE s.r ->> 'confirmed_at' END)::timestamptz,
                   coalesce((s.r ->> 'created_at')::timestamptz, now()),
                   coalesce((s.r ->> 'updated_at')::timestamptz, (s.r ->> 'created_at')::timestamptz, now()),
                   (s.r ->> 'last_sign_in_at')::timestamptz,
                   (s.r ->> 'banned_until')::timestamptz,
                   left(s.meta ->> 'username', 255), left(s.meta ->> 'firstname', 255),
                   left(s.meta ->> 'lastname', 255),
                   s.meta - ARRAY['username', 'firstname', 'lastname'],
                   CASE WHEN jsonb_typeof(s.r -> 'raw_app_meta_data') = 'object'
                        THEN s.r -> 'raw_app_meta_data' ELSE '{}' END
            FROM (SELECT t.*, CASE WHEN jsonb_typeof(t.r -> 'raw_user_meta_data') = 'object'
                                   THEN t.r -> 'raw_user_meta_data' ELSE '{}' END AS meta
                  FROM sorted t WHERE t.skipped IS NULL) s
            ORDER BY (s.r ->> 'created_at')::timestamptz NULLS LAST, s.id
            ON CONFLICT DO NOTHING
            RETURNING uuid, password
        ),
        outcome AS (
            SELECT s.id, s.email, s.r, coalesce(s.skipped, CASE WHEN i.uuid IS NULL THEN 'conflict' END) AS skipped,
                   i.password = '!' AS without_password
            FROM sorted s LEFT JOIN imported i ON i.uuid = s.id
        )
        SELECT jsonb_build_object(
            'imported', count(*) FILTER (WHERE o.skipped IS NULL),
            'without_password', count(*) FILTER (WHERE o.without_password),
            'phone_not_imported', count(*) FILTER (WHERE o.skipped IS NULL
                                                   AND coalesce(o.r ->> 'phone', '') <> ''),
            'skipped', coalesce((SELECT jsonb_object_agg(k.skipped, k.n) FROM (
                SELECT o2.skipped, count(*) AS n FROM outcome o2
                WHERE o2.skipped IS NOT NULL GROUP BY o2.skipped) k), '{}'),
            'conflicts', coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'email', o.email) ORDER BY o.email)
                                  FILTER (WHERE o.skipped = 'conflict'), '[]'),
            'identities_not_imported', %s)
        FROM outcome o
    $sql$, users_table, other_identities) INTO result;
    PERFORM @extschema@.authoob_audit('users_imported', NULL, result || jsonb_build_object('source', source));
    RETURN result;
END
$$;

REVOKE ALL ON FUNCTION authoob_import_supabase(name) FROM PUBLIC;
