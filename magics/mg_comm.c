/*
 * mg_comm.c — the "automl.session" comm target: the notebook extension opens
 * it to learn the session's magics, data sets and models (for its menus and
 * completions), and asks again with {"op": "state"}.
 */
#include "mg.h"

#include <string.h>

static void send_state(void *self, kn_request *req, const char *comm_id)
{
    json_t *state = mg_session_state(self);
    kn_comm_send(req, comm_id, state);
    json_decref(state);
}

static void on_open(void *self, kn_request *req, const char *comm_id, json_t *data)
{
    (void)data;
    send_state(self, req, comm_id);
}

static void on_msg(void *self, kn_request *req, const char *comm_id, json_t *data)
{
    json_t *op = json_object_get(data, "op");
    /* compared with its length: "state\u0000x" is not "state" */
    if (json_string_length(op) == 5 && memcmp(json_string_value(op), "state", 5) == 0) {
        send_state(self, req, comm_id);
        return;
    }
    json_t *err = json_pack("{s:s, s:s}", "error", "unknown op", "expected", "state");
    kn_comm_send(req, comm_id, err);
    json_decref(err);
}

static kn_comm_target targets[1];

const kn_comm_target *mg_comm_targets(mg_session *session, size_t *n)
{
    targets[0] = (kn_comm_target){
        .name = "automl.session", .on_open = on_open, .on_msg = on_msg, .self = session,
    };
    *n = 1;
    return targets;
}
