"""Shared client-side machinery for the integration tests.

Two ways to talk to the kernel:

* ``ManagedKernel``: jupyter_client's KernelManager + BlockingKernelClient for the
  kernelspec "automl" (resolved through JUPYTER_PATH, i.e. this build), with helpers
  that collect a request's reply and its iopub messages by parent msg_id.
* ``RawKernel``: our own connection file, ``$AUTOML_KERNEL -f FILE`` started with
  subprocess, plain ZeroMQ sockets and our own wire codec. Used where the test must
  control the exact frames (forged signatures, replays, garbage), see the raw header
  JSON (date format), talk ipc, or time process exit.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client import KernelManager
from jupyter_client.connect import write_connection_file

REPO = Path(__file__).resolve().parents[2]
BUILD = os.environ.get("AUTOML_BUILD", "release")
KERNEL_BIN = os.environ.get("AUTOML_KERNEL") or str(REPO / "build" / BUILD / "automl-kernel")
KERNEL_NAME = "automl"
DELIM = b"<IDS|MSG>"
# How RawKernel starts a kernel ({connection_file} is substituted).
RAW_ARGV = [KERNEL_BIN, "-f", "{connection_file}"]

# Generous waits for replies (asan is 2-3x slower); the latency assertions in the
# tests themselves stay strict.
SLOW = 3.0 if BUILD == "asan" else 1.0
REPLY_TIMEOUT = 20 * SLOW
START_TIMEOUT = 30 * SLOW
# How long "nothing happens" is watched for after a rejected message.
QUIET = 0.5

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------
# jupyter_client based
# --------------------------------------------------------------------------------------


class ManagedKernel:
    """A kernel started through the kernelspec, with a blocking client."""

    def __init__(self, kernel_name=KERNEL_NAME, env=None):
        self.km = KernelManager(kernel_name=kernel_name)
        kw = {}
        if env is not None:
            kw["env"] = env
        self.km.start_kernel(**kw)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.iopub_log = []  # every iopub message received through reply()/iopub()
        self.wait_ready()

    def wait_ready(self, timeout=START_TIMEOUT):
        """kernel_info replied AND its status seen on iopub (jupyter_client 7's
        wait_for_ready does not check that the iopub subscription is in place)."""
        self.kc.wait_for_ready(timeout=timeout)
        self.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            self.reply(msg_id, timeout=timeout)
            try:
                self.iopub(msg_id, timeout=0.5)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f"iopub silent {timeout}s after kernel_info replies")
        self.flush()

    @property
    def pid(self):
        return self.km.provisioner.pid

    def heartbeat(self):
        info = self.km.get_connection_info()
        if info["transport"] == "ipc":
            url = f"ipc://{info['ip']}-{info['hb_port']}"
        else:
            url = f"tcp://{info['ip']}:{info['hb_port']}"
        return Heartbeat(url)

    def flush(self, duration=0.05):
        """Drop anything pending on shell, iopub, stdin and control."""
        for ch in ("shell", "iopub", "stdin", "control"):
            get = getattr(self.kc, f"get_{ch}_msg")
            while True:
                try:
                    get(timeout=duration)
                except Empty:
                    break
        self.pending = {"shell": [], "iopub": [], "control": []}

    def _take(self, channel, pred, timeout, what):
        """First pending/arriving message on channel matching pred; others stay pending."""
        get = getattr(self.kc, f"get_{channel}_msg")
        pending = self.pending[channel]
        for i, m in enumerate(pending):
            if pred(m):
                return pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what} within {timeout}s")
            try:
                msg = get(timeout=left)
            except Empty:
                continue
            if channel == "iopub":
                self.iopub_log.append(msg)
            if pred(msg):
                return msg
            pending.append(msg)

    def reply(self, msg_id, channel="shell", timeout=REPLY_TIMEOUT):
        """The reply to msg_id on channel (other messages stay pending)."""
        return self._take(channel, lambda m: m["parent_header"].get("msg_id") == msg_id,
                          timeout, f"no {channel} reply to {msg_id}")

    def iopub(self, msg_id, timeout=REPLY_TIMEOUT):
        """iopub messages whose parent is msg_id, up to and including status idle."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self._take("iopub", lambda m: m["parent_header"].get("msg_id") == msg_id,
                             max(deadline - time.monotonic(), 0),
                             f"no idle status for {msg_id} (got {[m['msg_type'] for m in out]})")
            out.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out

    def execute(self, code, timeout=REPLY_TIMEOUT, **kw):
        """Run code; return (execute_reply, iopub messages of that request)."""
        msg_id = self.kc.execute(code, **kw)
        reply = self.reply(msg_id, timeout=timeout)
        return reply, self.iopub(msg_id, timeout=timeout)

    def request(self, msg_type, content=None, channel="shell", timeout=REPLY_TIMEOUT,
                expect_reply=True):
        """Send any message; return (reply or None, iopub messages of the request)."""
        msg = self.kc.session.msg(msg_type, content or {})
        getattr(self.kc, channel + "_channel").send(msg)
        msg_id = msg["header"]["msg_id"]
        reply = self.reply(msg_id, channel, timeout) if expect_reply else None
        return reply, self.iopub(msg_id, timeout=timeout)

    def shutdown(self):
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)


