/*
 * users.c
 *		The user as JSON (private and public) and profile updates, with the
 *		custom fields registered in authoob.user_fields.
 *
 * A custom field is a column an application added to authoob.users,
 * registered as exposed (private JSON), public (public JSON) and/or
 * updatable (PUT P/profile).  The three statements are built from the
 * registry when it changes (cache.c) and their plans kept until then.
 */
#include "authoob.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

typedef struct UserField
{
	char	   *name;
	bool		exposed;
	bool		updatable;
	bool		public;
	Oid			type;
	int32		typmod;
	FmgrInfo	input;			/* the type's input function */
	Oid			ioparam;
} UserField;

/* The fields every user has, always updatable by their owner */
static const char *const name_fields[] = {"username", "firstname", "lastname"};
#define N_NAME_FIELDS lengthof(name_fields)

/*
 * The private user JSON's own keys, in the order of the columns the
 * statements below return (private_json_from_row reads them by position).
 */
static const char *const private_base[] = {
	"id", "email", "username", "firstname", "lastname",
	"create_date", "update_date", "login_count"
};
#define N_PRIVATE_BASE lengthof(private_base)

/* the argument type of the statements that take a user id */
static const Oid user_id_type[] = {INT8OID};

/* jsonb_build_object takes at most 100 arguments: 50 pairs a call */
#define PAIRS_PER_CALL 40

static UserField *fields;
static int	nfields;
static int	nupdatable;
static AuthoobQuery private_query;
static AuthoobQuery public_query;
static AuthoobQuery update_query;

static AuthoobQuery fields_query = AUTHOOB_QUERY0(
	"SELECT f.name, f.exposed, f.updatable, f.public, a.atttypid, a.atttypmod"
	" FROM authoob.user_fields f JOIN pg_catalog.pg_attribute a"
	" ON a.attrelid = 'authoob.users'::pg_catalog.regclass AND a.attname = f.name"
	" AND a.attnum > 0 AND NOT a.attisdropped ORDER BY f.name");

/* "jsonb_build_object('id', u.id, ...) || jsonb_build_object(...)" */
static void
append_json_expression(StringInfo sql, const char *const *base, int nbase,
					   bool (*wanted) (const UserField *))
{
	int			pairs = 0;

	appendStringInfoString(sql, "jsonb_build_object(");
	for (int i = 0; i < nbase; i++)
		appendStringInfo(sql, "%s'%s', u.%s", pairs++ ? ", " : "", base[i], base[i]);
	for (int i = 0; i < nfields; i++)
	{
		if (!wanted(&fields[i]))
			continue;
		if (pairs == PAIRS_PER_CALL)
		{
			appendStringInfoString(sql, ") || jsonb_build_object(");
			pairs = 0;
		}
		appendStringInfo(sql, "%s%s, u.%s", pairs++ ? ", " : "",
						 quote_literal_cstr(fields[i].name),
						 quote_identifier(fields[i].name));
	}
	appendStringInfoChar(sql, ')');
}

static bool
is_public(const UserField *field)
{
	return field->public;
}

static void
set_query(AuthoobQuery *query, char *sql, int nargs, const Oid *argtypes)
{
	if (query->plan)
		SPI_freeplan(query->plan);
	query->plan = NULL;
	query->sql = sql;
	query->nargs = nargs;
	query->argtypes = argtypes;
}

