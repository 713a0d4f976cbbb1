/*
 * rows.c
 *		A row of one of authoob's tables by its primary key (or the rows of
 *		the first column of a key of two), read through the key's index
 *		without the executor, the way the server's catalog lookups
 *		(systable_beginscan) and contrib modules read rows.
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
 * type and =; the key is the primary key's, or that of the index named
 */
typedef struct TableDef
{
	const char *name;
	Oid			key_type;
	Oid			key_eq;			/* the btree equality function of key_type */
	const char *index_name;		/* NULL: the primary key */
} TableDef;

static const TableDef table_defs[AUTHOOB_N_TABLES] = {
	[AUTHOOB_TABLE_SESSIONS] = {"sessions", UUIDOID, F_UUID_EQ},
	[AUTHOOB_TABLE_USERS] = {"users", INT8OID, F_INT8EQ},
	[AUTHOOB_TABLE_ROLES_USERS] = {"roles_users", INT8OID, F_INT8EQ},
	[AUTHOOB_TABLE_ROLES] = {"roles", INT8OID, F_INT8EQ},
	/* a user's identities and factors: most users have none */
	[AUTHOOB_TABLE_IDENTITIES] = {"identities", INT8OID, F_INT8EQ, "identities_user_id_idx"},
	[AUTHOOB_TABLE_MFA_FACTORS] = {"mfa_factors", INT8OID, F_INT8EQ, "mfa_factors_user_id_idx"},
};

/* Columns found by name, remembered by table */
#define MAX_COLUMNS 16

typedef struct TableState
{
	Oid			relid;			/* InvalidOid: look it up again */
	Oid			index;			/* its primary key */
	FmgrInfo	key_eq;
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
		get_opclass_input_type(get_index_column_opclass(index, 1)) != def->key_type)
		elog(ERROR, "authoob: authoob.%s has not the key it was made with",
			 def->name);
	if (t->key_eq.fn_oid != def->key_eq)
		fmgr_info_cxt(def->key_eq, &t->key_eq, TopMemoryContext);
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
 * Start reading the rows of the table whose key (the first column of its
 * primary key) is key, as the active snapshot sees them: row->rel and
 * row->slot are set, and the scan is returned.
 */
static IndexScanDesc
begin_scan(AuthoobRow *row, AuthoobTable table, Datum key, Relation *index)
{
	TableState *t = table_state(table);
	IndexScanDesc scan;
	ScanKeyData skey;
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();

	row->rel = table_open(t->relid, AccessShareLock);
	*index = index_open(t->index, AccessShareLock);
	ScanKeyEntryInitializeWithInfo(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
								   InvalidOid, &t->key_eq, key);
	row->slot = table_slot_create(row->rel, NULL);
	scan = index_beginscan(row->rel, *index, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
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
bool
authoob_row_open(AuthoobRow *row, AuthoobTable table, Datum key)
{
	Relation	index;
	IndexScanDesc scan = begin_scan(row, table, key, &index);
	bool		found = index_getnext_slot(scan, ForwardScanDirection, row->slot);

	end_scan(scan, index);
	if (!found)
		authoob_row_close(row);
	return found;
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
	IndexScanDesc scan = begin_scan(&row, table, key, &index);
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
