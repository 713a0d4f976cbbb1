/*
 * throttle.c
 *		Brute-force limits kept in the database, so that they hold across any
 *		number of fronts: per account (exponential backoff, then a cap per
 *		hour) and per client IP (a failure budget per window); and a budget
 *		of password hashes, whatever their outcome, per client, per account
 *		and at once per client.
 *
 * A failure must be remembered although the action that failed raises an
 * error and rolls back.  So the fronts call actions through the procedure
 * authoob_attempt(): it runs the action in a subtransaction and, when it
 * failed in a way that counts, records the failure and COMMITs before
 * raising the action's own error.  The functions themselves (SELECT
 * authoob_login...) check the limits too, so no caller gets past a block,
 * but only authoob_attempt makes failures outlive their transaction.
 *
 * A hash is the costliest work a request can ask for, and a registration
 * or a sign-in that succeeds costs as much as one that fails: without a
 * budget, one client could keep every core busy hashing, and queue mails
 * to any address with its registrations.  So every hash of a registration
 * or a sign-in counts (scopes hash_ip per client and sign_in per account,
 * in the same table, over ip_window), and a client hashes at most
 * client_hashes_at_once passwords at a time.
 */
#include "authoob.h"

#include <stddef.h>
#include <sys/socket.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

static AuthoobQuery forget_failures = AUTHOOB_QUERY(
	"DELETE FROM authoob.throttle WHERE scope = 'login' AND key = $1",
	1, TEXTOID);

/* The pairs one throttle check looks up: at most two limits of two pairs */
#define MAX_CHECKED 4

typedef struct ThrottleCheck
{
	int			n;
	const char *scope[MAX_CHECKED];
	const char *key[MAX_CHECKED];
	int			limit[MAX_CHECKED];	/* which 429 a block of the pair raises */
} ThrottleCheck;

/* Look key up in scope for limit (0 or 1); a NULL key is not looked up */
static void
check_pair(ThrottleCheck *check, int limit, const char *scope, const char *key)
{
	if (key == NULL)
		return;
	Assert(check->n < MAX_CHECKED);
	check->scope[check->n] = scope;
	check->key[check->n] = key;
	check->limit[check->n] = limit;
	check->n++;
}

/*
 * Raise 429 when a pair of the check is blocked: that of limit 0 first,
 * with the longest wait of its pairs, then that of limit 1, as if each
 * limit were looked up on its own.  Each pair is read by its primary key
 * without a statement (rows.c), on the active snapshot as a read-only
 * statement would: every sign-in looks up four.  Connected to SPI.
 */
static void
raise_if_blocked(const ThrottleCheck *check)
{
	AttrNumber	blocked_until_column = authoob_row_column(AUTHOOB_TABLE_THROTTLE,
														  "blocked_until");
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		blocked[2] = {false, false};
	TimestampTz until[2] = {0, 0};

	for (int i = 0; i < check->n; i++)
	{
		AuthoobRow	row;
		int			limit = check->limit[i];
		bool		isnull;
		TimestampTz pair_until;

		if (!authoob_row_open_pair(&row, AUTHOOB_TABLE_THROTTLE,
								   CStringGetTextDatum(check->scope[i]),
								   CStringGetTextDatum(check->key[i])))
			continue;
		pair_until = DatumGetTimestampTz(slot_getattr(row.slot, blocked_until_column,
													  &isnull));
		authoob_row_close(&row);
		if (isnull || pair_until <= now)
			continue;
		until[limit] = blocked[limit] ? Max(until[limit], pair_until) : pair_until;
		blocked[limit] = true;
	}
	/* the seconds left, rounded up, as ceil(extract(epoch FROM ...)) */
	for (int limit = 0; limit < 2; limit++)
		if (blocked[limit])
			authoob_too_many_attempts((int) Min((until[limit] - now + USECS_PER_SEC - 1) /
												USECS_PER_SEC, PG_INT32_MAX));
}

