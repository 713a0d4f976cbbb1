/* authoob--0.1--0.2.sql: from 0.1 to 0.2 (the README's "Upgrades") */

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.2'" to load this file. \quit

-- Lengths are counted in characters (a password's minimum, a name's
-- maximum): in a database whose encoding is not UTF-8, SQL_ASCII above all,
-- PostgreSQL counts bytes, and a 7-character password of accented letters
-- would pass an 8-character policy.  authoob refuses such a database.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'authoob needs a UTF8 database, not %', pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0';
    END IF;
END
$$;

-- Per-IP limits count a client's network: a client commonly owns a whole
-- IPv6 /64 and could rotate through it.
ALTER TABLE authoob.settings
    ADD COLUMN ip_prefix_v4 integer NOT NULL DEFAULT 32,
    ADD COLUMN ip_prefix_v6 integer NOT NULL DEFAULT 64;

-- authoob_attempt records failures as the extension's owner: a caller of
-- the request functions may not record failures of its choosing (it could
-- lock any account out without even trying a password).
REVOKE EXECUTE ON FUNCTION authoob_record_failure(text, text) FROM authoob_api;

-- password/ask records every request the same way, for a registered
-- address or not, so that neither its answer nor its time tells who is
-- registered; authoob_mail_prepare(), which every mailer's claim runs,
-- makes the reset mails of registered addresses and drops the others.
CREATE TABLE authoob.mail_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('reset')),
    email text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON authoob.mail_requests FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_requests', '');

