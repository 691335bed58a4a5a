# tests/integration/option-table.sh: three rows more in a copy of the
# table (src/cli/confkeys.c). At the end of its [iscsi] section a target
# option of the one-shot commands (CONFIG_F_ONESHOT), a number with a
# short letter (checked; a real one names its struct cli_target field with
# TGT(U32, ...)); at the end of its [path] section a duration stored in a
# field, and an enum (checked; a real one names its field with
# FIELD(ENUM, ...)).
/^\t\/\* \[path\] \*\/$/i\
\t{.section = "iscsi",\
\t .name = "extra_tries",\
\t .type = CONFIG_UINT,\
\t .flags = CONFIG_F_ONESHOT,\
\t .min = 1,\
\t .max = 100,\
\t .def = "3",\
\t .option = "extra-tries",\
\t .shortopt = 'x',\
\t .help = "a target key that only tests/integration/option-table.sh adds",\
\t .arg = "N",\
\t .usage = "a target option added by a test"},
/^\t\/\* \[attach\] \*\/$/i\
\t{.section = "path",\
\t .name = "extra_wait",\
\t .type = CONFIG_DURATION,\
\t .min = MS(1),\
\t .max = SEC(3600),\
\t .unit = "ms",\
\t .def = "250ms",\
\t .option = "extra-wait",\
\t .help = "a key that only tests/integration/option-table.sh adds",\
\t FIELD(MS, start_timeout_ms),\
\t .arg = "MS",\
\t .usage = "an option added by a test"},\
\t{.section = "path",\
\t .name = "extra_mode",\
\t .type = CONFIG_ENUM,\
\t .values = (const char *const[]){"calm", "brisk", NULL},\
\t .def = "calm",\
\t .option = "extra-mode",\
\t .help = "an enum key that only tests/integration/option-table.sh adds",\
\t .usage = "an enum option added by a test"},
