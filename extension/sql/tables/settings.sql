-- The settings (docs/settings.md): one row, changed by the owner through
-- authoob_configure(), read back without the secret.  extension/settings.c
-- holds the table of their checks, and of what each column is worth in a
-- database still at an earlier version.
CREATE TABLE authoob.settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    app_url text,
    api_url text,
    secret_key bytea NOT NULL CHECK (length(secret_key) >= 32),
    email_sender text,
    prevent_mail_send boolean NOT NULL DEFAULT false,
    prefix text NOT NULL DEFAULT '/authoob',
    token_header text NOT NULL DEFAULT 'Authentication-Token',
    token_ttl integer NOT NULL DEFAULT 86400,
    bcrypt_cost integer NOT NULL DEFAULT 12,
    require_activation boolean NOT NULL DEFAULT false,
    password_min_length integer NOT NULL DEFAULT 8,
    password_require_uppercase boolean NOT NULL DEFAULT true,
    password_require_digit boolean NOT NULL DEFAULT true,
    activation_ttl integer NOT NULL DEFAULT 604800,     -- 7 days
    reset_ttl integer NOT NULL DEFAULT 3600,            -- 1 hour
    reset_mail_interval integer NOT NULL DEFAULT 60,    -- one reset mail a minute per address
    mail_max_attempts integer NOT NULL DEFAULT 8,
    mail_retry_delay integer NOT NULL DEFAULT 30,       -- seconds, doubled on each failure
    hook_timeout integer NOT NULL DEFAULT 2000,         -- milliseconds a hook may take
    password_hash text NOT NULL DEFAULT 'bcrypt',       -- or 'argon2id'
    argon2_memory integer NOT NULL DEFAULT 19456,       -- KiB: OWASP's argon2id minimum
    argon2_time integer NOT NULL DEFAULT 2,
    argon2_parallelism integer NOT NULL DEFAULT 1,
    -- brute-force limits (see authoob.throttle)
    throttle boolean NOT NULL DEFAULT true,
    login_free_failures integer NOT NULL DEFAULT 5,     -- then a doubling wait
    login_backoff_max integer NOT NULL DEFAULT 900,     -- seconds: the longest wait
    login_failures_per_hour integer NOT NULL DEFAULT 100, -- per account (OWASP ASVS 2.2.1)
    ip_failures_per_window integer NOT NULL DEFAULT 100,  -- failed logins per client
    token_failures_per_window integer NOT NULL DEFAULT 20, -- unknown mailed tokens per client
    ip_window integer NOT NULL DEFAULT 300,             -- seconds
    -- per-client limits count a client's network: a client commonly owns a
    -- whole IPv6 /64 and could rotate through it
    ip_prefix_v4 integer NOT NULL DEFAULT 32,
    ip_prefix_v6 integer NOT NULL DEFAULT 64,
    -- password/ask per client: one client asking about made-up addresses
    -- would otherwise fill authoob.mail_requests and hold real mails back
    asks_per_window integer NOT NULL DEFAULT 20,
    -- HS256 signs with secret_key; ES256, EdDSA and RS256 with
    -- authoob.signing_keys
    signing_alg text NOT NULL DEFAULT 'HS256'
        CHECK (signing_alg IN ('HS256', 'ES256', 'EdDSA', 'RS256')),
    -- the claims of new tokens, and how long sessions live (0: no limit)
    jwt_issuer text,
    jwt_audience text NOT NULL DEFAULT 'authenticated',
    jwt_role text NOT NULL DEFAULT 'authenticated',
    session_ttl integer NOT NULL DEFAULT 0,
    inactivity_timeout integer NOT NULL DEFAULT 0,
    refresh_reuse_interval integer NOT NULL DEFAULT 10,
    -- Supabase Auth's protocol (docs/supabase.md; null turns its
    -- routes off), and where mailed links may lead besides app_url (URLs
    -- separated by commas or spaces)
    gotrue_prefix text DEFAULT '/auth/v1',
    redirect_urls text,
    -- the budget of password hashes (docs/security.md): per client
    -- (registrations and sign-ins) and per account (sign-ins) per
    -- ip_window, successful or not, and per client at a time
    client_hashes_per_window integer NOT NULL DEFAULT 30,
    account_sign_ins_per_window integer NOT NULL DEFAULT 30,
    client_hashes_at_once integer NOT NULL DEFAULT 2,
    -- what tokens' sub and Supabase Auth's user id are: the numeric id
    -- (0.1's and 0.2's tokens) or the user's uuid (Supabase apps)
    jwt_sub text NOT NULL DEFAULT 'id' CHECK (jwt_sub IN ('id', 'uuid')),
    -- how long sent, failed and suppressed mails stay in the outbox
    -- (authoob_housekeeping)
    mail_retention integer NOT NULL DEFAULT 604800,      -- 7 days
    -- no registration through either dialect (Supabase Auth's
    -- disable_signup)
    disable_signup boolean NOT NULL DEFAULT false,
    -- a user with a verified second factor needs an aal2 session for
    -- anything but reaching aal2 (docs/security.md, "Multi-factor
    -- authentication")
    mfa_required boolean NOT NULL DEFAULT false,
    -- how many days authoob.audit_log keeps a record (authoob_housekeeping)
    audit_retention integer NOT NULL DEFAULT 90,
    -- Supabase Auth's anonymous sign-in, and how many days housekeeping
    -- keeps an anonymous user (0: for ever; authoob_sweep_anonymous)
    anonymous_signin boolean NOT NULL DEFAULT false,
    anonymous_retention integer NOT NULL DEFAULT 0,
    -- a password change needs a mailed nonce (GET G/reauthenticate) unless
    -- the session signed in within a day (Supabase Auth's
    -- GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION)
    secure_password_change boolean NOT NULL DEFAULT false,
    -- how long a mailed 6-digit code lives at most (Supabase Auth's
    -- MAILER_OTP_EXP), its link living on to its own expiry
    code_ttl integer NOT NULL DEFAULT 3600,
    -- seconds a magic link and its 6-digit code stay valid
    otp_ttl integer NOT NULL DEFAULT 600,
    -- a magic link asked for an unknown address with create_user makes
    -- its account (docs/supabase.md, "Magic links and email codes")
    otp_signup boolean NOT NULL DEFAULT false,
    -- a signed-in user may link an identity at a provider to their account
    -- and unlink one (Supabase Auth's GOTRUE_SECURITY_MANUAL_LINKING_ENABLED)
    manual_linking boolean NOT NULL DEFAULT false
);
-- 32 bytes from pgcrypto's gen_random_bytes (pg_strong_random underneath)
INSERT INTO authoob.settings (secret_key) VALUES (gen_random_bytes(32));
-- Each backend caches the settings: a change tells every backend to drop
-- its copy.
CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authoob.settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.authoob_invalidate_cache();
-- pg_dump keeps the row, the secret and keys included, so that tokens
-- issued before a dump verify after its restore: the restored row takes
-- the place of the one CREATE EXTENSION made.
CREATE TRIGGER settings_replace BEFORE INSERT ON authoob.settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.authoob_replace_on_insert();
-- Changing signing_alg retires the key of the alg left behind
CREATE TRIGGER signing_alg_changed AFTER UPDATE OF signing_alg ON authoob.settings
    FOR EACH ROW WHEN (OLD.signing_alg IS DISTINCT FROM NEW.signing_alg)
    EXECUTE FUNCTION @extschema@.authoob_signing_alg_changed();
REVOKE ALL ON authoob.settings FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authoob.settings', '');
