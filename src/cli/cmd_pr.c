/*
 * iscsi-nbd pr ACTION: persistent reservations by hand, like mpathpersist
 * (iscsi-nbd.8 EXCLUSIVE ACCESS). One session, its own I_T nexus (the
 * ISID cli_config_build picks for one-shot commands), so:
 *   keys, reservation, caps   PR IN only: change nothing, need no key;
 *   register                  this nexus registers --key (REGISTER AND
 *                             IGNORE EXISTING KEY);
 *   unregister                removes it (REGISTER with key 0);
 *   reserve, release,         register --key first (a PR OUT needs a
 *   preempt, clear            registered nexus), then the action; preempt
 *                             is PREEMPT AND ABORT of --victim unless
 *                             --no-abort. The nexus stays registered
 *                             (run unregister after release).
 * Default --key: this host's key with low byte ff (the daemon's paths use
 * 00, 01, ...: a key of our own, so that the daemon's keys stay apart).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/sync.h"
#include "path/reserve.h"
#include "scsi/sam.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "util/compiler.h"

enum pr_optid {
	OPT_KEY = CLI_OPT_FIRST_FREE,
	OPT_VICTIM,
	OPT_TYPE,
	OPT_NO_ABORT,
	OPT_JSON,
};

struct pr_args {
	const char *action;
	struct cli_target t;
	uint64_t key;
	bool have_key;
	uint64_t victim;
	bool have_victim;
	uint8_t type;
	bool no_abort, json;
};

/* pr's own options: getopt entry and --help entry each. */
static const struct cli_own_opt pr_opts[] = {
	{.opt = {"key", required_argument, NULL, OPT_KEY},
	 .arg = "KEY",
	 .usage = "our reservation key (default: this host's key,\n"
		  "derived from the initiator name, low byte ff)"},
	{.opt = {"victim", required_argument, NULL, OPT_VICTIM},
	 .arg = "KEY",
	 .usage = "preempt: the key to remove"},
	{.opt = {"type", required_argument, NULL, OPT_TYPE},
	 .arg = "N",
	 .usage = "reservation type (default 5: Write Exclusive -\nRegistrants Only)"},
	{.opt = {"no-abort", no_argument, NULL, OPT_NO_ABORT},
	 .usage = "preempt without aborting the victim's tasks"},
	{.opt = {"json", no_argument, NULL, OPT_JSON}, .usage = "print JSON"},
	{.opt = {NULL, 0, NULL, 0}},
};

static const char *const pr_actions[] = {"keys",       "reservation", "caps",	 "register",
					 "unregister", "reserve",     "release", "preempt",
					 "clear",      NULL};

static void pr_usage(FILE *f)
{
	fprintf(f,
		"Usage: " CLI_PROG " pr ACTION -t IQN -P PORTAL [-l LUN] [OPTIONS]\n\n"
		"SCSI-3 persistent reservations of a LUN (SPC-5 PERSISTENT RESERVE IN/OUT).\n"
		"Actions:\n"
		"  keys          registered keys (READ KEYS)\n"
		"  reservation   the reservation: holder's key and type (READ RESERVATION)\n"
		"  caps          what the target supports (REPORT CAPABILITIES)\n"
		"  register      register --key on this command's own I_T nexus\n"
		"  unregister    remove that registration\n"
		"  reserve       register, then RESERVE (--type)\n"
		"  release       register, then RELEASE (--type)\n"
		"  preempt       register, then PREEMPT AND ABORT --victim (with --no-abort:\n"
		"                PREEMPT): the victim's registrations go, its tasks are aborted\n"
		"  clear         register, then CLEAR: every registration and the reservation\n\n");
	cli_target_usage(f, false);
	fputs("\nOptions:\n", f);
	for (const struct cli_own_opt *p = pr_opts; p->opt.name; p++)
		cli_own_usage(f, p);
}

