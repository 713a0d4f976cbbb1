/*
 * throttle.c
 *		Brute-force limits kept in the database, so that they hold across any
 *		number of fronts: per account (exponential backoff, then a cap per
 *		hour) and per client IP (a failure budget per window).
 *
 * A failure must be remembered although the action that failed raises an
 * error and rolls back.  So the fronts call actions through the procedure
 * authoob_attempt(): it runs the action in a subtransaction and, when it
 * failed in a way that counts, records the failure and COMMITs before
 * raising the action's own error.  The functions themselves (SELECT
 * authoob_login...) check the limits too, so no caller gets past a block,
 * but only authoob_attempt makes failures outlive their transaction.
 */
#include "authoob.h"

#include <sys/socket.h>

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"

static AuthoobQuery blocked_until = AUTHOOB_QUERY(
	"SELECT ceil(extract(epoch FROM max(blocked_until) - now()))::integer"
	" FROM authoob.throttle"
	" WHERE ((scope = 'login' AND key = $1) OR (scope = $2 AND key = $3))"
	" AND blocked_until > now()",
	3, TEXTOID, TEXTOID, TEXTOID);

static AuthoobQuery forget_failures = AUTHOOB_QUERY(
	"DELETE FROM authoob.throttle WHERE scope = 'login' AND key = $1",
	1, TEXTOID);

/*
 * Raise 429 when the account of email (lower-cased; NULL for none) or the
 * client IP, in ip_scope ("ip" for logins, "token" for mailed tokens), is
 * blocked.  Connected to SPI.
 */
void
authoob_check_throttle(const char *email, const char *ip_scope, Datum client_ip,
					   bool ip_isnull, const AuthoobSettings *settings)
{
	Datum		args[3];
	char		nulls[3] = {email ? ' ' : 'n', ' ', ip_isnull ? 'n' : ' '};
	bool		isnull;
	Datum		seconds;

	if (!settings->throttle)
		return;
	args[0] = email ? CStringGetTextDatum(email) : (Datum) 0;
	args[1] = CStringGetTextDatum(ip_scope);
	args[2] = ip_isnull ? (Datum) 0 : CStringGetTextDatum(authoob_client_key(client_ip, settings));
	authoob_run(&blocked_until, args, nulls, true);
	seconds = authoob_result_datum(1, &isnull);
	if (!isnull)
		authoob_too_many_attempts(DatumGetInt32(seconds));
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

/* A successful login ends the account's run of failures.  Connected to SPI. */
void
authoob_forget_failures(const char *email)
{
	Datum		arg = CStringGetTextDatum(email);

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


