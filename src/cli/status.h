/*
 * What a running export tells `iscsi-nbd status` and `list` through its
 * control socket, as text for people or JSON for programs, and the
 * control requests it accepts ("status", "status json", "detach").
 */
#ifndef ISN_CLI_STATUS_H
#define ISN_CLI_STATUS_H

#include <stddef.h>

#include "cli/export.h"

struct export;
struct nbdsrv_conn;

/* Accessors export.c provides for the status report. */
const char *export_name(const struct export *e);
const char *export_state_name(const struct export *e);
const char *export_devpath(const struct export *e); /* NULL in server mode */
struct path_device *export_device(const struct export *e);
const struct export_config *export_config(const struct export *e);
void export_foreach_conn(struct export *e, void (*fn)(const struct nbdsrv_conn *c, void *arg),
			 void *arg);
void export_request_stop(struct export *e);
/* The hybrid polling tuner (its counters), or NULL when --poll-us is 0. */
const struct hpoll *export_poll_state(const struct export *e);

/* ctl_handler_fn for the export's control socket; opaque is the struct export. */
size_t status_ctl_handler(const char *req, char *out, size_t cap, void *opaque);

#endif