/*
 * Raise 429 when the account of email (lower-cased; NULL for none) or the
 * client IP, in ip_scope ("ip" for logins, "token" for mailed tokens), is
 * blocked.  Connected to SPI.
 */
void
authoob_check_throttle(const char *email, const char *ip_scope, Datum client_ip,
					   bool ip_isnull, const AuthoobSettings *settings)
{
	ThrottleCheck check = {0};

	if (!settings->throttle)
		return;
	check_pair(&check, 0, "login", email);
	check_pair(&check, 0, ip_scope, ip_isnull ? NULL : authoob_client_key(client_ip, settings));
	raise_if_blocked(&check);
}

/*
 * Raise 429 when the second factor key (a factor's id, or "recovery:" and
 * a user's id) or the client is blocked from guessing codes.  Connected to
 * SPI.
 */
void
authoob_check_mfa_throttle(const char *key, Datum client_ip, bool ip_isnull,
						   const AuthoobSettings *settings)
{
	ThrottleCheck check = {0};

	if (!settings->throttle)
		return;
	check_pair(&check, 0, "mfa", key);
	check_pair(&check, 0, "token", ip_isnull ? NULL : authoob_client_key(client_ip, settings));
	raise_if_blocked(&check);
}

/*
 * Each scope authoob_record_throttle() counts: the setting that caps its
 * events per window, and whether its failures also make the account wait
 * (a doubling wait after login_free_failures).  An account's window is an
 * hour; a client's, ip_window.
 */
typedef struct ThrottleScope
{
	const char *scope;
	ptrdiff_t	cap;			/* offsetof(AuthoobSettings, ...) */
	bool		account;
} ThrottleScope;

static const ThrottleScope throttle_scopes[] = {
	{"login", offsetof(AuthoobSettings, login_failures_per_hour), true},
	{"ip", offsetof(AuthoobSettings, ip_failures_per_window), false},
	{"token", offsetof(AuthoobSettings, token_failures_per_window), false},
	{"ask_ip", offsetof(AuthoobSettings, asks_per_window), false},
	{"hash_ip", offsetof(AuthoobSettings, client_hashes_per_window), false},
	{"sign_in", offsetof(AuthoobSettings, account_sign_ins_per_window), false},
	/* a second factor's wrong codes count as an account's wrong passwords */
	{"mfa", offsetof(AuthoobSettings, login_failures_per_hour), true},
};

static AuthoobQuery count_event = AUTHOOB_QUERY(
	"INSERT INTO authoob.throttle AS th (scope, key, consecutive, window_failures)"
	" VALUES ($1, $2, 1, 1)"
	" ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET"
	" consecutive = th.consecutive + 1,"
	" window_start = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                THEN now() ELSE th.window_start END,"
	" window_failures = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                   THEN 1 ELSE th.window_failures + 1 END,"
	" last_failure_at = now()"
	" RETURNING scope, consecutive, window_start, window_failures, blocked_until",
	3, TEXTOID, TEXTOID, INT4OID);

/*
 * Two events of scopes with the same window, counted in one statement
 * (the hash of a sign-in, against the account and the client): the rows
 * are written in the order of the VALUES, as two statements would
 */
static AuthoobQuery count_two_events = AUTHOOB_QUERY(
	"INSERT INTO authoob.throttle AS th (scope, key, consecutive, window_failures)"
	" VALUES ($1, $2, 1, 1), ($4, $5, 1, 1)"
	" ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET"
	" consecutive = th.consecutive + 1,"
	" window_start = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                THEN now() ELSE th.window_start END,"
	" window_failures = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                   THEN 1 ELSE th.window_failures + 1 END,"
	" last_failure_at = now()"
	" RETURNING scope, consecutive, window_start, window_failures, blocked_until",
	5, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID);

