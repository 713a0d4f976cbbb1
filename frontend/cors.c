/*
 * cors.c - Cross-Origin Resource Sharing for single-page apps.
 *
 * The token travels in a header, never a cookie, but an app may still send
 * credentialed requests; so a listed origin is echoed (with Vary: Origin for
 * caches) and credentials allowed, while "*" goes without credentials.
 */
#include "cors.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gotrue.h"

/* Whether origin is in the comma-separated list of allowed origins. */
static bool
origin_listed(const char *allowed, const char *origin)
{
	size_t		origin_len = strlen(origin);

	while (*allowed != '\0')
	{
		size_t		len;

		allowed += strspn(allowed, " ,");
		len = strcspn(allowed, " ,");
		if (len > 0 && len == origin_len && strncasecmp(allowed, origin, len) == 0)
			return true;
		allowed += len;
	}
	return false;
}

static bool
origin_allowed(const Settings *settings, const char *origin)
{
	return settings->cors_origin != NULL && origin != NULL &&
		(strcmp(settings->cors_origin, "*") == 0 ||
		 origin_listed(settings->cors_origin, origin));
}

void
cors_add_headers(struct MHD_Response *response, const Settings *settings,
				 const char *origin, RouteFamily family)
{
	bool		any = settings->cors_origin != NULL &&
		strcmp(settings->cors_origin, "*") == 0;
	char		expose[256];

	if (settings->cors_origin != NULL && !any)
		MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Origin");
	if (!origin_allowed(settings, origin))
		return;
	MHD_add_response_header(response, "Access-Control-Allow-Origin",
							any ? "*" : origin);
	if (!any)
		MHD_add_response_header(response, "Access-Control-Allow-Credentials",
								"true");
	/*
	 * Scripts may read only the listed headers: a 429's wait and a 401's
	 * challenge are among them.
	 */
	snprintf(expose, sizeof(expose), "%s, %s, %s%s%s", settings->token_header,
			 MHD_HTTP_HEADER_RETRY_AFTER, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			 family == FAMILY_GOTRUE ? ", " : "",
			 family == FAMILY_GOTRUE ? GOTRUE_CORS_EXPOSED_HEADERS : "");
	MHD_add_response_header(response, "Access-Control-Expose-Headers", expose);
}

void
cors_add_preflight_headers(struct MHD_Response *response,
						   const Settings *settings, const char *origin,
						   const char *allow, RouteFamily family)
{
	char		headers[512];

	if (!origin_allowed(settings, origin))
		return;
	snprintf(headers, sizeof(headers), "Content-Type, Authorization, %s%s%s",
			 settings->token_header, family == FAMILY_GOTRUE ? ", " : "",
			 family == FAMILY_GOTRUE ? GOTRUE_CORS_REQUEST_HEADERS : "");
	MHD_add_response_header(response, "Access-Control-Allow-Methods", allow);
	MHD_add_response_header(response, "Access-Control-Allow-Headers", headers);
	MHD_add_response_header(response, "Access-Control-Max-Age", "600");
}