def outputs(msgs):
    """The iopub messages that are outputs (not status, not execute_input)."""
    return [m for m in msgs if m["msg_type"] not in ("status", "execute_input")]


def stream_text(msgs, name="stdout"):
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == name)


def of_type(msgs, msg_type):
    return [m for m in msgs if m["msg_type"] == msg_type]


# --------------------------------------------------------------------------------------
# raw ZeroMQ
# --------------------------------------------------------------------------------------


def sign(key, parts):
    if not key:
        return b""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        h.update(p)
    return h.hexdigest().encode()


class Wire:
    """Our own message codec (the kernel's peer on the wire)."""

    def __init__(self, key):
        self.key = key
        self.session = uuid.uuid4().hex
        self.username = "tester"

    def header(self, msg_type):
        return {"msg_id": uuid.uuid4().hex, "session": self.session, "username": self.username,
                "date": now_iso(), "msg_type": msg_type, "version": "5.3"}

    def frames(self, msg_type, content=None, parent=None, metadata=None, key=None,
               header=None):
        """(header dict, frames) for a request signed with key (default: ours)."""
        header = header or self.header(msg_type)
        parts = [json.dumps(x).encode() for x in
                 (header, parent or {}, metadata or {}, content or {})]
        k = self.key if key is None else key
        return header, [DELIM, sign(k, parts)] + parts