/* Build the three statements from the registry; connected to SPI */
static void
load_fields(void)
{
	static const char *const public_base[] = {"id", "username"};
	MemoryContext cache_context = authoob_cache_begin_load(AUTHOOB_CACHE_FIELDS);
	MemoryContext caller_context;
	StringInfoData private_json;
	StringInfoData sql;
	Oid		   *update_types;
	int			arg;
	uint64		nrows;

	if (cache_context == NULL)
		return;

	nrows = authoob_run_latest(&fields_query);
	caller_context = MemoryContextSwitchTo(cache_context);

	fields = palloc0(sizeof(UserField) * (nrows + 1));
	nfields = nupdatable = 0;
	for (uint64 row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		UserField  *field = &fields[nfields++];
		bool		isnull;
		Oid			input;

		field->name = SPI_getvalue(tuple, desc, 1);
		field->exposed = DatumGetBool(SPI_getbinval(tuple, desc, 2, &isnull));
		field->updatable = DatumGetBool(SPI_getbinval(tuple, desc, 3, &isnull));
		field->public = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
		field->type = DatumGetObjectId(SPI_getbinval(tuple, desc, 5, &isnull));
		field->typmod = DatumGetInt32(SPI_getbinval(tuple, desc, 6, &isnull));
		getTypeInputInfo(field->type, &input, &field->ioparam);
		fmgr_info_cxt(input, &field->input, cache_context);
		if (field->updatable)
			nupdatable++;
	}

	/* the columns private_json_from_row() reads: base, then exposed fields */
	initStringInfo(&private_json);
	for (int i = 0; i < (int) lengthof(private_base); i++)
		appendStringInfo(&private_json, "%su.%s", i ? ", " : "", private_base[i]);
	for (int i = 0; i < nfields; i++)
		if (fields[i].exposed)
			appendStringInfo(&private_json, ", to_jsonb(u.%s)", quote_identifier(fields[i].name));

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s FROM authoob.users u WHERE u.id = $1", private_json.data);
	set_query(&private_query, sql.data, 1, user_id_type);

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	append_json_expression(&sql, public_base, lengthof(public_base), is_public);
	appendStringInfoString(&sql, " FROM authoob.users u WHERE u.id = $1 AND u.active");
	set_query(&public_query, sql.data, 1, user_id_type);

	/* "col = CASE WHEN $present THEN $value ELSE col END" for each */
	update_types = palloc(sizeof(Oid) * (1 + 2 * (N_NAME_FIELDS + nupdatable)));
	update_types[0] = INT8OID;
	arg = 1;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE authoob.users u SET ");
	for (int i = 0; i < (int) N_NAME_FIELDS + nfields; i++)
	{
		bool		custom = i >= (int) N_NAME_FIELDS;
		const char *column;

		if (custom && !fields[i - N_NAME_FIELDS].updatable)
			continue;
		column = quote_identifier(custom ? fields[i - N_NAME_FIELDS].name : name_fields[i]);
		appendStringInfo(&sql, "%s = CASE WHEN $%d THEN $%d ELSE u.%s END, ",
						 column, arg + 1, arg + 2, column);
		update_types[arg++] = BOOLOID;
		update_types[arg++] = custom ? fields[i - N_NAME_FIELDS].type : TEXTOID;
	}
	appendStringInfo(&sql, "update_date = now() WHERE u.id = $1 RETURNING %s",
					 private_json.data);
	set_query(&update_query, sql.data, arg, update_types);

	MemoryContextSwitchTo(caller_context);
	authoob_cache_end_load(AUTHOOB_CACHE_FIELDS);
}

/*
 * The private user JSON from its base columns (private_base's, in order:
 * values, nulls and types) and the exposed custom fields' jsonb values:
 * built here rather than by jsonb_build_object, which looks up every
 * argument's type on every call (a fifth of a profile request's work).
 * Values are written as to_jsonb would write them.
 */
