/* authoob--0.1--0.2.sql: from 0.1 to 0.2 (the README's "Upgrades") */

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.2'" to load this file. \quit

-- Per-IP limits count a client's network: a client commonly owns a whole
-- IPv6 /64 and could rotate through it.
ALTER TABLE authoob.settings
    ADD COLUMN ip_prefix_v4 integer NOT NULL DEFAULT 32,
    ADD COLUMN ip_prefix_v6 integer NOT NULL DEFAULT 64;

-- authoob_attempt records failures as the extension's owner: a caller of
-- the request functions may not record failures of its choosing (it could
-- lock any account out without even trying a password).
REVOKE EXECUTE ON FUNCTION authoob_record_failure(text, text) FROM authoob_api;
