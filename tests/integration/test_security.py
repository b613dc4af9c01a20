"""Message authentication and robustness: forged, unsigned, replayed and malformed
messages on shell and control get no reply and no status, and the kernel keeps
serving; ipc transport; an empty key means unsigned messages."""

import json
import os

import pytest

import harness
from harness import QUIET, DELIM, sign

CHANNELS = ["shell", "control"]


def assert_ignored(k, what):
    """Nothing at all comes back (no reply, no status) within QUIET seconds."""
    got = k.collect(QUIET)
    seen = {ch: [m["msg_type"] for m in msgs] for ch, msgs in got.items() if msgs}
    assert not seen, f"kernel reacted to {what}: {seen}"


def assert_still_serving(k, ch):
    header, reply, iopub = k.request(ch, "kernel_info_request")
    assert reply is not None and reply["msg_type"] == "kernel_info_reply"
    assert [m["content"]["execution_state"] for m in iopub] == ["busy", "idle"]
    assert k.proc.poll() is None


def bad_messages(k):
    """(name, frames) of messages the kernel must drop."""
    w = k.wire
    _, forged = w.frames("kernel_info_request", key=b"not-the-key")
    _, unsigned = w.frames("kernel_info_request", key=b"")
    assert unsigned[1] == b""
    _, good = w.frames("kernel_info_request")
    truncated_sig = good[:1] + [good[1][:-2]] + good[2:]
    h = json.dumps(w.header("kernel_info_request")).encode()
    bad_json_parts = [h, b"{}", b"{}", b"{not json"]
    bad_json = [DELIM, sign(k.key, bad_json_parts)] + bad_json_parts
    not_object = [b"[]", b"{}", b"{}", b"{}"]
    not_object_msg = [DELIM, sign(k.key, not_object)] + not_object
    no_msg_type = [json.dumps({"msg_id": "x1", "session": "s", "username": "u",
                               "date": harness.now_iso(), "version": "5.3"}).encode(),
                   b"{}", b"{}", b"{}"]
    no_msg_type_msg = [DELIM, sign(k.key, no_msg_type)] + no_msg_type
    return [
        ("forged signature (wrong key)", forged),
        ("missing signature", unsigned),
        ("truncated signature", truncated_sig),
        ("random bytes, one frame", [os.urandom(64)]),
        ("random bytes, six frames", [os.urandom(n) for n in (5, 64, 20, 20, 20, 20)]),
        ("no delimiter", good[2:]),
        ("too few frames", good[:4]),
        ("delimiter only", [DELIM]),
        ("signed bad JSON", bad_json),
        ("signed non-object header", not_object_msg),
        ("signed header without msg_type", no_msg_type_msg),
        ("empty frame", [b""]),
    ]


@pytest.mark.parametrize("ch", CHANNELS)
def test_rejected_messages_get_no_reply(raw_kernel, ch):
    for name, frames in bad_messages(raw_kernel):
        raw_kernel.send_frames(ch, frames)
        assert_ignored(raw_kernel, f"{name} on {ch}")
        assert_still_serving(raw_kernel, ch)
    assert not raw_kernel.bad_signatures


@pytest.mark.parametrize("ch", CHANNELS)
def test_replayed_message_dropped(raw_kernel, ch):
    header, frames = raw_kernel.send(ch, "kernel_info_request")
    reply = raw_kernel.reply(header["msg_id"], ch)
    assert reply is not None
    raw_kernel.iopub(header["msg_id"])
    raw_kernel.send_frames(ch, frames)   # exact same frames again
    assert_ignored(raw_kernel, f"replayed kernel_info_request on {ch}")
    assert_still_serving(raw_kernel, ch)


def test_replayed_execute_not_run_twice(raw_kernel):
    header, frames = raw_kernel.send("shell", "execute_request", {
        "code": "%echo once", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    assert raw_kernel.reply(header["msg_id"])["content"]["status"] == "ok"
    assert harness.stream_text(raw_kernel.iopub(header["msg_id"])) == "once\n"
    raw_kernel.send_frames("shell", frames)
    assert_ignored(raw_kernel, "replayed execute_request")


def test_forged_execute_not_run(raw_kernel):
    _, frames = raw_kernel.wire.frames("execute_request", {
        "code": "%echo forged", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        key=b"attacker")
    raw_kernel.send_frames("shell", frames)
    assert_ignored(raw_kernel, "forged execute_request")
    assert_still_serving(raw_kernel, "shell")


def test_replies_are_signed(raw_kernel):
    raw_kernel.request("shell", "kernel_info_request")
    raw_kernel.execute("%echo signed")
    assert not raw_kernel.bad_signatures, "kernel messages fail HMAC-SHA256 verification"


def test_ipc_transport(raw_kernel_factory):
    k = raw_kernel_factory(transport="ipc")
    assert k.info["transport"] == "ipc"
    reply, iopub = k.execute("%echo over ipc")
    assert reply["content"]["status"] == "ok"
    assert harness.stream_text(iopub) == "over ipc\n"
    _, reply, _ = k.request("control", "kernel_info_request")
    assert reply["content"]["implementation"] == "automl-kernel"
    hb = k.heartbeat()
    assert hb.ping() is not None
    hb.close()
    assert not k.bad_signatures


def test_empty_key_means_unsigned(raw_kernel_factory):
    k = raw_kernel_factory(key=b"")
    header, reply, iopub = k.request("shell", "kernel_info_request")
    assert reply["msg_type"] == "kernel_info_reply"
    assert not k.bad_signatures
    reply, iopub = k.execute("%echo unsigned")
    assert harness.stream_text(iopub) == "unsigned\n"


def test_key_is_never_logged(jupyter_dirs):
    """With every log line on (AUTOML_KERNEL_DEBUG), forged and good traffic alike, the
    key never reaches stderr."""
    env = dict(os.environ, AUTOML_KERNEL_DEBUG="1")
    k = harness.RawKernel(env=env)
    try:
        k.wait_ready()
        for name, frames in bad_messages(k):
            k.send_frames("shell", frames)
        reply, _ = k.execute("%echo hello")
        assert reply["content"]["status"] == "ok"
        k.collect(QUIET)
        log = k.stderr()
        assert "dropped a message" in log, log[-2000:]
        assert k.key.decode() not in log
    finally:
        k.close()
