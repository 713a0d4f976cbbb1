/*
 * cache.c
 *		Per-backend caches of the settings, hook registry and user fields,
 *		dropped when those tables change.
 *
 * Reading these tables on every request would cost a query each; instead a
 * statement trigger on each table sends a relcache invalidation at commit
 * (CacheInvalidateRelcache), which every backend receives through the
 * callback below, the way the server's own caches learn of catalog changes.
 * A change made in the current transaction is seen at once, and forgotten
 * again if the transaction rolls back.
 */
#include "authoob.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(authoob_invalidate_cache);

/*
 * The tables each cache is made from; the fields cache also reads users,
 * and the settings are checked again when users changes (trust.c)
 */
#define CACHE_MAX_TABLES 3
static const char *const cache_tables[AUTHOOB_N_CACHES][CACHE_MAX_TABLES] = {
	[AUTHOOB_CACHE_SETTINGS] = {"settings", "previous_keys", "users"},
	[AUTHOOB_CACHE_HOOKS] = {"hooks", NULL},
	[AUTHOOB_CACHE_FIELDS] = {"user_fields", "users"},
	[AUTHOOB_CACHE_KEYS] = {"signing_keys", NULL},
};

typedef struct CacheState
{
	bool		valid;
	uint64		invalidations;	/* counts relcache callbacks that hit it */
	uint64		invalidations_at_load;
	Oid			relids[CACHE_MAX_TABLES];		/* of cache_tables, once known */
	MemoryContext context;		/* holds the cached data */
} CacheState;

static CacheState caches[AUTHOOB_N_CACHES];
static bool callback_registered = false;

static void
relcache_callback(Datum arg, Oid relid)
{
	for (int i = 0; i < AUTHOOB_N_CACHES; i++)
		for (int t = 0; t < CACHE_MAX_TABLES; t++)
			if (relid == InvalidOid ||
				(OidIsValid(caches[i].relids[t]) && caches[i].relids[t] == relid))
			{
				caches[i].valid = false;
				caches[i].invalidations++;
				/* the table may have been dropped: look it up again */
				memset(caches[i].relids, 0, sizeof(caches[i].relids));
			}
}

/*
 * The memory context of a cache that must be (re)loaded, emptied, or NULL
 * when the cache is valid.  The caller loads it, then calls
 * authoob_cache_end_load; a load that fails half-way is simply redone.
 */
MemoryContext
authoob_cache_begin_load(AuthoobCache cache)
{
	CacheState *state = &caches[cache];
	Oid			namespace;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	if (state->valid)
		return NULL;

	namespace = get_namespace_oid("authoob", false);
	for (int t = 0; t < CACHE_MAX_TABLES; t++)
		if (cache_tables[cache][t])
			state->relids[t] = get_relname_relid(cache_tables[cache][t], namespace);
	if (state->context == NULL)
		state->context = AllocSetContextCreate(TopMemoryContext, "authoob cache",
											   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(state->context);
	state->invalidations_at_load = state->invalidations;
	return state->context;
}

/* Valid, unless the tables changed while it was being loaded */
void
authoob_cache_end_load(AuthoobCache cache)
{
	CacheState *state = &caches[cache];

	state->valid = (state->invalidations == state->invalidations_at_load);
}

/*
 * Trigger function: authoob_invalidate_cache()
 *
 * AFTER ... FOR EACH STATEMENT on the cached tables.
 */
Datum
authoob_invalidate_cache(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "authoob_invalidate_cache: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
