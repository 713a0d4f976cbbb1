/*
 * fetch.c - one HTTP request to an identity provider, with libcurl.
 *
 * The statement that asks for it names what to ask (fetch.h); whatever the
 * provider answers, or why it could not, goes back to the database as
 * JSON, which decides. Requests are short and bounded: the request's
 * thread waits for them.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FETCH_CONNECT_TIMEOUT_S 5L
#define FETCH_TIMEOUT_S 10L
/* a discovery document, a key set or a token answer is a few KiB */
#define FETCH_MAX_BYTES (256 * 1024)

typedef struct Answer
{
	char	   *data;
	size_t		len;
	bool		too_large;
} Answer;

static size_t
collect(char *data, size_t size, size_t nitems, void *arg)
{
	Answer	   *answer = arg;
	size_t		n = size * nitems;
	char	   *grown;

	if (answer->len + n > FETCH_MAX_BYTES)
	{
		answer->too_large = true;
		return 0;				/* curl stops with a write error */
	}
	grown = realloc(answer->data, answer->len + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + answer->len, data, n);
	answer->data = grown;
	answer->len += n;
	answer->data[answer->len] = '\0';
	return n;
}

/*
 * https://, or http:// to a loopback address only, as the extension checks
 * the providers' URLs (docs/identity-providers.md): a URL a provider's
 * discovery document gave is checked here once more.
 */
static bool
url_allowed(const char *url)
{
	static const char *const loopback[] = {"http://127.", "http://localhost:",
	"http://localhost/", "http://[::1]:", "http://[::1]/"};

	if (strncmp(url, "https://", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(url, loopback[i], strlen(loopback[i])) == 0)
			return true;
	return false;
}

/* The answer as text, and what it was "for" as the spec said */
static char *
answer_json(json_t *obj, const char *what)
{
	char	   *text;

	if (obj != NULL && what != NULL)
		json_object_set_new(obj, "for", json_string(what));
	text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	return text;
}

static char *
failed(const char *why, const char *what)
{
	return answer_json(json_pack("{s:s}", "error", why), what);
}

/* The request, its answer collected; the status, or 0 with why set */
static long
perform(const char *url, const char *form, const char *authorization,
		Answer *answer, char *why)
{
	CURL	   *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	char	   *auth_header = NULL;
	long		status = 0;
	CURLcode	rc;

	if (curl == NULL)
	{
		strcpy(why, "out of memory");
		return 0;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (authorization != NULL &&
		asprintf(&auth_header, "Authorization: %s", authorization) > 0)
		headers = curl_slist_append(headers, auth_header);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "authoob-http");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, why);
	if (form != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
	why[0] = '\0';
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else if (answer->too_large)
		strcpy(why, "the answer is too large");
	else if (why[0] == '\0')
		strncpy(why, curl_easy_strerror(rc), CURL_ERROR_SIZE - 1);
	curl_slist_free_all(headers);
	if (auth_header != NULL)
	{
		explicit_bzero(auth_header, strlen(auth_header));
		free(auth_header);
	}
	curl_easy_cleanup(curl);
	return status;
}

char *
fetch_run(const char *spec)
{
	json_t	   *obj = json_loads(spec, 0, NULL);
	const char *url = json_string_value(json_object_get(obj, "url"));
	const char *method = json_string_value(json_object_get(obj, "method"));
	const char *form = json_string_value(json_object_get(obj, "form"));
	const char *authorization = json_string_value(json_object_get(obj, "authorization"));
	const char *what = json_string_value(json_object_get(obj, "for"));
	char		why[CURL_ERROR_SIZE] = "";
	Answer		answer = {0};
	long		status;
	char	   *result;

	/*
	 * a form is what a POST sends, and only a POST; an Authorization that
	 * would break its line (an access token a provider made up) goes nowhere
	 */
	if (url == NULL || !url_allowed(url) ||
		(method != NULL && strcmp(method, form != NULL ? "POST" : "GET") != 0) ||
		(authorization != NULL && strpbrk(authorization, "\r\n") != NULL))
	{
		status = 0;
		result = failed("not a request the front makes", what);
	}
	else if ((status = perform(url, form, authorization, &answer, why)) == 0)
	{
		/* the URL without its query: a query could carry what is not ours to log */
		log_error("identity provider at %.*s: %s", (int) strcspn(url, "?"), url, why);
		result = failed(why, what);
	}
	else
		result = answer_json(json_pack("{s:I,s:s}", "status", (json_int_t) status,
									   "body", answer.data ? answer.data : ""), what);
	if (result == NULL && status != 0)
		result = failed("the answer is not text", what);
	free(answer.data);
	json_decref(obj);
	return result;
}
