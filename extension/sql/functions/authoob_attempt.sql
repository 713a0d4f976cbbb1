-- The actions whose failures count against the brute-force limits, run so
-- that a failure outlives its transaction (extension/attempt.c): the HTTP
-- front calls logins, the token endpoint and mailed tokens through it.  A
-- procedure, so that it may COMMIT the record of a failure before it
-- raises the action's error; it runs as its caller, and takes the owner's
-- rights only to record (README "Security").
CREATE OR REPLACE PROCEDURE authoob_attempt(action text, arg text, client_ip inet DEFAULT NULL,
                                 INOUT response jsonb DEFAULT NULL)
AS 'MODULE_PATHNAME', 'authoob_attempt' LANGUAGE C;

REVOKE ALL ON PROCEDURE authoob_attempt(text, text, inet, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE authoob_attempt(text, text, inet, jsonb) TO authoob_api;