static Datum
private_json(const Datum *values, const bool *nulls, const Oid *types,
			 const Datum *field_values, const bool *field_nulls)
{
	JsonbParseState *state = NULL;
	int			exposed = 0;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < (int) N_PRIVATE_BASE; i++)
	{
		JsonbValue	v;

		authoob_push_key(&state, private_base[i]);
		if (nulls[i])
			v.type = jbvNull;
		else
		{
			switch (types[i])
			{
				case INT8OID:
					v.type = jbvNumeric;
					v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric, values[i]));
					break;
				case INT4OID:
					v.type = jbvNumeric;
					v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int4_numeric, values[i]));
					break;
				case TIMESTAMPTZOID:
					v.type = jbvString;
					v.val.string.val = JsonEncodeDateTime(NULL, values[i], TIMESTAMPTZOID, NULL);
					v.val.string.len = strlen(v.val.string.val);
					break;
				default:
					v.type = jbvString;
					v.val.string.val = TextDatumGetCString(values[i]);
					v.val.string.len = strlen(v.val.string.val);
					break;
			}
		}
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	for (int i = 0; i < nfields; i++)
	{
		if (!fields[i].exposed)
			continue;
		authoob_push_key(&state, fields[i].name);
		authoob_push_jsonb(&state, field_nulls[exposed] ? NULL :
						   DatumGetJsonbP(field_values[exposed]));
		exposed++;
	}
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}

/* The private user JSON from the columns of the first result row, from column first on */
static Datum
private_json_from_row(int first)
{
	HeapTuple	row = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	Datum		values[N_PRIVATE_BASE];
	bool		nulls[N_PRIVATE_BASE];
	Oid			types[N_PRIVATE_BASE];
	Datum	   *field_values = palloc(sizeof(Datum) * (nfields + 1));
	bool	   *field_nulls = palloc(sizeof(bool) * (nfields + 1));
	int			column = first;

	for (int i = 0; i < (int) N_PRIVATE_BASE; i++, column++)
	{
		values[i] = SPI_getbinval(row, desc, column, &nulls[i]);
		types[i] = SPI_gettypeid(desc, column);
	}
	for (int i = 0; i < nfields; i++)
		if (fields[i].exposed)
		{
			field_values[column - first - N_PRIVATE_BASE] =
				SPI_getbinval(row, desc, column, &field_nulls[column - first - N_PRIVATE_BASE]);
			column++;
		}
	return private_json(values, nulls, types, field_values, field_nulls);
}

/* The private user JSON of a user; the caller is connected to SPI */
Datum
authoob_private_user_json(int64 user_id)
{
	Datum		value = Int64GetDatum(user_id);

	load_fields();
	if (authoob_run(&private_query, &value, NULL, false) != 1)
		elog(ERROR, "authoob: user " INT64_FORMAT " vanished", user_id);
	return private_json_from_row(1);
}

static Datum private_json_of_row(AuthoobRow *row, int64 user_id);

/* The dates (and uuid) of the user row read */
static void
read_dates(AuthoobRow *row, AuthoobUserDates *dates)
{
	bool		isnull;
	AttrNumber	uuid = authoob_row_column_if_any(AUTHOOB_TABLE_USERS, "uuid");

	dates->confirmed_at = DatumGetTimestampTz(
		slot_getattr(row->slot, authoob_row_column(AUTHOOB_TABLE_USERS, "confirmed_at"), &isnull));
	dates->confirmed = !isnull;
	dates->last_sign_in_at = DatumGetTimestampTz(
		slot_getattr(row->slot, authoob_row_column(AUTHOOB_TABLE_USERS, "current_login_at"), &isnull));
	dates->signed_in = !isnull;
	dates->has_uuid = false;
	if (uuid != InvalidAttrNumber)
	{
		Datum		value = slot_getattr(row->slot, uuid, &isnull);

		if (!isnull)
		{
			memcpy(&dates->uuid, DatumGetUUIDP(value), sizeof(pg_uuid_t));
			dates->has_uuid = true;
		}
	}
}

/*
 * Whether jti names a live session of the token's subject: the session is
 * still there (not ended by logout, a password change...), is the
 * subject's (its user's id, or uuid), has not expired, and its user is
 * active.  Then *user_id is the user's id, *dates says whether and when
 * the user confirmed their address and last signed in and, when profile
 * is not NULL, *profile receives their private JSON.  The rows are read by
 * their primary keys, without a statement (rows.c): this runs on every
 * verification of a token.  Connected to SPI.
 */
