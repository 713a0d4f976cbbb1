-- hostile.sql: the schema of an attacker who may call authoob (a member of
-- authoob_api) and puts a schema of its own first on its search_path
-- (docs/security.md, the hostile mode of the tests).  Run as that role,
-- in a database where it owns the schema app.  The schema holds traps:
-- an operator for each of the system's operators authoob's statements
-- could use, over the types they use, and a function (or aggregate) for
-- each system function they call, each with the system's signature, so
-- that an unqualified name resolved under this search_path finds the trap
-- first.  A trap does what the system's object does, after writing a row
-- to app.trap_log and trying to make its owner a superuser: a row there,
-- or a new superuser, means something of authoob ran the caller's code.
SET client_min_messages = warning;
SET search_path = pg_catalog;

CREATE TABLE app.trap_log (
    trap text NOT NULL,
    ran_as name NOT NULL DEFAULT current_user,
    session_as name NOT NULL DEFAULT session_user,
    at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
-- whoever a trap runs as writes its row: the owner of authoob, a hook's
-- owner, a partition's user
GRANT USAGE ON SCHEMA app TO PUBLIC;
GRANT INSERT, SELECT ON app.trap_log TO PUBLIC;

CREATE FUNCTION app.trap(what text) RETURNS void
LANGUAGE plpgsql AS $trap$
BEGIN
    INSERT INTO app.trap_log (trap) VALUES (what);
    BEGIN
        EXECUTE pg_catalog.format('ALTER ROLE %I SUPERUSER', session_user);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
END
$trap$;

DO $generate$
DECLARE
    -- what authoob's statements (in C and in SQL) compare, join, add...
    operator_names text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', '||', '->', '->>',
        '#>', '#>>', '@>', '<@', '?', '?|', '?&', '+', '-', '*', '/', '%', '&', '|',
        '~', '~*', '!~', '!~*', '~~', '!~~', '~~*', '!~~*', '^'];
    -- ... over these types
    type_names text[] := ARRAY['text', 'uuid', 'bigint', 'integer', 'smallint',
        'timestamp with time zone', 'interval', 'jsonb', 'json', 'bytea', 'inet',
        'boolean', 'numeric', 'double precision', 'name', 'oid', 'regclass', 'date',
        'text[]', 'character varying', '"char"'];
    -- and the functions they call by an unqualified name (the system's, and
    -- pgcrypto's)
    function_names text[] := ARRAY['lower', 'upper', 'now', 'clock_timestamp',
        'statement_timestamp', 'transaction_timestamp', 'make_interval', 'to_timestamp',
        'date_part', 'extract', 'floor', 'ceil', 'power', 'abs', 'length', 'octet_length',
        'char_length', 'encode', 'decode', 'convert_to', 'convert_from', 'sha256', 'md5',
        'digest', 'hmac', 'gen_random_bytes', 'gen_random_uuid', 'crypt', 'gen_salt',
        'format', 'concat', 'concat_ws', 'jsonb_build_object', 'jsonb_build_array',
        'json_build_object', 'to_jsonb', 'to_json', 'jsonb_typeof', 'jsonb_strip_nulls',
        'jsonb_array_elements', 'jsonb_array_elements_text', 'jsonb_each', 'jsonb_each_text',
        'jsonb_object_keys', 'jsonb_set', 'jsonb_array_length', 'array_to_string',
        'string_to_array', 'array_length', 'cardinality', 'array_position', 'regexp_replace',
        'regexp_split_to_table', 'regexp_match', 'split_part', 'substr', 'substring', 'left',
        'right', 'rtrim', 'ltrim', 'btrim', 'trim', 'translate', 'replace', 'repeat',
        'position', 'strpos', 'starts_with', 'quote_literal', 'quote_ident', 'quote_nullable',
        'hashtext', 'hashtextextended', 'pg_notify', 'current_setting', 'set_config',
        'current_database', 'unnest', 'generate_series', 'host', 'set_masklen', 'network',
        'masklen', 'family', 'inet_same_family', 'pg_try_advisory_xact_lock',
        'pg_advisory_xact_lock', 'pg_my_temp_schema', 'format_type', 'has_function_privilege',
        'pg_get_userbyid', 'row_to_json', 'to_char', 'date_trunc', 'random', 'uuid_in',
        'textlen', 'text', 'int8', 'int4', 'numeric', 'timezone'];
    aggregate_names text[] := ARRAY['count', 'max', 'min', 'sum', 'jsonb_agg',
        'jsonb_object_agg', 'array_agg', 'string_agg', 'bool_or', 'bool_and'];
    o record;
    p record;
    n integer := 0;
    args text;
    call text;
BEGIN
    FOR o IN
        SELECT op.oid, op.oprname, op.oprleft, op.oprright, op.oprresult
        FROM pg_catalog.pg_operator op
        WHERE op.oprnamespace = 'pg_catalog'::regnamespace
          AND op.oprname = ANY (operator_names)
          AND (op.oprleft = 0 OR op.oprleft = ANY (SELECT t::regtype FROM unnest(type_names) t))
          AND op.oprright = ANY (SELECT t::regtype FROM unnest(type_names) t)
          AND (op.oprleft <> 0 OR op.oprright <> 0)
    LOOP
        n := n + 1;
        IF o.oprleft = 0 THEN
            EXECUTE pg_catalog.format($f$CREATE FUNCTION app.trap_operator_%s(b %s) RETURNS %s
                LANGUAGE plpgsql AS $b$ BEGIN PERFORM app.trap(%L); RETURN OPERATOR(pg_catalog.%s) b; END $b$$f$,
                n, o.oprright::regtype, o.oprresult::regtype,
                pg_catalog.format('operator %s(none, %s)', o.oprname, o.oprright::regtype), o.oprname);
            EXECUTE pg_catalog.format('CREATE OPERATOR app.%s (RIGHTARG = %s, FUNCTION = app.trap_operator_%s)',
                o.oprname, o.oprright::regtype, n);
        ELSE
            EXECUTE pg_catalog.format($f$CREATE FUNCTION app.trap_operator_%s(a %s, b %s) RETURNS %s
                LANGUAGE plpgsql AS $b$ BEGIN PERFORM app.trap(%L); RETURN a OPERATOR(pg_catalog.%s) b; END $b$$f$,
                n, o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype,
                pg_catalog.format('operator %s(%s, %s)', o.oprname, o.oprleft::regtype, o.oprright::regtype),
                o.oprname);
            EXECUTE pg_catalog.format('CREATE OPERATOR app.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = app.trap_operator_%s)',
                o.oprname, o.oprleft::regtype, o.oprright::regtype, n);
        END IF;
    END LOOP;

    -- functions of a concrete signature (or a polymorphic one PL/pgSQL
    -- takes), set-returning or not; not those of VARIADIC "any"
    FOR p IN
        SELECT f.oid, f.proname, f.pronamespace::regnamespace AS schema, f.proretset,
               pg_catalog.pg_get_function_arguments(f.oid) AS arguments,
               pg_catalog.pg_get_function_result(f.oid) AS result,
               f.pronargs, f.provariadic
        FROM pg_catalog.pg_proc f
        WHERE f.proname = ANY (function_names) AND f.prokind = 'f'
          AND (f.pronamespace = 'pg_catalog'::regnamespace OR EXISTS (
              SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
              WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = f.oid AND e.extname = 'pgcrypto'))
          AND NOT EXISTS (SELECT 1 FROM unnest(f.proargtypes::oid[]) a
                          WHERE a IN ('"any"'::regtype, 'internal'::regtype, 'cstring'::regtype,
                                      'anyenum'::regtype, 'anyrange'::regtype, 'anymultirange'::regtype,
                                      'anycompatible'::regtype, 'anycompatiblearray'::regtype,
                                      'anycompatiblerange'::regtype, 'anycompatiblenonarray'::regtype,
                                      'anycompatiblemultirange'::regtype, 'anynonarray'::regtype))
          AND f.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype, 'trigger'::regtype,
                                   'anyrange'::regtype, 'anycompatible'::regtype, 'record'::regtype)
          AND NOT (f.prorettype = ANY (ARRAY['anyelement', 'anyarray']::regtype[])
                   AND f.pronargs = 0)
    LOOP
        n := n + 1;
        SELECT pg_catalog.string_agg(pg_catalog.format('$%s', i), ', ' ORDER BY i)
          INTO call FROM generate_series(1, p.pronargs) i;
        IF p.provariadic <> 0 THEN
            call := regexp_replace(coalesce(call, ''), '(\$[0-9]+)$', 'VARIADIC \1');
        END IF;
        BEGIN
            EXECUTE pg_catalog.format($f$CREATE FUNCTION app.%I(%s) RETURNS %s
                LANGUAGE plpgsql AS $b$ BEGIN PERFORM app.trap(%L); %s %s.%I(%s)%s; END $b$$f$,
                p.proname, regexp_replace(p.arguments, 'DEFAULT [^,]*', '', 'g'), p.result,
                pg_catalog.format('function %s.%s(%s)', p.schema, p.proname, p.arguments),
                CASE WHEN p.proretset THEN 'RETURN QUERY SELECT * FROM' ELSE 'RETURN' END,
                p.schema, p.proname, coalesce(call, ''),
                CASE WHEN p.proretset THEN '; RETURN' ELSE '' END);
        EXCEPTION WHEN OTHERS THEN
            -- a signature PL/pgSQL cannot take: not a trap
            NULL;
        END;
    END LOOP;

    -- jsonb_build_object and format take VARIADIC "any", which no trap can:
    -- the arities and types authoob calls them with
    FOR p IN SELECT * FROM (VALUES ('jsonb_build_object', 'text, text', 'jsonb'),
        ('jsonb_build_object', 'text, jsonb', 'jsonb'), ('jsonb_build_object', 'text, bigint', 'jsonb'),
        ('jsonb_build_object', 'text, boolean', 'jsonb'),
        ('jsonb_build_object', 'text, timestamp with time zone', 'jsonb'),
        ('jsonb_build_object', 'text, text, text, text', 'jsonb'),
        ('jsonb_build_object', 'text, jsonb, text, jsonb', 'jsonb'),
        ('jsonb_build_array', 'text', 'jsonb'), ('jsonb_build_array', 'jsonb', 'jsonb'),
        ('format', 'text, text', 'text'), ('format', 'text, text, text', 'text'),
        ('concat_ws', 'text, text, text', 'text')) AS v (name, arguments, result)
    LOOP
        n := n + 1;
        SELECT pg_catalog.string_agg(pg_catalog.format('$%s', i), ', ' ORDER BY i)
          INTO call FROM generate_series(1, array_length(string_to_array(p.arguments, ','), 1)) i;
        EXECUTE pg_catalog.format($f$CREATE FUNCTION app.%I(%s) RETURNS %s
            LANGUAGE plpgsql AS $b$ BEGIN PERFORM app.trap(%L); RETURN pg_catalog.%I(%s); END $b$$f$,
            p.name, p.arguments, p.result, pg_catalog.format('function %s(%s)', p.name, p.arguments),
            p.name, call);
    END LOOP;

    -- aggregates: a transition function that traps, then does the system's
    FOR p IN
        SELECT a.aggfnoid::regprocedure AS aggregate, f.proname, a.aggtransfn, a.aggfinalfn,
               a.aggtranstype::regtype AS state_type, f.proargtypes, f.pronargs,
               pg_catalog.pg_get_function_arguments(f.oid) AS arguments, a.agginitval
        FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc f ON f.oid = a.aggfnoid
        WHERE f.proname = ANY (aggregate_names) AND f.pronamespace = 'pg_catalog'::regnamespace
          AND a.aggkind = 'n' AND a.aggtranstype <> 'internal'::regtype
          AND NOT EXISTS (SELECT 1 FROM unnest(f.proargtypes::oid[]) t WHERE t = '"any"'::regtype)
    LOOP
        n := n + 1;
        BEGIN
            SELECT pg_catalog.string_agg(pg_catalog.format('$%s', i), ', ' ORDER BY i)
              INTO call FROM generate_series(2, p.pronargs + 1) i;
            EXECUTE pg_catalog.format($f$CREATE FUNCTION app.trap_transition_%s(s %s%s) RETURNS %s
                LANGUAGE plpgsql AS $b$ BEGIN PERFORM app.trap(%L); RETURN pg_catalog.%I(s%s); END $b$$f$,
                n, p.state_type, CASE WHEN p.pronargs > 0 THEN ', ' || p.arguments ELSE '' END,
                p.state_type, pg_catalog.format('aggregate %s', p.aggregate),
                (SELECT t.proname FROM pg_catalog.pg_proc t WHERE t.oid = p.aggtransfn),
                CASE WHEN p.pronargs > 0 THEN ', ' || call ELSE '' END);
            EXECUTE pg_catalog.format('CREATE AGGREGATE app.%I(%s) (SFUNC = app.trap_transition_%s, STYPE = %s%s%s)',
                p.proname, CASE WHEN p.pronargs = 0 THEN '*' ELSE p.arguments END, n, p.state_type,
                CASE WHEN p.aggfinalfn <> 0 THEN ', FINALFUNC = pg_catalog.' || p.aggfinalfn::regproc ELSE '' END,
                CASE WHEN p.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(p.agginitval) ELSE '' END);
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END LOOP;
END
$generate$;

SELECT count(*) FILTER (WHERE p.prokind = 'f') AS trap_functions,
       count(*) FILTER (WHERE p.prokind = 'a') AS trap_aggregates,
       (SELECT count(*) FROM pg_catalog.pg_operator o WHERE o.oprnamespace = 'app'::regnamespace) AS trap_operators
FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'app'::regnamespace AND p.proname NOT LIKE 'trap%';
