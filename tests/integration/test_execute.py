"""execute_request: outputs of the basic magics, execution_count rules, silent,
user_expressions, stop_on_error and aborts, stdin (input_request), errors."""

import time
from queue import Empty

from harness import REPLY_TIMEOUT, of_type, outputs, stream_text


def test_echo_stdout(kernel):
    reply, iop = kernel.execute("%echo hello, world")
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop, "stdout") == "hello, world\n"
    assert stream_text(iop, "stderr") == ""


def test_echo_stderr(kernel):
    reply, iop = kernel.execute("%echo --stderr oops")
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop, "stderr") == "oops\n"
    assert stream_text(iop, "stdout") == ""


def test_comments_and_blank_lines_are_skipped(kernel):
    reply, iop = kernel.execute("# a comment\n\n%echo one\n  \n# another\n%echo two\n")
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop) == "one\ntwo\n"


def test_version_is_execute_result(kernel):
    reply, iop = kernel.execute("%version")
    assert reply["content"]["status"] == "ok"
    results = of_type(iop, "execute_result")
    assert len(results) == 1
    c = results[0]["content"]
    assert c["data"]["text/plain"].startswith("automl-kernel ")
    assert len(c["data"]["text/plain"]) > len("automl-kernel ")
    assert c["execution_count"] == reply["content"]["execution_count"]


def test_help_is_display_data_table(kernel):
    reply, iop = kernel.execute("%help")
    assert reply["content"]["status"] == "ok"
    shown = of_type(iop, "display_data")
    assert len(shown) == 1
    data = shown[0]["content"]["data"]
    assert "text/plain" in data and "text/html" in data
    assert "<table" in data["text/html"]
    for magic in ("echo", "version", "help", "sleep", "clear", "input"):
        assert magic in data["text/plain"], f"%{magic} missing from %help"
        assert magic in data["text/html"], f"%{magic} missing from %help (html)"


def test_help_of_one_magic(kernel):
    _, full = kernel.execute("%help")
    full_text = of_type(full, "display_data")[0]["content"]["data"]["text/plain"]
    reply, iop = kernel.execute("%help echo")
    assert reply["content"]["status"] == "ok"
    shown = [m for m in outputs(iop)]
    assert shown, "no output for %help echo"
    text = "".join(m["content"].get("text", "") or m["content"].get("data", {})
                   .get("text/plain", "") for m in shown)
    assert "echo" in text
    assert "stderr" in text, "help of %echo does not describe --stderr"
    assert len(text) < len(full_text), "%help echo printed the full table"


def test_clear_output(kernel):
    reply, iop = kernel.execute("%clear")
    assert reply["content"]["status"] == "ok"
    clears = of_type(iop, "clear_output")
    assert len(clears) == 1
    assert clears[0]["content"]["wait"] is False


def test_sleep(kernel):
    t0 = time.monotonic()
    reply, iop = kernel.execute("%sleep 0.3")
    dt = time.monotonic() - t0
    assert reply["content"]["status"] == "ok"
    assert dt >= 0.3
    assert outputs(iop) == []


def test_execute_input_published(kernel):
    code = "%echo input"
    reply, iop = kernel.execute(code)
    inputs = of_type(iop, "execute_input")
    assert len(inputs) == 1
    assert inputs[0]["content"]["code"] == code
    assert inputs[0]["content"]["execution_count"] == reply["content"]["execution_count"]
    types = [m["msg_type"] for m in iop]
    assert types.index("execute_input") < types.index("stream")


def test_execution_count_rules(kernel):
    r1, _ = kernel.execute("%echo a")
    n = r1["content"]["execution_count"]
    assert isinstance(n, int) and n >= 1
    r2, _ = kernel.execute("%echo b")
    assert r2["content"]["execution_count"] == n + 1
    # store_history=False: no increment
    r3, iop3 = kernel.execute("%echo c", store_history=False)
    assert r3["content"]["status"] == "ok"
    assert stream_text(iop3) == "c\n"
    # silent: no increment, and only busy/idle on iopub
    r4, iop4 = kernel.execute("%echo d\n%version", silent=True)
    assert r4["content"]["status"] == "ok"
    assert [m["msg_type"] for m in iop4] == ["status", "status"]
    assert [m["content"]["execution_state"] for m in iop4] == ["busy", "idle"]
    r5, iop5 = kernel.execute("%echo e")
    assert r5["content"]["execution_count"] == n + 2
    assert of_type(iop5, "execute_input")[0]["content"]["execution_count"] == n + 2


def test_silent_error_publishes_nothing(kernel):
    reply, iop = kernel.execute("%nosuchmagic", silent=True)
    assert reply["content"]["status"] == "error"
    assert [m["msg_type"] for m in iop] == ["status", "status"]


def test_user_expressions(kernel):
    reply, iop = kernel.execute("%echo x", user_expressions={"v": "%version",
                                                              "bad": "%nosuchmagic"})
    c = reply["content"]
    assert c["status"] == "ok"
    ue = c["user_expressions"]
    assert set(ue) == {"v", "bad"}
    assert ue["v"]["status"] == "ok"
    assert ue["v"]["data"]["text/plain"].startswith("automl-kernel ")
    assert ue["v"]["metadata"] == {}
    assert ue["bad"]["status"] == "error"
    assert ue["bad"]["ename"] == "UsageError"
    assert isinstance(ue["bad"]["evalue"], str)
    assert isinstance(ue["bad"]["traceback"], list)
    # the expressions produce no output of their own
    assert stream_text(iop) == "x\n"
    assert of_type(iop, "execute_result") == []


