/*
 * iscsi-nbd config: look at configuration files without attaching
 * anything. --dump NAME prints the effective configuration (defaults <
 * global file < NAME.conf) with the origin of each value; --check NAME
 * only validates; --example prints the commented example generated from
 * the key table (conf/example.conf is its output); --keys lists the keys
 * (tests compare it with the man page); --initiator-name prints the name
 * used when none is configured, creating it the first time.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/initiator.h"

static void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: " CLI_PROG " config --dump NAME|FILE\n"
		"       " CLI_PROG " config --check NAME|FILE\n"
		"       " CLI_PROG " config --example | --keys | --initiator-name\n"
		"\n"
		"Configuration files: %s/" CONFIG_GLOBAL_NAME ".conf (defaults for every\n"
		"LUN) and %s/NAME.conf (one LUN; 'attach --config NAME' and the unit\n"
		"iscsi-nbd@NAME.service use it). $ISCSI_NBD_CONFDIR overrides the folder.\n"
		"\n"
		"Options:\n"
		"      --dump NAME        print the effective configuration: defaults, then the\n"
		"                         global file, then NAME.conf, with where each value\n"
		"                         comes from (secret files are named, never read)\n"
		"      --check NAME       check the files; exit 0 if they are valid, 1 if not\n"
		"      --example          print an example file listing every key\n"
		"      --keys             list every key as [section] key type\n"
		"      --initiator-name   print our initiator name (generated once if needed)\n"
		"  -h, --help             this text\n",
		config_dir(), config_dir());
}

static const char *const type_names[] = {
	[CONFIG_STRING] = "string",	 [CONFIG_IQN] = "iscsi-name",
	[CONFIG_PATH] = "path",		 [CONFIG_UINT] = "uint",
	[CONFIG_DURATION] = "duration",	 [CONFIG_ENUM] = "enum",
	[CONFIG_FAILBACK] = "failback",	 [CONFIG_DEVICE] = "device",
	[CONFIG_PORTAL] = "portal-list", [CONFIG_NAME] = "string",
};

int cmd_config(int argc, char **argv)
{
	enum { OPT_DUMP = 0x200, OPT_CHECK, OPT_EXAMPLE, OPT_KEYS, OPT_INAME };
	static const struct option opts[] = {
		{"dump", required_argument, NULL, OPT_DUMP},
		{"check", required_argument, NULL, OPT_CHECK},
		{"example", no_argument, NULL, OPT_EXAMPLE},
		{"keys", no_argument, NULL, OPT_KEYS},
		{"initiator-name", no_argument, NULL, OPT_INAME},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	int c, what = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			config_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DUMP:
		case OPT_CHECK:
			name = optarg;
			/* fall through */
		case OPT_EXAMPLE:
		case OPT_KEYS:
		case OPT_INAME:
			if (what) {
				cli_err("config: give one of --dump, --check, --example, --keys, "
					"--initiator-name");
				return CLI_EXIT_USAGE;
			}
			what = c;
			break;
		default:
			config_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("config: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	switch (what) {
	case OPT_DUMP:
	case OPT_CHECK: {
		struct config cf;
		char err[600];
		int rc = config_load(name, &cf, err, sizeof(err));

		if (rc < 0)
			cli_err("%s", err);
		else if (what == OPT_DUMP)
			config_dump(&cf, stdout);
		config_free(&cf);
		return rc < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	case OPT_EXAMPLE:
		config_example(stdout);
		return CLI_EXIT_OK;
	case OPT_KEYS:
		for (size_t i = 0; i < config_nkeys; i++)
			if (config_keys[i].name)
				printf("[%s] %s %s\n", config_keys[i].section, config_keys[i].name,
				       type_names[config_keys[i].type]);
		return CLI_EXIT_OK;
	case OPT_INAME: {
		char *n = initiator_name_default();

		if (!n) {
			cli_err("no initiator name: out of memory");
			return CLI_EXIT_LOCAL;
		}
		printf("%s\n", n);
		free(n);
		return CLI_EXIT_OK;
	}
	default:
		config_usage(stderr);
		return CLI_EXIT_USAGE;
	}
}
