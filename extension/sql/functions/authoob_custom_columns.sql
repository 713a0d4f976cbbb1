-- PostgreSQL does not dump columns added to an extension's table (the
-- application's custom fields): a restore adds them back between its
-- sections, from what this function lists in the dumped database
-- (docs/upgrades.md).
CREATE OR REPLACE FUNCTION authoob_custom_columns()
RETURNS TABLE (name name, type text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.attname, format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a
    WHERE a.attrelid = 'authoob.users'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (ARRAY['id', 'email', 'username', 'firstname', 'lastname',
          'password', 'active', 'confirmed_at', 'create_date', 'update_date',
          'last_login_at', 'current_login_at', 'last_login_ip', 'current_login_ip',
          'login_count', 'uuid', 'user_metadata', 'app_metadata', 'banned_until',
          'invited_at'])
    ORDER BY a.attnum
$$;

REVOKE ALL ON FUNCTION authoob_custom_columns() FROM PUBLIC;
