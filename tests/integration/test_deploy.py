"""%deploy / %undeploy through the real kernel, and the standalone automl-serve:
predictions over HTTP (urllib / http.client / raw sockets), input validation (400
naming the field and instance), body limits (413 on Content-Length and while
streaming), bearer tokens (401), schema, health, 404/405, undeploy and shutdown
closing the port, busy ports and bad hosts."""

import http.client
import json
import math
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from harness import REPO, SLOW, BUILD, of_type, stream_text

DATA = REPO / "tests" / "data" / "sklearn"
# Training budgets are tiny; the sanitizer build is ~3x slower (SLOW), so they scale.
SERVE_BIN = REPO / "build" / BUILD / "automl-serve"
MODEL_TOOL = REPO / "build" / BUILD / "bench" / "serve_model"


def deploy_doc(iop):
    docs = [m["content"]["data"]["application/vnd.automl.deploy+json"]
            for m in of_type(iop, "display_data")
            if "application/vnd.automl.deploy+json" in m["content"]["data"]]
    assert len(docs) == 1, f"{len(docs)} deploy displays"
    return docs[0]


def error_of(reply):
    c = reply["content"]
    assert c["status"] == "error", c
    return f"{c['ename']}: {c['evalue']}"


def call(url, body=None, method=None, headers=None, raw=None):
    """(status, parsed JSON or None, headers) of one request; errors are answers too."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10 * SLOW) as r:
            text = r.read()
            return r.status, json.loads(text), r.headers
    except urllib.error.HTTPError as e:
        text = e.read()
        assert e.headers["Content-Type"] == "application/json", text
        return e.code, json.loads(text), e.headers


def raw_exchange(port, request, timeout=10):
    """Sends bytes on a new connection; returns the response bytes (until close or a
    full Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW) as s:
        s.sendall(request)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        if len(body) >= int(line.split(b":")[1]):
                            return out
        return out


def refused(url):
    try:
        urllib.request.urlopen(url + "/healthz", timeout=5)
    except urllib.error.URLError as e:
        return isinstance(e.reason, ConnectionRefusedError)
    return False


