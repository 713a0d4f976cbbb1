-- shard-proxy.sql: the proxy database of a sharded authoob (docs/scale-out.md,
-- "Sharding"). Every function and procedure authoob-http calls,
-- with the same signature, routed by PL/Proxy to the partitions of the
-- cluster "authoob" (a foreign server of the plproxy wrapper whose options
-- p0, p1... are the partitions' conninfos; scripts/shard-setup.sh makes it
-- and runs this file). Each partition is an ordinary authoob database that
-- knows its number (authoob_set_partition).
--
-- The routes are data: one row of authoob_shard.routes a function, its
-- signature and where it runs. Adding a function the front calls is one
-- row. A partition's NOTIFY reaches the mailers listening on its own
-- database only: the functions that queue mail (wakes_mailers) NOTIFY the
-- proxy's mailers themselves. Where it runs:
--   email:ARG   the partition of the lower-cased "email" of the JSON body ARG
--   token:ARG   the partition of the user the token ARG names (its "sub",
--               read without checking the signature: the partition checks):
--               by id, or by uuid when the sub is one (setting jwt_sub)
--   id:ARG      the partition of a user or mail id (id = partition mod N)
--   uuid:ARG    the partition of a user's uuid (drawn so that its hashtext
--               routes there, as mailed tokens are), or of their id
--   state:ARG   the partition of the "state" of the query JSON ARG (drawn
--               to route to the partition of its flow, as mailed tokens are)
--   attempt     authoob_attempt's action decides (authoob_shard.attempts)
--   any         partition 0: what every partition answers alike
--   all         every partition (configuration): their common answer; a
--               jsonb answer that differs (a key each made) is the array of
--               the partitions' answers, anything else that differs an error
--   each        every partition, all the rows (mail claims)
--   sum         every partition, the sum of the counts they answer
--   keys        every partition, their JWKS "keys" as one (each partition
--               signs with keys of its own when the alg is asymmetric)
--   pages       every partition, a page of a list (token, query): each
--               answers its first page * per_page rows, newest first, and
--               the proxy cuts the page asked from them all, with the
--               total of their counts (Supabase Auth's listUsers); first
--               the partition of the token's user alone answers a page of
--               one, so that a refused token is refused as it is there
--
-- A PL/Proxy function re-raises a partition's error with its SQLSTATE but
-- a message of its own ("public.f(1): [p0] REMOTE ERROR: the message");
-- the functions the front calls give the partition's own message back.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA authoob_shard;
COMMENT ON SCHEMA authoob_shard IS 'authoob proxy: routes, and the PL/Proxy functions they make';
REVOKE ALL ON SCHEMA authoob_shard FROM PUBLIC;

CREATE TABLE authoob_shard.routes (
    signature text PRIMARY KEY,    -- name(arg type, ...), as the front calls it
    returns text NOT NULL,
    run_on text NOT NULL CHECK (run_on ~ '^(email|token|id|uuid|state):[a-z_]+$' OR run_on IN ('any', 'all', 'each', 'sum', 'keys', 'pages')),
    granted_to text CHECK (granted_to IN ('authoob_api', 'PUBLIC')),  -- as on a partition; NULL: the owner's
    wakes_mailers boolean NOT NULL DEFAULT false  -- it may queue a mail: NOTIFY authoob_mail here
);
REVOKE ALL ON authoob_shard.routes FROM PUBLIC;

INSERT INTO authoob_shard.routes (signature, returns, run_on, granted_to, wakes_mailers) VALUES
    -- requests
    ('authoob_register(payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_login(payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', false),
    ('authoob_password_ask(payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_logout(token text)',                              'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_logout_scope(token text, scope text)',            'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_token(token text)',                               'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_sessions(token text)',                            'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_end_session(token text, session_id text)',        'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_profile(token text)',                             'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_update_profile(token text, payload text)',        'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_reset_password(token text, payload text)',        'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_verify_headers(token text)',                      'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_verify(token text)',                              'bigint', 'token:token', 'PUBLIC', false),
    ('authoob_verify_role(token text, role text)',              'bigint', 'token:token', 'PUBLIC', false),
    ('authoob_public_profile(user_id text)',                    'jsonb', 'id:user_id', 'authoob_api', false),
    ('authoob_jwks()',                                          'jsonb', 'keys', 'authoob_api', false),
    ('authoob_settings()',                                      'jsonb', 'any', 'authoob_api', false),
    -- Supabase Auth's protocol (docs/supabase.md)
    ('authoob_gotrue_signup(payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)',  'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_gotrue_recover(payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_gotrue_resend(payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)',  'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_gotrue_user(token text)',                         'json', 'token:token', 'authoob_api', false),
    ('authoob_gotrue_update_user(token text, payload text)',    'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_gotrue_settings()',                               'jsonb', 'any', 'authoob_api', false),
    ('authoob_gotrue_not_built(what text)',                     'jsonb', 'any', 'authoob_api', false),
    ('authoob_gotrue_not_built(what text, token text)',         'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_gotrue_enroll_factor(token text, payload text)',  'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_gotrue_challenge_factor(token text, factor_id text, client_ip inet DEFAULT NULL)', 'jsonb', 'token:token', 'authoob_api', false),
    -- second factors (docs/security.md)
    ('authoob_mfa_factors(token text)',                         'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_mfa_enroll(token text, payload text)',            'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_mfa_unenroll(token text, factor_id text)',        'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_link_identity(dialect text, token text, query text, client_ip inet DEFAULT NULL)', 'jsonb', 'token:token', 'authoob_api', false),
    ('authoob_unlink_identity(token text, identity_id text, client_ip inet DEFAULT NULL)', 'jsonb', 'token:token', 'authoob_api', false),
    -- its admin API: a new user where its address leads, a user by uuid
    ('authoob_gotrue_admin_create_user(token text, payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', false),
    ('authoob_gotrue_admin_user(token text, user_id text)',     'jsonb', 'uuid:user_id', 'authoob_api', false),
    ('authoob_gotrue_admin_update_user(token text, user_id text, payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'uuid:user_id', 'authoob_api', false),
    ('authoob_gotrue_admin_delete_user(token text, user_id text, client_ip inet DEFAULT NULL)', 'jsonb', 'uuid:user_id', 'authoob_api', false),
    ('authoob_gotrue_admin_users(token text, query text)',      'jsonb', 'pages', 'authoob_api', false),
    ('authoob_gotrue_invite(token text, payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_gotrue_admin_generate_link(token text, payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', false),
    ('authoob_gotrue_admin_factors(token text, user_id text)',  'jsonb', 'uuid:user_id', 'authoob_api', false),
    ('authoob_gotrue_admin_delete_factor(token text, user_id text, factor_id text, client_ip inet DEFAULT NULL)', 'jsonb', 'uuid:user_id', 'authoob_api', false),
    -- sign-in with an identity provider: the flow on any partition, its
    -- callback where the flow is, then the partition of the user
    -- (public.authoob_oauth_callback below; docs/identity-providers.md)
    ('authoob_oauth_authorize(dialect text, query text, client_ip inet DEFAULT NULL)', 'jsonb', 'any', 'authoob_api', false),
    ('authoob_oauth_callback(query text, browser text, client_ip inet DEFAULT NULL)', 'jsonb', 'state:query', 'authoob_api', false),
    -- passwordless sign-in: the ask where its address lives
    ('authoob_otp_ask(payload text, client_ip inet DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    ('authoob_gotrue_otp(payload text, client_ip inet DEFAULT NULL, redirect_to text DEFAULT NULL)', 'jsonb', 'email:payload', 'authoob_api', true),
    -- an address change: asked by the user's token
    ('authoob_email_change(token text, payload text)',          'jsonb', 'token:token', 'authoob_api', true),
    -- the mailer
    ('authoob_mail_claim(max_mails integer DEFAULT 10, lease integer DEFAULT 60)',
     'TABLE (id bigint, sender text, recipient text, subject text, body_text text, body_html text, message_id text, attempts integer)',
     'each', 'authoob_api', false),
    ('authoob_mail_done(mail_id bigint, error text DEFAULT NULL, permanent boolean DEFAULT false)', 'text', 'id:mail_id', 'authoob_api', false),
    ('authoob_mail_release(mail_id bigint)',                    'boolean', 'id:mail_id', 'authoob_api', false),
    -- housekeeping and metrics (docs/operations.md): on every partition,
    -- each partition's answer (their array when they differ)
    ('authoob_housekeeping(batch integer DEFAULT 1000)',        'jsonb', 'all', 'authoob_api', false),
    ('authoob_metrics()',                                       'jsonb', 'all', 'authoob_api', false),
    -- configuration, the owner's: the same on every partition
    ('authoob_configure(settings jsonb)',                       'jsonb', 'all', NULL, false),
    ('authoob_rotate_secret(previous_valid_for interval DEFAULT NULL)', 'jsonb', 'all', NULL, false),
    ('authoob_rotate_key(previous_valid_for interval DEFAULT NULL)', 'jsonb', 'all', NULL, false),
    ('authoob_new_signing_key(alg text, previous_valid_for interval)', 'jsonb', 'all', NULL, false),
    ('authoob_clear_throttle(scope text DEFAULT NULL, key text DEFAULT NULL)', 'bigint', 'sum', NULL, false),
    -- reauthentication (docs/supabase.md)
    ('authoob_gotrue_reauthenticate(token text)',               'jsonb', 'token:token', 'authoob_api', true);

-- Where a route's argument leads: a partition's hash (PL/Proxy takes it
-- & (N - 1)). What cannot be read leads to partition 0, which answers
-- the error the front expects; no argument can lead anywhere but to a
-- partition's own function of the same name, run as the caller's mapping.
CREATE FUNCTION authoob_shard.email_partition(payload text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(hashtext(lower((payload::jsonb) ->> 'email')), 0);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

CREATE FUNCTION authoob_shard.id_partition(id text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(id::bigint, 0);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

-- A user's uuid routes by the hash of its text, lower-case as uuid_out
-- writes it (the partition drew it so).
CREATE FUNCTION authoob_shard.uuid_partition(uuid text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF uuid ~ '^[0-9]+$' THEN
        RETURN authoob_shard.id_partition(uuid);
    END IF;
    RETURN coalesce(hashtext(uuid::uuid::text), 0);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

-- A sign-in's flow by its state, drawn to route there.
CREATE FUNCTION authoob_shard.state_partition(query text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(hashtext((query::jsonb) ->> 'state'), 0);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

-- The user a token names: its payload's "sub", unchecked, an id or a uuid.
CREATE FUNCTION authoob_shard.token_partition(token text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    payload text := split_part(regexp_replace(token, '^.* ', ''), '.', 2);
    sub text;
BEGIN
    payload := translate(payload, '-_', '+/');
    payload := payload || repeat('=', (4 - length(payload) % 4) % 4);
    sub := convert_from(decode(payload, 'base64'), 'UTF8')::jsonb ->> 'sub';
    IF sub ~ '^[0-9]+$' THEN
        RETURN authoob_shard.id_partition(sub);
    END IF;
    RETURN authoob_shard.uuid_partition(sub);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

-- authoob_attempt's actions, data as the routes are: a row per action (and
-- grant_type of the token endpoints' bodies, else of their query string)
-- and where it runs.  A
-- sign-in by its email, a mailed token, refresh token or one-time code by
-- itself (the partition drew it so that it hashes there):
--   email       the partition of the body's lower-cased "email"
--   hash        hashtext(the argument itself)
--   hash:K,...  hashtext(the first non-empty of the body's K, ...); the
--               key email counts as the email rule does (lower-cased), so
--               that a mail's code goes where its address lives
--   token:K     the partition of the user the body's K (an access token) names
--   any         partition 0, which answers it
-- An action or grant without a row runs on partition 0, which answers it.
CREATE TABLE authoob_shard.attempts (
    action text NOT NULL,
    grant_type text NOT NULL DEFAULT '',  -- '': whatever the body's grant_type
    run_on text NOT NULL CHECK (run_on ~ '^(email|hash|hash:[a-z_]+(,[a-z_]+)*|token:[a-z_]+|any)$'),
    PRIMARY KEY (action, grant_type)
);
REVOKE ALL ON authoob_shard.attempts FROM PUBLIC;

INSERT INTO authoob_shard.attempts (action, grant_type, run_on) VALUES
    ('login',                '',              'email'),
    ('activate',             '',              'hash'),
    ('activate_redirect',    '',              'hash'),
    ('password_reset_token', '',              'hash:token'),
    ('token',                'password',      'email'),
    ('token',                'refresh_token', 'hash:refresh_token'),
    -- Supabase Auth's protocol
    ('gotrue_token',         'password',      'email'),
    ('gotrue_token',         'refresh_token', 'hash:refresh_token'),
    ('gotrue_token',         'pkce',          'hash:auth_code'),
    -- a provider's ID token (signInWithIdToken): not sharded-ready, as the
    -- provider routes; partition 0 answers that a partition of several
    -- signs in with no provider (docs/identity-providers.md)
    ('gotrue_token',         'id_token',      'any'),
    -- a link's token_hash where it was drawn; a code by its address
    ('gotrue_verify',        '',              'hash:token_hash,email,token'),
    ('gotrue_verify_link',   '',              'hash:token'),
    -- second factors: the request the route made, {"token", ...}
    ('mfa_verify',           '',              'token:token'),
    ('mfa_recover',          '',              'token:token'),
    ('gotrue_mfa_verify',    '',              'token:token'),
    ('gotrue_update_user',   '',              'token:token'),
    ('reset_password',       '',              'token:token'),
    -- a magic link's token where it was drawn; its code by its address
    ('otp_verify',           '',              'hash:token,email'),
    ('email_change_confirm', '',              'hash:token,email');

CREATE FUNCTION authoob_shard.attempt_partition(action text, arg text, query_grant text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rule text;
    body jsonb;
BEGIN
    BEGIN
        body := arg::jsonb;
    EXCEPTION WHEN OTHERS THEN
        body := NULL;
    END;
    SELECT a.run_on INTO rule FROM authoob_shard.attempts a
    WHERE a.action = attempt_partition.action
      AND a.grant_type IN ('', coalesce(CASE jsonb_typeof(body) WHEN 'object' THEN body ->> 'grant_type' END,
                                        query_grant, ''))
    ORDER BY a.grant_type DESC LIMIT 1;
    RETURN coalesce(CASE
        WHEN rule = 'email' THEN authoob_shard.email_partition(arg)
        WHEN rule = 'hash' THEN hashtext(arg)
        WHEN rule LIKE 'hash:%' THEN (SELECT hashtext(CASE k.key WHEN 'email' THEN lower(body ->> k.key)
                                                                 ELSE body ->> k.key END) FROM
            unnest(string_to_array(substr(rule, 6), ',')) WITH ORDINALITY AS k (key, n)
            WHERE nullif(body ->> k.key, '') IS NOT NULL ORDER BY k.n LIMIT 1)
        WHEN rule LIKE 'token:%' THEN (authoob_shard.token_partition(body ->> substr(rule, 7)) & 2147483647)::integer
        END, 0);
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END
$$;

-- A partition's error, raised again as the partition raised it.
CREATE FUNCTION authoob_shard.raise(sqlstate text, message text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- a partition PL/Proxy cannot reach: the database is not there right
    -- now (08006, which the front answers 503), not an internal error
    IF sqlstate = 'XX000' AND message ~ '^PL/Proxy function .*: \[[^]]*\] '
       AND message ~* 'connect|connection|server closed|timeout|timed out' THEN
        sqlstate := '08006';
    END IF;
    message := regexp_replace(message, '^.*? REMOTE [A-Z]+: ', '');
    detail := nullif(regexp_replace(detail, '^Remote detail: ', ''), '');
    hint := nullif(regexp_replace(hint, '^Remote hint: ', ''), '');
    IF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END
$$;

-- Each route makes two functions: authoob_shard.NAME, the PL/Proxy one,
-- and public.NAME, what the front calls, which gives the partition's
-- error back as it was (and, to all, checks that the partitions agree).
DO $do$
DECLARE
    r authoob_shard.routes;
    fn regprocedure;
    name text;
    args text;          -- "a text, b inet"
    arg_names text;     -- "a, b"
    arg_types text;     -- "text, inet"
    run_on text;
    body text;
    catch text := $c$
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    PERFORM authoob_shard.raise(e_state, e_message, e_detail, e_hint);
END$c$;
    declare_error text := 'e_state text; e_message text; e_detail text; e_hint text;';
BEGIN
    FOR r IN SELECT * FROM authoob_shard.routes ORDER BY signature LOOP
        name := split_part(r.signature, '(', 1);
        args := rtrim(substr(r.signature, length(name) + 2), ')');
        SELECT coalesce(string_agg(split_part(btrim(a), ' ', 1), ', ' ORDER BY n), '')
          INTO arg_names FROM unnest(string_to_array(nullif(args, ''), ',')) WITH ORDINALITY AS t(a, n);
        SELECT coalesce(string_agg(split_part(btrim(a), ' ', 2), ', ' ORDER BY n), '')
          INTO arg_types FROM unnest(string_to_array(nullif(args, ''), ',')) WITH ORDINALITY AS t(a, n);
        run_on := CASE
            WHEN r.run_on IN ('all', 'each', 'sum', 'keys', 'pages') THEN 'ALL'
            WHEN r.run_on = 'any' THEN '0'
            WHEN r.run_on LIKE 'email:%' THEN format('authoob_shard.email_partition(%s)', split_part(r.run_on, ':', 2))
            WHEN r.run_on LIKE 'token:%' THEN format('authoob_shard.token_partition(%s)', split_part(r.run_on, ':', 2))
            WHEN r.run_on LIKE 'id:%' THEN format('authoob_shard.id_partition(%s::text)', split_part(r.run_on, ':', 2))
            WHEN r.run_on LIKE 'uuid:%' THEN format('authoob_shard.uuid_partition(%s::text)', split_part(r.run_on, ':', 2))
            WHEN r.run_on LIKE 'state:%' THEN format('authoob_shard.state_partition(%s)', split_part(r.run_on, ':', 2))
        END;
        EXECUTE format($f$CREATE FUNCTION authoob_shard.%s(%s) RETURNS %s%s
            LANGUAGE plproxy AS $p$ CLUSTER 'authoob'; RUN ON %s; TARGET public.%s; $p$$f$,
            name, args, CASE WHEN r.run_on IN ('all', 'sum', 'keys', 'pages') THEN 'SETOF ' ELSE '' END, r.returns, run_on, name);
        IF r.run_on = 'each' THEN
            body := format('BEGIN RETURN QUERY SELECT * FROM authoob_shard.%s(%s);', name, arg_names);
        ELSIF r.run_on = 'keys' THEN
            body := format($b$BEGIN RETURN jsonb_build_object('keys', coalesce((SELECT jsonb_agg(DISTINCT k)
                FROM authoob_shard.%s() j, jsonb_array_elements(j -> 'keys') k), '[]'));$b$, name);
        ELSIF r.run_on = 'pages' THEN
            EXECUTE format($f$CREATE FUNCTION authoob_shard.%s_home(%s) RETURNS %s
                LANGUAGE plproxy AS $p$ CLUSTER 'authoob'; RUN ON authoob_shard.token_partition(token);
                TARGET public.%s; $p$$f$, name, args, r.returns, name);
            EXECUTE format('REVOKE ALL ON FUNCTION authoob_shard.%s_home(%s) FROM PUBLIC', name, arg_types);
            EXECUTE format('GRANT EXECUTE ON FUNCTION authoob_shard.%s_home(%s) TO %s', name, arg_types, r.granted_to);
            -- a query that is no page (the partitions' 400) goes as it is
            body := format($b$DECLARE q jsonb; page bigint; per bigint; answers jsonb[]; total bigint;
                    last bigint; base text; link text := '';
                BEGIN
                    PERFORM authoob_shard.%1$s_home(token, '{"page": "1", "per_page": "1"}');
                    BEGIN
                        q := query::jsonb;
                        page := coalesce(nullif(q ->> 'page', ''), '1')::bigint;
                        per := coalesce(nullif(q ->> 'per_page', ''), '50')::bigint;
                    EXCEPTION WHEN OTHERS THEN
                        page := NULL;
                    END;
                    IF page IS NULL OR page < 1 OR per < 1 OR per > 100000 OR page * per > 100000 THEN
                        RETURN authoob_shard.%1$s(token, query) LIMIT 1;
                    END IF;
                    answers := ARRAY(SELECT authoob_shard.%1$s(token, jsonb_build_object(
                        'page', '1', 'per_page', (page * per)::text)::text));
                    total := (SELECT sum((a -> 'headers' ->> 'X-Total-Count')::bigint) FROM unnest(answers) a);
                    last := (total + per - 1) / per;
                    base := substring(answers[1] -> 'headers' ->> 'Link' FROM '^<([^>]*[?]page=)');
                    IF last > page THEN
                        link := format('<%%s%%s&per_page=%%s>; rel="next", ', base, page + 1, per);
                    END IF;
                    RETURN jsonb_build_object('body', jsonb_build_object(
                        'users', coalesce((SELECT jsonb_agg(u ORDER BY (u ->> 'created_at')::timestamptz DESC, u ->> 'id' DESC)
                                           FROM (SELECT u FROM unnest(answers) a, jsonb_array_elements(a -> 'body' -> 'users') u
                                                 ORDER BY (u ->> 'created_at')::timestamptz DESC, u ->> 'id' DESC
                                                 OFFSET (page - 1) * per LIMIT per) p), '[]'),
                        'aud', answers[1] -> 'body' -> 'aud'),
                        'headers', jsonb_build_object('X-Total-Count', total::text,
                            'Link', link || format('<%%s%%s&per_page=%%s>; rel="last"', base, last, per)));$b$, name);
        ELSIF r.run_on = 'sum' THEN
            body := format('BEGIN RETURN (SELECT sum(n) FROM authoob_shard.%s(%s) n)::%s;', name, arg_names, r.returns);
        ELSIF r.run_on = 'all' THEN
            body := format($b$DECLARE answers %1$s[]; %3$s
                BEGIN
                    answers := ARRAY(SELECT authoob_shard.%2$s(%4$s));
                    IF EXISTS (SELECT 1 FROM unnest(answers) a WHERE a IS DISTINCT FROM answers[1]) THEN
                        %5$s
                    END IF;
                    RETURN answers[1];$b$, r.returns, name, declare_error, arg_names,
                CASE WHEN r.returns = 'jsonb' THEN 'RETURN to_jsonb(answers);'
                     ELSE format($r$RAISE EXCEPTION 'the partitions answered %s differently: %%', answers
                            USING HINT = 'Configure them through the proxy only.';$r$, name) END);
        ELSIF r.wakes_mailers THEN
            body := format($b$answer %s; BEGIN answer := authoob_shard.%s(%s);
                PERFORM pg_notify('authoob_mail', '');
                RETURN answer;$b$, r.returns, name, arg_names);
        ELSE
            body := format('BEGIN RETURN authoob_shard.%s(%s);', name, arg_names);
        END IF;
        IF r.run_on <> 'all' THEN
            body := 'DECLARE ' || declare_error || ' ' || body;
        END IF;
        EXECUTE format($f$CREATE FUNCTION public.%s(%s) RETURNS %s LANGUAGE plpgsql
            SET search_path = pg_catalog, pg_temp AS $w$%s%s$w$$f$,
            name, args, r.returns, body, catch);
        fn := format('public.%s(%s)', name, arg_types)::regprocedure;
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC',
                       format('authoob_shard.%s(%s)', name, arg_types)::regprocedure);
        IF r.granted_to IS NOT NULL THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', fn, r.granted_to);
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s',
                           format('authoob_shard.%s(%s)', name, arg_types)::regprocedure, r.granted_to);
        END IF;
    END LOOP;
END
$do$;

-- A sign-in with an identity provider ends on the partition of its user
-- (docs/identity-providers.md, "Sharding"): the partition of the flow
-- checks what the provider said and answers a sealed hand-off
-- ({"handoff", "partition"}); every partition is asked whether it holds
-- the identity the hand-off names; the one that does ends the sign-in,
-- else the one the partition of the flow named (that of the user adding
-- the identity, or of the address). Each partition checks the seal and
-- that the sign-in is its own: the proxy chooses only where to ask.
CREATE FUNCTION authoob_shard.authoob_oauth_locate(handoff text) RETURNS SETOF integer
LANGUAGE plproxy AS $p$ CLUSTER 'authoob'; RUN ON ALL; TARGET public.authoob_oauth_locate; $p$;
CREATE FUNCTION authoob_shard.authoob_oauth_finish(handoff text, client_ip inet, route integer) RETURNS jsonb
LANGUAGE plproxy AS $p$
    CLUSTER 'authoob';
    RUN ON route;
    SELECT public.authoob_oauth_finish(handoff, client_ip);
$p$;
REVOKE ALL ON FUNCTION authoob_shard.authoob_oauth_locate(text),
    authoob_shard.authoob_oauth_finish(text, inet, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_shard.authoob_oauth_locate(text),
    authoob_shard.authoob_oauth_finish(text, inet, integer) TO authoob_api;

CREATE OR REPLACE FUNCTION public.authoob_oauth_callback(query text, browser text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    answer jsonb;
    route integer;
    e_state text; e_message text; e_detail text; e_hint text;
BEGIN
    answer := authoob_shard.authoob_oauth_callback(query, browser, client_ip);
    IF answer ? 'handoff' THEN
        route := coalesce((SELECT min(n) FROM authoob_shard.authoob_oauth_locate(answer ->> 'handoff') n),
                          (answer ->> 'partition')::integer, 0);
        answer := authoob_shard.authoob_oauth_finish(answer ->> 'handoff', client_ip, route);
    END IF;
    RETURN answer;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    PERFORM authoob_shard.raise(e_state, e_message, e_detail, e_hint);
END
$$;

-- authoob_attempt: a PL/Proxy function cannot be a procedure, nor run
-- one. Each partition has authoob_attempt_outcome(), authoob_attempt()
-- whose error comes back as {"error": {...}} in a transaction that commits
-- the failure it recorded; the proxy's procedure raises that error. Both
-- forms: 0.3's, the request's parts apart (what 0.3's front calls), and
-- 0.2's, one argument (0.2's front, SQL callers).
CREATE FUNCTION authoob_shard.authoob_attempt_outcome(action text, arg text, client_ip inet)
RETURNS jsonb LANGUAGE plproxy AS $p$
    CLUSTER 'authoob';
    RUN ON authoob_shard.attempt_partition(action, arg);
    TARGET public.authoob_attempt_outcome;
$p$;
CREATE FUNCTION authoob_shard.authoob_attempt_outcome(action text, body text, client_ip inet,
                                                      query_grant text, user_agent text)
RETURNS jsonb LANGUAGE plproxy AS $p$
    CLUSTER 'authoob';
    RUN ON authoob_shard.attempt_partition(action, body, query_grant);
    TARGET public.authoob_attempt_outcome;
$p$;
REVOKE ALL ON FUNCTION authoob_shard.authoob_attempt_outcome(text, text, inet),
    authoob_shard.authoob_attempt_outcome(text, text, inet, text, text) FROM PUBLIC;

-- What the proxy's procedures do: the partition's outcome of either form
-- (parts: 0.3's), its error raised as the partition raised it, or its
-- answer.
CREATE FUNCTION authoob_shard.attempt(action text, arg text, client_ip inet,
                                      query_grant text, user_agent text, parts boolean)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    outcome jsonb;
    e jsonb;
    e_state text; e_message text; e_detail text; e_hint text;
BEGIN
    BEGIN
        outcome := CASE WHEN parts
            THEN authoob_shard.authoob_attempt_outcome(action, arg, client_ip, query_grant, user_agent)
            ELSE authoob_shard.authoob_attempt_outcome(action, arg, client_ip) END;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM authoob_shard.raise(e_state, e_message, e_detail, e_hint);
    END;
    e := outcome -> 'error';
    IF e IS NOT NULL THEN
        PERFORM authoob_shard.raise(e ->> 'sqlstate', e ->> 'message', e ->> 'detail', e ->> 'hint');
    END IF;
    RETURN outcome -> 'response';
END
$$;
REVOKE ALL ON FUNCTION authoob_shard.attempt(text, text, inet, text, text, boolean) FROM PUBLIC;

CREATE PROCEDURE public.authoob_attempt(action text, arg text, client_ip inet DEFAULT NULL,
                                        INOUT response jsonb DEFAULT NULL)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    response := authoob_shard.attempt(action, arg, client_ip, NULL, NULL, false);
END
$$;
CREATE PROCEDURE public.authoob_attempt(action text, body text, client_ip inet,
                                        query_grant text, user_agent text,
                                        INOUT response jsonb DEFAULT NULL)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    response := authoob_shard.attempt(action, body, client_ip, query_grant, user_agent, true);
END
$$;
REVOKE ALL ON PROCEDURE public.authoob_attempt(text, text, inet, jsonb),
    public.authoob_attempt(text, text, inet, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE public.authoob_attempt(text, text, inet, jsonb),
    public.authoob_attempt(text, text, inet, text, text, jsonb) TO authoob_api;

-- What 0.2's front nests in its statements: the body of POST P/login and
-- P/token with the query's grant_type and the User-Agent, the extension's
-- own C function (it reads nothing of a database).
CREATE FUNCTION public.authoob_sign_in_request(payload text, query_grant text, user_agent text)
RETURNS text AS 'authoob', 'authoob_sign_in_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION public.authoob_sign_in_request(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.authoob_sign_in_request(text, text, text) TO authoob_api;

-- The routing functions are harmless (they read their arguments alone);
-- each PL/Proxy function is granted as the function it stands for.
GRANT USAGE ON SCHEMA authoob_shard TO PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_shard.email_partition(text), authoob_shard.token_partition(text),
    authoob_shard.id_partition(text), authoob_shard.uuid_partition(text), authoob_shard.attempt_partition(text, text, text),
    authoob_shard.raise(text, text, text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_shard.authoob_attempt_outcome(text, text, inet),
    authoob_shard.authoob_attempt_outcome(text, text, inet, text, text),
    authoob_shard.attempt(text, text, inet, text, text, boolean) TO authoob_api;