/* The command line into *a (zeroed, the table's defaults): 0, -1 after --help, or an exit code. */
static int pr_parse(int argc, char **argv, struct pr_args *a)
{
	struct cli_opts o;
	uint64_t v;
	int c, r;

	memset(a, 0, sizeof(*a));
	cli_target_init(&a->t);
	cli_opts_init(&o, false, pr_opts, NULL); /* the target options and --help, from the table */
	while ((c = cli_getopt_target(argc, argv, &o, &a->t)) != -1) {
		switch (c) {
		case CLI_GETOPT_BAD:
			return CLI_EXIT_USAGE;
		case 'h':
			pr_usage(stdout);
			return -1;
		case OPT_KEY:
		case OPT_VICTIM:
			if (cli_parse_u64(optarg, &v) < 0) {
				cli_err("bad key '%s': give a number, e.g. 0x1234abcd", optarg);
				return CLI_EXIT_USAGE;
			}
			if (c == OPT_KEY) {
				a->key = v;
				a->have_key = true;
			} else {
				a->victim = v;
				a->have_victim = true;
			}
			break;
		case OPT_TYPE:
			if (cli_parse_u64(optarg, &v) < 0 || v > 0xf ||
			    strcmp(scsi_pr_type_name((uint8_t)v), "unknown") == 0) {
				cli_err("bad --type '%s': give 1, 3, 5, 6, 7 or 8 (SPC-5 table "
					"170)",
					optarg);
				return CLI_EXIT_USAGE;
			}
			a->type = (uint8_t)v;
			break;
		case OPT_NO_ABORT:
			a->no_abort = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		default:
			fprintf(stderr, "Try '" CLI_PROG " pr --help'.\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_err("pr needs an ACTION: keys, reservation, caps, register, unregister, "
			"reserve, release, preempt or clear");
		return CLI_EXIT_USAGE;
	}
	a->action = argv[optind++];
	for (r = 0; pr_actions[r] && strcmp(pr_actions[r], a->action) != 0; r++)
		;
	if (!pr_actions[r]) {
		cli_err("pr: unknown action '%s'; see '" CLI_PROG " pr --help'", a->action);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc) {
		cli_err("pr: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!a->t.target || !a->t.portal) {
		cli_err("pr needs -t IQN and -P PORTAL; see '" CLI_PROG " pr --help'");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(a->action, "preempt") == 0 && !a->have_victim) {
		cli_err("pr preempt needs --victim KEY ('" CLI_PROG " pr keys' lists them)");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* One command; 0 GOOD (got: bytes received), else an exit code after saying why. */
static int pr_task(struct cli_sync *y, const struct pr_args *a, struct sess_task *t,
		   const char *what, size_t *got)
{
	for (int tries = 0; tries < 5; tries++) {
		struct scsi_sense sense;
		char why[128] = "no sense";
		int rc = sync_task(y, t);

		if (rc)
			return rc;
		if (t->response == 0 && t->status == SCSI_STATUS_GOOD) {
			if (got)
				*got = t->xfer_len -
				       (t->residual_under && t->residual <= t->xfer_len
						? t->residual
						: 0);
			return 0;
		}
		if (t->sense_len && scsi_sense_parse(t->sense, t->sense_len, &sense) == 0) {
			if (sense.key == SCSI_SK_UNIT_ATTENTION)
				continue; /* after login, or "reservations preempted" */
			scsi_sense_format(&sense, why, sizeof(why));
		}
		cli_err("%s of LUN %u failed: %s%s%s", what, a->t.lun, scsi_status_name(t->status),
			t->status == SCSI_STATUS_CHECK_CONDITION ? ": " : "",
			t->status == SCSI_STATUS_CHECK_CONDITION ? why : "");
		return t->status == SCSI_STATUS_RESERVATION_CONFLICT ? CLI_EXIT_RESERVED
								     : CLI_EXIT_IO;
	}
	cli_err("%s of LUN %u: unit attention after unit attention", what, a->t.lun);
	return CLI_EXIT_IO;
}

static int pr_in(struct cli_sync *y, const struct pr_args *a, uint8_t sa, uint8_t *buf,
		 uint16_t len, const char *what, size_t *got)
{
	struct sess_task t = {0};

	t.cdb_len = (uint8_t)scsi_build_pr_in(t.cdb, sizeof(t.cdb), sa, len);
	t.lun = a->t.lun;
	t.dir = SESS_DIR_READ;
	t.iov[0].iov_base = buf;
	t.iov[0].iov_len = len;
	t.iov_cnt = 1;
	t.xfer_len = len;
	return pr_task(y, a, &t, what, got);
}

static int pr_out(struct cli_sync *y, const struct pr_args *a, uint8_t sa, uint8_t type,
		  uint64_t key, uint64_t sa_key, const char *what)
{
	struct scsi_pr_out_params p = {.key = key, .sa_key = sa_key};
	uint8_t param[SCSI_PR_OUT_PARAM_LEN];
	struct sess_task t = {0};

	t.cdb_len = (uint8_t)scsi_build_pr_out(t.cdb, sizeof(t.cdb), sa, type);
	scsi_build_pr_out_params(param, sizeof(param), &p);
	t.lun = a->t.lun;
	t.dir = SESS_DIR_WRITE;
	t.iov[0].iov_base = param;
	t.iov[0].iov_len = sizeof(param);
	t.iov_cnt = 1;
	t.xfer_len = sizeof(param);
	return pr_task(y, a, &t, what, NULL);
}

/* A PERSISTENT RESERVE IN answer of got bytes that its parser refused. */
static int pr_malformed(const char *what, size_t got)
{
	cli_err("%s: malformed answer (%zu bytes)", what, got);
	return CLI_EXIT_PROTOCOL;
}

static void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static json_object *jkey(uint64_t k)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%016" PRIx64, k);
	return json_object_new_string(b);
}

static int do_keys(struct cli_sync *y, const struct pr_args *a, uint64_t ours)
{
	static uint8_t buf[8 + 8 * SCSI_PR_MAX_KEYS];
	struct scsi_pr_keys k;
	size_t got = 0;
	int rc = pr_in(y, a, SCSI_PR_IN_READ_KEYS, buf, sizeof(buf), "READ KEYS", &got);

	if (rc)
		return rc;
	if (scsi_pr_read_keys_parse(buf, got, &k) < 0)
		return pr_malformed("READ KEYS", got);
	if (a->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		json_object_object_add(o, "generation", json_object_new_int64(k.generation));
		for (unsigned int i = 0; i < k.n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "key", jkey(k.key[i]));
			json_object_object_add(
				e, "this_host",
				json_object_new_boolean(path_resv_ours(k.key[i], ours)));
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "keys", arr);
		json_object_object_add(o, "total", json_object_new_int64(k.total));
		print_json(o);
		return 0;
	}
	printf("generation %" PRIu32 ", %u key(s)%s\n", k.generation, k.total,
	       k.truncated ? " (list truncated)" : "");
	for (unsigned int i = 0; i < k.n; i++)
		printf("0x%016" PRIx64 "%s\n", k.key[i],
		       path_resv_ours(k.key[i], ours) ? "  (this host)" : "");
	return 0;
}

static int do_reservation(struct cli_sync *y, const struct pr_args *a, uint64_t ours)
{
	uint8_t buf[24];
	struct scsi_pr_reservation r;
	size_t got = 0;
	int rc = pr_in(y, a, SCSI_PR_IN_READ_RESERVATION, buf, sizeof(buf), "READ RESERVATION",
		       &got);

	if (rc)
		return rc;
	if (scsi_pr_read_reservation_parse(buf, got, &r) < 0)
		return pr_malformed("READ RESERVATION", got);
	if (a->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "generation", json_object_new_int64(r.generation));
		json_object_object_add(o, "held", json_object_new_boolean(r.held));
		if (r.held) {
			json_object_object_add(o, "key", jkey(r.key));
			json_object_object_add(o, "type", json_object_new_int(r.type));
			json_object_object_add(o, "type_name",
					       json_object_new_string(scsi_pr_type_name(r.type)));
			json_object_object_add(
				o, "this_host",
				json_object_new_boolean(path_resv_ours(r.key, ours)));
		}
		print_json(o);
		return 0;
	}
	if (!r.held)
		printf("generation %" PRIu32 ", no reservation\n", r.generation);
	else
		printf("generation %" PRIu32 ", reserved by key 0x%016" PRIx64 "%s, type %u (%s)\n",
		       r.generation, r.key, path_resv_ours(r.key, ours) ? " (this host)" : "",
		       r.type, scsi_pr_type_name(r.type));
	return 0;
}

static int do_caps(struct cli_sync *y, const struct pr_args *a)
{
	uint8_t buf[SCSI_PR_CAPS_LEN];
	struct scsi_pr_caps c;
	size_t got = 0;
	static const uint8_t types[] = {1, 3, 5, 6, 7, 8};
	int rc = pr_in(y, a, SCSI_PR_IN_REPORT_CAPABILITIES, buf, sizeof(buf),
		       "REPORT CAPABILITIES", &got);

	if (rc)
		return rc;
	if (scsi_pr_caps_parse(buf, got, &c) < 0)
		return pr_malformed("REPORT CAPABILITIES", got);
	/* The capability bits (SPC-5 6.16.4 table 172), named as in JSON and in the text line. */
	const struct {
		const char *key, *label;
		bool on;
	} bits[] = {
		{"crh", "CRH", c.crh},		{"sip_c", "SIP_C", c.sip_c},
		{"atp_c", "ATP_C", c.atp_c},	{"ptpl_c", "PTPL_C", c.ptpl_c},
		{"ptpl_a", "PTPL_A", c.ptpl_a},
	};
	if (a->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
			json_object_object_add(o, bits[i].key, json_object_new_boolean(bits[i].on));
		json_object_object_add(o, "type_mask_valid", json_object_new_boolean(c.tmv));
		for (size_t i = 0; i < sizeof(types); i++)
			if (c.tmv && scsi_pr_caps_has_type(&c, types[i]))
				json_object_array_add(arr, json_object_new_int(types[i]));
		json_object_object_add(o, "types", arr);
		print_json(o);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		printf("%s%s %d", i ? " " : "", bits[i].label, bits[i].on);
	printf("\n");
	if (!c.tmv)
		printf("types: not reported\n");
	for (size_t i = 0; c.tmv && i < sizeof(types); i++)
		if (scsi_pr_caps_has_type(&c, types[i]))
			printf("type %u: %s\n", types[i], scsi_pr_type_name(types[i]));
	return 0;
}

static int do_out(struct cli_sync *y, const struct pr_args *a, uint64_t key)
{
	const char *act = a->action;
	uint8_t type = a->type ? a->type : PATH_RESV_TYPE;
	int rc;

	if (strcmp(act, "unregister") == 0)
		return pr_out(y, a, SCSI_PR_OUT_REGISTER, 0, key, 0, "REGISTER (unregister)");
	rc = pr_out(y, a, SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, key,
		    "REGISTER AND IGNORE EXISTING KEY");
	if (rc || strcmp(act, "register") == 0)
		return rc;
	if (strcmp(act, "reserve") == 0)
		return pr_out(y, a, SCSI_PR_OUT_RESERVE, type, key, 0, "RESERVE");
	if (strcmp(act, "release") == 0)
		return pr_out(y, a, SCSI_PR_OUT_RELEASE, type, key, 0, "RELEASE");
	if (strcmp(act, "clear") == 0)
		return pr_out(y, a, SCSI_PR_OUT_CLEAR, 0, key, 0, "CLEAR");
	rc = pr_out(y, a, a->no_abort ? SCSI_PR_OUT_PREEMPT : SCSI_PR_OUT_PREEMPT_AND_ABORT, type,
		    key, a->victim, a->no_abort ? "PREEMPT" : "PREEMPT AND ABORT");
	if (rc == CLI_EXIT_IO && !a->no_abort)
		cli_err("if the target does not implement PREEMPT AND ABORT (tgtd does not), "
			"--no-abort sends PREEMPT");
	if (rc == 0 && !a->json)
		printf("preempted key 0x%016" PRIx64 " with key 0x%016" PRIx64 "\n", a->victim,
		       key);
	return rc;
}

int cmd_pr(int argc, char **argv)
{
	struct pr_args a;
	struct cli_sync y;
	char *initiator;
	uint64_t ours;
	int rc = pr_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = sync_login(&y, &a.t, false, &initiator);
	if (rc)
		return rc;
	ours = path_resv_host_key(initiator);
	free(initiator);
	if (strcmp(a.action, "keys") == 0)
		rc = do_keys(&y, &a, ours);
	else if (strcmp(a.action, "reservation") == 0)
		rc = do_reservation(&y, &a, ours);
	else if (strcmp(a.action, "caps") == 0)
		rc = do_caps(&y, &a);
	else
		rc = do_out(&y, &a, a.have_key ? a.key : ours | 0xff);
	return sync_done(&y, rc);
}
