"""A NUL character in a request (issue #13): Jupyter clients send it as \\u0000 in JSON.
Every request holding one gets a reply (never a hang), a cell holding one is refused
with the line and column of the NUL, and the kernel keeps answering afterwards."""

from harness import REPLY_TIMEOUT, SLOW, of_type, stream_text

# A reply must come at once; REPLY_TIMEOUT is the harness's generous ceiling.
NUL_TIMEOUT = min(10 * SLOW, REPLY_TIMEOUT)


def test_cell_with_nul_is_an_error_naming_line_and_column(kernel):
    code = "%echo hi\n%ec\u0000ho x"
    reply, iop = kernel.execute(code, timeout=NUL_TIMEOUT)
    c = reply["content"]
    assert c["status"] == "error", c
    assert c["ename"] == "SyntaxError"
    assert c["evalue"].startswith("line 2, column 4: "), c["evalue"]
    assert "NUL character" in c["evalue"]
    (err,) = of_type(iop, "error")
    assert err["content"]["evalue"] == c["evalue"]
    # the traceback shows the line with the NUL made visible and a caret under it
    tb = err["content"]["traceback"]
    assert tb[1] == "    %ec\\0ho x" and tb[2] == "       ^", tb
    # refused before anything ran: the first line printed nothing
    assert stream_text(iop) == ""
    # execute_input carries the cell whole, not cut at the NUL
    (inp,) = of_type(iop, "execute_input")
    assert inp["content"]["code"] == code
    # the kernel is alive and answers the next request
    reply, iop = kernel.execute("%echo after", timeout=NUL_TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop) == "after\n"


def test_column_counts_characters_not_bytes(kernel):
    reply, _ = kernel.execute("%echo é€\u0000", timeout=NUL_TIMEOUT)
    assert reply["content"]["evalue"].startswith("line 1, column 9: "), reply["content"]


def test_is_complete_with_nul_is_invalid(kernel):
    reply, _ = kernel.request("is_complete_request", {"code": "%echo a\u0000"},
                              timeout=NUL_TIMEOUT)
    assert reply["content"]["status"] == "invalid"


def test_complete_and_inspect_with_nul_reply(kernel):
    # before the NUL completion works as usual; past it nothing is offered
    reply, _ = kernel.request("complete_request", {"code": "%ec\u0000x", "cursor_pos": 3},
                              timeout=NUL_TIMEOUT)
    c = reply["content"]
    assert c["status"] == "ok" and "%echo" in c["matches"], c
    reply, _ = kernel.request("complete_request", {"code": "%ec\u0000x", "cursor_pos": 5},
                              timeout=NUL_TIMEOUT)
    c = reply["content"]
    assert c["status"] == "ok" and c["matches"] == [], c
    assert c["cursor_start"] == c["cursor_end"] == 5
    reply, _ = kernel.request("inspect_request",
                              {"code": "%echo\u0000", "cursor_pos": 2, "detail_level": 0},
                              timeout=NUL_TIMEOUT)
    assert reply["content"]["status"] == "ok" and reply["content"]["found"] is True
    reply, _ = kernel.request("inspect_request",
                              {"code": "\u0000%echo", "cursor_pos": 3, "detail_level": 0},
                              timeout=NUL_TIMEOUT)
    assert reply["content"]["status"] == "ok" and reply["content"]["found"] is False


def test_user_expression_with_nul_is_an_error(kernel):
    reply, _ = kernel.execute("%echo x", user_expressions={"v": "%ver\u0000sion"},
                              timeout=NUL_TIMEOUT)
    v = reply["content"]["user_expressions"]["v"]
    assert v["status"] == "error" and v["ename"] == "SyntaxError", v
    assert "line 1, column 5" in v["evalue"], v


def test_nul_in_a_key_gets_an_error_reply(kernel):
    """jansson cannot hold a NUL in an object key: the request is answered with an
    error, on shell and on control, instead of being dropped."""
    reply, iop = kernel.execute("%echo never", user_expressions={"a\u0000": "%version"},
                                timeout=NUL_TIMEOUT)
    c = reply["content"]
    assert c["status"] == "error" and c["ename"] == "ValueError", c
    assert "NUL character" in c["evalue"]
    assert stream_text(iop) == ""
    reply, _ = kernel.request("kernel_info_request", {"x\u0000": 1}, channel="control",
                              timeout=NUL_TIMEOUT)
    assert reply["msg_type"] == "kernel_info_reply"
    assert reply["content"]["status"] == "error", reply["content"]
    _, iop = kernel.execute("%echo alive", timeout=NUL_TIMEOUT)
    assert stream_text(iop) == "alive\n"


def test_comm_op_with_nul_is_not_the_op(kernel):
    comm_id = "nul-comm"
    kernel.request("comm_open", {"comm_id": comm_id, "target_name": "automl.session",
                                 "data": {}}, expect_reply=False, timeout=NUL_TIMEOUT)
    _, iop = kernel.request("comm_msg", {"comm_id": comm_id, "data": {"op": "state\u0000x"}},
                            expect_reply=False, timeout=NUL_TIMEOUT)
    (msg,) = of_type(iop, "comm_msg")
    assert msg["content"]["data"].get("error") == "unknown op", msg["content"]
    # a target name holding a NUL names no target: the comm is closed at once
    _, iop = kernel.request("comm_open", {"comm_id": "nul-2", "target_name":
                                          "automl.session\u0000x", "data": {}},
                            expect_reply=False, timeout=NUL_TIMEOUT)
    assert of_type(iop, "comm_close"), [m["msg_type"] for m in iop]
    kernel.request("comm_close", {"comm_id": comm_id, "data": {}}, expect_reply=False,
                   timeout=NUL_TIMEOUT)


def test_input_answer_with_nul_is_an_error(kernel):
    kc = kernel.kc
    msg_id = kc.execute('%input prompt="Name: "', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=NUL_TIMEOUT)
    assert req["msg_type"] == "input_request"
    kc.input("Ada\u0000Lovelace")
    c = kernel.reply(msg_id, timeout=NUL_TIMEOUT)["content"]
    assert c["status"] == "error" and c["ename"] == "UsageError", c
    assert "NUL character" in c["evalue"]
    assert "Ada" not in stream_text(kernel.iopub(msg_id, timeout=NUL_TIMEOUT))


def test_history_search_with_nul_matches_nothing(kernel):
    kernel.execute("%echo remembered", timeout=NUL_TIMEOUT)
    reply, _ = kernel.request("history_request", {"hist_access_type": "search",
                                                  "pattern": "%echo*\u0000", "output": False,
                                                  "raw": True}, timeout=NUL_TIMEOUT)
    assert reply["content"]["status"] == "ok" and reply["content"]["history"] == []
    reply, _ = kernel.request("history_request", {"hist_access_type": "search",
                                                  "pattern": "%echo*", "output": False,
                                                  "raw": True}, timeout=NUL_TIMEOUT)
    inputs = [h[2] for h in reply["content"]["history"]]
    assert "%echo remembered" in inputs
    assert not any("\u0000" in i for i in inputs), "a cell holding NUL was recorded"
