/*
 * provider_fetch.c
 *		One HTTP request to an identity provider, with libcurl, made by the
 *		database itself (docs/identity-providers.md).
 *
 * What a sign-in believes about a provider (its discovery document, its
 * keys, the answer of its token endpoint, who its userinfo URL says the
 * user is) must come from the provider, not from whoever calls the SQL
 * function: were the front to fetch these and hand them over, any holder
 * of the API role's credentials could hand over its own.  So the
 * extension fetches them here, from the URLs of the owner's provider rows,
 * and SQL (authoob_oauth_*) decides what the answers mean.
 *
 * Requests are short and bounded: 5 s to connect, 10 s in all, 256 KiB at
 * most, TLS verified, no redirect followed, https:// only but to a
 * loopback address; a cancel or statement_timeout stops one at once.
 * libcurl's memory is its own (malloc): nothing here raises an error while
 * a transfer is under way, so no longjmp ever crosses libcurl.
 */
#include "authoob.h"

#include <curl/curl.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(authoob_provider_fetch);

#define FETCH_CONNECT_TIMEOUT_S 5L
#define FETCH_TIMEOUT_S 10L
/* a discovery document, a key set or a token answer is a few KiB */
#define FETCH_MAX_BYTES (256 * 1024)

typedef struct FetchAnswer
{
	char	   *data;			/* malloc'd, NUL-terminated */
	size_t		len;
	bool		too_large;
} FetchAnswer;

static size_t
collect(char *data, size_t size, size_t nitems, void *arg)
{
	FetchAnswer *answer = arg;
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

/* a cancel, a statement_timeout or a shutdown ends the transfer */
static int
interrupted(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	return QueryCancelPending || ProcDiePending ? 1 : 0;
}

/*
 * https://, or http:// to a loopback address (a provider on this machine,
 * which nothing on the network can stand in for), as the provider rows'
 * checks allow; read from the URL as libcurl will read it, so that no
 * spelling of the host slips past a textual check.
 */
static bool
url_allowed(const char *url)
{
	CURLU	   *parsed = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	bool		allowed = false;

	if (parsed != NULL &&
		curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK)
	{
		if (strcmp(scheme, "https") == 0)
			allowed = true;
		else if (strcmp(scheme, "http") == 0)
			allowed = strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
				(strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == strlen(host));
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(parsed);
	return allowed;
}

/*
 * The request; the answer collected and its status, or 0 with why set
 * (CURL_ERROR_SIZE bytes).
 */
static long
perform(const char *url, const char *form, const char *authorization,
		FetchAnswer *answer, char *why)
{
	static bool initialised = false;
	CURL	   *curl;
	struct curl_slist *headers = NULL;
	struct curl_slist *grown;
	char	   *auth_header = NULL;
	long		status = 0;
	CURLcode	rc;

	why[0] = '\0';
	if (!initialised)
	{
		/* a backend is one thread: the global setup once, here */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		{
			strcpy(why, "cannot initialise libcurl");
			return 0;
		}
		initialised = true;
	}
	if ((curl = curl_easy_init()) == NULL)
	{
		strcpy(why, "out of memory");
		return 0;
	}
	headers = curl_slist_append(NULL, "Accept: application/json");
	if (headers != NULL && authorization != NULL)
	{
		size_t		size = strlen(authorization) + sizeof("Authorization: ");

		if ((auth_header = malloc(size)) != NULL)
		{
			snprintf(auth_header, size, "Authorization: %s", authorization);
			if ((grown = curl_slist_append(headers, auth_header)) != NULL)
				headers = grown;
			else
				strcpy(why, "out of memory");
		}
		else
			strcpy(why, "out of memory");
	}
	if (headers == NULL)
		strcpy(why, "out of memory");
	if (why[0] == '\0')
	{
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		/* straight to the provider: no proxy the server's environment names */
		curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
		/* the backend's own SIGALRM timers stay the backend's */
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_S);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "authoob");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, interrupted);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, why);
		if (form != NULL)
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
		rc = curl_easy_perform(curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		else if (answer->too_large)
			strcpy(why, "the answer is too large");
		else if (why[0] == '\0')
			strlcpy(why, curl_easy_strerror(rc), CURL_ERROR_SIZE);
	}
	curl_slist_free_all(headers);
	if (auth_header != NULL)
	{
		explicit_bzero(auth_header, strlen(auth_header));
		free(auth_header);
	}
	curl_easy_cleanup(curl);
	return status;
}

/* {"error": why} */
static Datum
failed(const char *why)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfoString(&json, "{\"error\": ");
	escape_json(&json, why);
	appendStringInfoChar(&json, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
}

/*
 * authoob_provider_fetch(url text, form text, authorization text) returns
 * jsonb: a GET of url (a POST of form, urlencoded, when form is given),
 * with the Authorization header's value when given; {"status": n,
 * "body": "..."} or {"error": "why"}.  Owner only: the provider functions
 * call it with their rows' URLs; nobody else chooses where it goes.
 */
Datum
authoob_provider_fetch(PG_FUNCTION_ARGS)
{
	char	   *url = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *form = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *authorization = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char		why[CURL_ERROR_SIZE];
	FetchAnswer answer = {0};
	long		status;
	StringInfoData json;

	/* an Authorization that would break its line (a token a provider made up) goes nowhere */
	if (url == NULL || !url_allowed(url) ||
		(authorization != NULL && strpbrk(authorization, "\r\n") != NULL))
		PG_RETURN_DATUM(failed("not a request authoob makes"));
	status = perform(url, form, authorization, &answer, why);
	if (status == 0)
	{
		free(answer.data);
		CHECK_FOR_INTERRUPTS();
		/* the URL without its query: a query could carry what is not ours to log */
		ereport(LOG,
				(errmsg("authoob: identity provider at %.*s: %s",
						(int) strcspn(url, "?"), url, why)));
		PG_RETURN_DATUM(failed(why));
	}
	initStringInfo(&json);
	if (answer.data != NULL && (memchr(answer.data, '\0', answer.len) != NULL ||
								!pg_verifymbstr(answer.data, answer.len, true)))
	{
		free(answer.data);
		PG_RETURN_DATUM(failed("the answer is not text"));
	}
	appendStringInfo(&json, "{\"status\": %ld, \"body\": ", status);
	escape_json(&json, answer.data ? answer.data : "");
	appendStringInfoChar(&json, '}');
	free(answer.data);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data)));
}