bool
authoob_live_session(Datum jti, const AuthoobSubject *subject, int64 *user_id,
					 AuthoobUserDates *dates, Datum *profile)
{
	AuthoobRow	row;
	bool		isnull;
	bool		live;

	if (!authoob_row_open(&row, AUTHOOB_TABLE_SESSIONS, jti))
		return false;
	*user_id = DatumGetInt64(slot_getattr(row.slot, authoob_row_column(AUTHOOB_TABLE_SESSIONS, "user_id"),
										  &isnull));
	live = (subject->user_id == 0 || *user_id == subject->user_id) &&
		DatumGetTimestampTz(slot_getattr(row.slot, authoob_row_column(AUTHOOB_TABLE_SESSIONS, "expires_at"),
										 &isnull)) > GetCurrentTransactionStartTimestamp();
	authoob_row_close(&row);
	if (!live || !authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(*user_id)))
		return false;
	live = DatumGetBool(slot_getattr(row.slot, authoob_row_column(AUTHOOB_TABLE_USERS, "active"),
									 &isnull)) && !isnull;
	read_dates(&row, dates);
	/* a uuid sub must be the session's user's */
	if (subject->user_id == 0)
		live = live && dates->has_uuid &&
			memcmp(&dates->uuid, &subject->uuid, sizeof(pg_uuid_t)) == 0;
	if (!live || profile == NULL)
	{
		authoob_row_close(&row);
		return live;
	}

	*profile = private_json_of_row(&row, *user_id);
	return true;
}

/*
 * A user's dates as the active snapshot sees their row; false for no such
 * user.  Connected to SPI.
 */
bool
authoob_user_dates(int64 user_id, AuthoobUserDates *dates)
{
	AuthoobRow	row;

	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
		return false;
	read_dates(&row, dates);
	authoob_row_close(&row);
	return true;
}

/*
 * The account of an address, whatever its case (lower(email), the key of
 * users_email_key), as a sign-in by password reads it: false for none.
 * One read by the index, without a statement, on the active snapshot as a
 * read-only statement would, of all a sign-in asks: the hash, whether the
 * account is active and confirmed, its address as stored (for the token)
 * and its ban.  Connected to SPI.
 */
bool
authoob_user_for_sign_in(const char *email, AuthoobSignInUser *user)
{
	static const char *const columns[] = {"id", "email", "password", "active", "confirmed_at"};
	AttrNumber	banned_column = authoob_row_column_if_any(AUTHOOB_TABLE_USERS_BY_EMAIL,
														  "banned_until");
	Datum		key = DirectFunctionCall1Coll(lower, DEFAULT_COLLATION_OID,
											  CStringGetTextDatum(email));
	Datum		values[lengthof(columns)];
	bool		nulls[lengthof(columns)];
	AuthoobRow	row;

	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS_BY_EMAIL, key))
		return false;
	for (int i = 0; i < (int) lengthof(columns); i++)
		values[i] = slot_getattr(row.slot,
								 authoob_row_column(AUTHOOB_TABLE_USERS_BY_EMAIL, columns[i]),
								 &nulls[i]);
	user->id = DatumGetInt64(values[0]);
	user->email = nulls[1] ? NULL : TextDatumGetCString(values[1]);
	user->password = TextDatumGetCString(values[2]);
	user->active = DatumGetBool(values[3]);
	user->confirmed = !nulls[4];
	user->has_ban = false;
	if (banned_column != InvalidAttrNumber)
	{
		bool		isnull;
		Datum		until = slot_getattr(row.slot, banned_column, &isnull);

		user->has_ban = !isnull;
		user->banned_until = isnull ? 0 : DatumGetTimestampTz(until);
	}
	authoob_row_close(&row);
	return true;
}

