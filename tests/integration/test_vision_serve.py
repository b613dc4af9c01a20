"""automl-serve with an image model (AutoML Vision's online prediction): base64 PNG
instances in, displayNames and confidences (best first) out, maxPredictions, and a 400
that says why for garbage base64, a body that is not JSON, base64 that is not an image,
a truncated PNG and a missing content field.  The model file comes from
build/$(BUILD)/bench/serve_image_model (a small seeded CNN); the PNGs are written here
with zlib."""

import base64
import json
import math
import signal
import struct
import subprocess
import urllib.error
import urllib.request
import zlib

import pytest

from harness import REPO, SLOW, BUILD

SERVE_BIN = REPO / "build" / BUILD / "automl-serve"
IMAGE_MODEL_TOOL = REPO / "build" / BUILD / "bench" / "serve_image_model"
CLASSES = ["circle", "square", "stripes"]


def png(width, height, pixel, colour=False):
    """A PNG (8-bit grey, or RGB when colour) whose pixel (x, y) is pixel(x, y)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            v = pixel(x, y)
            rows.extend(v if colour else [v])
    head = struct.pack(">IIBBBBB", width, height, 8, 2 if colour else 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))


def b64(data):
    return base64.b64encode(data).decode()


STRIPES = png(24, 24, lambda x, y: 255 if (x // 4) % 2 else 0)
SQUARE = png(40, 30, lambda x, y: (250, 40, 40) if 10 <= x < 30 and 8 <= y < 22 else (20, 20, 90),
             colour=True)


def post(url, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20 * SLOW) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("vision") / "shapes.aml"
    out = subprocess.run([str(IMAGE_MODEL_TOOL), str(path), "1", "16", "3"], capture_output=True,
                         text=True, timeout=30 * SLOW)
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    assert made["classes"] == CLASSES and made["task"] == "multiclass"
    p = subprocess.Popen([str(SERVE_BIN), str(path), "--port", "0", "--name", "shapes"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = None
    while url is None:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        if "predict:" in line:
            url = line.split()[-1]
    yield url
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20 * SLOW)
    assert p.returncode == 0, err


def check_prediction(pred, n):
    names, conf = pred["displayNames"], pred["confidences"]
    assert len(names) == len(conf) == n
    assert set(names) <= set(CLASSES) and len(set(names)) == n
    assert conf == sorted(conf, reverse=True), conf
    assert all(0 <= c <= 1 for c in conf)


def test_good_pngs_get_every_class_by_confidence(server):
    status, doc = post(server, {"instances": [{"content": b64(STRIPES)}, {"content": b64(SQUARE)}]})
    assert status == 200, doc
    assert len(doc["predictions"]) == 2
    for pred in doc["predictions"]:
        check_prediction(pred, 3)
        assert math.isclose(sum(pred["confidences"]), 1.0, abs_tol=1e-5)
    # the same bytes give the same answer
    again = post(server, {"instances": [{"content": b64(STRIPES)}]})[1]
    assert again["predictions"][0] == doc["predictions"][0]


def test_max_predictions_keeps_the_top_classes(server):
    full = post(server, {"instances": [{"content": b64(SQUARE)}]})[1]["predictions"][0]
    status, doc = post(server, {"instances": [{"content": b64(SQUARE)}],
                                "parameters": {"maxPredictions": 1}})
    assert status == 200, doc
    (pred,) = doc["predictions"]
    check_prediction(pred, 1)
    assert pred["displayNames"] == full["displayNames"][:1]
    assert pred["confidences"] == full["confidences"][:1]
    two = post(server, {"instances": [{"content": b64(SQUARE)}],
                        "parameters": {"maxPredictions": 2}})[1]["predictions"][0]
    assert two["displayNames"] == full["displayNames"][:2]
    status, doc = post(server, {"instances": [{"content": b64(SQUARE)}],
                                "parameters": {"maxPredictions": 0}})
    assert status == 400 and "maxPredictions" in doc["error"]


@pytest.mark.parametrize("body, words", [
    ({"instances": [{"content": "iVBORw0KGgoAAAANSUhEU$gAAAA"}]},
     "instances[0].content: not base64 (bad character at byte 21)"),
    ({"instances": [{"content": b64(STRIPES)}, {"content": "abcde"}]},
     "instances[1].content: not base64 (it stops in the middle of a byte)"),
    (b"this is plain text, not JSON", "malformed JSON"),
    ({"instances": [{"content": b64(b"a text file, not a picture")}]},
     "instances[0].content: not a PNG or JPEG image"),
    ({"instances": [{"content": b64(STRIPES[:70])}]}, "instances[0].content: corrupt PNG"),
    ({"instances": [{}]}, "instances[0]: no \"content\" field"),
    ({"instances": [{"content": 5}]}, "instances[0].content: an integer is not a base64 string"),
    ({"instances": []}, "\"instances\" is empty"),
    ({"instances": [{"content": b64(STRIPES)}], "parameters": {"bogus": 1}},
     "unknown parameter \"bogus\""),
])
def test_bad_bodies_are_400_saying_why(server, body, words):
    status, doc = post(server, body)
    assert status == 400, doc
    assert words in doc["error"], doc["error"]
    assert "\n" not in doc["error"]


def test_schema_shows_the_image_shape(server):
    base = server.rsplit(":predict", 1)[0]
    with urllib.request.urlopen(base, timeout=20 * SLOW) as r:
        doc = json.loads(r.read())
    assert doc["image"] == {"channels": 1, "height": 16, "width": 16}
    assert doc["classes"] == CLASSES and doc["inputs"] == []
    assert doc["pipeline"].startswith("CNN: ")
    assert "content" in doc["predict"]
