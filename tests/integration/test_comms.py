"""Comms: comm_info, the "automl.session" target (state on open and on request),
comm_close, and unknown targets closed by the kernel."""

import uuid

from harness import of_type


def comm_info(kernel, target=None):
    content = {} if target is None else {"target_name": target}
    reply, _ = kernel.request("comm_info_request", content)
    c = reply["content"]
    assert c["status"] == "ok"
    assert isinstance(c["comms"], dict)
    return c["comms"]


def check_state(msg, comm_id):
    assert msg["content"]["comm_id"] == comm_id
    data = msg["content"]["data"]
    for key in ("magics", "datasets", "models"):
        assert isinstance(data[key], list), f"state lacks list {key!r}: {data}"
    names = [m["name"] if isinstance(m, dict) else m for m in data["magics"]]
    assert any("echo" in n for n in names), f"%echo not among magics: {names}"


def open_session_comm(kernel):
    comm_id = uuid.uuid4().hex
    _, iop = kernel.request("comm_open", {"comm_id": comm_id, "target_name": "automl.session",
                                          "data": {}}, expect_reply=False)
    return comm_id, iop


def test_comm_info_empty_at_start(fresh_kernel):
    assert comm_info(fresh_kernel) == {}


def test_session_comm_lifecycle(kernel):
    comm_id, iop = open_session_comm(kernel)
    msgs = of_type(iop, "comm_msg")
    assert len(msgs) == 1, [m["msg_type"] for m in iop]
    check_state(msgs[0], comm_id)
    assert of_type(iop, "comm_close") == []

    comms = comm_info(kernel)
    assert comms[comm_id] == {"target_name": "automl.session"}
    assert comm_id in comm_info(kernel, "automl.session")
    assert comm_info(kernel, "no.such.target") == {}

    _, iop = kernel.request("comm_msg", {"comm_id": comm_id, "data": {"op": "state"}},
                            expect_reply=False)
    msgs = of_type(iop, "comm_msg")
    assert len(msgs) == 1
    check_state(msgs[0], comm_id)

    _, iop = kernel.request("comm_close", {"comm_id": comm_id, "data": {}},
                            expect_reply=False)
    assert comm_id not in comm_info(kernel)


def test_two_session_comms(kernel):
    a, _ = open_session_comm(kernel)
    b, _ = open_session_comm(kernel)
    comms = comm_info(kernel, "automl.session")
    assert a in comms and b in comms
    kernel.request("comm_close", {"comm_id": a, "data": {}}, expect_reply=False)
    comms = comm_info(kernel)
    assert a not in comms and b in comms
    kernel.request("comm_close", {"comm_id": b, "data": {}}, expect_reply=False)
    assert b not in comm_info(kernel)


def test_unknown_target_is_closed(kernel):
    comm_id = uuid.uuid4().hex
    _, iop = kernel.request("comm_open", {"comm_id": comm_id, "target_name": "no.such.target",
                                          "data": {}}, expect_reply=False)
    closes = of_type(iop, "comm_close")
    assert len(closes) == 1
    assert closes[0]["content"]["comm_id"] == comm_id
    assert comm_id not in comm_info(kernel)


def test_comm_msg_to_unknown_comm_is_harmless(kernel):
    _, iop = kernel.request("comm_msg", {"comm_id": uuid.uuid4().hex, "data": {"op": "state"}},
                            expect_reply=False)
    assert of_type(iop, "comm_msg") == []
    reply, _ = kernel.execute("%echo alive")
    assert reply["content"]["status"] == "ok"


def test_state_reflects_session(kernel):
    comm_id, iop = open_session_comm(kernel)
    state = of_type(iop, "comm_msg")[0]["content"]["data"]
    assert state["datasets"] == [] and state["models"] == []
    kernel.request("comm_close", {"comm_id": comm_id, "data": {}}, expect_reply=False)
