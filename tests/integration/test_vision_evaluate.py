"""After training an image model, through the real kernel: %evaluate on the held-out
test images (accuracy, the per-class table, the confusion matrix and the gallery of
the most confident mistakes, both PNGs decoded) and on another image set; a table
model on an image set and an image model on a table refused in one line; %predict on
a folder (broken files named), a CSV listing and an image set; %save -> %load ->
%predict giving the same bytes; %deploy answering a PNG, garbage base64 and a body
that is not an image over HTTP.

The training set is a CSV listing with a fixed test split that holds three images
labelled as another shape, so the test split surely has mistakes."""

import base64
import csv
import io
import json
import math
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

import imagegen
from harness import SLOW, of_type, stream_text

SIZE = 16
CLASSES = list(imagegen.CLASSES)


def ok(reply):
    assert reply["content"]["status"] == "ok", reply["content"]


def one_error(reply, iop, ename):
    assert reply["content"]["status"] == "error"
    errors = of_type(iop, "error")
    assert len(errors) == 1, [m["msg_type"] for m in iop]
    assert errors[0]["content"]["ename"] == ename, errors[0]["content"]
    evalue = errors[0]["content"]["evalue"]
    assert "\n" not in evalue
    return evalue


def displays(iop):
    return [m["content"]["data"] for m in of_type(iop, "display_data")]


def png_of(data):
    img = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    img.load()
    return img


def chart(iop, alt_start):
    """The one image display whose text/plain starts with alt_start."""
    found = [d for d in displays(iop) if "image/png" in d and d["text/plain"].startswith(alt_start)]
    assert len(found) == 1, [d["text/plain"][:60] for d in displays(iop)]
    return found[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("vision-eval")
    flat = root / "flat"
    flat.mkdir()
    rows = []
    for k, name in enumerate(CLASSES):
        for i in range(17):
            p = flat / f"{name}{i:02d}.png"
            imagegen.write_image(p, imagegen.shape(name, SIZE, seed=k * 100 + i))
            test = i >= 14
            # the first test image of each class is labelled as the next class
            label = CLASSES[(k + 1) % 3] if i == 14 else name
            rows.append((f"flat/{p.name}", label, "TEST" if test else "TRAIN"))
    listing = root / "listing.csv"
    imagegen.csv_listing(listing, rows)
    other = root / "other"
    imagegen.class_folders(other, per_class=(5, 5, 5), size=SIZE)
    table = root / "table.csv"
    rng = np.random.default_rng(1)
    table.write_text("a,b,y\n" + "".join(
        f"{x:.3f},{z:.3f},{'yes' if x + z > 1 else 'no'}\n"
        for x, z in rng.uniform(0, 1, (60, 2))))
    return {"root": root, "flat": flat, "listing": listing, "other": other, "table": table,
            "n_images": len(rows)}


@pytest.fixture(scope="module")
def trained(kernel, data):
    for cell in (f"%import {data['listing']} as shapes", f"%import {data['other']} as other",
                 f"%import {data['table']} as tbl"):
        ok(kernel.execute(cell, timeout=60 * SLOW)[0])
    reply, _ = kernel.execute("%train shapes budget=10s max_trials=2 as vm", timeout=90 * SLOW)
    ok(reply)
    return kernel


@pytest.fixture(scope="module")
def evaluated(trained):
    reply, iop = trained.execute("%evaluate vm", timeout=60 * SLOW)
    ok(reply)
    return iop


def test_evaluate_shows_accuracy_and_the_per_class_table(evaluated):
    summary = next(d for d in displays(evaluated)
                   if "application/vnd.automl.evaluation+json" in d)
    text = summary["text/plain"]
    assert "Evaluation of vm on the test split of image set 'shapes': 9 rows" in text
    assert "Accuracy" in text and "AUC ROC (macro, one-vs-rest)" in text
    doc = summary["application/vnd.automl.evaluation+json"]
    assert doc["task"] == "multiclass" and doc["classes"] == CLASSES
    # three test images carry another shape's label: at most 6 of 9 can be right
    assert doc["metrics"]["accuracy"] <= 6 / 9 + 1e-9
    assert sum(r["support"] for r in doc["per_class"]) == 9
    per_class = next(d["text/plain"] for d in displays(evaluated)
                     if d["text/plain"].startswith("Per class"))
    for name in CLASSES:
        assert any(line.startswith(name) for line in per_class.splitlines()), per_class
    counts = doc["confusion_matrix"]["counts"]
    assert sum(map(sum, counts)) == 9 and len(counts) == 3


def test_evaluate_draws_the_confusion_matrix_and_the_mistakes_gallery(evaluated):
    conf = png_of(chart(evaluated, "Confusion matrix"))
    assert conf.width >= 480 and conf.height >= 400
    gallery_display = chart(evaluated, "The ")
    gallery = png_of(gallery_display)
    alt = gallery_display["text/plain"]
    assert "most confident mistakes" in alt
    lines = [line for line in alt.splitlines()[1:] if line.strip()]
    assert 3 <= len(lines) <= 9, alt
    assert all("→" in line for line in lines)
    grey = np.asarray(gallery.convert("L"))
    assert grey.min() < 60 and grey.max() > 180      # shapes drawn, not a blank image
    doc = next(d["application/vnd.automl.evaluation+json"] for d in displays(evaluated)
               if "application/vnd.automl.evaluation+json" in d)
    mistakes = doc["images"]["mistakes"]
    assert len(mistakes) == len(lines)
    ps = [m["p"] for m in mistakes]
    assert ps == sorted(ps, reverse=True)
    assert all(m["true"] != m["predicted"] for m in mistakes)
    for key in ("confusion_matrix", "mistakes"):
        png = Image.open(io.BytesIO(base64.b64decode(doc["images"]["figures"][key])))
        assert png.format == "PNG"


def test_evaluate_on_another_image_set(trained, tmp_path):
    out = tmp_path / "rows.csv"
    reply, iop = trained.execute(f"%evaluate vm on=other out={out}", timeout=60 * SLOW)
    ok(reply)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["row", "actual", "predicted"] + [f"p_{c}" for c in CLASSES]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(15)]
    doc = next(d["application/vnd.automl.evaluation+json"] for d in displays(iop)
               if "application/vnd.automl.evaluation+json" in d)
    assert doc["on"] == "other" and doc["n_rows"] == 15
    assert doc["source"] == "image set 'other'"
    png_of(chart(iop, "Confusion matrix"))


