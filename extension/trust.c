/*
 * trust.c
 *		What runs as the extension's owner when a request writes a user.
 *
 * The request functions are SECURITY DEFINER: writing a row of
 * authoob.users also runs its column types' input and domain checks, its
 * CHECK constraints, defaults and triggers, as the extension's owner, on
 * behalf of any caller.  Whoever owns such code could change it and so act
 * as a superuser; so authoob refuses to run while any of it belongs to a
 * role that is not a superuser (docs/security.md, "Hooks: who runs what").
 */
#include "authoob.h"

/*
 * The first type, function or operator that a write of authoob.users runs
 * and that no superuser owns: column types (through domains and array
 * elements), what constraints (the table's and its domains'), defaults and
 * triggers depend on.
 */
static AuthoobQuery untrusted_code = AUTHOOB_QUERY0(
	"WITH RECURSIVE column_types (t) AS ("
	"  SELECT a.atttypid FROM pg_catalog.pg_attribute a"
	"  WHERE a.attrelid = 'authoob.users'::pg_catalog.regclass AND a.attnum > 0"
	"  AND NOT a.attisdropped"
	" UNION"
	"  SELECT u.base FROM column_types c JOIN pg_catalog.pg_type ty ON ty.oid = c.t,"
	"  LATERAL (VALUES (ty.typbasetype), (ty.typelem)) u (base) WHERE u.base <> 0"
	"),"
	" attached (classid, objid) AS ("
	"  SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, c.oid"
	"  FROM pg_catalog.pg_constraint c"
	"  WHERE c.conrelid = 'authoob.users'::pg_catalog.regclass"
	"  OR c.contypid IN (SELECT t FROM column_types)"
	" UNION ALL"
	"  SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, d.oid FROM pg_catalog.pg_attrdef d"
	"  WHERE d.adrelid = 'authoob.users'::pg_catalog.regclass"
	" UNION ALL"
	"  SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid FROM pg_catalog.pg_trigger g"
	"  WHERE g.tgrelid = 'authoob.users'::pg_catalog.regclass"
	"),"
	" used (what, owner) AS ("
	"  SELECT pg_catalog.format('type %s', ty.oid::pg_catalog.regtype), ty.typowner"
	"  FROM column_types c JOIN pg_catalog.pg_type ty ON ty.oid = c.t"
	" UNION ALL"
	"  SELECT pg_catalog.format('operator %s', o.oid::pg_catalog.regoperator), o.oprowner"
	"  FROM attached a JOIN pg_catalog.pg_depend d ON d.classid = a.classid AND d.objid = a.objid"
	"  JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass"
	"  AND o.oid = d.refobjid"
	" UNION ALL"
	"  SELECT pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure), p.proowner"
	"  FROM attached a JOIN pg_catalog.pg_depend d ON d.classid = a.classid AND d.objid = a.objid"
	"  JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass"
	"  AND o.oid = d.refobjid JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode"
	" UNION ALL"
	"  SELECT pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure), p.proowner"
	"  FROM attached a JOIN pg_catalog.pg_depend d ON d.classid = a.classid AND d.objid = a.objid"
	"  JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
	"  AND p.oid = d.refobjid"
	")"
	" SELECT u.what, r.rolname::text FROM used u JOIN pg_catalog.pg_roles r ON r.oid = u.owner"
	" WHERE NOT r.rolsuper LIMIT 1");

/*
 * Refuse to go on while a write of authoob.users would run code that a
 * role other than a superuser owns.  Run when the settings are (re)loaded,
 * which a change of authoob.users also causes (cache.c).  Connected to SPI.
 */
void
authoob_check_trusted_code(void)
{
	if (authoob_run_latest(&untrusted_code) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("authoob: %s, which runs when authoob.users is written, belongs to %s, who is not a superuser",
						authoob_result_text(1), authoob_result_text(2)),
				 errdetail("authoob's request functions write users as the extension's owner: "
						   "whoever owns that code could act as a superuser."),
				 errhint("Give it to a superuser (ALTER ... OWNER TO), or remove it.")));
}
