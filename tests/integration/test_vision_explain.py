"""Seeing what the image search did, through the real kernel: %train on a small
generated image set updates its live display (phase, best-so-far curve) and ends
with the chosen network and its weights; %explain draws occlusion saliency maps
as one PNG grid; %leaderboard adds the score-against-size chart with the Pareto
front; %compare runs two architecture searches on the same images and charts
them; mismatches fail in one line."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

import imagegen
from harness import SLOW, of_type, outputs

PROGRESS = "application/vnd.automl.progress+json"
LEADERBOARD = "application/vnd.automl.leaderboard+json"
EXPLANATION = "application/vnd.automl.explanation+json"


def displays(iop, kinds=("display_data",)):
    return [m for m in iop if m["msg_type"] in kinds]


def pngs(iop):
    """Every image/png shown, decoded."""
    out = []
    for m in displays(iop):
        data = m["content"]["data"]
        if "image/png" in data:
            img = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
            img.load()
            out.append(img)
    return out


def ok(reply):
    assert reply["content"]["status"] == "ok", reply["content"]


def one_error(reply, iop, ename):
    assert reply["content"]["status"] == "error"
    errors = of_type(iop, "error")
    assert len(outputs(iop)) == 1 and len(errors) == 1, [m["msg_type"] for m in iop]
    assert errors[0]["content"]["ename"] == ename, errors[0]["content"]
    evalue = errors[0]["content"]["evalue"]
    assert "\n" not in evalue
    return evalue


@pytest.fixture(scope="module")
def shapes(kernel, tmp_path_factory):
    root = tmp_path_factory.mktemp("vision-explain") / "shapes"
    imagegen.class_folders(root, per_class=(14, 14, 14), size=16)
    reply, _ = kernel.execute(f"%import {root} as shapes", timeout=60 * SLOW)
    ok(reply)
    return root


@pytest.fixture(scope="module")
def trained(kernel, shapes):
    reply, iop = kernel.execute("%train shapes budget=12s max_trials=2 strategy=evolution "
                                "seed=3 as cnn1", timeout=90 * SLOW)
    ok(reply)
    return iop


def test_train_on_images_updates_its_live_display(trained):
    progress = [m for m in displays(trained, ("display_data", "update_display_data"))
                if PROGRESS in m["content"]["data"]]
    assert progress and progress[0]["msg_type"] == "display_data"
    updates = [m for m in progress if m["msg_type"] == "update_display_data"]
    assert len(updates) >= 3, f"{len(updates)} updates of the live display"
    ids = {m["content"]["transient"]["display_id"] for m in progress}
    assert len(ids) == 1
    docs = [m["content"]["data"][PROGRESS] for m in progress]
    # the trial running, its architecture in words
    assert any(d["phase"].startswith("trial ") and "stem" in d["phase"] for d in docs), \
        {d["phase"] for d in docs}
    last = docs[-1]
    assert last["trials"] >= 1 and last["curve"], "no best-so-far curve on an image run"
    assert all(0 <= p[1] <= 1 for p in last["curve"])
    # the final display: the chosen network in words with its weights
    board = [m["content"]["data"] for m in displays(trained) if LEADERBOARD in
             m["content"]["data"]]
    assert len(board) == 1
    doc = board[0][LEADERBOARD]
    assert doc["images"] is True and "weights" in doc["network"], doc.get("network")
    assert all(r["weights"] > 0 for r in doc["leaderboard"])
    text = board[0]["text/plain"]
    assert "The chosen network: CNN:" in text and "architecture" in text, text
    assert pngs(trained), "no best-score-over-time chart"


def test_explain_draws_a_saliency_grid(kernel, trained):
    reply, iop = kernel.execute("%explain cnn1 n=6", timeout=60 * SLOW)
    ok(reply)
    docs = [m["content"]["data"][EXPLANATION] for m in displays(iop)
            if EXPLANATION in m["content"]["data"]]
    assert len(docs) == 1 and docs[0]["kind"] == "saliency"
    samples = docs[0]["samples"]
    assert 3 <= len(samples) <= 6
    assert {s["class"] for s in samples} <= set(imagegen.CLASSES)
    assert all(0 <= s["probability"] <= 1 for s in samples)
    images = pngs(iop)
    assert len(images) == 1
    img = images[0]
    # 3 class rows of 2 pairs (image, heat map): tiles of 16 px shown at >= 48 px, at 2x
    assert img.width >= 4 * 48 * 2 and img.height >= 3 * 48 * 2, img.size
    px = np.asarray(img.convert("RGB")).astype(int)
    heat = (px[..., 0] - px[..., 2] > 80).sum()
    assert heat > 100, "no heat map colour in the grid"


def test_explain_mismatches_fail_in_one_line(kernel, trained, tmp_path):
    evalue = one_error(*kernel.execute("%explain cnn1 row=0"), "UsageError")
    assert "row= is for table models" in evalue
    evalue = one_error(*kernel.execute("%explain cnn1 n=0"), "UsageError")
    assert "n=0" in evalue
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,x\n2,y\n3,x\n")
    ok(kernel.execute(f"%import {table} as tiny")[0])
    evalue = one_error(*kernel.execute("%explain cnn1 on=tiny"), "DataError")
    assert "is a table" in evalue and "classifies images" in evalue


def test_leaderboard_of_an_image_run_draws_the_pareto_front(kernel, trained):
    reply, iop = kernel.execute("%leaderboard cnn1")
    ok(reply)
    images = pngs(iop)
    assert len(images) == 1, "no score-against-size chart"
    assert images[0].size == (1280, 800)
    alt = [m["content"]["data"]["text/plain"] for m in displays(iop)
           if "image/png" in m["content"]["data"]][0]
    assert "Pareto front" in alt


def test_compare_two_strategies_on_images(kernel, shapes):
    reply, iop = kernel.execute("%compare shapes strategies=random,evolution budget=6s "
                                "max_trials=2", timeout=90 * SLOW)
    ok(reply)
    live = [m for m in displays(iop, ("display_data", "update_display_data"))
            if PROGRESS in m["content"]["data"]]
    assert {m["content"]["data"][PROGRESS]["model"] for m in live} == {"random", "evolution"}
    tables = [m["content"]["data"]["text/plain"] for m in displays(iop)
              if "text/html" in m["content"]["data"] and PROGRESS not in m["content"]["data"]]
    assert any("random" in t and "evolution" in t and "weights" in t for t in tables), tables
    images = pngs(iop)
    assert len(images) == 1 and images[0].size == (1280, 800)
    alt = [m["content"]["data"]["text/plain"] for m in displays(iop)
           if "image/png" in m["content"]["data"]][0]
    assert "per strategy" in alt and "shapes, 42 images" in alt, alt
