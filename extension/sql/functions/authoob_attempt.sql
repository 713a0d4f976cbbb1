-- The actions whose failures count against the brute-force limits, run so
-- that a failure outlives its transaction (extension/attempt.c): the HTTP
-- front calls logins, the token endpoint and mailed tokens through it.  A
-- procedure, so that it may COMMIT the record of a failure before it
-- raises the action's error; it runs as its caller, and takes the owner's
-- rights only to record (docs/security.md).
--
-- 0.3's form takes the request's parts apart (the body or the mailed
-- token, the query string's grant_type, the User-Agent header), so that a
-- sign-in's body is parsed once, where the procedure reads it; 0.2's form,
-- whose one argument is a body that authoob_sign_in_request wrote out
-- again, stays for 0.2's fronts and SQL callers.
CREATE OR REPLACE PROCEDURE authoob_attempt(action text, arg text, client_ip inet DEFAULT NULL,
                                 INOUT response jsonb DEFAULT NULL)
AS 'MODULE_PATHNAME', 'authoob_attempt' LANGUAGE C;

CREATE OR REPLACE PROCEDURE authoob_attempt(action text, body text, client_ip inet,
                                 query_grant text, user_agent text,
                                 INOUT response jsonb DEFAULT NULL)
AS 'MODULE_PATHNAME', 'authoob_attempt_0_3' LANGUAGE C;

REVOKE ALL ON PROCEDURE authoob_attempt(text, text, inet, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE authoob_attempt(text, text, inet, jsonb) TO authoob_api;
REVOKE ALL ON PROCEDURE authoob_attempt(text, text, inet, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE authoob_attempt(text, text, inet, text, text, jsonb) TO authoob_api;
