/*
 * Private to the configuration code (conffile.c, confout.c, and
 * attach_parse.c for the table's defaults): what the
 * reading side shares with the output side. Nothing else includes this.
 */
#ifndef ISN_CLI_CONFFILE_INT_H
#define ISN_CLI_CONFFILE_INT_H

#include <stdint.h>

/* A duration ("15", "15s", "500ms", "2m", "1h", "0.5s"; bare: in unit) into milliseconds. */
int config_parse_duration(const char *s, const char *unit, uint64_t *ms);

#endif