static AuthoobQuery set_blocked_until = AUTHOOB_QUERY(
	"UPDATE authoob.throttle SET blocked_until = $3 WHERE scope = $1 AND key = $2",
	3, TEXTOID, TEXTOID, TIMESTAMPTZOID);

/* The rule of scope */
static const ThrottleScope *
throttle_rule(const char *scope)
{
	for (int i = 0; i < (int) lengthof(throttle_scopes); i++)
		if (strcmp(throttle_scopes[i].scope, scope) == 0)
			return &throttle_scopes[i];
	elog(ERROR, "authoob: no throttle scope \"%s\"", scope);
}

/* What counting an event left in its row */
typedef struct ThrottleCount
{
	const ThrottleScope *rule;
	const char *key;
	int32		consecutive;
	TimestampTz window_start;
	int32		window_failures;
	bool		was_blocked;
	TimestampTz blocked_until;
} ThrottleCount;

/*
 * Count one event of each scope against its key (n: 1 or 2; the scopes'
 * windows are the same): one statement, and one more for each count that
 * starts or ends a block.  Connected to SPI.
 */
static void
record_events(int n, const char *const scopes[], const char *const keys[],
			  const AuthoobSettings *settings)
{
	ThrottleCount counts[2];
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int32		window = 0;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	Assert(n == 1 || n == 2);
	for (int i = 0; i < n; i++)
	{
		const ThrottleScope *rule = throttle_rule(scopes[i]);
		int32		rule_window = rule->account ? 3600 : settings->ip_window;

		if (i > 0 && (rule_window != window || rule == counts[0].rule))
			elog(ERROR, "authoob: throttle scopes \"%s\" and \"%s\" counted at once",
				 scopes[0], scopes[i]);
		window = rule_window;
		counts[i].rule = rule;
		counts[i].key = keys[i];
	}
	args[0] = CStringGetTextDatum(scopes[0]);
	args[1] = CStringGetTextDatum(keys[0]);
	args[2] = Int32GetDatum(window);
	if (n == 2)
	{
		args[3] = CStringGetTextDatum(scopes[1]);
		args[4] = CStringGetTextDatum(keys[1]);
	}
	if (authoob_run(n == 2 ? &count_two_events : &count_event, args, nulls, false) != (uint64) n)
		elog(ERROR, "authoob: throttle counted %d events, not %d", (int) SPI_processed, n);
	/* all read before set_blocked_until runs and replaces SPI_tuptable */
	for (int row = 0; row < n; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *scope = SPI_getvalue(tuple, desc, 1);
		ThrottleCount *count = &counts[n == 2 && strcmp(scope, scopes[1]) == 0 ? 1 : 0];
		bool		isnull;

		count->consecutive = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
		count->window_start = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 3, &isnull));
		count->window_failures = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
		count->blocked_until = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 5, &isnull));
		count->was_blocked = !isnull;
	}

	for (int i = 0; i < n; i++)
	{
		ThrottleCount *count = &counts[i];
		const ThrottleScope *rule = count->rule;
		TimestampTz blocked_until = 0;

		if (rule->account && count->consecutive >= settings->login_free_failures)
			blocked_until = now + (TimestampTz) Min(settings->login_backoff_max,
													1 << Min(count->consecutive - settings->login_free_failures, 20))
				* USECS_PER_SEC;
		if (count->window_failures >= *(const int32 *) ((const char *) settings + rule->cap))
			blocked_until = Max(blocked_until,
								count->window_start + (TimestampTz) window * USECS_PER_SEC);

		if (blocked_until == 0 ? !count->was_blocked
			: count->was_blocked && count->blocked_until == blocked_until)
			continue;
		args[0] = CStringGetTextDatum(rule->scope);
		args[1] = CStringGetTextDatum(count->key);
		args[2] = TimestampTzGetDatum(blocked_until);
		nulls[2] = blocked_until == 0 ? 'n' : ' ';
		authoob_run(&set_blocked_until, args, nulls, false);
	}
}

