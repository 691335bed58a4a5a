/* The production transport: every call forwards to the session engine. */
#include "config.h"

#include "path/transport.h"

const struct path_transport_ops path_transport_sess = {
	.new = sess_new,
	.start = sess_start,
	.submit = sess_submit,
	.ping = sess_ping,
	.last_rx = sess_last_rx,
	.rx_waiting = sess_rx_waiting,
	.abort = sess_abort_task,
	.logout = sess_logout,
	.close = sess_close,
	.free = sess_free,
	.state = sess_state,
	.negotiated = sess_negotiated,
	.death_name = sess_death_name,
};
