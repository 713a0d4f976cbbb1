/*
 * gotrue.h - what authoob-http does for Supabase Auth's dialect alone (the
 * routes under gotrue_prefix): its errors' shape, the API version its
 * clients ask for, the headers they send and read.
 */
#ifndef AUTHOOB_GOTRUE_H
#define AUTHOOB_GOTRUE_H

#include <jansson.h>

#include "response.h"

struct MHD_Response;

/* The version header of ERRORS_GOTRUE_2024 answers, and its value */
#define GOTRUE_API_VERSION_HEADER "X-Supabase-Api-Version"
#define GOTRUE_API_VERSION "2024-01-01"

/* CORS: what its clients send besides authoob's headers (apikey: the project's key), and read */
#define GOTRUE_CORS_REQUEST_HEADERS "apikey, X-Client-Info, " GOTRUE_API_VERSION_HEADER
#define GOTRUE_CORS_EXPOSED_HEADERS GOTRUE_API_VERSION_HEADER

/* The shape of errors for a client that sent api_version (NULL: none) */
ErrorShape	gotrue_error_shape(const char *api_version);

/* The header of every error answer that names its error code */
#define GOTRUE_ERROR_CODE_HEADER "x-sb-error-code"

/*
 * An error as GoTrue's errors.go writes it (ERRORS_GOTRUE or
 * ERRORS_GOTRUE_2024): {"code": status, "error_code", "msg"}, or from API
 * version 2024-01-01 on {"code": error_code, "message"}; weak_password, if
 * not NULL, is added (a weak password's reasons).  *error_code is the
 * database's error's, or NULL for the front's own errors and any other:
 * then it is set to the status's.
 */
json_t	   *gotrue_error_json(ErrorShape shape, unsigned int status,
							  const char *message, const char **error_code,
							  json_t *weak_password);

/*
 * How the dialect answers the database's error whose detail is detail:
 * the status and message its "gotrue" member gives (GoTrue's, where they
 * differ from authoob's), else *status and *message as they are; and its
 * weak_password object, or NULL (borrowed from detail).
 */
json_t	   *gotrue_detail_answer(json_t *detail, unsigned int *status,
								 const char **message);

/*
 * The OAuth 2.0 error (RFC 6749 5.2) that the dialect answers instead of
 * its own shape where GoTrue does (its OAuthError: the id_token grant's
 * refusals), {"error", "error_description"}: when detail's "gotrue" member
 * names one ("oauth_error", with "msg" its description), that object; else
 * NULL.
 */
json_t	   *gotrue_oauth_error_json(json_t *detail);

/*
 * The headers an answer in shape carries: an error says the API version
 * it answers in, as GoTrue's does
 */
void		gotrue_add_headers(struct MHD_Response *response, ErrorShape shape,
							   unsigned int status);

#endif