/*
 * Count one event of scope against key: a failure, or any event that a
 * budget counts.  One statement, and a second only when the count starts
 * or ends a block: this runs with every sign-in.  Rows a day old are
 * housekeeping's (authoob_housekeeping), not every sign-in's.  As the
 * extension's owner: a request function, or an owner context.  Connected
 * to SPI.
 */
void
authoob_record_throttle(const char *scope, const char *key,
						const AuthoobSettings *settings)
{
	if (!settings->throttle)
		return;
	record_events(1, &scope, &key, settings);
}

/*
 * Take one of the client's client_hashes_at_once slots until the end of
 * the transaction, which covers the hash: a transaction-scoped advisory
 * lock on a 64-bit key made of the client's key and the slot's number.
 * None free: 429, to come back in a second.  A transaction that holds a
 * slot already takes it again (advisory locks are reentrant).
 */
static void
take_hash_slot(const char *client_key, int slots)
{
	for (int slot = 0; slot < slots; slot++)
	{
		uint64		lock_key = hash_bytes_extended((const unsigned char *) client_key,
												   strlen(client_key), slot);

		if (DatumGetBool(DirectFunctionCall1(pg_try_advisory_xact_lock_int8,
											 Int64GetDatum((int64) lock_key))))
			return;
	}
	authoob_too_many_attempts(1);
}

/*
 * Look the hash budget's pairs up as limit (and those check has already),
 * then take a hash slot: authoob_check_hash_budget's work.
 */
static void
check_hash_budget(ThrottleCheck *check, int limit, const char *account_key,
				  const char *client_key, const AuthoobSettings *settings)
{
	/* a database not updated yet has no such budget (settings.c) */
	if (settings->client_hashes_per_window > 0 || settings->account_sign_ins_per_window > 0)
	{
		check_pair(check, limit, "sign_in", account_key);
		check_pair(check, limit, "hash_ip", client_key);
	}
	raise_if_blocked(check);
	if (client_key != NULL && settings->client_hashes_at_once > 0)
		take_hash_slot(client_key, settings->client_hashes_at_once);
}

/*
 * Before a password is hashed for a registration (account_key NULL) or a
 * sign-in (account_key its authoob_throttle_key): 429, and no hash, when
 * the client or the account has spent its hash budget for the window, or
 * when the client has client_hashes_at_once hashes running already.  A
 * caller without client_ip is counted per account only.  Connected to
 * SPI.
 */
void
authoob_check_hash_budget(const char *account_key, Datum client_ip, bool ip_isnull,
						  const AuthoobSettings *settings)
{
	ThrottleCheck check = {0};
	char	   *client_key;

	if (!settings->throttle)
		return;
	client_key = ip_isnull ? NULL : authoob_client_key(client_ip, settings);
	check_hash_budget(&check, 0, account_key, client_key, settings);
}

/*
 * Before a sign-in's hash: authoob_check_throttle (the account of
 * account_key, authoob_throttle_key of its address, and the client in
 * scope ip), then authoob_check_hash_budget, each raising its own 429 as
 * if called in turn, but both looked up with one statement.  Connected to
 * SPI.
 */
void
authoob_check_sign_in_limits(const char *account_key, Datum client_ip, bool ip_isnull,
							 const AuthoobSettings *settings)
{
	ThrottleCheck check = {0};
	char	   *client_key;

	if (!settings->throttle)
		return;
	client_key = ip_isnull ? NULL : authoob_client_key(client_ip, settings);
	check_pair(&check, 0, "login", account_key);
	check_pair(&check, 0, "ip", client_key);
	check_hash_budget(&check, 1, account_key, client_key, settings);
}

/*
 * After the hash: count it against the client (scope hash_ip) and the
 * account (sign_in; account_key NULL for a registration).  Written after
 * the hash, so that the rows counted are not locked while it runs; they
 * stay locked until the transaction ends, which should come soon.  As
 * authoob_record_throttle.
 */
