#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/escape.h"
#include "util/log.h"

unsigned int log_debug_mask;
int log_max_priority = LOG_INFO;

static int prefix_mode = -1; /* -1: decide from JOURNAL_STREAM on first use */
static log_hook_fn hook;
static void *hook_opaque;

static const struct {
	const char *name;
	unsigned int bit;
} subsystems[] = {
	{"scsi", LOG_SUB_SCSI},	      {"pdu", LOG_SUB_PDU},   {"login", LOG_SUB_LOGIN},
	{"session", LOG_SUB_SESSION}, {"path", LOG_SUB_PATH}, {"nbd", LOG_SUB_NBD},
	{"netlink", LOG_SUB_NETLINK}, {"ctl", LOG_SUB_CTL},   {"all", LOG_SUB_ALL},
};

void log_set_prefix(int on)
{
	prefix_mode = on ? 1 : 0;
}

void log_set_hook(log_hook_fn fn, void *opaque)
{
	hook = fn;
	hook_opaque = opaque;
}

static bool log_line_inert(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

void log_vprintf(int prio, const char *fmt, va_list ap)
{
	char raw[1024], esc[1024];
	const char *line = raw;
	int n;

	if (prio > log_max_priority && !(prio == LOG_DEBUG && log_debug_mask))
		return;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	/*
	 * Peer text should have been escaped where it was quoted; this is the
	 * net under that: no line carries a control byte (a CR/LF forging a
	 * log line, an ESC sequence for the terminal) or non-ASCII.
	 */
	if (!log_line_inert(raw)) {
		str_escape_flags(esc, sizeof(esc), raw, strlen(raw), STR_ESC_KEEP_BACKSLASH);
		line = esc;
	}
	if (hook) {
		hook(prio, line, hook_opaque);
		return;
	}
	if (prefix_mode < 0)
		prefix_mode = getenv("JOURNAL_STREAM") != NULL;
	/* One fprintf per line keeps concurrent writers from interleaving. */
	if (prefix_mode)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "iscsi-nbd: %s\n", line);
}

void log_printf(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(prio, fmt, ap);
	va_end(ap);
}

void log_ratelimit_init(struct log_ratelimit *rl, const char *name, double interval,
			unsigned int burst)
{
	*rl = (struct log_ratelimit){.name = name, .interval = interval, .burst = burst};
}

void log_ratelimit_flush(struct log_ratelimit *rl)
{
	if (!rl->suppressed)
		return;
	log_printf(rl->prio, "%s: %u similar messages suppressed", rl->name, rl->suppressed);
	rl->suppressed = 0;
}

void log_rl_printf(struct log_ratelimit *rl, double now, int prio, const char *fmt, ...)
{
	va_list ap;

	/* A new window when the last one is over, or the clock went back. */
	if (rl->in_window == 0 || now - rl->window_start >= rl->interval ||
	    now < rl->window_start) {
		rl->window_start = now;
		rl->in_window = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		rl->prio = prio;
		return;
	}
	rl->in_window++;
	log_ratelimit_flush(rl);
	va_start(ap, fmt);
	log_vprintf(prio, fmt, ap);
	va_end(ap);
}

int log_parse_debug(const char *spec)
{
	unsigned int mask = 0;
	const char *p = spec;

	if (strcmp(spec, "none") == 0) {
		log_debug_mask = 0;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < ARRAY_SIZE(subsystems); i++) {
			if (strlen(subsystems[i].name) == n &&
			    strncasecmp(p, subsystems[i].name, n) == 0)
				break;
		}
		if (i == ARRAY_SIZE(subsystems))
			return -EINVAL;
		mask |= subsystems[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	log_debug_mask = mask;
	return 0;
}
