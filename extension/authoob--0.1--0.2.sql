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
-- ==== Signing keys and JWKS (branch keys): begin ====
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
-- ==== Signing keys and JWKS (branch keys): end ====

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

-- ==== Sessions, refresh tokens and claims (branch sessions): begin ====
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
-- ==== Sessions, refresh tokens and claims (branch sessions): end ====

-- The body of POST P/login and POST P/token for authoob_attempt: the query
-- string's grant_type and the client's User-Agent header in it, which the
-- session keeps (printable ASCII, at most 255 characters).
CREATE FUNCTION authoob_sign_in_request(payload text, query_grant text, user_agent text)
RETURNS text AS 'MODULE_PATHNAME', 'authoob_sign_in_request'
LANGUAGE C IMMUTABLE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION authoob_sign_in_request(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_sign_in_request(text, text, text) TO authoob_api;