/* authoob_user_banned, of the row authoob_user_for_sign_in read */
bool
authoob_sign_in_user_banned(const AuthoobSignInUser *user)
{
	return user->has_ban && user->banned_until > GetCurrentTimestamp();
}

/*
 * Whether an admin banned the user until a time still to come (Supabase
 * Auth's banned_until); never for a database without the column (0.2's).
 * Read by key, without a statement: every sign-in and refresh asks.
 * Connected to SPI.
 */
bool
authoob_user_banned(int64 user_id)
{
	AttrNumber	attnum = authoob_row_column_if_any(AUTHOOB_TABLE_USERS, "banned_until");
	AuthoobRow	row;
	bool		isnull = true;
	Datum		until = (Datum) 0;

	if (attnum == InvalidAttrNumber ||
		!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
		return false;
	until = slot_getattr(row.slot, attnum, &isnull);
	authoob_row_close(&row);
	return !isnull && DatumGetTimestampTz(until) > GetCurrentTimestamp();
}

/*
 * A user's free-form metadata as the active snapshot sees their row, each
 * NULL when empty or when the database has no such column yet (0.2's).
 * Read here, not with the dates of every verification: only Supabase
 * Auth's user object shows them.  Connected to SPI.
 */
void
authoob_user_metadata(int64 user_id, Jsonb **user_metadata, Jsonb **app_metadata)
{
	static const char *const columns[] = {"user_metadata", "app_metadata"};
	Jsonb	  **values[] = {user_metadata, app_metadata};
	AuthoobRow	row;

	*user_metadata = *app_metadata = NULL;
	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
		return;
	for (int i = 0; i < (int) lengthof(columns); i++)
	{
		AttrNumber	attnum = authoob_row_column_if_any(AUTHOOB_TABLE_USERS, columns[i]);
		bool		isnull = true;
		Datum		value = attnum == InvalidAttrNumber ? (Datum) 0 :
			slot_getattr(row.slot, attnum, &isnull);

		if (!isnull)
			*values[i] = DatumGetJsonbPCopy(value);
	}
	authoob_row_close(&row);
}

static AuthoobQuery user_uuid = AUTHOOB_QUERY(
	"SELECT uuid::text FROM authoob.users WHERE id = $1",
	1, INT8OID);

/*
 * What tokens of user_id say as their sub: their id, or with jwt_sub
 * 'uuid' their uuid, read by statement (the user may have been made in
 * this one).  Connected to SPI.
 */
char *
authoob_user_sub(int64 user_id, const AuthoobSettings *settings)
{
	Datum		id = Int64GetDatum(user_id);

	if (!AUTHOOB_SUB_IS_UUID(settings))
		return psprintf(INT64_FORMAT, user_id);
	if (authoob_run(&user_uuid, &id, NULL, false) != 1)
		elog(ERROR, "authoob: user " INT64_FORMAT " vanished", user_id);
	return authoob_result_text(1);
}

/* Flask-Security's trackable: the previous sign-in moves to last_* */
static AuthoobQuery track_sign_in = AUTHOOB_QUERY(
	"UPDATE authoob.users SET"
	" last_login_at = coalesce(current_login_at, now()),"
	" last_login_ip = coalesce(current_login_ip, $2),"
	" current_login_at = now(), current_login_ip = $2,"
	" login_count = login_count + 1"
	" WHERE id = $1",
	2, INT8OID, INETOID);

/*
 * The same with a rehash of the password (the password did not change,
 * update_date neither), in the same UPDATE: one write of the row
 */
static AuthoobQuery track_rehashed_sign_in = AUTHOOB_QUERY(
	"UPDATE authoob.users SET"
	" last_login_at = coalesce(current_login_at, now()),"
	" last_login_ip = coalesce(current_login_ip, $2),"
	" current_login_at = now(), current_login_ip = $2,"
	" login_count = login_count + 1, password = $3"
	" WHERE id = $1",
	3, INT8OID, INETOID, TEXTOID);

/*
 * A sign-in of user_id from client_ip, however proved (a password, a
 * mailed token, a PKCE code): Supabase Auth's last_sign_in_at; with
 * new_hash (not NULL), the password's hash made again at the current
 * cost.  Connected to SPI.
 */
void
authoob_track_sign_in(int64 user_id, Datum client_ip, bool ip_isnull, const char *new_hash)
{
	Datum		values[3] = {Int64GetDatum(user_id), client_ip,
	new_hash ? CStringGetTextDatum(new_hash) : (Datum) 0};

	authoob_run(new_hash ? &track_rehashed_sign_in : &track_sign_in, values,
				ip_isnull ? " n " : "   ", false);
}

/*
 * The private JSON of the user row read (and closed here); with exposed
 * custom fields, read by statement instead: to_jsonb of any type is the
 * executor's work.  Connected to SPI.
 */
static Datum
private_json_of_row(AuthoobRow *row, int64 user_id)
{
	Datum		values[N_PRIVATE_BASE];
	bool		nulls[N_PRIVATE_BASE];
	Oid			types[N_PRIVATE_BASE];
	Datum		json;

	load_fields();
	for (int i = 0; i < nfields; i++)
		if (fields[i].exposed)
		{
			authoob_row_close(row);
			return authoob_private_user_json(user_id);
		}
	for (int i = 0; i < (int) N_PRIVATE_BASE; i++)
	{
		AttrNumber	attnum = authoob_row_column(AUTHOOB_TABLE_USERS, private_base[i]);

		values[i] = slot_getattr(row->slot, attnum, &nulls[i]);
		types[i] = TupleDescAttr(row->slot->tts_tupleDescriptor, attnum - 1)->atttypid;
	}
	json = private_json(values, nulls, types, NULL, NULL);
	authoob_row_close(row);
	return json;
}

/*
 * The private user JSON of a user as the calling statement's snapshot sees
 * it, read by primary key: for callers that have not changed the user in
 * this statement (authoob_private_user_json sees such changes).
 * Connected to SPI.
 */
Datum
authoob_private_user_json_read(int64 user_id)
{
	AuthoobRow	row;

	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
		elog(ERROR, "authoob: user " INT64_FORMAT " vanished", user_id);
	return private_json_of_row(&row, user_id);
}

/*
 * Whether the key of the private user JSON (len bytes) is a field its user
 * may change (PUT P/profile): a name field, or a custom field registered
 * updatable.  Connected to SPI.
 */
bool
authoob_field_updatable(const char *key, int len)
{
	load_fields();
	for (int i = 0; i < (int) N_NAME_FIELDS; i++)
		if ((int) strlen(name_fields[i]) == len && memcmp(name_fields[i], key, len) == 0)
			return true;
	for (int i = 0; i < nfields; i++)
		if (fields[i].updatable &&
			(int) strlen(fields[i].name) == len && memcmp(fields[i].name, key, len) == 0)
			return true;
	return false;
}

typedef struct RoleNames
{
	AttrNumber	role_id;		/* of roles_users */
	AttrNumber	name;			/* of roles */
	int			count;
	int			size;
	text	  **names;
} RoleNames;

static void
add_role_name(TupleTableSlot *slot, void *arg)
{
	RoleNames  *roles = arg;
	bool		isnull;
	AuthoobRow	role;

	if (!authoob_row_open(&role, AUTHOOB_TABLE_ROLES,
						  slot_getattr(slot, roles->role_id, &isnull)))
		return;
	if (roles->count == roles->size)
	{
		roles->size *= 2;
		roles->names = repalloc(roles->names, sizeof(text *) * roles->size);
	}
	roles->names[roles->count++] =
		DatumGetTextPCopy(slot_getattr(role.slot, roles->name, &isnull));
	authoob_row_close(&role);
}

/* as ORDER BY name: the column's collation, the database's */
static int
compare_names(const void *a, const void *b)
{
	text	   *x = *(text *const *) a;
	text	   *y = *(text *const *) b;

	return varstr_cmp(VARDATA_ANY(x), VARSIZE_ANY_EXHDR(x),
					  VARDATA_ANY(y), VARSIZE_ANY_EXHDR(y), DEFAULT_COLLATION_OID);
}

/*
 * The names of a user's roles, sorted, as authoob_user_roles() gives them;
 * read by key on the active snapshot, without a statement (rows.c).
 */
text	  **
authoob_user_role_names(int64 user_id, int *nroles)
{
	RoleNames	roles = {
		.role_id = authoob_row_column(AUTHOOB_TABLE_ROLES_USERS, "role_id"),
		.name = authoob_row_column(AUTHOOB_TABLE_ROLES, "name"),
		.size = 4,
	};

	roles.names = palloc(sizeof(text *) * roles.size);
	authoob_rows_each(AUTHOOB_TABLE_ROLES_USERS, Int64GetDatum(user_id),
					  add_role_name, &roles);
	qsort(roles.names, roles.count, sizeof(text *), compare_names);
	*nroles = roles.count;
	return roles.names;
}

/* The public user JSON of an active user, or NULL; connected to SPI */
Datum
authoob_public_user_json(int64 user_id, bool *found)
{
	Datum		value = Int64GetDatum(user_id);
	bool		isnull;

	load_fields();
	*found = authoob_run(&public_query, &value, NULL, false) == 1;
	return *found ? authoob_result_datum(1, &isnull) : (Datum) 0;
}

/* The text a JSON value gives a type's input function; NULL for null */
static char *
json_value_text(JsonbValue *value)
{
	switch (value->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(value->val.string.val, value->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(value->val.numeric)));
		case jbvBool:
			return value->val.boolean ? "true" : "false";
		default:
			return JsonbToCString(NULL, value->val.binary.data, value->val.binary.len);
	}
}