void
authoob_count_hash(const char *account_key, Datum client_ip, bool ip_isnull,
				   const AuthoobSettings *settings)
{
	const char *scopes[2];
	const char *keys[2];
	int			n = 0;

	if (!settings->throttle)
		return;
	if (account_key != NULL && settings->account_sign_ins_per_window > 0)
	{
		scopes[n] = "sign_in";
		keys[n++] = account_key;
	}
	if (!ip_isnull && settings->client_hashes_per_window > 0)
	{
		scopes[n] = "hash_ip";
		keys[n++] = authoob_client_key(client_ip, settings);
	}
	/* one statement for both: this runs with every sign-in */
	if (n > 0)
		record_events(n, scopes, keys, settings);
}

/*
 * The key of a client in authoob.throttle: its address, or the network of
 * ip_prefix_v4 or ip_prefix_v6 bits around it, since one client commonly
 * owns a whole IPv6 /64 and could rotate through it.
 */
char *
authoob_client_key(Datum client_ip, const AuthoobSettings *settings)
{
	inet	   *ip = DatumGetInetPP(client_ip);
	int			bits;
	Datum		network;

	/*
	 * An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is
	 * that IPv4 client: its /64 would be every IPv4 client's.
	 */
	if (ip_family(ip) == PGSQL_AF_INET6 &&
		memcmp(ip_addr(ip), "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		client_ip = DirectFunctionCall1(inet_in,
										CStringGetDatum(psprintf("%u.%u.%u.%u",
																 ip_addr(ip)[12], ip_addr(ip)[13],
																 ip_addr(ip)[14], ip_addr(ip)[15])));
	ip = DatumGetInetPP(client_ip);
	bits = ip_family(ip) == PGSQL_AF_INET ? settings->ip_prefix_v4 : settings->ip_prefix_v6;

	if (bits >= ip_maxbits(ip))
		return TextDatumGetCString(DirectFunctionCall1(network_host, client_ip));
	network = DirectFunctionCall1(network_network,
								  DirectFunctionCall2(inet_set_masklen, client_ip,
													  Int32GetDatum(bits)));
	return DatumGetCString(DirectFunctionCall1(cidr_out, network));
}

/*
 * A successful login ends the account's run of failures.  Most sign-ins
 * follow none: the row is looked for first, by key without a statement,
 * on the snapshot the DELETE would take (a fresh one, after the command
 * counter's increment, as SPI takes for a statement that writes), and the
 * DELETE runs only when there is one to delete.  Connected to SPI.
 */
void
authoob_forget_failures(const char *email)
{
	Datum		arg = CStringGetTextDatum(email);
	AuthoobRow	row;
	bool		found;

	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	found = authoob_row_open_pair(&row, AUTHOOB_TABLE_THROTTLE, CStringGetTextDatum("login"),
								  arg);
	PopActiveSnapshot();
	if (!found)
		return;
	authoob_row_close(&row);
	authoob_run(&forget_failures, &arg, NULL, false);
}

/*
 * The key of an account in authoob.throttle: its address, lower-cased.  An
 * address longer than any valid one (254) cannot belong to an account, but
 * is counted all the same, under its SHA-256, so that the key always fits
 * the table's index.
 */
char *
authoob_throttle_key(const char *email)
{
	char	   *key = str_tolower(email, strlen(email), DEFAULT_COLLATION_OID);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hashed;

	if (strlen(key) <= 254)
		return key;
	authoob_sha256(key, strlen(key), digest);
	hashed = palloc(7 + 2 * sizeof(digest) + 1);
	strcpy(hashed, "sha256:");
	hex_encode((const char *) digest, sizeof(digest), hashed + 7);
	hashed[7 + 2 * sizeof(digest)] = '\0';
	return hashed;
}


