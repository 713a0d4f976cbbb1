/*
 * cors.h - Cross-Origin Resource Sharing for single-page apps.
 *
 * The allowed origin is the app_url setting's (or --cors-origin). A matching
 * origin is echoed with credentials allowed; "*" allows any origin but never
 * with credentials, as the Fetch standard requires.
 */
#ifndef AUTHOOB_CORS_H
#define AUTHOOB_CORS_H

#include "settings.h"

struct MHD_Response;

/*
 * Adds the CORS headers of an actual response to a request from origin;
 * family says whose route it is (Supabase Auth's clients read and send
 * headers of their own).
 */
void		cors_add_headers(struct MHD_Response *response,
							 const Settings *settings, const char *origin,
							 RouteFamily family);

/*
 * Adds what a preflight needs besides cors_add_headers (which every
 * response gets); allow lists the path's methods.
 */
void		cors_add_preflight_headers(struct MHD_Response *response,
									   const Settings *settings,
									   const char *origin, const char *allow,
									   RouteFamily family);

#endif