typedef struct FieldInput
{
	UserField  *field;
	char	   *text;
	Datum		result;
} FieldInput;

static void
call_input(void *arg)
{
	FieldInput *in = arg;

	in->result = InputFunctionCall(&in->field->input, in->text,
								   in->field->ioparam, in->field->typmod);
}

/*
 * A custom field's new value from the payload, converted to its column's
 * type; a value that does not fit is 400 naming the field.
 */
static Datum
field_value(UserField *field, JsonbValue *value, bool *isnull)
{
	FieldInput	in = {field, json_value_text(value), (Datum) 0};
	ErrorData  *error;

	*isnull = (in.text == NULL);
	if (*isnull)
		return (Datum) 0;
	error = authoob_try(call_input, &in);
	if (error)
		authoob_invalid_value(field->name, error->message);
	return in.result;
}

static void
run_update(void *arg)
{
	Datum	   *values = arg;
	char	   *nulls = (char *) (values + update_query.nargs);

	if (authoob_run(&update_query, values, nulls, false) != 1)
		elog(ERROR, "authoob: user vanished");
	*values = SPI_datumTransfer(private_json_from_row(1), false, -1);
}

/*
 * Apply a PUT P/profile payload: the name fields and the updatable custom
 * fields it holds (other keys are ignored); returns the private user JSON.
 * Connected to SPI.
 */
