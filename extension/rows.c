/*
 * rows.c
 *		A row of one of authoob's tables by its primary key (or the rows of
 *		the first column of a key of two, or the row of both), read through
 *		the key's index without the executor, the way the server's catalog
 *		lookups (systable_beginscan) and contrib modules read rows.
 *
 * Every verification of a token reads one session and one user.  A
 * prepared statement pays for the executor's start and end on each call,
 * several times what the two index lookups cost, so the hot path reads the
 * rows directly: on the active snapshot, as a read-only statement of the
 * calling function would, and under the same AccessShareLock, kept until
 * the end of the transaction.  The tables and their columns are looked up
 * by name once per backend, and again when a table changes (a relcache
 * invalidation: ALTER TABLE, DROP EXTENSION...).
 */
#include "authoob.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * The tables read this way: their names, and their keys' (first column's)
 * type and =; the key is the primary key's, or that of the index named;
 * a key of two columns may be read by both (key2_eq: the second's =)
 */
typedef struct TableDef
{
	const char *name;
	Oid			key_type;
	Oid			key_eq;			/* the btree equality function of key_type */
	const char *index_name;		/* NULL: the primary key */
	Oid			key2_eq;		/* InvalidOid: not read by two columns */
} TableDef;

static const TableDef table_defs[AUTHOOB_N_TABLES] = {
	[AUTHOOB_TABLE_SESSIONS] = {"sessions", UUIDOID, F_UUID_EQ},
	/* a user's sessions, of which a sign-in forgets those expired */
	[AUTHOOB_TABLE_USER_SESSIONS] = {"sessions", INT8OID, F_INT8EQ, "sessions_user_id_idx"},
	[AUTHOOB_TABLE_USERS] = {"users", INT8OID, F_INT8EQ},
	/* the account of an address, whatever its case: every sign-in asks */
	[AUTHOOB_TABLE_USERS_BY_EMAIL] = {"users", TEXTOID, F_TEXTEQ, "users_email_key"},
	[AUTHOOB_TABLE_ROLES_USERS] = {"roles_users", INT8OID, F_INT8EQ},
	[AUTHOOB_TABLE_ROLES] = {"roles", INT8OID, F_INT8EQ},
	/* a user's identities and factors: most users have none */
	[AUTHOOB_TABLE_IDENTITIES] = {"identities", INT8OID, F_INT8EQ, "identities_user_id_idx"},
	[AUTHOOB_TABLE_MFA_FACTORS] = {"mfa_factors", INT8OID, F_INT8EQ, "mfa_factors_user_id_idx"},
	/* the brute-force limits every sign-in looks up, by scope and key */
	[AUTHOOB_TABLE_THROTTLE] = {"throttle", TEXTOID, F_TEXTEQ, NULL, F_TEXTEQ},
};

/* Columns found by name, remembered by table */
#define MAX_COLUMNS 16

typedef struct TableState
{
	Oid			relid;			/* InvalidOid: look it up again */
	Oid			index;			/* its primary key */
	FmgrInfo	key_eq[2];
	Oid			key_collation[2];	/* the index's, for text keys */
	int			ncolumns;
	const char *column_names[MAX_COLUMNS];
	AttrNumber	columns[MAX_COLUMNS];
} TableState;

static TableState tables[AUTHOOB_N_TABLES];
static bool callback_registered = false;

static void
forget_table(Datum arg, Oid relid)
{
	for (int i = 0; i < AUTHOOB_N_TABLES; i++)
		if (relid == InvalidOid || relid == tables[i].relid || relid == tables[i].index)
		{
			tables[i].relid = InvalidOid;
			tables[i].ncolumns = 0;
		}
}

/* The table's state, its relation and key's index looked up if need be */
static TableState *
table_state(AuthoobTable table)
{
	TableState *t = &tables[table];
	const TableDef *def = &table_defs[table];
	Relation	rel;
	Oid			relid;
	Oid			index;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_table, (Datum) 0);
		callback_registered = true;
	}
	if (OidIsValid(t->relid))
		return t;

	relid = get_relname_relid(def->name, get_namespace_oid("authoob", false));
	if (!OidIsValid(relid))
		elog(ERROR, "authoob: table authoob.%s is missing", def->name);
	rel = table_open(relid, AccessShareLock);
	if (def->index_name == NULL)
		index = RelationGetPrimaryKeyIndex(rel);
	else
	{
		index = get_relname_relid(def->index_name, RelationGetNamespace(rel));
		if (OidIsValid(index) && IndexGetRelation(index, true) != relid)
			index = InvalidOid;
	}
	table_close(rel, NoLock);
	if (!OidIsValid(index) || get_index_column_opclass(index, 1) == InvalidOid ||
		get_opclass_input_type(get_index_column_opclass(index, 1)) != def->key_type ||
		(OidIsValid(def->key2_eq) && get_index_column_opclass(index, 2) == InvalidOid))
		elog(ERROR, "authoob: authoob.%s has not the key it was made with",
			 def->name);
	rel = index_open(index, AccessShareLock);
	for (int i = 0; i < 2; i++)
	{
		Oid			eq = i == 0 ? def->key_eq : def->key2_eq;

		t->key_collation[i] = i < IndexRelationGetNumberOfKeyAttributes(rel) ?
			rel->rd_indcollation[i] : InvalidOid;
		if (OidIsValid(eq) && t->key_eq[i].fn_oid != eq)
			fmgr_info_cxt(eq, &t->key_eq[i], TopMemoryContext);
	}
	index_close(rel, NoLock);
	t->index = index;
	t->ncolumns = 0;
	t->relid = relid;
	return t;
}

