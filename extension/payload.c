/*
 * payload.c
 *		Request bodies: from text or jsonb to fields, refusing what is malformed.
 *
 * A body arrives as text from the HTTP front (so that invalid JSON is the
 * database's to refuse, with the same message as everything else) or as
 * jsonb from SQL callers.  Anything that is not a JSON object is 400
 * "Missing data", like Flask's request.json in the original.
 */
#include "authoob.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

/* For authoob_try: *arg, a C string Datum, becomes a jsonb Datum */
void
authoob_parse_jsonb(void *arg)
{
	Datum	   *value = arg;

	*value = DirectFunctionCall1(jsonb_in, *value);
}

/*
 * Parse text as jsonb.  jsonb_in reports bad input by raising an error, and
 * PostgreSQL 15 has no soft-error variant, so the parse runs in a
 * subtransaction (authoob_try) and any error it raises becomes "Missing data".
 */
static Jsonb *
parse_json_text(text *body)
{
	Datum		value = CStringGetDatum(text_to_cstring(body));

	if (authoob_try(authoob_parse_jsonb, &value) != NULL)
		authoob_bad_body("The body is not valid JSON.");
	return DatumGetJsonbP(value);
}

static Jsonb *
payload_object(Jsonb *payload)
{
	if (!JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
		authoob_bad_body("The body is not a JSON object.");
	return payload;
}

/*
 * The request body of argument argno, text or jsonb; always a JSON object
 * on return.
 */
Jsonb *
authoob_payload_arg(FunctionCallInfo fcinfo, int argno)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Jsonb	   *payload;

	if (PG_ARGISNULL(argno))
		authoob_bad_body("No body was given.");

	if (argtype == JSONBOID)
		payload = PG_GETARG_JSONB_P(argno);
	else
		payload = parse_json_text(PG_GETARG_TEXT_PP(argno));

	return payload_object(payload);
}

/* A request body given as a C string (NULL: none); a JSON object on return */
Jsonb *
authoob_payload_text(const char *body)
{
	if (body == NULL)
		authoob_bad_body("No body was given.");
	return payload_object(parse_json_text(cstring_to_text(body)));
}

/* A uuid in its canonical text form (8-4-4-4-12 hex) into *uuid, or false */
bool
authoob_parse_uuid(const char *text, Datum *uuid)
{
	if (text == NULL || strlen(text) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? text[i] != '-' :
			!isxdigit((unsigned char) text[i]))
			return false;
	*uuid = DirectFunctionCall1(uuid_in, CStringGetDatum(text));
	return true;
}

/*
 * The string value of key in an object.  A missing key or JSON null gives
 * NULL (and *present tells which); when required, either is "Missing data",
 * and so is any value that is not a string.
 */
char *
authoob_payload_string(Jsonb *payload, const char *key, bool required,
					   bool *present)
{
	JsonbValue *value = authoob_object_value(payload, key);

	if (present)
		*present = (value != NULL);

	if (value == NULL || value->type == jbvNull)
	{
		if (required)
			authoob_missing_data(psprintf("The field \"%s\" is required.", key));
		return NULL;
	}
	if (value->type != jbvString)
	{
		if (required)
			authoob_missing_data(psprintf("The field \"%s\" must be a string.", key));
		authoob_invalid_value(key, psprintf("The field \"%s\" must be a string or null.", key));
	}
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* A jsonb object of string values, e.g. {"token": "..."} */
Datum
authoob_jsonb_from_pairs(int npairs, const char **keys, const char **values)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < npairs; i++)
	{
		authoob_push_key(&state, keys[i]);
		authoob_push_string(&state, values[i]);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

/*
 * A sign-in's body with what the request says beside it: the query
 * string's grant_type when the body has none, and the client's User-Agent
 * header as "user_agent" (over the body's own), which the session keeps.
 * body is a JSON object, or NULL for none (then {} if anything is added);
 * what has nothing to add is body itself.
 */
Jsonb *
authoob_sign_in_body(Jsonb *body, const char *query_grant, const char *user_agent)
{
	const char *keys[2];
	const char *values[2];
	int			n = 0;
	Datum		added;

	if (query_grant && (body == NULL || authoob_object_value(body, "grant_type") == NULL))
	{
		keys[n] = "grant_type";
		values[n++] = query_grant;
	}
	if (user_agent)
	{
		keys[n] = "user_agent";
		values[n++] = user_agent;
	}
	if (n == 0)
		return body;
	added = authoob_jsonb_from_pairs(n, keys, values);
	if (body == NULL)
		return DatumGetJsonbP(added);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(body), added));
}

/* A text argument as a C string, NULL for SQL NULL */
char *
authoob_text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* An optional name-like field: absent, null or a string of sane length */
char *
authoob_payload_name(Jsonb *payload, const char *key, bool *present)
{
	char	   *value = authoob_payload_string(payload, key, false, present);

	if (value && pg_mbstrlen(value) > AUTHOOB_MAX_FIELD_CHARS)
		authoob_invalid_value(key, psprintf("At most %d characters.", AUTHOOB_MAX_FIELD_CHARS));
	return value;
}

/* The value of key in an object, if any */
JsonbValue *
authoob_object_value(Jsonb *object, const char *key)
{
	JsonbValue	k;

	if (!JB_ROOT_IS_OBJECT(object) || JB_ROOT_IS_SCALAR(object))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&object->root, JB_FOBJECT, &k);
}

/* The string value of key in an object; NULL if absent or not a string */
char *
authoob_jsonb_get_string(Jsonb *object, const char *key)
{
	JsonbValue *value = authoob_object_value(object, key);

	if (value == NULL || value->type != jbvString)
		return NULL;
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* Whether key of an object is the JSON value expected (true or false) */
static bool
jsonb_is_bool(Jsonb *object, const char *key, bool expected)
{
	JsonbValue *value = authoob_object_value(object, key);

	return value != NULL && value->type == jbvBool && value->val.boolean == expected;
}

/* Whether key of an object is the JSON value false */
bool
authoob_jsonb_is_false(Jsonb *object, const char *key)
{
	return jsonb_is_bool(object, key, false);
}

/* Whether key of an object is the JSON value true */
bool
authoob_jsonb_is_true(Jsonb *object, const char *key)
{
	return jsonb_is_bool(object, key, true);
}

/* Building objects with pushJsonbValue: a key */
void
authoob_push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/* ...a string value, JSON null for NULL */
void
authoob_push_string(JsonbParseState **state, const char *value)
{
	JsonbValue	v;

	v.type = value ? jbvString : jbvNull;
	if (value)
	{
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* ...a jsonb value, JSON null for NULL */
void
authoob_push_jsonb(JsonbParseState **state, Jsonb *value)
{
	JsonbValue	v;

	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * len characters of text as a non-negative integer of at most 18 digits
 * (so within bigint): a user id in a URL, a claim of a token.  False for
 * anything else, never a cast error.
 */
bool
authoob_parse_digits(const char *text, int len, int64 *value)
{
	if (len < 1 || len > 18)
		return false;
	*value = 0;
	for (int i = 0; i < len; i++)
	{
		if (text[i] < '0' || text[i] > '9')
			return false;
		*value = *value * 10 + (text[i] - '0');
	}
	return true;
}
