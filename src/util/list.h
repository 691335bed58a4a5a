/*
 * Intrusive circular doubly linked list. The node lives inside the owning
 * object (an io_req, a task), so queueing and unlinking never allocate:
 * that matters on the writeback path.
 */
#ifndef ISN_UTIL_LIST_H
#define ISN_UTIL_LIST_H

#include <stdbool.h>

#include "util/compiler.h"

struct list_node {
	struct list_node *next, *prev;
};

/* clang-format off */
#define LIST_INIT(name) {&(name), &(name)}
/* clang-format on */

static inline void list_init(struct list_node *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_add_tail(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h->prev, h);
}

static inline void list_add_head(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h, h->next);
}

/* Unlink n and leave it self-linked, so a second list_del is harmless. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline struct list_node *list_pop(struct list_node *h)
{
	struct list_node *n;

	if (list_empty(h))
		return NULL;
	n = h->next;
	list_del(n);
	return n;
}

/* Move every node of src to the tail of dst; src ends empty. */
static inline void list_splice_tail(struct list_node *dst, struct list_node *src)
{
	if (list_empty(src))
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	list_init(src);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* Safe against removal of pos. */
#define list_for_each_safe(pos, tmp, head)                                                         \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
