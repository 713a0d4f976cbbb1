-- authoob_attempt() for the proxy, whose PL/Proxy functions cannot CALL a
-- procedure: the action's error comes back as {"error": {...}} in a
-- transaction that commits the failure it recorded; the proxy raises it.
-- Both forms, as authoob_attempt's.
CREATE OR REPLACE FUNCTION authoob_attempt_outcome(action text, arg text, client_ip inet DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_attempt_outcome'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION authoob_attempt_outcome(action text, body text, client_ip inet,
                                        query_grant text, user_agent text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_attempt_outcome_0_3'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_attempt_outcome(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_attempt_outcome(text, text, inet) TO authoob_api;
REVOKE ALL ON FUNCTION authoob_attempt_outcome(text, text, inet, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_attempt_outcome(text, text, inet, text, text) TO authoob_api;