def test_mismatched_kinds_are_refused_in_one_line(trained):
    evalue = one_error(*trained.execute("%evaluate vm on=tbl"), "EvaluateError")
    assert evalue.startswith("model 'vm' classifies images, but on=tbl is a table")
    reply, _ = trained.execute("%train tbl target=y budget=3s max_trials=2 as tm",
                               timeout=60 * SLOW)
    ok(reply)
    evalue = one_error(*trained.execute("%evaluate tm on=shapes"), "EvaluateError")
    assert evalue.startswith("model 'tm' classifies table rows, but data set 'shapes' holds "
                             "images")
    evalue = one_error(*trained.execute("%predict tm on=shapes"), "PredictError")
    assert "holds images" in evalue
    evalue = one_error(*trained.execute("%predict vm on=tbl"), "PredictError")
    assert "is a table" in evalue


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_predict_a_folder_writes_one_row_per_readable_image(trained, data, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for i, name in enumerate(CLASSES):
        imagegen.write_image(folder / f"{name}.png", imagegen.shape(name, 30, seed=900 + i))
    broken = imagegen.broken_files(folder / "sub")
    out = tmp_path / "pred.csv"
    reply, iop = trained.execute(f"%predict vm on={folder} out={out}", timeout=60 * SLOW)
    ok(reply)
    rows = read_csv(out)
    assert rows[0] == ["path", "prediction"] + [f"p_{c}" for c in CLASSES]
    assert len(rows) == 1 + 3
    assert {r[0] for r in rows[1:]} == {str(folder / f"{c}.png") for c in CLASSES}
    for r in rows[1:]:
        assert r[1] in CLASSES
        assert math.isclose(sum(map(float, r[2:])), 1.0, abs_tol=1e-5)
    text = stream_text(iop)
    assert "Predicted 3 images" in text and "Skipped 3 files" in text
    for p in broken:
        assert str(p) in text, p
    assert not list(tmp_path.glob("pred.csv.*")), "temporary files left behind"


def test_predict_a_csv_listing_and_an_image_set(trained, data, tmp_path):
    out = tmp_path / "listed.csv"
    ok(trained.execute(f"%predict vm on={data['listing']} out={out}", timeout=60 * SLOW)[0])
    rows = read_csv(out)
    assert len(rows) == 1 + data["n_images"]
    assert rows[1][0] == str(data["flat"] / "circle00.png")
    out2 = tmp_path / "set.csv"
    ok(trained.execute(f"%predict vm on=other out={out2}", timeout=60 * SLOW)[0])
    rows = read_csv(out2)
    assert rows[0][0] == "index" and [r[0] for r in rows[1:]] == [str(i) for i in range(15)]


def test_save_load_predict_gives_identical_probabilities(trained, data, tmp_path):
    path = tmp_path / "vm.aml"
    ok(trained.execute(f"%save vm {path}")[0])
    reply, iop = trained.execute(f"%load {path} as vm2")
    ok(reply)
    summary = next(d for d in displays(iop) if "application/vnd.automl.model+json" in d)
    text = summary["text/plain"]
    assert "CNN" in text and f"{SIZE}×{SIZE}×1" in text
    assert "circle, square, stripes" in text
    doc = summary["application/vnd.automl.model+json"]["model"]
    assert doc["image"] == {"channels": 1, "height": SIZE, "width": SIZE}
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    ok(trained.execute(f"%predict vm on={data['flat']} out={a}", timeout=60 * SLOW)[0])
    ok(trained.execute(f"%predict vm2 on={data['flat']} out={b}", timeout=60 * SLOW)[0])
    assert a.read_bytes() == b.read_bytes()
    assert len(read_csv(a)) == 1 + data["n_images"]


def post(url, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20 * SLOW) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_deploy_serves_the_image_model(trained):
    reply, iop = trained.execute("%deploy vm port=0")
    ok(reply)
    (d,) = [d for d in displays(iop) if "application/vnd.automl.deploy+json" in d]
    text = d["text/plain"]
    assert '{"instances":[{"content":"' in text and "curl" in text and "%%http POST" in text
    url = d["application/vnd.automl.deploy+json"]["predict"]
    example = d["application/vnd.automl.deploy+json"]["example"]
    assert example["instances"][0]["content"]
    buf = io.BytesIO()
    Image.fromarray(imagegen.shape("stripes", 40, seed=5)).save(buf, format="PNG")
    status, doc = post(url, {"instances": [{"content": base64.b64encode(buf.getvalue()).decode()}]})
    assert status == 200, doc
    (pred,) = doc["predictions"]
    assert set(pred["displayNames"]) == set(CLASSES)
    assert math.isclose(sum(pred["confidences"]), 1.0, abs_tol=1e-5)
    status, doc = post(url, {"instances": [{"content": "iVBORw0KGgo$$AAA"}]})
    assert status == 400 and "not base64" in doc["error"], doc
    status, doc = post(url, {"instances": [{"content": base64.b64encode(b"plain words").decode()}]})
    assert status == 400 and "not a PNG or JPEG image" in doc["error"], doc
    status, doc = post(url, b"this body is not JSON at all")
    assert status == 400 and "malformed JSON" in doc["error"], doc
    # the example the display shows is itself answered
    status, doc = post(url, example)
    assert status == 200, doc
    ok(trained.execute("%undeploy vm")[0])
