"""shutdown_request on control: a reply with the same restart flag, then the process
exits with code 0 within 1 s (also when a cell is running)."""

import time

import pytest

EXIT_LATENCY = 1.0


def wait_exit(proc, t0, limit):
    while proc.poll() is None and time.monotonic() - t0 < limit + 5:
        time.sleep(0.005)
    return proc.poll(), time.monotonic() - t0


@pytest.mark.parametrize("restart", [False, True])
def test_shutdown(raw_kernel_factory, restart):
    k = raw_kernel_factory()
    t0 = time.monotonic()
    header, _ = k.send("control", "shutdown_request", {"restart": restart})
    reply = k.reply(header["msg_id"], "control", timeout=EXIT_LATENCY + 2)
    assert reply is not None, "no shutdown_reply"
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"]["restart"] is restart
    assert reply["content"].get("status", "ok") == "ok"
    rc, dt = wait_exit(k.proc, t0, EXIT_LATENCY)
    assert rc is not None, "kernel still running 6 s after shutdown_request"
    assert dt < EXIT_LATENCY, f"kernel exited {dt:.3f}s after shutdown_request"
    assert rc == 0, f"exit code {rc}; stderr:\n{k.stderr()[-3000:]}"


def test_shutdown_while_busy(raw_kernel_factory):
    k = raw_kernel_factory()
    header, _ = k.send("shell", "execute_request", {
        "code": "%sleep 30", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    assert k.take("iopub", lambda m: m["parent_header"].get("msg_id") == header["msg_id"] and
                  m["msg_type"] == "status" and m["content"]["execution_state"] == "busy", 10)
    time.sleep(0.3)
    t0 = time.monotonic()
    sd, _ = k.send("control", "shutdown_request", {"restart": False})
    reply = k.reply(sd["msg_id"], "control", timeout=EXIT_LATENCY + 2)
    assert reply is not None and reply["content"]["restart"] is False
    rc, dt = wait_exit(k.proc, t0, EXIT_LATENCY)
    assert rc is not None and dt < EXIT_LATENCY, f"still running {dt:.3f}s after shutdown"
    assert rc == 0, f"exit code {rc}; stderr:\n{k.stderr()[-3000:]}"


def test_managed_shutdown(fresh_kernel):
    km = fresh_kernel.km
    proc = km.provisioner.process
    t0 = time.monotonic()
    fresh_kernel.kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert time.monotonic() - t0 < EXIT_LATENCY + 0.5
    assert proc.poll() == 0
