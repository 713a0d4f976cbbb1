-- Sharded sign-ins with an identity provider handed to this partition
-- (docs/identity-providers.md, "Sharding"): each hand-off is taken once,
-- within its minute; kept until then.
CREATE TABLE authoob.oauth_handoffs (
    id text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_handoffs_expires_at_idx ON authoob.oauth_handoffs (expires_at);
REVOKE ALL ON authoob.oauth_handoffs FROM PUBLIC;