/*
 * The attribute number of a column of the table, by name, or
 * InvalidAttrNumber when there is no such column: one a later version
 * added, in a database not yet updated.
 */
AttrNumber
authoob_row_column_if_any(AuthoobTable table, const char *name)
{
	TableState *t = table_state(table);
	AttrNumber	attnum;

	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->column_names[i], name) == 0)
			return t->columns[i];
	attnum = get_attnum(t->relid, name);
	if (attnum != InvalidAttrNumber && t->ncolumns < MAX_COLUMNS)
	{
		t->column_names[t->ncolumns] = name;
		t->columns[t->ncolumns++] = attnum;
	}
	return attnum;
}

/*
 * The attribute number of a column of the table, by name; an error when
 * there is no such column.
 */
AttrNumber
authoob_row_column(AuthoobTable table, const char *name)
{
	AttrNumber	attnum = authoob_row_column_if_any(table, name);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "authoob: column %s of authoob.%s is missing",
			 name, table_defs[table].name);
	return attnum;
}

/*
 * Start reading the rows of the table whose key (the first nkeys columns
 * of its primary key, or of the index named) is keys, as the active
 * snapshot sees them: row->rel and row->slot are set, and the scan is
 * returned.
 */
static IndexScanDesc
begin_scan(AuthoobRow *row, AuthoobTable table, const Datum *keys, int nkeys,
		   Relation *index)
{
	TableState *t = table_state(table);
	IndexScanDesc scan;
	ScanKeyData skey[2];
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();

	Assert(nkeys == 1 || (nkeys == 2 && OidIsValid(table_defs[table].key2_eq)));
	row->rel = table_open(t->relid, AccessShareLock);
	*index = index_open(t->index, AccessShareLock);
	for (int i = 0; i < nkeys; i++)
		ScanKeyEntryInitializeWithInfo(&skey[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
									   t->key_collation[i], &t->key_eq[i], keys[i]);
	row->slot = table_slot_create(row->rel, NULL);
	scan = index_beginscan(row->rel, *index, snapshot, nkeys, 0);
	index_rescan(scan, skey, nkeys, NULL, 0);
	return scan;
}

static void
end_scan(IndexScanDesc scan, Relation index)
{
	index_endscan(scan);
	index_close(index, NoLock);
}

/*
 * Read the row of the table whose key is key (the first one, for a key
 * rows share), as the active snapshot sees it: true and the row in
 * row->slot (read its columns with slot_getattr, then authoob_row_close),
 * or false and nothing to close.
 */
static bool
open_row(AuthoobRow *row, AuthoobTable table, const Datum *keys, int nkeys)
{
	Relation	index;
	IndexScanDesc scan = begin_scan(row, table, keys, nkeys, &index);
	bool		found = index_getnext_slot(scan, ForwardScanDirection, row->slot);

	end_scan(scan, index);
	if (!found)
		authoob_row_close(row);
	return found;
}

bool
authoob_row_open(AuthoobRow *row, AuthoobTable table, Datum key)
{
	return open_row(row, table, &key, 1);
}

/* The same, by both columns of a key of two (authoob.throttle's) */
bool
authoob_row_open_pair(AuthoobRow *row, AuthoobTable table, Datum key, Datum key2)
{
	Datum		keys[2] = {key, key2};

	return open_row(row, table, keys, 2);
}

/*
 * Call fn for each row of the table whose key's first column is key (a
 * user's rows of roles_users), in the key's order, as the active snapshot
 * sees them; returns how many.
 */
int
authoob_rows_each(AuthoobTable table, Datum key,
				  void (*fn) (TupleTableSlot *slot, void *arg), void *arg)
{
	AuthoobRow	row;
	Relation	index;
	IndexScanDesc scan = begin_scan(&row, table, &key, 1, &index);
	int			count = 0;

	while (index_getnext_slot(scan, ForwardScanDirection, row.slot))
	{
		fn(row.slot, arg);
		count++;
	}
	end_scan(scan, index);
	authoob_row_close(&row);
	return count;
}

/*
 * Whether the table has a row whose key is key: what spares a statement
 * when there is nothing for it to find
 */
bool
authoob_rows_exist(AuthoobTable table, Datum key)
{
	AuthoobRow	row;

	if (!authoob_row_open(&row, table, key))
		return false;
	authoob_row_close(&row);
	return true;
}

/* Let go of the row read by authoob_row_open (the lock stays) */
void
authoob_row_close(AuthoobRow *row)
{
	ExecDropSingleTupleTableSlot(row->slot);
	table_close(row->rel, NoLock);
	row->slot = NULL;
	row->rel = NULL;
}
