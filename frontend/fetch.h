/*
 * fetch.h - one HTTP request to an identity provider, for the database.
 *
 * The extension cannot reach the network: when a sign-in with an identity
 * provider needs the provider's answer (its discovery document, its keys,
 * the exchange of a code), the route's statement asks for it with a
 * "fetch" member, the front makes the request with libcurl and runs the
 * statement again with the answer (request.c; docs/identity-providers.md).
 */
#ifndef AUTHOOB_FETCH_H
#define AUTHOOB_FETCH_H

/*
 * Makes the request that spec (a JSON object: "url", "method" GET or POST,
 * "form" the POST's urlencoded body, "authorization" the header's value)
 * describes, and answers, malloc'd, {"status": n, "body": "..."} or
 * {"error": "why"}; NULL only when out of memory. TLS is verified, no
 * redirect is followed, and a slow or oversized answer is an error. Nothing
 * of the spec's secrets (form, authorization) reaches the log.
 */
char	   *fetch_run(const char *spec);

#endif
