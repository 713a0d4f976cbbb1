/*
 * owner.c
 *		The one way authoob's C code takes rights the caller does not have:
 *		a role switch with a search_path of authoob's choosing.
 *
 * Code that runs with another role's rights (a failure recorded as the
 * extension's owner for authoob_attempt, a hook run as its function's
 * owner) must not be steered by the caller.  A caller steers what runs
 * through the names it resolves: its search_path can put an operator or a
 * function of its own before the system's, and a statement planned under
 * it would run that code as the owner.  So every switch goes through
 * authoob_enter_owner_context(), which takes the role inside a
 * security-restricted operation and sets search_path in a GUC nest level
 * of its own, and authoob_leave_owner_context(), which undoes both; an
 * error undoes them too, with the (sub)transaction that it aborts.  The
 * rule is docs/security.md's; t/106 fails if another file
 * switches roles.
 */
#include "authoob.h"

#include "miscadmin.h"
#include "utils/guc.h"

void
authoob_enter_owner_context(Oid role, const char *search_path,
							AuthoobOwnerContext *saved)
{
	GetUserIdAndSecContext(&saved->user, &saved->security_context);
	SetUserIdAndSecContext(role, saved->security_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	saved->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
authoob_leave_owner_context(const AuthoobOwnerContext *saved)
{
	AtEOXact_GUC(true, saved->guc_level);
	SetUserIdAndSecContext(saved->user, saved->security_context);
}
