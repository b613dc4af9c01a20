"""%http / %%http against a local HTTP server run by the test: JSON answers shown as
application/json, bodies and tokens sent, error statuses shown (not raised), transport
failures as one-line errors, and an interrupt ending a request to a server that never
answers."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import of_type


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, doc):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(30)
        if self.path == "/healthz":
            self.answer(200, {"status": "ok"})
        else:
            self.answer(404, {"error": f"no {self.path}"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(200, {"got": json.loads(body), "type": self.headers.get("Content-Type"),
                          "auth": self.headers.get("Authorization")})


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def shown(iop):
    ds = of_type(iop, "display_data")
    assert len(ds) == 1, [m["msg_type"] for m in iop]
    return ds[0]["content"]["data"]


def test_get_json(kernel, server):
    reply, iop = kernel.execute(f"%http {server}/healthz")
    assert reply["content"]["status"] == "ok", reply["content"]
    data = shown(iop)
    assert data["application/json"] == {"status": "ok"}
    assert data["text/plain"].startswith("HTTP 200 OK (")
    assert '"status": "ok"' in data["text/plain"]


def test_post_cell_body_and_token(kernel, server):
    reply, iop = kernel.execute(f'%%http POST {server}/v1/x token=s3cret\n'
                                '{"instances": [{"age": 41}]}')
    assert reply["content"]["status"] == "ok", reply["content"]
    doc = shown(iop)["application/json"]
    assert doc["got"] == {"instances": [{"age": 41}]}
    assert doc["type"] == "application/json"
    assert doc["auth"] == "Bearer s3cret"
    # a body without a method is a POST
    reply, iop = kernel.execute(f'%%http {server}/v1/x\n[1, 2]')
    assert shown(iop)["application/json"]["got"] == [1, 2]


def test_error_status_is_shown_not_raised(kernel, server):
    reply, iop = kernel.execute(f"%http {server}/nope")
    assert reply["content"]["status"] == "ok"
    data = shown(iop)
    assert data["text/plain"].startswith("HTTP 404 ")
    assert data["application/json"] == {"error": "no /nope"}


@pytest.mark.parametrize("cell, words", [
    ("%http https://example.org/", "https is not supported"),
    ("%http example.org/", "starting with http://"),
    ("%http FETCH http://127.0.0.1/", "the method is one of"),
    ("%http http://127.0.0.1:notaport/", "the port must be a number"),
    ("%http http://127.0.0.1:1/", "Connection refused"),
    ("%%echo hi", "%%echo is not a cell magic"),
])
def test_errors(kernel, cell, words):
    reply, iop = kernel.execute(cell)
    assert reply["content"]["status"] == "error"
    assert words in reply["content"]["evalue"], reply["content"]["evalue"]
    reply, _ = kernel.execute("%version")
    assert reply["content"]["status"] == "ok"


def test_interrupt_and_timeout(kernel, server):
    msg_id = kernel.kc.execute(f"%http {server}/slow timeout=60s")
    time.sleep(0.5)
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.reply(msg_id, timeout=10)
    assert time.monotonic() - t0 < 1.0
    assert reply["content"]["status"] == "error" and "interrupted" in reply["content"]["evalue"]
    kernel.iopub(msg_id)
    t0 = time.monotonic()
    reply, _ = kernel.execute(f"%http {server}/slow timeout=1s")
    assert 0.9 < time.monotonic() - t0 < 3
    assert "no answer in time" in reply["content"]["evalue"]
