/*
 * settings.c - the service settings the front reads from the database.
 *
 * Snapshots are immutable and reference-counted: a reload builds a new one
 * and swaps a pointer under a mutex; the last request using the old snapshot
 * frees it.
 */
#include "settings.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static Settings *current;

static void
settings_free(Settings *s)
{
	free(s->prefix);
	free(s->gotrue_prefix);
	free(s->token_header);
	free(s->cors_origin);
	free(s);
}

void
settings_release(Settings *settings)
{
	if (settings != NULL && atomic_fetch_sub(&settings->refs, 1) == 1)
		settings_free(settings);
}

Settings *
settings_acquire(void)
{
	Settings   *s;

	pthread_mutex_lock(&current_lock);
	s = current;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return s;
}

static void
settings_publish(Settings *s)
{
	Settings   *old;

	atomic_store(&s->refs, 1);	/* the reference held by "current" */
	pthread_mutex_lock(&current_lock);
	old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	settings_release(old);
}

void
settings_clear(void)
{
	pthread_mutex_lock(&current_lock);
	settings_release(current);
	current = NULL;
	pthread_mutex_unlock(&current_lock);
}

/*
 * The origin (scheme://host[:port]) of a URL, which is what browsers send in
 * Origin and compare with Access-Control-Allow-Origin; NULL if none.
 */
static char *
origin_of_url(const char *url)
{
	const char *authority = strstr(url, "://");
	size_t		len;

	if (authority == NULL || authority == url)
		return NULL;
	authority += 3;
	len = (size_t) (authority - url) + strcspn(authority, "/?#");
	if (len == (size_t) (authority - url))
		return NULL;
	return strndup(url, len);
}

/* A string member of obj, or fallback when absent or null. */
static const char *
string_member(json_t *obj, const char *key, const char *fallback)
{
	json_t	   *value = json_object_get(obj, key);

	return json_is_string(value) ? json_string_value(value) : fallback;
}

static Settings *
settings_from_json(const char *text, const char *cors_flag)
{
	json_error_t error;
	json_t	   *obj = json_loads(text, 0, &error);
	Settings   *s = calloc(1, sizeof(Settings));
	const char *prefix;
	const char *gotrue_prefix;
	const char *app_url;

	if (obj == NULL || !json_is_object(obj) || s == NULL)
	{
		log_error("authoob_settings() did not return a JSON object");
		json_decref(obj);
		free(s);
		return NULL;
	}
	prefix = string_member(obj, "prefix", "/authoob");
	s->prefix_len = strlen(prefix);
	while (s->prefix_len > 0 && prefix[s->prefix_len - 1] == '/')
		s->prefix_len--;		/* "/" and "" both mean "at the root" */
	s->prefix = strndup(prefix, s->prefix_len);
	s->prefixes[FAMILY_AUTHOOB] = (RoutePrefix) {s->prefix, s->prefix_len};
	/* absent (a database not yet updated) or null: that family is off */
	gotrue_prefix = string_member(obj, "gotrue_prefix", NULL);
	if (gotrue_prefix != NULL)
	{
		size_t		len = strlen(gotrue_prefix);

		while (len > 0 && gotrue_prefix[len - 1] == '/')
			len--;
		s->gotrue_prefix = strndup(gotrue_prefix, len);
		s->prefixes[FAMILY_GOTRUE] = (RoutePrefix) {s->gotrue_prefix, len};
	}
	s->token_header = strdup(string_member(obj, "token_header",
										   "Authentication-Token"));
	app_url = string_member(obj, "app_url", NULL);
	if (cors_flag != NULL)
		s->cors_origin = strdup(cors_flag);
	else if (app_url != NULL)
		s->cors_origin = origin_of_url(app_url);
	json_decref(obj);
	if (s->prefix == NULL || s->token_header == NULL ||
		(s->prefix_len > 0 && s->prefix[0] != '/') ||
		(gotrue_prefix != NULL && (s->gotrue_prefix == NULL || s->gotrue_prefix[0] != '/')))
	{
		log_error("invalid prefix or token_header in authoob_settings()");
		settings_free(s);
		return NULL;
	}
	return s;
}

bool
settings_load(Pool *pool, const char *cors_flag)
{
	PGresult   *res = pool_query(pool, "SELECT authoob_settings()");
	Settings   *s = NULL;

	if (res == NULL)
		log_error("cannot read settings: Postgres unavailable");
	else if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
			 PQgetisnull(res, 0, 0))
		log_error("cannot read settings: %s", PQresultErrorMessage(res));
	else
		s = settings_from_json(PQgetvalue(res, 0, 0), cors_flag);
	PQclear(res);
	if (s == NULL)
		return false;
	log_info("settings: prefix \"%s\", Supabase Auth prefix %s%s%s, token header \"%s\", CORS origin %s",
			 s->prefix, s->gotrue_prefix ? "\"" : "", s->gotrue_prefix ? s->gotrue_prefix : "(off)",
			 s->gotrue_prefix ? "\"" : "", s->token_header,
			 s->cors_origin ? s->cors_origin : "(none)");
	settings_publish(s);
	return true;
}
