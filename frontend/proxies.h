/*
 * proxies.h - the trusted proxies (--trusted-proxy), and the client they
 * vouch for in X-Forwarded-For.
 *
 * Only a peer inside one of the trusted networks may name the client: from
 * anyone else X-Forwarded-For is a claim the client wrote itself, and
 * believing it would let a guesser pick a fresh address for each failure.
 */
#ifndef AUTHOOB_PROXIES_H
#define AUTHOOB_PROXIES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Far more than a deployment has load balancers; a flag each. */
#define PROXIES_MAX 64

/* An IPv4 network is kept as its IPv4-mapped IPv6 one (::ffff:0:0/96). */
typedef struct ProxyNetwork
{
	unsigned char addr[16];
	int			prefix_bits;	/* of the 128 */
} ProxyNetwork;

typedef struct TrustedProxies
{
	ProxyNetwork networks[PROXIES_MAX];
	int			count;
} TrustedProxies;

/*
 * Adds "ADDRESS/BITS" (IPv4 or IPv6; a bare address is a network of one);
 * false if it is not one, or the list is full.
 */
bool		proxies_add(TrustedProxies *proxies, const char *cidr);

/* Whether peer (an IPv4 or IPv6 socket address) is a trusted proxy. */
bool		proxies_trust_peer(const TrustedProxies *proxies,
							   const struct sockaddr *peer);

/*
 * The client of a request from a trusted proxy, out of its X-Forwarded-For
 * header lines (in the order received: a proxy may append a line of its
 * own rather than extend the client's): walking from the rightmost address,
 * the first that is not a trusted proxy; if all are, the leftmost. False,
 * out untouched, when that element is not an IP address (the caller keeps
 * the peer) or there is none. out receives the address as inet_ntop
 * writes it.
 */
bool		proxies_forwarded_client(const TrustedProxies *proxies,
									 const char *const *lines, int nlines,
									 char *out, size_t size);

#endif
