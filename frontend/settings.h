/*
 * settings.h - the service settings the front reads from the database.
 *
 * The database is the one source of truth for the route prefix, the token
 * header and app_url (docs/settings.md). They are read at start and again on
 * SIGHUP; each request holds a reference to the snapshot it started with, so a
 * reload never changes the rules under a request in flight.
 */
#ifndef AUTHOOB_SETTINGS_H
#define AUTHOOB_SETTINGS_H

#include <stdatomic.h>
#include <stddef.h>

#include "pool.h"
#include "routes.h"

typedef struct Settings
{
	atomic_int	refs;
	char	   *prefix;			/* "" or "/x..." without a trailing slash */
	size_t		prefix_len;
	char	   *gotrue_prefix;	/* the same for Supabase Auth's protocol; NULL: off */
	RoutePrefix prefixes[ROUTE_FAMILIES];	/* each family's, for routes_match */
	char	   *token_header;
	char	   *cors_origin;	/* NULL: no CORS; "*": any, no credentials */
} Settings;

/*
 * Reads authoob_settings() and publishes the result. cors_flag, if not NULL,
 * overrides the origin derived from app_url. False (logged) on failure, and
 * the settings in force stay.
 */
bool		settings_load(Pool *pool, const char *cors_flag);

/* The settings in force, referenced: give them back with settings_release. */
Settings   *settings_acquire(void);
void		settings_release(Settings *settings);

/* Drops the published settings (at exit). */
void		settings_clear(void);

#endif
