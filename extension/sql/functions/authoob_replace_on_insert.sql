-- pg_dump keeps everything, the settings with the secret and keys and the
-- mail templates included, so that tokens issued before a dump verify after
-- its restore.  CREATE EXTENSION makes a settings row and the default
-- templates before the restore copies the dumped rows in: each dumped row
-- takes the place of the one CREATE EXTENSION made.
CREATE OR REPLACE FUNCTION authoob_replace_on_insert() RETURNS trigger
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