Datum
authoob_update_user(int64 user_id, Jsonb *payload)
{
	Datum	   *values;
	char	   *nulls;
	int			arg = 1;
	ErrorData  *error;
	StringInfoData custom_present;

	load_fields();
	/* one block: values, then nulls, as run_update expects */
	values = palloc0(update_query.nargs * (sizeof(Datum) + 1));
	nulls = (char *) (values + update_query.nargs);
	memset(nulls, ' ', update_query.nargs);
	values[0] = Int64GetDatum(user_id);
	initStringInfo(&custom_present);

	for (int i = 0; i < (int) N_NAME_FIELDS; i++)
	{
		bool		present;
		char	   *value = authoob_payload_name(payload, name_fields[i], &present);

		values[arg++] = BoolGetDatum(present);
		values[arg] = value ? CStringGetTextDatum(value) : (Datum) 0;
		nulls[arg++] = value ? ' ' : 'n';
	}
	for (int i = 0; i < nfields; i++)
	{
		JsonbValue *value;
		bool		isnull = true;

		if (!fields[i].updatable)
			continue;
		value = authoob_object_value(payload, fields[i].name);
		values[arg++] = BoolGetDatum(value != NULL);
		if (value)
		{
			values[arg] = field_value(&fields[i], value, &isnull);
			appendStringInfo(&custom_present, "%s%s",
							 custom_present.len ? ", " : "", fields[i].name);
		}
		nulls[arg++] = isnull ? 'n' : ' ';
	}

	/*
	 * constraints of custom columns (NOT NULL, CHECK, a unique index whose
	 * entry would be too large...) are the user's 400
	 */
	error = authoob_try(run_update, values);
	if (error)
	{
		if (error->sqlerrcode == ERRCODE_NOT_NULL_VIOLATION ||
			error->sqlerrcode == ERRCODE_CHECK_VIOLATION ||
			error->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION ||
			error->sqlerrcode == ERRCODE_UNIQUE_VIOLATION ||
			ERRCODE_TO_CATEGORY(error->sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
			ERRCODE_TO_CATEGORY(error->sqlerrcode) == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
			authoob_invalid_value(error->column_name ? error->column_name :
						  custom_present.len ? custom_present.data : "profile",
						  error->message);
		ReThrowError(error);
	}
	return values[0];
}

static AuthoobQuery set_password = AUTHOOB_QUERY(
	"WITH spent AS (UPDATE authoob.mail_tokens SET used_at = now()"
	"  WHERE user_id = $1 AND kind IN ('reset', 'email_change') AND used_at IS NULL),"
	" revoked AS (DELETE FROM authoob.sessions WHERE user_id = $1)"
	" UPDATE authoob.users SET password = $2, update_date = now() WHERE id = $1",
	2, INT8OID, TEXTOID);

/*
 * A new password hash for user_id, however it was changed (authenticated or
 * by a mailed token): every earlier token of the user stops working and
 * every reset token still in a mailbox is spent, and so is an address
 * change still waiting (whoever asked it may not be the user who now
 * proves the account is theirs).  Connected to SPI.
 */
void
authoob_set_password(int64 user_id, const char *hash)
{
	Datum		args[2] = {Int64GetDatum(user_id), CStringGetTextDatum(hash)};

	authoob_run(&set_password, args, NULL, false);
}

static AuthoobQuery active_user_by_email = AUTHOOB_QUERY(
	"SELECT id FROM authoob.users WHERE lower(email) = lower($1) AND active",
	1, TEXTOID);

/* The id of the active account of email, whatever its case; 0 for none */
int64
authoob_active_user_by_email(const char *email)
{
	Datum		address = CStringGetTextDatum(email);
	bool		isnull;

	if (authoob_run(&active_user_by_email, &address, NULL, false) != 1)
		return 0;
	return DatumGetInt64(authoob_result_datum(1, &isnull));
}

static AuthoobQuery active_user_confirmed = AUTHOOB_QUERY(
	"SELECT confirmed_at IS NOT NULL FROM authoob.users WHERE id = $1 AND active",
	1, INT8OID);

/*
 * Whether user_id is an active account, and in *confirmed whether it
 * followed its activation link.  Connected to SPI.
 */
bool
authoob_active_user(int64 user_id, bool *confirmed)
{
	Datum		id = Int64GetDatum(user_id);
	bool		isnull;

	if (authoob_run(&active_user_confirmed, &id, NULL, false) != 1)
		return false;
	*confirmed = DatumGetBool(authoob_result_datum(1, &isnull));
	return true;
}
