#include "common/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_message[1024];
static _Thread_local cpuu_error last_error = { CPUU_OK, "" };

/* The pieces of a message not formatted yet (cpuu_error_set_deferred). */
static _Thread_local struct {
	const char *fmt; /* NULL: nothing pending */
	char a[sizeof last_message], b[sizeof last_message];
} deferred;

static void piece(char *to, const char *from)
{
	size_t n = from ? strnlen(from, sizeof deferred.a - 1) : 0;
	memcpy(to, from ? from : "", n);
	to[n] = '\0';
}

int cpuu_error_set_deferred(int code, const char *fmt, const char *a, const char *b)
{
	deferred.fmt = fmt;
	piece(deferred.a, a);
	piece(deferred.b, b);
	last_message[0] = '\0';
	last_error.code = code;
	last_error.message = last_message;
	return code;
}

/* The pending message, formatted as cpuu_error_set would have. */
static void format_deferred(void)
{
	if (!deferred.fmt)
		return;
	const char *fmt = deferred.fmt;
	deferred.fmt = NULL;
	cpuu_error_set(last_error.code, fmt, deferred.a, deferred.b);
}

int cpuu_error_set(int code, const char *fmt, ...)
{
	deferred.fmt = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_message, sizeof last_message, fmt, ap);
	va_end(ap);
	/* Messages are one line of text for people, and name keys, values and
	 * files that are data: controls, line breaks and bidi overrides from
	 * outside are shown escaped (include/cpuu/display.h), here, once, for
	 * every place a message goes (stderr, records, the run log). Plain
	 * ASCII (most messages, lookups that find nothing included) is left
	 * as formatted. */
	const unsigned char *p = (const unsigned char *)last_message;
	while (*p >= 0x20 && *p < 0x7F)
		p++;
	if (*p) {
		char text[sizeof last_message];
		memcpy(text, last_message, sizeof text);
		cpuu_display_into(last_message, sizeof last_message, text);
	}
	last_error.code = code;
	last_error.message = last_message;
	return code;
}

int cpuu_error_prefix(const char *fmt, ...)
{
	char raw[512], prefix[512], old[sizeof last_message];
	format_deferred();
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	cpuu_display_into(prefix, sizeof prefix, raw); /* as in cpuu_error_set */
	/* Truncation is acceptable: messages are for people, one line. */
	memcpy(old, last_message, sizeof old);
	size_t plen = strlen(prefix);
	if (plen > sizeof last_message - 3)
		plen = sizeof last_message - 3;
	memcpy(last_message, prefix, plen);
	memcpy(last_message + plen, ": ", 2);
	size_t rest = sizeof last_message - plen - 3;
	size_t olen = strnlen(old, rest);
	memcpy(last_message + plen + 2, old, olen);
	last_message[plen + 2 + olen] = '\0';
	last_error.message = last_message;
	return last_error.code;
}

int cpuu_error_oom(void)
{
	return cpuu_error_set(CPUU_ENOMEM, "out of memory");
}

int cpuu_error_of_errno(int e, int op)
{
	if (op == CPUU_ERRNO_WRITE)
		return e == EACCES || e == EPERM || e == EROFS ? CPUU_EREADONLY : CPUU_EIO;
	return e == ENOENT || e == ENOTDIR ? CPUU_ENOTFOUND : CPUU_EIO;
}

const cpuu_error *cpuu_error_last(void)
{
	format_deferred();
	if (last_error.message == NULL)
		last_error.message = "";
	return &last_error;
}

void cpuu_error_clear(void)
{
	deferred.fmt = NULL;
	last_message[0] = '\0';
	last_error.code = CPUU_OK;
	last_error.message = last_message;
}

const char *cpuu_error_name(int code)
{
	switch (code) {
	case CPUU_OK: return "OK";
	case CPUU_ERROR: return "ERROR";
	case CPUU_ENOMEM: return "ENOMEM";
	case CPUU_ENOTFOUND: return "ENOTFOUND";
	case CPUU_EINVALID: return "EINVALID";
	case CPUU_EDIRTY: return "EDIRTY";
	case CPUU_ECORRUPT: return "ECORRUPT";
	case CPUU_EIO: return "EIO";
	case CPUU_EREADONLY: return "EREADONLY";
	case CPUU_EUNSUPPORTED: return "EUNSUPPORTED";
	case CPUU_EAMBIGUOUS: return "EAMBIGUOUS";
	case CPUU_EEXISTS: return "EEXISTS";
	case CPUU_ENETWORK: return "ENETWORK";
	case CPUU_EAUTH: return "EAUTH";
	case CPUU_ETLS: return "ETLS";
	case CPUU_EABORTED: return "EABORTED";
	case CPUU_ELOCKED: return "ELOCKED";
	default: return "UNKNOWN";
	}
}

void cpuu_free(void *ptr)
{
	free(ptr);
}

void cpuu_strlist_free(cpuu_strlist *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int cpuu_strlist_push(cpuu_strlist *list, const char *s)
{
	char *copy = cpuu_strdup(s);
	if (!copy)
		return cpuu_error_oom();
	char **grown = cpuu_array_reserve(list->items, NULL, list->count + 1, sizeof *grown);
	if (!grown) {
		free(copy);
		return cpuu_error_oom();
	}
	grown[list->count++] = copy;
	list->items = grown;
	return CPUU_OK;
}

int cpuu_strlist_add(cpuu_strlist *list, const char *s)
{
	return cpuu_strlist_push(list, s);
}
