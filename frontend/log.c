/*
 * log.c - error and access log of authoob-http.
 *
 * Lines are built in a stack buffer and written with a single write(2),
 * atomic on a pipe; an event loop's thread gathers its lines in a buffer of
 * its own and writes them once a turn (log.h).
 */
#include "log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static volatile LogLevel current_level = LOG_LEVEL_INFO;

/* A thread's gathered lines (log_buffer_access); PIPE_BUF keeps them atomic */
typedef struct LineBuffer
{
	bool		on;
	size_t		len;
	char		text[PIPE_BUF];
} LineBuffer;

static __thread LineBuffer buffered;

/* The timestamp up to its seconds, for as long as they do not change */
static __thread time_t stamp_second = -1;
static __thread char stamp_text[32];
static __thread size_t stamp_len;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

bool
log_parse_level(const char *name, LogLevel *level)
{
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++)
	{
		if (strcasecmp(name, level_names[i]) == 0)
		{
			*level = (LogLevel) i;
			return true;
		}
	}
	return false;
}

void
log_set_level(LogLevel level)
{
	current_level = level;
}

bool
log_enabled(LogLevel level)
{
	return level <= current_level;
}

/* Writes "2024-01-31T12:00:00.123Z " into buf; returns its length. */
static size_t
format_timestamp(char *buf, size_t size)
{
	struct timespec now;
	struct tm	tm;
	size_t		len;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != stamp_second)
	{
		gmtime_r(&now.tv_sec, &tm);
		stamp_len = strftime(stamp_text, sizeof(stamp_text), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_second = now.tv_sec;
	}
	memcpy(buf, stamp_text, stamp_len);
	len = stamp_len;
	len += snprintf(buf + len, size - len, ".%03ldZ ", now.tv_nsec / 1000000);
	return len;
}

static void
write_out(const char *text, size_t len)
{
	/* Nothing sensible to do if stderr is gone. */
	if (write(STDERR_FILENO, text, len) < 0)
		return;
}

void
log_flush(void)
{
	if (buffered.len > 0)
		write_out(buffered.text, buffered.len);
	buffered.len = 0;
}

void
log_buffer_access(bool on)
{
	log_flush();
	buffered.on = on;
}

/* Terminates the line (truncating if needed) and writes or gathers it. */
static void
write_line(char *buf, size_t len)
{
	if (len > LOG_LINE_MAX - 2)
		len = LOG_LINE_MAX - 2;
	buf[len++] = '\n';
	if (!buffered.on)
	{
		write_out(buf, len);
		return;
	}
	if (buffered.len + len > sizeof(buffered.text))
		log_flush();
	memcpy(buffered.text + buffered.len, buf, len);
	buffered.len += len;
}

void
log_msg(LogLevel level, const char *fmt,...)
{
	char		buf[LOG_LINE_MAX];
	size_t		len;
	va_list		args;
	int			n;

	if (!log_enabled(level))
		return;
	len = format_timestamp(buf, sizeof(buf));
	len += snprintf(buf + len, sizeof(buf) - len, "%s: ", level_names[level]);
	va_start(args, fmt);
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, args);
	va_end(args);
	if (n > 0)
		len += (size_t) n;
	if (len > LOG_LINE_MAX - 2)
		len = LOG_LINE_MAX - 2;	/* vsnprintf said what it would have written */
	/* Postgres messages span lines; a log line must not. */
	for (char *nl = buf; (nl = memchr(nl, '\n', len - (size_t) (nl - buf))) != NULL;)
		*nl = ' ';
	write_line(buf, len);
}

void
log_access(const char *method, const char *path, int status, long usec,
		   const char *client)
{
	char		buf[LOG_LINE_MAX];
	size_t		len;
	int			n;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	len = format_timestamp(buf, sizeof(buf));
	n = snprintf(buf + len, sizeof(buf) - len, "access: %s %s %d %ldus %s",
				 method, path, status, usec, client);
	if (n > 0)
		len += (size_t) n;
	write_line(buf, len);
}
