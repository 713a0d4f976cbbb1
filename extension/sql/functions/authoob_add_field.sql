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

REVOKE ALL ON FUNCTION authoob_add_field(text, boolean, boolean, boolean) FROM PUBLIC;
