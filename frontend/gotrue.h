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

/*
 * The error object of shape (ERRORS_GOTRUE or ERRORS_GOTRUE_2024):
 * error_code as the database's error decided it, or NULL for the front's
 * own errors and any other: then the status's.
 */
json_t	   *gotrue_error_json(ErrorShape shape, unsigned int status,
							  const char *message, const char *error_code);

/* The headers every answer in shape carries: the API version it answers in */
void		gotrue_add_headers(struct MHD_Response *response, ErrorShape shape);

#endif
