/*
 * Scope-bound cleanup for locals: the variable is released on every return
 * path, so early error returns cannot leak.
 *
 *	CLEANUP_FREE char *s = strdup(x);
 *	CLEANUP_CLOSE int fd = open(...);
 *
 * To hand the object to the caller, take it out: `return steal_ptr(&s);`.
 */
#ifndef ISN_UTIL_CLEANUP_H
#define ISN_UTIL_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void cleanup_free(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

#define CLEANUP_FREE  __attribute__((cleanup(cleanup_free)))
#define CLEANUP_CLOSE __attribute__((cleanup(cleanup_close)))

static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return v;
}

static inline int steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#endif
