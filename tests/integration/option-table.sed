# tests/integration/option-table.sh: one key more in a copy of the key
# table (src/cli/confkeys.c), placed at the end of its [path] section.
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
\t .usage = "an option added by a test\\n(default 250)"},
