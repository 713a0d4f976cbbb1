/*
 * notify.c - the sd_notify protocol: a datagram of "KEY=VALUE" lines sent
 * to the AF_UNIX socket named by $NOTIFY_SOCKET, a path, or an abstract
 * name when it starts with '@' (sd_notify(3)).
 */
#include "notify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

bool
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t		path_len;
	socklen_t	addr_len;
	ssize_t		sent;
	int			fd;

	if (path == NULL || path[0] == '\0')
		return false;
	path_len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || path_len >= sizeof(addr.sun_path))
	{
		log_warning("NOTIFY_SOCKET is no socket address: \"%s\"", path);
		return false;
	}
	memcpy(addr.sun_path, path, path_len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';	/* abstract: no NUL at the end either */
	addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + path_len +
							(path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		log_warning("cannot notify systemd: %m");
		return false;
	}
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
				  (const struct sockaddr *) &addr, addr_len);
	if (sent < 0)
		log_warning("cannot notify systemd (%s): %m", path);
	close(fd);
	return sent == (ssize_t) strlen(state);
}
