/*
 * notify.h - tells systemd how the service is doing (sd_notify), for a
 * unit of Type=notify: READY=1 once authoob-http listens and is connected,
 * RELOADING=1 while SIGHUP is handled, STOPPING=1 when it drains.
 *
 * The protocol is one datagram on the unix socket $NOTIFY_SOCKET names; it
 * is written here rather than linked from libsystemd, so that the front
 * needs no library for it and runs alike where systemd is absent (no
 * NOTIFY_SOCKET: every call does nothing).
 */
#ifndef AUTHOOB_NOTIFY_H
#define AUTHOOB_NOTIFY_H

#include <stdbool.h>

/* Sends state ("READY=1", lines separated by \n); false if it could not. */
bool		notify_systemd(const char *state);

#endif
