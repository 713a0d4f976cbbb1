-- Supabase Auth's sign-up: authoob_register, whose activation mail is
-- that dialect's (its link to redirect_to, and a code).  Owner only.
CREATE OR REPLACE FUNCTION authoob_register_for_dialect(payload jsonb, client_ip inet, redirect_to text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_register_for_dialect'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_register_for_dialect(jsonb, inet, text) FROM PUBLIC;
