-- Leaving HS256 retires the secret as authoob_rotate_secret does
-- (docs/sql-api.md, "Signing keys and JWKS"): it verifies what it signed
-- for a token lifetime, then it is gone, and the secret left in its place
-- is a new random one, so that whoever held the old one (a verifier's
-- configuration) cannot mint tokens, now or after a return to HS256.  A
-- secret the same update sets is the owner's choice for a later HS256 (its
-- setting already ends every session and forgets every earlier key), and
-- stays.  authoob_rotate_secret may read the settings as this backend cached
-- them before the update: what it reads is the secret, unchanged when it
-- runs, and the lifetime is given.
CREATE OR REPLACE FUNCTION authoob_signing_alg_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authoob.signing_keys k SET valid_until = now() + make_interval(secs => NEW.token_ttl)
    WHERE k.alg = OLD.signing_alg AND k.valid_until IS NULL;
    IF OLD.signing_alg = 'HS256' AND NEW.secret_key = OLD.secret_key THEN
        PERFORM @extschema@.authoob_rotate_secret(make_interval(secs => NEW.token_ttl));
    END IF;
    IF NEW.signing_alg <> 'HS256' AND NOT EXISTS (
        SELECT 1 FROM authoob.signing_keys k WHERE k.alg = NEW.signing_alg AND k.valid_until IS NULL) THEN
        PERFORM @extschema@.authoob_new_signing_key(NEW.signing_alg, NULL);
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION authoob_signing_alg_changed() FROM PUBLIC;