def test_unknown_magic_suggests_closest(kernel):
    reply, iop = kernel.execute("%ech hi")
    c = reply["content"]
    assert c["status"] == "error"
    assert c["ename"] == "UsageError"
    outs = outputs(iop)
    assert len(outs) == 1 and outs[0]["msg_type"] == "error"
    err = outs[0]["content"]
    assert err["ename"] == "UsageError"
    assert "echo" in err["evalue"]
    assert isinstance(err["traceback"], list)


def test_line_without_percent_is_syntax_error(kernel):
    reply, iop = kernel.execute("%echo first\nhello world")
    assert reply["content"]["status"] == "error"
    errs = of_type(iop, "error")
    assert len(errs) == 1
    err = errs[0]["content"]
    assert err["ename"] == "SyntaxError"
    assert "hello world" in err["evalue"] + "\n".join(err["traceback"])


def test_unknown_option_is_usage_error(kernel):
    t0 = time.monotonic()
    reply, iop = kernel.execute("%sleep 1 secs=2")
    assert reply["content"]["status"] == "error"
    errs = of_type(iop, "error")
    assert len(errs) == 1 and errs[0]["content"]["ename"] == "UsageError"
    assert "secs" in errs[0]["content"]["evalue"]
    # the line is rejected as a whole before anything runs: no 1 s sleep first
    assert time.monotonic() - t0 < 0.9


def test_kernel_serves_after_errors(kernel):
    reply, iop = kernel.execute("%echo fine")
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop) == "fine\n"


# ---- stop_on_error -------------------------------------------------------------------

def send_three(kernel, stop_on_error):
    kc = kernel.kc
    a = kc.execute("%sleep 0.5\n%nosuchmagic", stop_on_error=stop_on_error)
    b = kc.execute("%echo b")
    c = kc.execute("%echo c")
    return a, b, c


def test_stop_on_error_aborts_queued(kernel):
    a, b, c = send_three(kernel, True)
    ra = kernel.reply(a)
    assert ra["content"]["status"] == "error"
    d = kernel.kc.execute("%echo d")   # sent after A's reply arrived
    rb, rc, rd = kernel.reply(b), kernel.reply(c), kernel.reply(d)
    for r in (rb, rc):
        assert r["content"]["status"] == "aborted"
        assert "execution_count" in r["content"]
    assert rd["content"]["status"] == "ok"
    iop_a = kernel.iopub(a)
    assert len(of_type(iop_a, "error")) == 1
    iop_d = kernel.iopub(d)
    assert stream_text(iop_d) == "d\n"
    # nothing but status was published for the aborted B and C (their iopub, if any,
    # came before D's idle since the shell handles requests in order)
    for m in kernel.iopub_log:
        if m["parent_header"].get("msg_id") in (b, c):
            assert m["msg_type"] == "status", f"aborted request produced {m['msg_type']}"


def test_stop_on_error_fast_failing_cell(kernel):
    """Same contract when A fails at once (an unknown magic is rejected before the
    cell runs): B and C were sent before A's reply, so they are aborted. This is
    what "Run All" does in a notebook; several rounds, since it is about timing."""
    kc = kernel.kc
    for round_ in range(5):
        a = kc.execute("%nosuchmagic")
        b = kc.execute("%echo b")
        c = kc.execute("%echo c")
        statuses = [kernel.reply(x)["content"]["status"] for x in (a, b, c)]
        assert statuses == ["error", "aborted", "aborted"], f"round {round_}: {statuses}"
        for x in (a, b, c):
            kernel.iopub(x)


def test_stop_on_error_false_runs_queued(kernel):
    a, b, c = send_three(kernel, False)
    ra, rb, rc = kernel.reply(a), kernel.reply(b), kernel.reply(c)
    assert ra["content"]["status"] == "error"
    assert rb["content"]["status"] == "ok"
    assert rc["content"]["status"] == "ok"
    kernel.iopub(a)
    assert stream_text(kernel.iopub(b)) == "b\n"
    assert stream_text(kernel.iopub(c)) == "c\n"


# ---- stdin ---------------------------------------------------------------------------

def test_input_request_roundtrip(kernel):
    kc = kernel.kc
    msg_id = kc.execute('%input prompt="Name: "', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=REPLY_TIMEOUT)
    assert req["msg_type"] == "input_request"
    assert req["parent_header"]["msg_id"] == msg_id
    assert req["content"]["prompt"] == "Name: "
    assert req["content"]["password"] is False
    kc.input("Ada Lovelace")
    reply = kernel.reply(msg_id)
    assert reply["content"]["status"] == "ok"
    assert "Ada Lovelace" in stream_text(kernel.iopub(msg_id))


def test_input_password(kernel):
    kc = kernel.kc
    msg_id = kc.execute('%input prompt="Token: " password', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=REPLY_TIMEOUT)
    assert req["content"]["prompt"] == "Token: "
    assert req["content"]["password"] is True
    kc.input("s3cret")
    assert kernel.reply(msg_id)["content"]["status"] == "ok"
    kernel.iopub(msg_id)


def test_input_without_stdin_is_error(kernel):
    reply, iop = kernel.execute('%input prompt="Name: "', allow_stdin=False)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "StdinNotImplementedError"
    errs = of_type(iop, "error")
    assert len(errs) == 1 and errs[0]["content"]["ename"] == "StdinNotImplementedError"
    try:
        m = kernel.kc.get_stdin_msg(timeout=0.3)
    except Empty:
        m = None
    assert m is None, f"input_request sent although allow_stdin=False: {m}"
