/*
 * log.h - error and access log of authoob-http.
 *
 * Every line goes to stderr whole, in one write(), so lines from concurrent
 * threads never interleave. An event loop thread gathers its lines and
 * writes them at the end of its turn (log_buffer_access, log_flush): under
 * load one write carries the lines of several requests. The access log never sees bodies, tokens or secret path
 * arguments: callers pass it a path that is already redacted.
 */
#ifndef AUTHOOB_LOG_H
#define AUTHOOB_LOG_H

#include <stdbool.h>

typedef enum LogLevel
{
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,				/* includes the access log */
	LOG_LEVEL_DEBUG
} LogLevel;

/* Parses "error", "warning", "info" or "debug"; false if unknown. */
bool		log_parse_level(const char *name, LogLevel *level);
void		log_set_level(LogLevel level);
bool		log_enabled(LogLevel level);

void		log_msg(LogLevel level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#define log_error(...)		log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...)	log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)		log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* One access line: time, method, path, status, microseconds, client. */
void		log_access(const char *method, const char *path, int status,
					   long usec, const char *client);

/*
 * From now on, this thread's lines wait in its buffer (at most PIPE_BUF
 * bytes, so that a write of them is still atomic) until log_flush or until
 * the next would not fit; the thread must call log_flush before it sleeps.
 */
void		log_buffer_access(bool on);

/* Writes this thread's waiting lines. */
void		log_flush(void);

#endif
