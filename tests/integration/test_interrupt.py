"""Interrupting `%sleep 30`: by interrupt_request on control and by SIGINT. The reply
(KeyboardInterrupt) comes within 1 s, the heartbeat answers in < 50 ms meanwhile, the
kernel survives and runs the next cell."""

import os
import signal
import time

import pytest

from harness import of_type, stream_text

INTERRUPT_LATENCY = 1.0
HB_LATENCY = 0.050


def start_sleep(kernel):
    msg_id = kernel.kc.execute("%sleep 30")
    kernel._take("iopub", lambda m: m["parent_header"].get("msg_id") == msg_id and
                 m["msg_type"] == "status" and m["content"]["execution_state"] == "busy",
                 10, "no busy status for %sleep 30")
    time.sleep(0.2)
    return msg_id


def interrupt_and_check(kernel, msg_id, send_interrupt):
    t0 = time.monotonic()
    send_interrupt()
    reply = kernel.reply(msg_id, timeout=INTERRUPT_LATENCY + 5)
    dt = time.monotonic() - t0
    c = reply["content"]
    assert c["status"] == "error", c
    assert c["ename"] == "KeyboardInterrupt"
    assert dt < INTERRUPT_LATENCY, f"execute_reply {dt:.3f}s after the interrupt"
    iop = kernel.iopub(msg_id)
    errs = of_type(iop, "error")
    assert len(errs) == 1 and errs[0]["content"]["ename"] == "KeyboardInterrupt"
    assert kernel.km.is_alive()
    reply, iop = kernel.execute("%echo after")
    assert reply["content"]["status"] == "ok"
    assert stream_text(iop) == "after\n"


def test_interrupt_message(kernel):
    assert kernel.km.kernel_spec.interrupt_mode == "message"
    msg_id = start_sleep(kernel)
    interrupt_and_check(kernel, msg_id, kernel.km.interrupt_kernel)


def test_interrupt_request_gets_reply(kernel):
    msg_id = start_sleep(kernel)
    holder = {}

    def send():
        msg = kernel.kc.session.msg("interrupt_request", {})
        kernel.kc.control_channel.send(msg)
        holder["id"] = msg["header"]["msg_id"]

    interrupt_and_check(kernel, msg_id, send)
    r = kernel.reply(holder["id"], channel="control")
    assert r["msg_type"] == "interrupt_reply"
    assert r["content"]["status"] == "ok"


def test_interrupt_sigint(kernel):
    msg_id = start_sleep(kernel)
    interrupt_and_check(kernel, msg_id, lambda: os.kill(kernel.pid, signal.SIGINT))


def test_sigint_when_idle_is_harmless(kernel):
    os.kill(kernel.pid, signal.SIGINT)
    time.sleep(0.3)
    assert kernel.km.is_alive()
    reply, iop = kernel.execute("%sleep 0.2\n%echo still")
    assert reply["content"]["status"] == "ok", "an idle SIGINT leaked into the next cell"
    assert stream_text(iop) == "still\n"


def test_interrupt_message_when_idle_is_harmless(kernel):
    kernel.km.interrupt_kernel()
    time.sleep(0.3)
    reply, iop = kernel.execute("%sleep 0.2\n%echo still")
    assert reply["content"]["status"] == "ok", "an idle interrupt leaked into the next cell"
    assert stream_text(iop) == "still\n"


def test_interrupt_stops_the_rest_of_the_cell(kernel):
    msg_id = kernel.kc.execute("%sleep 30\n%echo not-reached")
    time.sleep(0.5)
    kernel.km.interrupt_kernel()
    reply = kernel.reply(msg_id, timeout=5)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert "not-reached" not in stream_text(kernel.iopub(msg_id))


@pytest.mark.parametrize("how", ["message", "sigint"])
def test_heartbeat_while_busy(kernel, how):
    hb = kernel.heartbeat()
    assert hb.ping(timeout=5) is not None  # connected and warm
    msg_id = start_sleep(kernel)
    pings = []
    for _ in range(10):
        pings.append(hb.ping(timeout=1.0))
        time.sleep(0.02)
    hb.close()
    assert None not in pings, f"heartbeat did not answer while busy: {pings}"
    worst = max(pings)
    assert worst < HB_LATENCY, f"heartbeat round trips while busy: {[round(p*1000, 1) for p in pings]} ms"
    send = kernel.km.interrupt_kernel if how == "message" else \
        (lambda: os.kill(kernel.pid, signal.SIGINT))
    interrupt_and_check(kernel, msg_id, send)
