/*
 * housekeeper.h - runs authoob_housekeeping() on a schedule (--housekeeping):
 * expired sessions, spent tokens, old mails and stale throttle rows leave
 * the database without an operator's cron (docs/operations.md
 * "Housekeeping").
 *
 * A thread with its own Postgres connection wakes every --housekeeping
 * seconds, give or take a fifth at random so that fronts started together
 * do not run together, and calls the function in bounded batches, each its
 * own short transaction, while it says there is more. Any number of fronts
 * may do so at once: the function makes a concurrent run a no-op.
 */
#ifndef AUTHOOB_HOUSEKEEPER_H
#define AUTHOOB_HOUSEKEEPER_H

#include "options.h"

typedef struct Housekeeper Housekeeper;

/* Starts the thread (it connects on its first run); NULL (logged) on failure. */
Housekeeper *housekeeper_start(const Options *options);

/* A new period in seconds (SIGHUP), from the next wait on; 0 idles. */
void		housekeeper_set_period(Housekeeper *housekeeper, int seconds);

/* Stops the thread, waiting for a batch in flight, and frees; NULL is ignored. */
void		housekeeper_stop(Housekeeper *housekeeper);

#endif
