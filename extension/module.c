/*
 * module.c
 *		The module's magic block: the server loads authoob.so only if it was
 *		built for the same major version.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