@pytest.fixture(scope="module")
def bank(kernel):
    reply, _ = kernel.execute("%import bank-marketing sample=3000 as bank", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, _ = kernel.execute(f"%train bank target=y budget={5 * SLOW:g}s as m1", timeout=90 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, iop = kernel.execute("%deploy m1 port=0")
    assert reply["content"]["status"] == "ok", reply["content"]
    doc = deploy_doc(iop)
    text = "".join(m["content"]["data"]["text/plain"] for m in of_type(iop, "display_data"))
    return {"doc": doc, "text": text, "url": doc["url"], "predict": doc["predict"]}


def test_deploy_shows_url_curl_and_token_note(bank):
    doc, text = bank["doc"], bank["text"]
    assert doc["host"] == "127.0.0.1" and doc["port"] > 0 and doc["token"] is False
    assert doc["predict"] == f"http://127.0.0.1:{doc['port']}/v1/models/m1:predict"
    assert doc["predict"] in text and "curl -s -X POST" in text
    assert "No token" in text
    # the example is one real row of the data set (the first one), without the target
    inst = doc["example"]["instances"][0]
    assert inst["age"] == 58 and inst["job"] == "management" and "y" not in inst


def test_predict_example_row_and_batch(bank):
    status, doc, headers = call(bank["predict"], bank["doc"]["example"])
    assert status == 200, doc
    assert headers["Content-Type"] == "application/json"
    (p,) = doc["predictions"]
    assert set(p["scores"]) == {"no", "yes"}
    assert math.isclose(sum(p["scores"].values()), 1.0, abs_tol=1e-5)
    assert p["label"] == max(p["scores"], key=p["scores"].get)
    # a batch: absent fields and nulls are missing values, the target is ignored
    row = dict(bank["doc"]["example"]["instances"][0])
    batch = [row, {"age": 30}, {**row, "balance": None, "y": "yes"}, {}]
    status, doc, _ = call(bank["predict"], {"instances": batch})
    assert status == 200, doc
    assert len(doc["predictions"]) == 4
    assert doc["predictions"][0] == p   # same row, same answer
    for q in doc["predictions"]:
        assert q["label"] in ("no", "yes")
        assert math.isclose(sum(q["scores"].values()), 1.0, abs_tol=1e-5)
    # strings convert as the CSV reader would: "58" is the integer 58
    status, doc2, _ = call(bank["predict"], {"instances": [{**row, "age": "58"}]})
    assert status == 200 and doc2["predictions"][0] == p


def test_http_magic_queries_the_deployment(kernel, bank):
    """The notebook calls its own deployment as an application would: %%http with a path."""
    assert "%%http POST /v1/models/m1:predict" in bank["text"]
    body = json.dumps(bank["doc"]["example"])
    reply, iop = kernel.execute(f"%%http POST /v1/models/m1:predict\n{body}")
    assert reply["content"]["status"] == "ok", reply["content"]
    (shown,) = [m["content"]["data"] for m in of_type(iop, "display_data")]
    assert shown["text/plain"].startswith("HTTP 200 OK")
    (p,) = shown["application/json"]["predictions"]
    assert p["label"] in ("no", "yes")
    reply, iop = kernel.execute("%http GET /healthz")
    assert of_type(iop, "display_data")[0]["content"]["data"]["application/json"] == \
        {"status": "ok"}


def test_unknown_field_is_400_naming_it(bank):
    row = bank["doc"]["example"]["instances"][0]
    status, doc, _ = call(bank["predict"], {"instances": [row, {**row, "agee": 40}]})
    assert status == 400
    assert doc["field"] == "agee" and doc["instance"] == 1
    assert "agee" in doc["error"] and "did you mean 'age'" in doc["error"]


def test_wrong_type_is_400_naming_it(bank):
    row = bank["doc"]["example"]["instances"][0]
    status, doc, _ = call(bank["predict"], {"instances": [{**row, "age": "old"}]})
    assert status == 400, doc
    assert doc["field"] == "age" and doc["instance"] == 0
    assert '"old" is not an integer' in doc["error"]
    status, doc, _ = call(bank["predict"], {"instances": [row, row, {"balance": 1.5}]})
    assert status == 400 and doc["field"] == "balance" and doc["instance"] == 2
    status, doc, _ = call(bank["predict"], {"instances": [{"job": ["a"]}]})
    assert status == 400 and doc["field"] == "job" and "array" in doc["error"]


def test_nul_character_is_400_naming_the_field(bank):
    """JSON "\\u0000" in a value or a field name: refused, with where, never cut."""
    row = bank["doc"]["example"]["instances"][0]
    status, doc, _ = call(bank["predict"], {"instances": [row, {**row, "job": "manage\u0000x"}]})
    assert status == 400, doc
    assert doc["field"] == "job" and doc["instance"] == 1
    assert "instances[1].job: text holds a NUL character" in doc["error"], doc
    status, doc, _ = call(bank["predict"], {"instances": [{"jo\u0000b": "x"}]})
    assert status == 400, doc
    assert doc["instance"] == 0 and doc["field"] == "jo\\u0000b", doc
    assert 'the field name "jo\\u0000b" holds a NUL character' in doc["error"], doc
    # the server keeps answering
    assert call(bank["predict"], {"instances": [row]})[0] == 200


@pytest.mark.parametrize("body, words", [
    (b'{"instances": [{"age": 58}', "malformed JSON"),
    (b"", "malformed JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"instances": {"age": 1}}', "array"),
    (b'{"rows": []}', "unknown key"),
    (b'{"instances": []}', "empty"),
    (b'{"instances": [1]}', "instances[0]"),
    (b'{"instances": [{"age": 1, "age": 2}]}', "malformed JSON"),
])
def test_bad_bodies_are_400(bank, body, words):
    status, doc, _ = call(bank["predict"], raw=body, method="POST")
    assert status == 400, doc
    assert words in doc["error"], doc


def test_oversize_body_is_413(bank):
    port = bank["doc"]["port"]
    path = "/v1/models/m1:predict"
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    # refused on Content-Length, before any of the body is sent: a client that waits
    # for "100 Continue", or a body announced far over the limit
    out = raw_exchange(port, (head + "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
                       .encode())
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    assert b"over the limit" in out and b"100 Continue" not in out
    out = raw_exchange(port, (head + "Content-Length: 100000000\r\n\r\n").encode())
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    # a client that sends the whole body before reading (urllib) gets the 413 too:
    # the body is read and dropped, never kept
    status, doc, _ = call(bank["predict"], raw=b" " * 2_000_000, method="POST")
    assert status == 413 and "over the limit of 1048576 bytes" in doc["error"]
    # chunked (no Content-Length): counted while it streams in
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    out = raw_exchange(port, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             f"application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                       + body)
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    # too many instances: a clear 413 too
    status, doc, _ = call(bank["predict"], {"instances": [{}] * 10001})
    assert status == 413 and "too many instances" in doc["error"]


def test_schema_health_404_405(bank):
    url = bank["url"]
    status, doc, _ = call(url + "/v1/models/m1")
    assert status == 200
    assert doc["name"] == "m1" and doc["task"] == "binary" and doc["target"] == "y"
    assert doc["classes"] == ["no", "yes"]
    types = {i["name"]: i["type"] for i in doc["inputs"]}
    assert types["age"] == "integer" and types["job"] == "categorical" and "y" not in types
    assert doc["metrics"]["metric"] == "auc" and 0.5 < doc["metrics"]["validation"] <= 1
    assert call(url + "/healthz")[:2] == (200, {"status": "ok"})
    status, doc, _ = call(url + "/v1/models")
    assert status == 200 and "m1" in doc["models"]
    status, doc, _ = call(url + "/v1/models/nope:predict", {"instances": [{}]})
    assert status == 404 and "nope" in doc["error"]
    status, doc, _ = call(url + "/v1/models/nope")
    assert status == 404
    status, doc, _ = call(url + "/elsewhere")
    assert status == 404
    status, doc, headers = call(bank["predict"])
    assert status == 405 and headers["Allow"] == "POST"
    status, doc, headers = call(url + "/healthz", {"x": 1})
    assert status == 405 and "GET" in headers["Allow"]


def test_token(kernel, bank):
    reply, iop = kernel.execute("%deploy m1 port=0 token=s3cret")
    assert reply["content"]["status"] == "ok", reply["content"]
    doc = deploy_doc(iop)
    assert doc["port"] == bank["doc"]["port"], "port=0 again should reuse the server"
    assert doc["token"] is True
    text = of_type(iop, "display_data")[0]["content"]["data"]["text/plain"]
    assert "Authorization: Bearer s3cret" in text and "401" in text
    body = bank["doc"]["example"]
    status, err, headers = call(bank["predict"], body)
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    status, err, _ = call(bank["predict"], body, headers={"Authorization": "Bearer s3cre"})
    assert status == 401 and err["error"] == "wrong token"
    status, err, _ = call(bank["predict"], body, headers={"Authorization": "Bearer s3cretX"})
    assert status == 401
    status, _, _ = call(bank["url"] + "/v1/models/m1")
    assert status == 401
    status, doc, _ = call(bank["predict"], body, headers={"Authorization": "Bearer s3cret"})
    assert status == 200 and len(doc["predictions"]) == 1
    # deploying again without a token replaces the deployment
    reply, _ = kernel.execute("%deploy m1 port=0")
    assert reply["content"]["status"] == "ok"
    assert call(bank["predict"], body)[0] == 200


def test_regression_and_own_copy(kernel, bank):
    kernel.execute(f"%import {DATA / 'diabetes.csv'} as diabetes target=progression")
    reply, _ = kernel.execute(f"%train diabetes budget={3 * SLOW:g}s as r1", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, iop = kernel.execute("%deploy r1 port=0")
    assert reply["content"]["status"] == "ok", reply["content"]
    doc = deploy_doc(iop)
    assert doc["port"] == bank["doc"]["port"], "one server serves several models"
    status, out, _ = call(doc["predict"], doc["example"])
    assert status == 200, out
    (p,) = out["predictions"]
    assert set(p) == {"value"} and isinstance(p["value"], float) and 0 < p["value"] < 400
    # retraining r1 replaces the session's model; the deployment keeps its own copy
    reply, _ = kernel.execute(f"%train diabetes budget={2 * SLOW:g}s as r1 models=linear", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok"
    status, out2, _ = call(doc["predict"], doc["example"])
    assert status == 200 and out2 == out


def test_deploy_errors(kernel, bank):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        reply, _ = kernel.execute(f"%deploy m1 port={busy}")
        err = error_of(reply)
        assert "DeployError" in err and "in use" in err and str(busy) in err
        assert "\n" not in err
    reply, _ = kernel.execute("%deploy m1 host=no-such-host.invalid port=0")
    err = error_of(reply)
    assert "no-such-host.invalid" in err and "\n" not in err
    reply, _ = kernel.execute("%deploy m1 host=192.0.2.1 port=0")
    assert "not an address of this machine" in error_of(reply)
    reply, _ = kernel.execute("%deploy m1 port=70000")
    assert "port=70000" in error_of(reply)
    reply, _ = kernel.execute("%deploy nosuchmodel")
    assert "no model named 'nosuchmodel'" in error_of(reply)
    # the failed attempts left the deployment alone
    assert call(bank["predict"], bank["doc"]["example"])[0] == 200


def test_undeploy_then_refused(kernel, bank):
    url = bank["url"]
    reply, iop = kernel.execute("%undeploy m1")
    assert reply["content"]["status"] == "ok"
    assert "Stopped serving 'm1'" in stream_text(iop)
    # r1 still served on the same server; m1 is gone
    assert call(bank["predict"], bank["doc"]["example"])[0] == 404
    assert call(url + "/v1/models/r1")[0] == 200
    reply, iop = kernel.execute("%undeploy r1")
    assert "the server stopped" in stream_text(iop)
    assert refused(url)
    reply, _ = kernel.execute("%undeploy m1")
    assert "nothing is deployed" in error_of(reply)


def test_shutdown_stops_servers(fresh_kernel):
    k = fresh_kernel
    k.execute(f"%import {DATA / 'diabetes.csv'} as d target=progression")
    reply, _ = k.execute(f"%train d budget={2 * SLOW:g}s models=linear", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, iop = k.execute("%deploy port=0")
    assert reply["content"]["status"] == "ok", reply["content"]
    url = deploy_doc(iop)["url"]
    assert call(url + "/healthz")[0] == 200
    k.km.shutdown_kernel(now=False)
    assert not k.km.is_alive()
    assert refused(url)


# ---- automl-serve ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def wine_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "wine.aml"
    out = subprocess.run([str(MODEL_TOOL), str(DATA / "wine.csv"), "cultivar", str(path), str(3 * SLOW)],
                         capture_output=True, text=True, timeout=60 * SLOW)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["task"] == "multiclass"
    return path


def start_serve(*args, env=None):
    p = subprocess.Popen([str(SERVE_BIN), *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    assert line.startswith("automl-serve: serving"), line + p.stderr.read()
    url = None
    while url is None:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        if "predict:" in line:
            url = line.split()[-1]
    return p, url


def test_automl_serve(wine_model):
    p, predict = start_serve(wine_model, "--port", 0, "--token", "tok", "--name", "wine",
                             "--max-body", 4096)
    try:
        assert predict.endswith("/v1/models/wine:predict")
        base = predict.rsplit("/v1/", 1)[0]
        auth = {"Authorization": "Bearer tok"}
        row = {"alcohol": 13.2, "malic_acid": 1.78, "ash": 2.14, "alcalinity_of_ash": 11.2,
               "magnesium": 100, "total_phenols": 2.65, "flavanoids": 2.76,
               "nonflavanoid_phenols": 0.26, "proanthocyanins": 1.28, "color_intensity": 4.38,
               "hue": 1.05, "od280_od315": 3.4, "proline": 1050}
        status, doc, _ = call(predict, {"instances": [row]}, headers=auth)
        assert status == 200, doc
        (q,) = doc["predictions"]
        assert set(q["scores"]) == {"class_0", "class_1", "class_2"}
        assert math.isclose(sum(q["scores"].values()), 1.0, abs_tol=1e-5)
        assert q["label"] == "class_0"
        assert call(predict, {"instances": [row]})[0] == 401
        assert call(base + "/healthz")[:2] == (200, {"status": "ok"})
        status, doc, _ = call(base + "/v1/models/wine", headers=auth)
        assert status == 200 and doc["task"] == "multiclass" and doc["target"] == "cultivar"
        status, doc, _ = call(predict, {"instances": [row] * 30}, headers=auth)
        assert status == 413 and "4096" in doc["error"]
        # keep-alive: many requests on one connection
        host, port = base[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        body = json.dumps({"instances": [row]})
        for _ in range(20):
            conn.request("POST", "/v1/models/wine:predict", body,
                         {"Content-Type": "application/json", **auth})
            r = conn.getresponse()
            assert r.status == 200 and json.loads(r.read())["predictions"][0]["label"] == "class_0"
        conn.close()
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    assert "stopped (SIGTERM)" in out
    assert refused(base)


def test_automl_serve_sigint_and_errors(wine_model, tmp_path):
    p, predict = start_serve(wine_model, "--port", 0)
    assert "/v1/models/wine:predict" in predict
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0 and "stopped (SIGINT)" in out, err
    # a busy port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        r = subprocess.run([str(SERVE_BIN), str(wine_model), "--port", str(s.getsockname()[1])],
                           capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "in use" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    # not a model file / no such file / bad options
    junk = tmp_path / "junk.aml"
    junk.write_bytes(b"not a model at all")
    r = subprocess.run([str(SERVE_BIN), str(junk)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "is not a usable model file" in r.stderr, r.stderr
    r = subprocess.run([str(SERVE_BIN), str(tmp_path / "none.aml")], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1 and "No such file" in r.stderr
    r = subprocess.run([str(SERVE_BIN), str(wine_model), "--port", "x"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 2 and "--port" in r.stderr
    r = subprocess.run([str(SERVE_BIN), "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "usage: automl-serve MODEL.aml" in r.stdout