class RawKernel:
    """$AUTOML_KERNEL started by us on a connection file we wrote."""

    CHANNELS = ("shell", "control", "stdin", "iopub", "hb")

    def __init__(self, transport="tcp", key=None, argv=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="amlk-", dir="/tmp")  # short: ipc path limit
        self.key = uuid.uuid4().hex.encode() if key is None else key
        ip = os.path.join(self.dir, "k") if transport == "ipc" else "127.0.0.1"
        self.conn_file, self.info = write_connection_file(
            os.path.join(self.dir, "kernel.json"), ip=ip, key=self.key, transport=transport,
            kernel_name=KERNEL_NAME)
        self.wire = Wire(self.key)
        self.ctx = zmq.Context()
        self.sockets = {}
        types = {"shell": zmq.DEALER, "control": zmq.DEALER, "stdin": zmq.DEALER,
                 "iopub": zmq.SUB}
        for ch, typ in types.items():
            s = self.ctx.socket(typ)
            s.linger = 0
            s.setsockopt(zmq.RECONNECT_IVL, 5)
            if typ == zmq.DEALER:
                s.identity = uuid.uuid4().hex.encode()
            if typ == zmq.SUB:
                s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(self.url(ch))
            self.sockets[ch] = s
        self.buffers = {ch: [] for ch in self.CHANNELS}
        self.iopub_log = []       # every iopub message ever received, in order
        self.bad_signatures = []  # messages from the kernel whose HMAC did not verify
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        argv = argv or RAW_ARGV
        argv = [a.replace("{connection_file}", self.conn_file) for a in argv]
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)

    def url(self, ch):
        port = self.info[ch + "_port"]
        if self.info["transport"] == "ipc":
            return f"ipc://{self.info['ip']}-{port}"
        return f"tcp://{self.info['ip']}:{port}"

    def stderr(self):
        self._stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    # ---- receiving ----
    def decode(self, frames):
        i = frames.index(DELIM)
        sig, parts = frames[i + 1], frames[i + 2:i + 6]
        if not hmac.compare_digest(sig, sign(self.key, parts)):
            self.bad_signatures.append(frames)
        header, parent, metadata, content = (json.loads(p) for p in parts)
        return {"header": header, "parent_header": parent, "metadata": metadata,
                "content": content, "msg_type": header["msg_type"],
                "buffers": frames[i + 6:], "identities": frames[:i]}

    def pump(self, ch, timeout):
        """Receive at most one message on ch into its buffer; False on timeout."""
        s = self.sockets[ch]
        if not s.poll(int(max(timeout, 0) * 1000)):
            return False
        msg = self.decode(s.recv_multipart())
        self.buffers[ch].append(msg)
        if ch == "iopub":
            self.iopub_log.append(msg)
        return True

    def take(self, ch, pred, timeout):
        """First buffered/arriving message on ch matching pred (removed), or None."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.buffers[ch]):
                if pred(m):
                    return self.buffers[ch].pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(ch, left)

    def reply(self, msg_id, ch="shell", timeout=REPLY_TIMEOUT):
        return self.take(ch, lambda m: m["parent_header"].get("msg_id") == msg_id, timeout)

    def iopub(self, msg_id, timeout=REPLY_TIMEOUT):
        """iopub messages of msg_id up to status idle (removed from the buffer)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            m = self.take("iopub", lambda m: m["parent_header"].get("msg_id") == msg_id,
                          deadline - time.monotonic())
            if m is None:
                raise AssertionError(f"no idle status for {msg_id} within {timeout}s; got "
                                     f"{[x['msg_type'] for x in out]}")
            out.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out

    def collect(self, duration, channels=("shell", "control", "iopub", "stdin")):
        """Everything that arrives on channels during duration seconds (drains buffers)."""
        deadline = time.monotonic() + duration
        poller = zmq.Poller()
        for ch in channels:
            poller.register(self.sockets[ch], zmq.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for s, _ in poller.poll(int(left * 1000) + 1):
                ch = next(c for c in channels if self.sockets[c] is s)
                self.pump(ch, 0)
        got = {ch: self.buffers[ch] for ch in channels}
        for ch in channels:
            self.buffers[ch] = []
        return got

    # ---- sending ----
    def send(self, ch, msg_type, content=None, **kw):
        header, frames = self.wire.frames(msg_type, content, **kw)
        self.sockets[ch].send_multipart(frames)
        return header, frames

    def send_frames(self, ch, frames):
        self.sockets[ch].send_multipart(frames)

    def request(self, ch, msg_type, content=None, timeout=REPLY_TIMEOUT, expect_reply=True):
        """(request header, reply or None, iopub messages of the request)."""
        header, _ = self.send(ch, msg_type, content)
        reply = self.reply(header["msg_id"], ch, timeout) if expect_reply else None
        return header, reply, self.iopub(header["msg_id"], timeout)

    def execute(self, code, timeout=REPLY_TIMEOUT, **kw):
        content = {"code": code, "silent": False, "store_history": True,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        content.update(kw)
        header, reply, iop = self.request("shell", "execute_request", content, timeout)
        return reply, iop

    def wait_ready(self, timeout=START_TIMEOUT):
        """Like jupyter_client: kernel_info until a reply AND its iopub traffic arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"kernel exited with {self.proc.returncode} during "
                                     f"start:\n{self.stderr()}")
            header, _ = self.send("shell", "kernel_info_request")
            reply = self.reply(header["msg_id"], "shell", 0.25)
            if reply is None:
                continue
            idle = self.take("iopub", lambda m: m["parent_header"].get("msg_id") ==
                             header["msg_id"] and m["msg_type"] == "status" and
                             m["content"]["execution_state"] == "idle", 0.5)
            if idle is not None:
                time.sleep(0.05)
                self.collect(0.05)
                return reply
        raise AssertionError(f"kernel not ready within {timeout}s:\n{self.stderr()}")

    def heartbeat(self):
        return Heartbeat(self.url("hb"), self.ctx)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("control", "shutdown_request", {"restart": False})
                self.proc.wait(timeout=5 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in self.sockets.values():
            s.close(linger=0)
        self.ctx.term()
        self._stderr.close()


class Heartbeat:
    """A REQ socket connected to a heartbeat URL; ping() returns the round trip."""

    def __init__(self, url, ctx=None):
        self.url = url
        self.ctx = ctx or zmq.Context.instance()
        self._open()

    def _open(self):
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.linger = 0
        self.sock.connect(self.url)

    def ping(self, timeout=1.0):
        """Seconds from send to echo, or None (no echo within timeout / wrong echo)."""
        t0 = time.perf_counter()
        self.sock.send(b"ping")
        if not self.sock.poll(int(timeout * 1000)):
            self.sock.close()  # a REQ socket without its reply is stuck
            self._open()
            return None
        data = self.sock.recv()
        dt = time.perf_counter() - t0
        return dt if data == b"ping" else None

    def close(self):
        self.sock.close()
