/*
 * smtp.c - sending one message over SMTP with libcurl.
 *
 * The easy handle is kept from one mail to the next, so a batch goes over
 * one SMTP connection. Failures that are the server's rather than the
 * mail's (no connection, no answer, login or TLS refused) are told apart:
 * the rest of a batch would only fail the same way.
 */
#include "smtp.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SMTP_CONNECT_TIMEOUT_S 10L
#define PASSWORD_MAX 1024

struct Smtp
{
	CURL	   *curl;
	char	   *password;
	char		curl_error[CURL_ERROR_SIZE];
};

/* The message being uploaded. */
typedef struct Upload
{
	const char *data;
	size_t		len;
	size_t		sent;
} Upload;

static size_t
read_message(char *out, size_t size, size_t nitems, void *arg)
{
	Upload	   *upload = arg;
	size_t		n = upload->len - upload->sent;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(out, upload->data + upload->sent, n);
	upload->sent += n;
	return n;
}

/* The first line of path: the whole file, without its final line end. */
static char *
read_password_file(const char *path)
{
	char		buf[PASSWORD_MAX + 2];
	FILE	   *file = fopen(path, "re");
	size_t		len;
	char	   *password = NULL;

	if (file == NULL)
	{
		log_error("cannot read --smtp-password-file \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	len = fread(buf, 1, sizeof(buf) - 1, file);
	fclose(file);
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0 || len > PASSWORD_MAX || strlen(buf) != len ||
		strpbrk(buf, "\r\n") != NULL)
		log_error("--smtp-password-file \"%s\" must hold the password alone, "
				  "on one line of 1 to %d bytes", path, PASSWORD_MAX);
	else if ((password = strdup(buf)) == NULL)
		log_error("out of memory");
	explicit_bzero(buf, sizeof(buf));
	return password;
}

/* Whether the URL's host is this machine: a password may go in clear. */
static bool
url_is_loopback(const char *url)
{
	CURLU	   *parsed = curl_url();
	char	   *host = NULL;
	bool		loopback = false;

	if (parsed != NULL && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		loopback = strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
			strcmp(host, "[::1]") == 0;
	curl_free(host);
	curl_url_cleanup(parsed);
	return loopback;
}

/* Reads the password and says (once, at start) what will happen with it. */
static bool
smtp_login_setup(Smtp *smtp, const SmtpConfig *config)
{
	const char *from_env = getenv("AUTHOOB_SMTP_PASSWORD");

	if (config->user == NULL)
	{
		if (from_env != NULL)
			log_warning("AUTHOOB_SMTP_PASSWORD is set but --smtp-user is not: "
						"no SMTP login");
		return true;
	}
	if (config->password_file != NULL)
		smtp->password = read_password_file(config->password_file);
	else if (from_env != NULL && *from_env != '\0')
		smtp->password = strdup(from_env);
	else
		log_error("--smtp-user needs a password: --smtp-password-file or "
				  "AUTHOOB_SMTP_PASSWORD");
	if (smtp->password == NULL)
		return false;
	if (strncmp(config->url, "smtp://", 7) == 0 && !config->require_tls &&
		!url_is_loopback(config->url))
		log_warning("the SMTP password may travel in clear: use smtps:// or "
					"--smtp-tls");
	curl_easy_setopt(smtp->curl, CURLOPT_USERNAME, config->user);
	curl_easy_setopt(smtp->curl, CURLOPT_PASSWORD, smtp->password);
	return true;
}

Smtp *
smtp_create(const SmtpConfig *config)
{
	Smtp	   *smtp;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		log_error("cannot initialise libcurl");
		return NULL;
	}
	smtp = calloc(1, sizeof(Smtp));
	if (smtp == NULL || (smtp->curl = curl_easy_init()) == NULL)
	{
		log_error("cannot initialise libcurl");
		free(smtp);
		curl_global_cleanup();
		return NULL;
	}
	curl_easy_setopt(smtp->curl, CURLOPT_URL, config->url);
	curl_easy_setopt(smtp->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(smtp->curl, CURLOPT_USE_SSL,
					 (long) (config->require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	/* curl must not use signals: other threads serve HTTP */
	curl_easy_setopt(smtp->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(smtp->curl, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(smtp->curl, CURLOPT_TIMEOUT, (long) SMTP_TIMEOUT_S);
	curl_easy_setopt(smtp->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(smtp->curl, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(smtp->curl, CURLOPT_ERRORBUFFER, smtp->curl_error);
	if (!smtp_login_setup(smtp, config))
	{
		smtp_destroy(smtp);
		return NULL;
	}
	return smtp;
}

/* Failures of the server, not of one mail: the next mail would fail too. */
static bool
is_server_failure(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_LOGIN_DENIED ||
		rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
		rc == CURLE_PEER_FAILED_VERIFICATION;
}

SmtpResult
smtp_send(Smtp *smtp, const char *sender, const char *recipient,
		  const char *message, char *error, size_t error_size)
{
	char		from[300];
	char		to[300];
	struct curl_slist *rcpt;
	Upload		upload = {.data = message,.len = strlen(message)};
	CURLcode	rc;
	long		reply = 0;
	const char *reason;

	snprintf(from, sizeof(from), "<%s>", sender);
	snprintf(to, sizeof(to), "<%s>", recipient);
	if ((rcpt = curl_slist_append(NULL, to)) == NULL)
	{
		snprintf(error, error_size, "out of memory");
		return SMTP_FAILED;
	}
	curl_easy_setopt(smtp->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(smtp->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(smtp->curl, CURLOPT_READDATA, &upload);
	curl_easy_setopt(smtp->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) upload.len);
	smtp->curl_error[0] = '\0';
	rc = curl_easy_perform(smtp->curl);
	curl_easy_setopt(smtp->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return SMTP_SENT;
	curl_easy_getinfo(smtp->curl, CURLINFO_RESPONSE_CODE, &reply);
	reason = smtp->curl_error[0] ? smtp->curl_error : curl_easy_strerror(rc);
	if (reply >= 400)
		snprintf(error, error_size, "%s (SMTP reply %ld)", reason, reply);
	else
		snprintf(error, error_size, "%s", reason);
	return is_server_failure(rc) ? SMTP_UNREACHABLE : SMTP_FAILED;
}

void
smtp_destroy(Smtp *smtp)
{
	if (smtp == NULL)
		return;
	curl_easy_cleanup(smtp->curl);
	if (smtp->password != NULL)
	{
		explicit_bzero(smtp->password, strlen(smtp->password));
		free(smtp->password);
	}
	free(smtp);
	curl_global_cleanup();
}
