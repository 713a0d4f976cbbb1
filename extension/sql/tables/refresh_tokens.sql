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
