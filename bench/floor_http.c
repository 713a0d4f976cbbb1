/*
 * floor_http.c - the HTTP floor of `make bench`: the fastest answer a
 * libmicrohttpd server can give on this machine, to compare authoob-http with.
 *
 * It answers every request with 200 and the body {} (application/json),
 * keeping connections alive, configured as authoob-http configures
 * libmicrohttpd (internal polling thread, epoll, a pool of threads), and does
 * nothing else: no routing, no database.  Listens on 127.0.0.1 only.
 *
 * Usage: floor_http PORT [THREADS]   (runs until SIGTERM or SIGINT; port 0
 * takes any free port; the line "listening on 127.0.0.1:<port>" tells which)
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static struct MHD_Response *answer;

static enum MHD_Result
handle(void *cls, struct MHD_Connection *connection, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **req_cls)
{
	(void) cls, (void) url, (void) method, (void) version, (void) upload_data;
	if (*req_cls == NULL)
	{
		*req_cls = (void *) 1;	/* headers seen: wait for the (empty) body */
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		*upload_data_size = 0;	/* a body is read and dropped */
		return MHD_YES;
	}
	return MHD_queue_response(connection, MHD_HTTP_OK, answer);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct MHD_Daemon *daemon;
	sigset_t	stop;
	int			sig;
	long		port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long		threads = argc > 2 ? strtol(argv[2], NULL, 10) : 2;

	const union MHD_DaemonInfo *info;
	socklen_t	len = sizeof(addr);

	if (argc < 2 || port < 0 || port > 65535 || threads < 1 || threads > 64)
	{
		fprintf(stderr, "usage: floor_http PORT [THREADS]\n");
		return 2;
	}
	addr.sin_port = htons((unsigned short) port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	answer = MHD_create_response_from_buffer(2, (void *) "{}", MHD_RESPMEM_PERSISTENT);
	if (answer == NULL)
		return 1;
	MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
							  MHD_USE_ITC, 0, NULL, NULL, handle, NULL,
							  MHD_OPTION_SOCK_ADDR, &addr,
							  MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) threads,
							  MHD_OPTION_CONNECTION_TIMEOUT, 30U,
							  MHD_OPTION_END);
	if (daemon == NULL)
	{
		fprintf(stderr, "floor_http: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
	if (info != NULL && getsockname(info->listen_fd, (struct sockaddr *) &addr, &len) == 0)
		port = ntohs(addr.sin_port);
	fprintf(stderr, "floor_http: listening on 127.0.0.1:%ld, %ld threads\n", port, threads);
	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(daemon);
	MHD_destroy_response(answer);
	return 0;
}