CREATE FUNCTION authoob_mail_prepare(max_requests integer DEFAULT 100)
RETURNS integer AS 'MODULE_PATHNAME', 'authoob_mail_prepare'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_mail_prepare(integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authoob_mail_claim(max_mails integer DEFAULT 10,
                                              lease integer DEFAULT 60)
RETURNS TABLE (id bigint, sender text, recipient text, subject text,
               body_text text, body_html text, message_id text, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.authoob_mail_prepare();
    UPDATE authoob.mail_outbox m
    SET state = 'sending', attempts = m.attempts + 1,
        next_attempt_at = now() + make_interval(secs => greatest(lease, 1))
    WHERE m.id IN (SELECT d.id FROM authoob.mail_outbox d
                   WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= now()
                   ORDER BY d.next_attempt_at, d.id
                   LIMIT greatest(max_mails, 0)
                   FOR UPDATE SKIP LOCKED)
    RETURNING m.id, m.sender, m.recipient, m.subject, m.body_text, m.body_html,
              m.message_id, m.attempts
$$;
CREATE OR REPLACE FUNCTION authoob_password_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION authoob_password_ask(payload jsonb, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_password_ask_0_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- pg_dump keeps everything, the settings with the secret and keys and the
-- mail templates included, so that tokens issued before a dump verify after
-- its restore.  CREATE EXTENSION makes a settings row and the default
-- templates before the restore copies the dumped rows in: each dumped row
-- takes the place of the one CREATE EXTENSION made.
CREATE FUNCTION authoob_replace_on_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'settings' THEN
        DELETE FROM authoob.settings;
    ELSE
        DELETE FROM authoob.mail_templates t WHERE t.kind = NEW.kind;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION authoob_replace_on_insert() FROM PUBLIC;
CREATE TRIGGER settings_replace BEFORE INSERT ON authoob.settings
    FOR EACH ROW EXECUTE FUNCTION authoob_replace_on_insert();
CREATE TRIGGER mail_templates_replace BEFORE INSERT ON authoob.mail_templates
    FOR EACH ROW EXECUTE FUNCTION authoob_replace_on_insert();
SELECT pg_catalog.pg_extension_config_dump('authoob.settings', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_templates', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.previous_keys', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.throttle', '');
-- and where the identities had got to, so that restored ids are not reused
SELECT pg_catalog.pg_extension_config_dump('authoob.users_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.roles_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('authoob.mail_requests_id_seq', '');

-- PostgreSQL does not dump columns added to an extension's table (the
-- application's custom fields): a restore adds them back between its
-- sections, from what this function lists in the dumped database (README
-- "Upgrades").
CREATE FUNCTION authoob_custom_columns()
RETURNS TABLE (name name, type text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.attname, format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a
    WHERE a.attrelid = 'authoob.users'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (ARRAY['id', 'email', 'username', 'firstname', 'lastname',
          'password', 'active', 'confirmed_at', 'create_date', 'update_date',
          'last_login_at', 'current_login_at', 'last_login_ip', 'current_login_ip',
          'login_count'])
    ORDER BY a.attnum
$$;
REVOKE ALL ON FUNCTION authoob_custom_columns() FROM PUBLIC;

-- Custom fields: the columns authoob_custom_columns() lists, and only those
-- (the extension's own columns, the password hash among them, never).
CREATE OR REPLACE FUNCTION authoob_add_field(name text, exposed boolean DEFAULT true,
                                             updatable boolean DEFAULT false,
                                             public boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.authoob_custom_columns() c WHERE c.name = authoob_add_field.name) THEN
        IF EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = 'authoob.users'::regclass AND a.attname = authoob_add_field.name
                     AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column % belongs to authoob and cannot be registered', name
                USING ERRCODE = 'PT400';
        END IF;
        RAISE EXCEPTION 'authoob.users has no column %', coalesce(quote_ident(name), 'NULL')
            USING ERRCODE = 'PT400',
                  HINT = 'Add it first: ALTER TABLE authoob.users ADD COLUMN ...';
    END IF;
    INSERT INTO authoob.user_fields AS f (name, exposed, updatable, public)
    VALUES (name, exposed, updatable, public)
    ON CONFLICT ON CONSTRAINT user_fields_pkey DO UPDATE
    SET exposed = EXCLUDED.exposed, updatable = EXCLUDED.updatable, public = EXCLUDED.public;
END
$$;

-- The hook names are written once, in the C sources (authoob.h): this table
-- is filled from them, and the registry references it.
CREATE FUNCTION authoob_hook_names() RETURNS SETOF text
AS 'MODULE_PATHNAME', 'authoob_hook_names'
LANGUAGE C IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_hook_names() FROM PUBLIC;
CREATE TABLE authoob.hook_names (
    name text PRIMARY KEY,
    position integer NOT NULL UNIQUE
);
REVOKE ALL ON authoob.hook_names FROM PUBLIC;
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM authoob_hook_names() WITH ORDINALITY AS h (n, p);
ALTER TABLE authoob.hooks DROP CONSTRAINT hooks_hook_check,
    ADD CONSTRAINT hooks_hook_fkey FOREIGN KEY (hook) REFERENCES authoob.hook_names;

CREATE OR REPLACE FUNCTION authoob_add_hook(hook text, function regprocedure,
                                            run_order integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn pg_proc;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM authoob.hook_names n WHERE n.name = authoob_add_hook.hook) THEN
        RAISE EXCEPTION 'unknown hook %', coalesce(quote_literal(hook), 'NULL')
            USING ERRCODE = 'PT400',
                  DETAIL = 'Valid hooks: ' || (SELECT string_agg(n.name, ', ' ORDER BY n.position)
                                               FROM authoob.hook_names n) || '.';
    END IF;
    SELECT * INTO fn FROM pg_proc WHERE oid = function;
    IF fn.prokind <> 'f' OR fn.pronargs <> 1 OR fn.proargtypes[0] <> 'jsonb'::regtype
       OR fn.prorettype <> 'jsonb'::regtype OR fn.proretset THEN
        RAISE EXCEPTION 'function % cannot be a hook', function
            USING ERRCODE = 'PT400',
                  DETAIL = 'A hook is a function (context jsonb) RETURNS jsonb.';
    END IF;
    INSERT INTO authoob.hooks AS h (hook, function, run_order)
    VALUES (hook, function,
            coalesce(run_order, (SELECT coalesce(max(h2.run_order), 0) + 10
                                FROM authoob.hooks h2 WHERE h2.hook = authoob_add_hook.hook)))
    ON CONFLICT ON CONSTRAINT hooks_pkey DO UPDATE SET run_order = EXCLUDED.run_order;
END
$$;

-- Forward auth (GET P/verify): who a token stands for, as the headers a
-- proxy passes upstream.
CREATE FUNCTION authoob_verify_headers(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_verify_headers'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_verify_headers(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_verify_headers(text) TO authoob_api;

-- password/ask is limited per client too, not only per address: one client
-- asking about made-up addresses would otherwise fill authoob.mail_requests
-- and hold real reset mails back.  Every ask counts (scope ask_ip).
ALTER TABLE authoob.settings ADD COLUMN asks_per_window integer NOT NULL DEFAULT 20;
ALTER TABLE authoob.throttle DROP CONSTRAINT throttle_scope_check,
    ADD CONSTRAINT throttle_scope_check CHECK (scope IN ('login', 'ip', 'token', 'ask', 'ask_ip'));
CREATE OR REPLACE FUNCTION authoob_record_failure(scope text, key text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s authoob.settings;
    window_seconds integer;
    limit_in_window integer;
    t authoob.throttle;
BEGIN
    SELECT * INTO s FROM authoob.settings;
    IF NOT s.throttle THEN
        RETURN;
    END IF;
    window_seconds := CASE authoob_record_failure.scope WHEN 'login' THEN 3600 ELSE s.ip_window END;
    limit_in_window := CASE authoob_record_failure.scope WHEN 'login' THEN s.login_failures_per_hour
                                  WHEN 'ip' THEN s.ip_failures_per_window
                                  WHEN 'ask_ip' THEN s.asks_per_window
                                  ELSE s.token_failures_per_window END;
    INSERT INTO authoob.throttle AS th (scope, key, consecutive, window_failures)
    VALUES (authoob_record_failure.scope, authoob_record_failure.key, 1, 1)
    ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET
        consecutive = th.consecutive + 1,
        window_start = CASE WHEN th.window_start <= now() - make_interval(secs => window_seconds)
                            THEN now() ELSE th.window_start END,
        window_failures = CASE WHEN th.window_start <= now() - make_interval(secs => window_seconds)
                               THEN 1 ELSE th.window_failures + 1 END,
        last_failure_at = now()
    RETURNING * INTO t;
    -- accounts: a doubling wait after the free failures; everyone: the window's cap
    UPDATE authoob.throttle th SET blocked_until = nullif(greatest(
        CASE WHEN authoob_record_failure.scope = 'login' AND t.consecutive >= s.login_free_failures
             THEN now() + make_interval(secs => least(s.login_backoff_max,
                                                      power(2, least(t.consecutive - s.login_free_failures, 20))))
        END,
        CASE WHEN t.window_failures >= limit_in_window
             THEN t.window_start + make_interval(secs => window_seconds)
        END), NULL)
    WHERE th.scope = t.scope AND th.key = t.key;
    -- forget what is a day old, a few rows at a time
    DELETE FROM authoob.throttle th WHERE th.ctid IN (
        SELECT o.ctid FROM authoob.throttle o
        WHERE o.last_failure_at < now() - interval '1 day' LIMIT 10);
END
$$;
-- ==== Signing keys and JWKS: begin ====
-- Tokens the ecosystem verifies with a public key (README "Signing keys
-- and JWKS"): signing_alg HS256 signs with the shared secret as 0.1 did;
-- ES256, EdDSA and RS256 with a key made in the database, whose public
-- half authoob_jwks() publishes.
ALTER TABLE authoob.settings
    ADD COLUMN signing_alg text NOT NULL DEFAULT 'HS256'
        CHECK (signing_alg IN ('HS256', 'ES256', 'EdDSA', 'RS256'));

-- The asymmetric keys: the current one of an alg (valid_until NULL) signs;
-- the ones rotated out verify what they signed until valid_until.  The kid
-- is the RFC 7638 thumbprint of the public JWK.  The private key (PKCS #8
-- PEM) is the owner's only: no function returns it.
CREATE TABLE authoob.signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    private_key text NOT NULL,
    public_jwk jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    valid_until timestamptz
);
CREATE UNIQUE INDEX signing_keys_current ON authoob.signing_keys (alg) WHERE valid_until IS NULL;
REVOKE ALL ON authoob.signing_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.signing_keys', '');
CREATE TRIGGER signing_keys_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION authoob_invalidate_cache();

CREATE FUNCTION authoob_new_signing_key(alg text, previous_valid_for interval)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_new_signing_key'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_new_signing_key(text, interval) FROM PUBLIC;

-- Rotation for every alg: a new current key of signing_alg (for HS256 a
-- new secret, as authoob_rotate_secret); the previous one verifies what it
-- signed for previous_valid_for, by default the token lifetime.
CREATE FUNCTION authoob_rotate_key(previous_valid_for interval DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE s.signing_alg
           WHEN 'HS256' THEN @extschema@.authoob_rotate_secret(previous_valid_for)
           ELSE @extschema@.authoob_new_signing_key(s.signing_alg, previous_valid_for) END
    FROM authoob.settings s
$$;
REVOKE ALL ON FUNCTION authoob_rotate_key(interval) FROM PUBLIC;

-- Changing signing_alg: the current key of the alg left behind is rotated
-- out (it verifies what it signed for a token lifetime), and the new alg
-- gets a key if it has none.
CREATE FUNCTION authoob_signing_alg_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authoob.signing_keys k SET valid_until = now() + make_interval(secs => NEW.token_ttl)
    WHERE k.alg = OLD.signing_alg AND k.valid_until IS NULL;
    IF NEW.signing_alg <> 'HS256' AND NOT EXISTS (
        SELECT 1 FROM authoob.signing_keys k WHERE k.alg = NEW.signing_alg AND k.valid_until IS NULL) THEN
        PERFORM @extschema@.authoob_new_signing_key(NEW.signing_alg, NULL);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION authoob_signing_alg_changed() FROM PUBLIC;
CREATE TRIGGER signing_alg_changed AFTER UPDATE OF signing_alg ON authoob.settings
    FOR EACH ROW WHEN (OLD.signing_alg IS DISTINCT FROM NEW.signing_alg)
    EXECUTE FUNCTION authoob_signing_alg_changed();

-- The public keys that verify live tokens (current and rotated out but
-- still valid), as a JWK Set; never an HS256 secret.  Public keys are
-- public: anyone may read them.
CREATE FUNCTION authoob_jwks() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('keys', coalesce(jsonb_agg(k.public_jwk ORDER BY k.created_at DESC, k.kid), '[]'))
    FROM authoob.signing_keys k
    WHERE k.valid_until IS NULL OR k.valid_until > now()
$$;
REVOKE ALL ON FUNCTION authoob_jwks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_jwks() TO authoob_api, PUBLIC;
-- ==== Signing keys and JWKS: end ====

-- PostgREST: with db-pre-request = 'authoob_postgrest_pre_request',
-- PostgREST's own check of the token (signature, audience, role switch) is
-- followed by authoob's (its session still alive, its user active), and
-- authoob_uid() names the user inside the request, for row-level security.
-- No Authorization header: an anonymous request, authoob_uid() NULL.
CREATE FUNCTION authoob_postgrest_pre_request()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- '' once a transaction before has set it: no headers either
    header text := nullif(pg_catalog.current_setting('request.headers', true), '')::json ->> 'authorization';
BEGIN
    IF header IS NOT NULL THEN
        IF header !~* '^bearer +' THEN
            RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401';
        END IF;
        PERFORM @extschema@.authoob_authenticate(regexp_replace(header, '^[Bb][Ee][Aa][Rr][Ee][Rr] +', ''));
    END IF;
END
$$;
GRANT EXECUTE ON FUNCTION authoob_postgrest_pre_request() TO PUBLIC;

-- ==== Sessions, refresh tokens and claims: begin ====
-- A session is a sign-in (README "Sessions and refresh tokens").  The row
-- keeps its 0.1 name and key: jti is the session's id, which 0.1's tokens
-- carry as their jti and newer tokens as session_id.  expires_at is when
-- the session ends.  A session opened by the token endpoint (POST P/token)
-- can be refreshed: refreshed_at is its last refresh, refresh_secret the
-- key its refresh tokens are derived with (owner-only, as the table).
ALTER TABLE authoob.sessions
    ADD COLUMN refreshed_at timestamptz,
    ADD COLUMN aal text NOT NULL DEFAULT 'aal1' CHECK (aal IN ('aal1', 'aal2')),
    ADD COLUMN user_agent text,
    ADD COLUMN refresh_secret bytea;

-- Refresh tokens, stored only as their SHA-256; single use.  rotated_at is
-- set when one is exchanged: presenting it again within
-- refresh_reuse_interval gives the same successor, later ends the session.
CREATE TABLE authoob.refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES authoob.sessions ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON authoob.refresh_tokens (session_id);
REVOKE ALL ON authoob.refresh_tokens FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.refresh_tokens', '');

-- The claims of new tokens, and how long sessions live (0: no limit).
ALTER TABLE authoob.settings
    ADD COLUMN jwt_issuer text,
    ADD COLUMN jwt_audience text NOT NULL DEFAULT 'authenticated',
    ADD COLUMN jwt_role text NOT NULL DEFAULT 'authenticated',
    ADD COLUMN session_ttl integer NOT NULL DEFAULT 0,
    ADD COLUMN inactivity_timeout integer NOT NULL DEFAULT 0,
    ADD COLUMN refresh_reuse_interval integer NOT NULL DEFAULT 10;

-- The hook custom_access_token (authoob.h's list) is new.
INSERT INTO authoob.hook_names (name, position)
SELECT n, p FROM authoob_hook_names() WITH ORDINALITY AS h (n, p)
ON CONFLICT (name) DO NOTHING;

-- POST P/token: grant_type password (signs in, as login) or refresh_token.
-- query_grant is the grant_type of the query string, if any.  The front
-- calls it through authoob_attempt('token', ...), which counts failures
-- and ends the session of a reused refresh token.
CREATE FUNCTION authoob_token_grant(payload text, client_ip inet DEFAULT NULL,
                                    query_grant text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_token_grant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_token_grant(text, inet, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token_grant(text, inet, text) TO authoob_api;

-- The body of POST P/token with the query string's grant_type in it, for
-- authoob_attempt, whose one argument is the body.
CREATE FUNCTION authoob_token_request(payload text, query_grant text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_token_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_token_request(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token_request(text, text) TO authoob_api;

-- A user's sessions: GET P/sessions, DELETE P/sessions/<id>, and
-- POST P/logout?scope=local|others|global.
CREATE FUNCTION authoob_sessions(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_sessions'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_end_session(token text, session_id text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_end_session'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_logout_scope(token text, scope text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_logout_scope'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_sessions(text), authoob_end_session(text, text),
    authoob_logout_scope(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_sessions(text), authoob_end_session(text, text),
    authoob_logout_scope(text, text) TO authoob_api;
-- ==== Sessions, refresh tokens and claims: end ====

-- ==== Supabase Auth's protocol: begin ====
-- Apps written for @supabase/auth-js talk to authoob under gotrue_prefix
-- (README "Supabase users"; null turns those routes off), through the
-- functions below, which call the same functions as authoob's own routes
-- and reshape their answers.  redirect_urls: where mailed links may lead
-- besides app_url (URLs separated by commas or spaces).
ALTER TABLE authoob.settings
    ADD COLUMN gotrue_prefix text DEFAULT '/auth/v1',
    ADD COLUMN redirect_urls text;

-- The PKCE flow of a mailed link: the client that asked for the mail
-- (sign-up, recovery) sent the SHA-256 of a secret it keeps, its
-- code_challenge.  The link then leads to the app with a one-time code
-- (its hash stored here, valid five minutes), which signs in only with
-- that secret, the code_verifier.  A link's code is bound to the newest
-- flow of its address and kind started no later than its token was made:
-- anyone may start a flow for any address, and one started after the mail
-- (a challenge planted by someone else) must not own the code the link
-- hands out.  A request without a challenge is kept too, as a flow without
-- one (the implicit flow), so that a challenge planted before it does not
-- own the code of its mail either.
CREATE TABLE authoob.flow_states (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('signup', 'recovery')),
    code_challenge text CHECK (code_challenge ~ '^[A-Za-z0-9._~-]{43,128}$'),
    code_challenge_method text NOT NULL CHECK (code_challenge_method IN ('s256', 'plain')),
    created_at timestamptz NOT NULL DEFAULT now(),
    user_id bigint REFERENCES authoob.users ON DELETE CASCADE,
    auth_code_hash bytea UNIQUE,
    code_expires_at timestamptz
);
CREATE INDEX flow_states_email_idx ON authoob.flow_states (email, kind);
-- every request that mails a link removes the flows past their lifetime
CREATE INDEX flow_states_created_at_idx ON authoob.flow_states (created_at);
REVOKE ALL ON authoob.flow_states FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.flow_states', '');

-- Where a redirect_to may lead: app_url or an entry of redirect_urls,
-- exactly or followed by a path, a query or a fragment; anything else
-- leads to app_url.
CREATE FUNCTION authoob_redirect_url(wanted text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN wanted !~ '[[:space:][:cntrl:]"<>\\]' AND EXISTS (
        SELECT 1 FROM regexp_split_to_table(concat_ws(' ', s.app_url, s.redirect_urls), '[ ,]+') AS a (url)
        WHERE a.url <> '' AND (wanted = a.url OR
              (left(wanted, length(a.url)) = a.url AND
               (right(a.url, 1) = '/' OR substr(wanted, length(a.url) + 1, 1) IN ('/', '?', '#')))))
    THEN wanted ELSE s.app_url END
    FROM authoob.settings s
$$;

-- What is not built yet answers 422 with its own error code.
CREATE FUNCTION authoob_gotrue_not_built(what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% is not built in authoob yet', CASE what
        WHEN 'mfa' THEN 'Multi-factor authentication'
        WHEN 'otp' THEN 'Passwordless sign-in (magic link, one-time code)'
        WHEN 'oauth' THEN 'Sign-in with an external provider'
        WHEN 'email_change' THEN 'Changing the email address'
        WHEN 'reauthenticate' THEN 'Reauthentication by one-time code'
        WHEN 'anonymous' THEN 'Anonymous sign-in'
        WHEN 'phone' THEN 'Sign-in by phone'
        ELSE 'This' END
        USING ERRCODE = 'PT422',
              DETAIL = pg_catalog.jsonb_build_object('error_code', what || '_not_built')::text;
END
$$;

-- A request body as a JSON object, or 400 bad_json.
CREATE FUNCTION authoob_gotrue_body(payload text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb;
BEGIN
    BEGIN
        body := payload::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        body := NULL;
    END;
    IF jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'Missing data' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "bad_json"}';
    END IF;
    RETURN body;
END
$$;

-- The user object of Supabase Auth: user_metadata holds what the user may
-- change (username, firstname, lastname and the custom fields registered
-- exposed and updatable), app_metadata what only the server changes (the
-- roles, the exposed custom fields that are not updatable).  VOLATILE, as
-- authoob_gotrue_session: they see what the call before them just wrote.
CREATE FUNCTION authoob_gotrue_user_json(user_id bigint)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', u.id::text, 'aud', s.jwt_audience, 'role', s.jwt_role,
        'email', u.email, 'phone', '',
        'email_confirmed_at', u.confirmed_at, 'confirmed_at', u.confirmed_at,
        'last_sign_in_at', u.current_login_at,
        'app_metadata', jsonb_build_object('provider', 'email',
                                           'providers', jsonb_build_array('email'),
                                           'roles', coalesce((SELECT jsonb_agg(r.name ORDER BY r.name)
                                                              FROM authoob.roles_users ru
                                                              JOIN authoob.roles r ON r.id = ru.role_id
                                                              WHERE ru.user_id = u.id), '[]'))
                        || coalesce((SELECT jsonb_object_agg(f.name, to_jsonb(u) -> f.name)
                                     FROM authoob.user_fields f WHERE f.exposed AND NOT f.updatable), '{}'),
        'user_metadata', jsonb_build_object('username', u.username, 'firstname', u.firstname,
                                            'lastname', u.lastname)
                         || coalesce((SELECT jsonb_object_agg(f.name, to_jsonb(u) -> f.name)
                                      FROM authoob.user_fields f WHERE f.exposed AND f.updatable), '{}'),
        'identities', jsonb_build_array(jsonb_build_object(
            'identity_id', u.id::text, 'id', u.id::text, 'user_id', u.id::text,
            'provider', 'email', 'email', u.email,
            'identity_data', jsonb_build_object('sub', u.id::text, 'email', u.email,
                                                'email_verified', u.confirmed_at IS NOT NULL),
            'created_at', u.create_date, 'updated_at', u.update_date,
            'last_sign_in_at', u.current_login_at)),
        'factors', '[]'::jsonb,
        'is_anonymous', false,
        'created_at', u.create_date, 'updated_at', u.update_date)
    FROM authoob.users u, authoob.settings s
    WHERE u.id = authoob_gotrue_user_json.user_id
$$;

-- The token endpoint's answer with the user object of Supabase Auth.
CREATE FUNCTION authoob_gotrue_session(session jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN jsonb_typeof(session -> 'user') = 'object'
                     AND (session -> 'user' ->> 'id') ~ '^[0-9]{1,18}$'
           THEN session || jsonb_build_object('user', @extschema@.authoob_gotrue_user_json(
                    (session -> 'user' ->> 'id')::bigint))
           ELSE session END
$$;

-- The user a bearer token stands for, or 401 session_not_found, which
-- @supabase/auth-js reads as "this session is over".
CREATE FUNCTION authoob_gotrue_verify_token(token text)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@.authoob_verify(token);
EXCEPTION WHEN SQLSTATE 'PT401' THEN
    RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
        DETAIL = '{"error_code": "session_not_found"}';
END
$$;

-- A request that will mail a link (sign-up, recovery) and starts the PKCE
-- flow: its code_challenge waits for the link.  It replaces no other flow
-- of the address (a stranger's request would undo the owner's); the flows
-- past the mailed tokens' lifetime go.  No challenge: a flow without one,
-- whose link will follow the implicit flow.
CREATE FUNCTION authoob_gotrue_start_flow(body jsonb, kind text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    challenge text := nullif(body ->> 'code_challenge', '');
    method text := lower(coalesce(nullif(body ->> 'code_challenge_method', ''), 's256'));
BEGIN
    IF body ->> 'email' IS NULL THEN
        RETURN;
    END IF;
    IF challenge !~ '^[A-Za-z0-9._~-]{43,128}$' OR (challenge IS NOT NULL AND method NOT IN ('s256', 'plain')) THEN
        RAISE EXCEPTION 'Invalid value for code_challenge' USING ERRCODE = 'PT400',
            DETAIL = '{"error_code": "validation_failed"}';
    END IF;
    DELETE FROM authoob.flow_states f
    WHERE f.created_at < now() - (SELECT make_interval(secs => greatest(s.activation_ttl, s.reset_ttl))
                                  FROM authoob.settings s);
    INSERT INTO authoob.flow_states (email, kind, code_challenge, code_challenge_method)
    VALUES (lower(body ->> 'email'), authoob_gotrue_start_flow.kind, challenge, method);
END
$$;

-- POST /signup: registers as P/register does (firstname and lastname of
-- data too); without require_activation, signs in with a refreshable
-- session as the token endpoint does (the rest of data is then saved as
-- PUT P/profile saves it), else answers the user alone.
CREATE FUNCTION authoob_gotrue_signup(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
    data jsonb := coalesce(nullif(body -> 'data', 'null'), '{}');
    registered jsonb;
    uid bigint;
    confirm boolean;
BEGIN
    IF jsonb_typeof(data) <> 'object' THEN
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400';
    ELSIF body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    ELSIF NOT body ? 'email' AND NOT body ? 'password' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('anonymous');
    END IF;
    registered := @extschema@.authoob_register(jsonb_build_object(
        'email', body -> 'email', 'password1', body -> 'password', 'password2', body -> 'password',
        'firstname', data -> 'firstname', 'lastname', data -> 'lastname'), client_ip);
    SELECT u.id INTO uid FROM authoob.users u WHERE lower(u.email) = lower(body ->> 'email');
    SELECT s.require_activation INTO confirm FROM authoob.settings s;
    IF NOT confirm AND data - 'firstname' - 'lastname' <> '{}' AND registered ? 'token' THEN
        PERFORM @extschema@.authoob_update_profile(registered ->> 'token', data - 'firstname' - 'lastname');
    END IF;
    -- register's own session: this protocol signs in with refreshable ones
    DELETE FROM authoob.sessions s
    WHERE s.user_id = uid AND s.refresh_secret IS NULL AND s.created_at = now();
    PERFORM @extschema@.authoob_gotrue_start_flow(body, 'signup');
    IF confirm THEN
        RETURN @extschema@.authoob_gotrue_user_json(uid);
    END IF;
    -- the registration proved the password: no second hash of it
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_grant_session_of(uid, client_ip));
END
$$;

-- POST /recover: asks for a reset mail as P/password/ask does (the same
-- answer whether the address is known or not).
CREATE FUNCTION authoob_gotrue_recover(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    PERFORM @extschema@.authoob_password_ask(body, client_ip);
    PERFORM @extschema@.authoob_gotrue_start_flow(body, 'recovery');
    RETURN '{}';
END
$$;

-- grant_type=pkce: the code of a mailed link and the secret of the client
-- that asked for the mail sign in, once; a client blocked from signing in
-- (its failures here count as at P/token) is refused first.
CREATE FUNCTION authoob_gotrue_pkce(body jsonb, client_ip inet)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f authoob.flow_states;
    verifier text := body ->> 'code_verifier';
    challenge text;
BEGIN
    PERFORM @extschema@.authoob_check_client_throttle(client_ip);
    SELECT * INTO f FROM authoob.flow_states fs
    WHERE fs.auth_code_hash = sha256(convert_to(coalesce(body ->> 'auth_code', ''), 'UTF8'))
      AND fs.code_expires_at > now()
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "flow_state_not_found"}';
    END IF;
    -- S256: the challenge is the verifier's SHA-256 in base64url
    challenge := CASE f.code_challenge_method WHEN 'plain' THEN verifier
        ELSE translate(rtrim(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '='), '+/', '-_') END;
    IF verifier IS NULL OR verifier !~ '^[A-Za-z0-9._~-]{43,128}$' OR challenge IS DISTINCT FROM f.code_challenge THEN
        RAISE EXCEPTION 'Authentication failed' USING ERRCODE = 'PT401',
            DETAIL = '{"error_code": "bad_code_verifier"}';
    END IF;
    DELETE FROM authoob.flow_states fs WHERE fs.id = f.id;
    RETURN @extschema@.authoob_grant_session_of(f.user_id, client_ip);
END
$$;

-- POST /token (grant_type password, refresh_token or pkce), through
-- authoob_attempt('gotrue_token', ...), which counts failures as for
-- P/token.
CREATE FUNCTION authoob_gotrue_token(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    IF body ->> 'grant_type' = 'pkce' THEN
        RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_gotrue_pkce(body, client_ip));
    ELSIF body ->> 'grant_type' = 'id_token' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('oauth');
    ELSIF body ->> 'grant_type' = 'password' AND body ? 'phone' AND NOT body ? 'email' THEN
        PERFORM @extschema@.authoob_gotrue_not_built('phone');
    END IF;
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_token_grant(payload, client_ip, NULL));
END
$$;

-- GET /user: as GET P/profile (its hooks), in the shape of Supabase Auth.
CREATE FUNCTION authoob_gotrue_user(token text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_gotrue_verify_token(token);
BEGIN
    PERFORM @extschema@.authoob_profile(token);
    RETURN @extschema@.authoob_gotrue_user_json(uid);
END
$$;

-- PUT /user: data as PUT P/profile, password as PUT P/reset_password
-- (which ends every session of the user, this one too).
CREATE FUNCTION authoob_gotrue_update_user(token text, payload text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid bigint := @extschema@.authoob_gotrue_verify_token(token);
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    IF nullif(body ->> 'email', '') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM authoob.users u WHERE u.id = uid AND lower(u.email) = lower(body ->> 'email')) THEN
        PERFORM @extschema@.authoob_gotrue_not_built('email_change');
    END IF;
    IF jsonb_typeof(body -> 'data') = 'object' THEN
        PERFORM @extschema@.authoob_update_profile(token, body -> 'data');
    ELSIF coalesce(jsonb_typeof(body -> 'data'), 'null') <> 'null' THEN
        RAISE EXCEPTION 'Invalid value for data' USING ERRCODE = 'PT400';
    END IF;
    IF body ? 'password' THEN
        PERFORM @extschema@.authoob_reset_password(token, jsonb_build_object(
            'password1', body -> 'password', 'password2', body -> 'password'));
    END IF;
    RETURN @extschema@.authoob_gotrue_user_json(uid);
END
$$;

-- The user of a mailed token of type signup or email (activation) or
-- recovery (reset), the token spent.
CREATE FUNCTION authoob_gotrue_mailed_user(kind text, token text, client_ip inet)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind IN ('magiclink', 'invite', 'email_change', 'sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built(CASE WHEN kind = 'email_change' THEN 'email_change' ELSE 'otp' END);
    ELSIF kind IS NULL OR kind NOT IN ('signup', 'email', 'recovery') THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = 'type is signup, email or recovery.';
    ELSIF token IS NULL THEN
        RAISE EXCEPTION 'Missing data' USING ERRCODE = 'PT400',
            DETAIL = 'token_hash is the token of the mailed link.';
    END IF;
    IF kind = 'recovery' THEN
        RETURN @extschema@.authoob_spend_reset_token(token, client_ip);
    END IF;
    RETURN @extschema@.authoob_activate_user(token, client_ip);
END
$$;

-- POST /verify: a mailed token (token_hash, or token) signs the user in;
-- through authoob_attempt('gotrue_verify', ...), which counts tokens that
-- match nothing.
CREATE FUNCTION authoob_gotrue_verify(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    RETURN @extschema@.authoob_gotrue_session(@extschema@.authoob_grant_session_of(
        @extschema@.authoob_gotrue_mailed_user(body ->> 'type',
            coalesce(nullif(body ->> 'token_hash', ''), nullif(body ->> 'token', '')), client_ip),
        client_ip));
END
$$;

-- GET /verify?token=&type=&redirect_to=: the mailed link, verified as
-- POST /verify; redirects to redirect_to if allowed, else app_url.  When
-- the request for the mail started the PKCE flow (a flow of the address
-- started no later than the token was made), with a one-time code in the
-- query string; else (the implicit flow) with the session in the
-- fragment.  Through authoob_attempt('gotrue_verify_link', ...).
CREATE FUNCTION authoob_gotrue_verify_link(query text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q jsonb := @extschema@.authoob_gotrue_body(query);
    link_kind text := q ->> 'type';
    target text := @extschema@.authoob_redirect_url(q ->> 'redirect_to');
    uid bigint;
    flow bigint;
    challenge text;
    code text;
    session jsonb;
BEGIN
    IF target IS NULL THEN
        RAISE EXCEPTION 'authoob is not configured: app_url is not set';
    END IF;
    uid := @extschema@.authoob_gotrue_mailed_user(link_kind, nullif(q ->> 'token', ''), client_ip);
    SELECT f.id, f.code_challenge INTO flow, challenge FROM authoob.flow_states f, authoob.users u, authoob.settings s,
                               authoob.mail_tokens t
    WHERE u.id = uid AND f.email = lower(u.email) AND f.auth_code_hash IS NULL
      AND t.token_hash = sha256(convert_to(q ->> 'token', 'UTF8')) AND f.created_at <= t.created_at
      AND f.kind = CASE link_kind WHEN 'recovery' THEN 'recovery' ELSE 'signup' END
      AND f.created_at > now() - make_interval(secs => CASE link_kind WHEN 'recovery' THEN s.reset_ttl
                                                            ELSE s.activation_ttl END)
    ORDER BY f.id DESC LIMIT 1 FOR UPDATE OF f;
    IF flow IS NOT NULL AND challenge IS NULL THEN
        DELETE FROM authoob.flow_states f WHERE f.id = flow;
    ELSIF flow IS NOT NULL THEN
        code := @extschema@.authoob_link_code();
        UPDATE authoob.flow_states f
        SET user_id = uid, auth_code_hash = sha256(convert_to(code, 'UTF8')),
            code_expires_at = now() + interval '5 minutes'
        WHERE f.id = flow;
        RETURN jsonb_build_object('url', split_part(target, '#', 1)
            || CASE WHEN split_part(target, '#', 1) LIKE '%?%' THEN '&' ELSE '?' END || 'code=' || code
            || coalesce(substring(target FROM '#.*$'), ''));
    END IF;
    session := @extschema@.authoob_grant_session_of(uid, client_ip);
    RETURN jsonb_build_object('url', split_part(target, '#', 1) || '#access_token=' || (session ->> 'access_token')
        || '&expires_at=' || (session ->> 'expires_at') || '&expires_in=' || (session ->> 'expires_in')
        || '&refresh_token=' || (session ->> 'refresh_token') || '&token_type=bearer&type='
        || CASE link_kind WHEN 'recovery' THEN 'recovery' ELSE 'signup' END);
END
$$;

-- Another activation mail (Supabase Auth's resend), asked as a reset mail
-- is: the request recorded whoever's address it is, its mail made by the
-- mailers' authoob_mail_prepare() for an account not yet activated.
ALTER TABLE authoob.mail_requests DROP CONSTRAINT mail_requests_kind_check,
    ADD CONSTRAINT mail_requests_kind_check CHECK (kind IN ('reset', 'activation'));
CREATE FUNCTION authoob_activation_ask(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_activation_ask'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_activation_ask(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_activation_ask(text, inet) TO authoob_api;

-- POST /resend: type signup mails the activation link again (200 {}
-- whatever the address); the other types need what is not built yet.
CREATE FUNCTION authoob_gotrue_resend(payload text, client_ip inet DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := @extschema@.authoob_gotrue_body(payload);
BEGIN
    IF body ->> 'type' IN ('email_change', 'sms', 'phone_change') THEN
        PERFORM @extschema@.authoob_gotrue_not_built(CASE body ->> 'type' WHEN 'email_change'
                                                     THEN 'email_change' ELSE 'otp' END);
    ELSIF body ->> 'type' IS DISTINCT FROM 'signup' THEN
        RAISE EXCEPTION 'Invalid value for type' USING ERRCODE = 'PT400',
            DETAIL = 'type is signup.';
    END IF;
    PERFORM @extschema@.authoob_activation_ask(jsonb_build_object('email', body -> 'email')::text, client_ip);
    PERFORM @extschema@.authoob_gotrue_start_flow(body, 'signup');
    RETURN '{}';
END
$$;
REVOKE ALL ON FUNCTION authoob_gotrue_resend(text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_resend(text, inet) TO authoob_api;

-- GET /settings: what this server offers, as @supabase/auth-js reads it.
CREATE FUNCTION authoob_gotrue_settings()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'external', jsonb_build_object('email', true, 'phone', false, 'anonymous_users', false),
        'disable_signup', false,
        'mailer_autoconfirm', NOT s.require_activation,
        'phone_autoconfirm', false,
        'sms_provider', '',
        'saml_enabled', false)
    FROM authoob.settings s
$$;

-- Sign-ins proved otherwise than by a password (owner only, called by the
-- functions above): a mailed token's user, a new refreshable session, the
-- client's sign-in limit.
CREATE FUNCTION authoob_activate_user(token text, client_ip inet DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_activate_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_spend_reset_token(token text, client_ip inet DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'authoob_spend_reset_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_grant_session_of(user_id bigint, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_grant_session_of'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION authoob_check_client_throttle(client_ip inet)
RETURNS void AS 'MODULE_PATHNAME', 'authoob_check_client_throttle'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_activate_user(text, inet), authoob_spend_reset_token(text, inet),
    authoob_grant_session_of(bigint, inet), authoob_check_client_throttle(inet),
    authoob_gotrue_user_json(bigint), authoob_gotrue_session(jsonb),
    authoob_gotrue_verify_token(text), authoob_gotrue_body(text),
    authoob_gotrue_start_flow(jsonb, text), authoob_gotrue_pkce(jsonb, inet),
    authoob_gotrue_mailed_user(text, text, inet),
    authoob_gotrue_signup(text, inet), authoob_gotrue_recover(text, inet),
    authoob_gotrue_token(text, inet),
    authoob_gotrue_user(text), authoob_gotrue_update_user(text, text),
    authoob_gotrue_verify(text, inet), authoob_gotrue_verify_link(text, inet),
    authoob_gotrue_settings(), authoob_redirect_url(text), authoob_gotrue_not_built(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_signup(text, inet), authoob_gotrue_recover(text, inet),
    authoob_gotrue_token(text, inet),
    authoob_gotrue_user(text), authoob_gotrue_update_user(text, text),
    authoob_gotrue_verify(text, inet), authoob_gotrue_verify_link(text, inet),
    authoob_gotrue_settings(), authoob_redirect_url(text), authoob_gotrue_not_built(text)
TO authoob_api;
-- ==== Supabase Auth's protocol: end ====

-- ==== Sharding: begin ====
-- A sharded deployment (README "Scale-out: sharding") is a PL/Proxy
-- database in front of N partitions, each an ordinary authoob database
-- that knows its number here.  authoob_set_partition() makes the ids the
-- front sees (users, whose id a token's sub carries; mails, whose id the
-- mailer gives back) unique across partitions, id = partition mod N, so
-- that the proxy routes an id by itself; and the tokens that must say where
-- their user lives (mailed and refresh tokens) are drawn so that
-- hashtext(token) & (N - 1) = partition.  A database without a row here is
-- not sharded and nothing changes for it.
CREATE TABLE authoob.partition (
    partition integer NOT NULL,
    partitions integer NOT NULL,
    CHECK (partitions BETWEEN 1 AND 1024 AND partitions & (partitions - 1) = 0
           AND partition >= 0 AND partition < partitions)
);
CREATE UNIQUE INDEX partition_one_row ON authoob.partition ((true));
REVOKE ALL ON authoob.partition FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.partition', '');

CREATE FUNCTION authoob_set_partition(partition integer, partitions integer)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regclass;
    next_id bigint;
BEGIN
    IF partitions IS NULL OR partition IS NULL OR partitions NOT BETWEEN 1 AND 1024
       OR partitions & (partitions - 1) <> 0 OR partition NOT BETWEEN 0 AND partitions - 1 THEN
        RAISE EXCEPTION 'invalid partition % of %', partition, partitions
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The number of partitions is a power of two (PL/Proxy''s rule); partitions are numbered from 0.';
    END IF;
    DELETE FROM authoob.partition;
    INSERT INTO authoob.partition VALUES (authoob_set_partition.partition,
                                          authoob_set_partition.partitions);
    FOREACH t IN ARRAY ARRAY['authoob.users'::regclass, 'authoob.mail_outbox'::regclass] LOOP
        -- the first id past those taken that is partition mod partitions
        EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %s', t) INTO next_id;
        next_id := next_id + ((authoob_set_partition.partition - next_id) % authoob_set_partition.partitions
                              + authoob_set_partition.partitions) % authoob_set_partition.partitions;
        EXECUTE format('ALTER TABLE %s ALTER COLUMN id SET INCREMENT BY %s RESTART WITH %s',
                       t, authoob_set_partition.partitions, next_id);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION authoob_set_partition(integer, integer) FROM PUBLIC;

-- authoob_attempt() for the proxy, whose PL/Proxy functions cannot CALL a
-- procedure: the action's error comes back as {"error": {...}} in a
-- transaction that commits the failure it recorded; the proxy raises it.
CREATE FUNCTION authoob_attempt_outcome(action text, arg text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_attempt_outcome'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION authoob_attempt_outcome(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_attempt_outcome(text, text, inet) TO authoob_api;
-- ==== Sharding: end ====

-- The body of POST P/login and POST P/token for authoob_attempt: the query
-- string's grant_type and the client's User-Agent header in it, which the
-- session keeps (printable ASCII, at most 255 characters).
CREATE FUNCTION authoob_sign_in_request(payload text, query_grant text, user_agent text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_sign_in_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_sign_in_request(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_sign_in_request(text, text, text) TO authoob_api;

-- ==== Supabase Auth's protocol, sharded: begin ====
-- The one-time code of the PKCE flow routes, as mailed tokens do, to the
-- partition that made it (README "Scale-out: sharding"): drawn in C by
-- the same routine.
CREATE FUNCTION authoob_link_code()
RETURNS text AS 'MODULE_PATHNAME', 'authoob_link_code'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_link_code() FROM PUBLIC;
-- ==== Supabase Auth's protocol, sharded: end ====
