/*
 * proxies.c - the trusted proxies, and the client they vouch for.
 *
 * X-Forwarded-For is a list each proxy extends on the right with the peer it
 * saw. Only the part written by trusted proxies can be believed, so it is
 * read from the right, and the first address no trusted proxy could have
 * written is the client; whatever lies left of it came from that client
 * and is never looked at (a client cannot escape its own address by
 * sending garbage or someone else's).
 */
#include "proxies.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* An address in the IPv4-mapped space when it is IPv4, to compare as one. */
typedef struct Address
{
	unsigned char bytes[16];
	bool		is_v4;			/* written back as IPv4 */
} Address;

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses len bytes of text, spaces around allowed; false if not an address. */
static bool
parse_address(const char *text, size_t len, Address *address)
{
	char		copy[INET6_ADDRSTRLEN];

	while (len > 0 && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(copy))
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(address, 0, sizeof(*address));
	if (inet_pton(AF_INET, copy, address->bytes + 12) == 1)
	{
		memcpy(address->bytes, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		address->is_v4 = true;
		return true;
	}
	return inet_pton(AF_INET6, copy, address->bytes) == 1;
}

static bool
in_network(const ProxyNetwork *network, const Address *address)
{
	int			whole = network->prefix_bits / 8;
	int			rest = network->prefix_bits % 8;
	unsigned char mask = (unsigned char) (0xff << (8 - rest));

	return memcmp(network->addr, address->bytes, (size_t) whole) == 0 &&
		(rest == 0 || ((network->addr[whole] ^ address->bytes[whole]) & mask) == 0);
}

static bool
trusted(const TrustedProxies *proxies, const Address *address)
{
	for (int i = 0; i < proxies->count; i++)
		if (in_network(&proxies->networks[i], address))
			return true;
	return false;
}

bool
proxies_add(TrustedProxies *proxies, const char *cidr)
{
	const char *slash = strchr(cidr, '/');
	size_t		len = slash ? (size_t) (slash - cidr) : strlen(cidr);
	ProxyNetwork *network;
	Address		address;
	long		bits;
	char	   *end;

	if (proxies->count == PROXIES_MAX || strpbrk(cidr, " \t") != NULL ||
		!parse_address(cidr, len, &address))
		return false;
	bits = address.is_v4 ? 32 : 128;
	if (slash != NULL)
	{
		if (slash[1] < '0' || slash[1] > '9')
			return false;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits > (address.is_v4 ? 32 : 128))
			return false;
	}
	network = &proxies->networks[proxies->count++];
	network->prefix_bits = (int) bits + (address.is_v4 ? 96 : 0);
	/* host bits cleared, so that 10.1.2.3/8 means 10.0.0.0/8 */
	memset(network->addr, 0, sizeof(network->addr));
	for (int i = 0; i < network->prefix_bits; i += 8)
		network->addr[i / 8] = address.bytes[i / 8] &
			(unsigned char) (network->prefix_bits - i >= 8 ? 0xff :
							 0xff << (8 - (network->prefix_bits - i)));
	return true;
}

bool
proxies_trust_peer(const TrustedProxies *proxies, const struct sockaddr *peer)
{
	Address		address = {0};

	if (peer == NULL || proxies == NULL || proxies->count == 0)
		return false;
	if (peer->sa_family == AF_INET)
	{
		memcpy(address.bytes, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		memcpy(address.bytes + 12, &((const struct sockaddr_in *) peer)->sin_addr, 4);
	}
	else if (peer->sa_family == AF_INET6)
		memcpy(address.bytes, &((const struct sockaddr_in6 *) peer)->sin6_addr, 16);
	else
		return false;
	return trusted(proxies, &address);
}

typedef enum Walk
{
	WALK_UNTRUSTED,				/* at the client's address */
	WALK_GARBAGE,				/* at an element that is no address */
	WALK_ALL_TRUSTED			/* at the leftmost, a trusted proxy */
} Walk;

/* Walks one header line from the right; *at is the element it stops at. */
static Walk
walk_line(const TrustedProxies *proxies, const char *line, Address *at)
{
	size_t		end = strlen(line);

	for (;;)
	{
		size_t		start = end;

		while (start > 0 && line[start - 1] != ',')
			start--;
		if (!parse_address(line + start, end - start, at))
			return WALK_GARBAGE;
		if (!trusted(proxies, at))
			return WALK_UNTRUSTED;
		if (start == 0)
			return WALK_ALL_TRUSTED;
		end = start - 1;
	}
}

bool
proxies_forwarded_client(const TrustedProxies *proxies,
						 const char *const *lines, int nlines, char *out,
						 size_t size)
{
	Address		client = {0};
	Walk		walk = WALK_GARBAGE;	/* no line: nothing to believe */

	for (int i = nlines - 1; i >= 0; i--)
	{
		Address		at;

		walk = walk_line(proxies, lines[i], &at);
		if (walk == WALK_GARBAGE)
			return false;
		client = at;
		if (walk == WALK_UNTRUSTED)
			break;
	}
	if (walk == WALK_GARBAGE)
		return false;
	if (client.is_v4)
		return inet_ntop(AF_INET, client.bytes + 12, out, (socklen_t) size) != NULL;
	return inet_ntop(AF_INET6, client.bytes, out, (socklen_t) size) != NULL;
}
