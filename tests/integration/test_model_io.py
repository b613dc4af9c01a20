"""%save and %load over a real kernel: a save/load round trip predicts byte-identical
CSVs (binary, multiclass, regression); the file carries the training info; damaged,
truncated, foreign, empty and newer-version files are refused with one clear line and the
kernel goes on; %save is atomic (no temporary file left, an existing file kept on
failure)."""

import json
import os
import struct
import zlib

import pandas as pd
import pytest

from harness import REPO, SLOW, of_type, stream_text

DATA = REPO / "tests" / "data" / "sklearn"
TRAIN = "budget=5s seed=1"


def ok(kernel, code, timeout=60):
    reply, iop = kernel.execute(code, timeout=timeout * SLOW)
    assert reply["content"]["status"] == "ok", (code, reply["content"])
    return iop


def fails(kernel, code):
    reply, iop = kernel.execute(code, timeout=60 * SLOW)
    assert reply["content"]["status"] == "error", (code, reply["content"])
    # the kernel is alive and the next cell runs
    assert "alive" in stream_text(ok(kernel, "%echo alive"))
    return reply["content"]


def model_doc(iop):
    docs = [m["content"]["data"]["application/vnd.automl.model+json"]["model"]
            for m in of_type(iop, "display_data")
            if "application/vnd.automl.model+json" in m["content"]["data"]]
    assert len(docs) == 1
    return docs[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("model_io")
    bank = pd.read_csv(REPO / "share" / "data" / "bank-marketing.csv.gz", sep=";")
    bank.sample(3000, random_state=0).to_csv(d / "bank_train.csv", index=False)
    bank.sample(200, random_state=1).drop(columns=["y"]).to_csv(d / "bank_new.csv", index=False)
    wine = pd.read_csv(DATA / "wine.csv")
    wine.drop(columns=["cultivar"]).head(60).to_csv(d / "wine_new.csv", index=False)
    diab = pd.read_csv(DATA / "diabetes.csv")
    diab.drop(columns=["progression"]).head(60).to_csv(d / "diab_new.csv", index=False)
    return d


@pytest.fixture(scope="module")
def models(kernel, work):
    ok(kernel, f"%import {work}/bank_train.csv as bank")
    ok(kernel, f"%train bank target=y {TRAIN} as mb", timeout=120)
    ok(kernel, f"%import {DATA}/wine.csv as wine")
    ok(kernel, f"%train wine target=cultivar {TRAIN} as mw", timeout=120)
    ok(kernel, f"%import {DATA}/diabetes.csv as diab")
    ok(kernel, f"%train diab target=progression {TRAIN} as mr", timeout=120)
    return {"binary": ("mb", "bank_new.csv"), "multiclass": ("mw", "wine_new.csv"),
            "regression": ("mr", "diab_new.csv")}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_round_trip_identical_predictions(kernel, work, models, task):
    name, new = models[task]
    before, after, path = work / f"{task}-a.csv", work / f"{task}-b.csv", work / f"{task}.amlm"
    ok(kernel, f"%predict {name} on={work / new} out={before}")
    out = stream_text(ok(kernel, f"%save {name} {path}"))
    assert f"Saved model '{name}' to {path}" in out and "format 4" in out
    assert not [p for p in os.listdir(work) if p.endswith(".tmp")]
    iop = ok(kernel, f"%load {path} as {name}_loaded")
    doc = model_doc(iop)
    assert doc["task"] == task and doc["file"] == str(path)
    info = doc["info"]
    for key in ("metric", "validation_score", "validation_std", "test_score", "target", "task",
                "rows", "strategy", "budget_seconds", "trials", "stop_reason", "seed",
                "created", "engine_version", "dataset", "source"):
        assert key in info, (key, info)
    assert info["task"] == task and info["seed"] == 1 and info["budget_seconds"] == 5
    assert info["dataset"] in ("bank", "wine", "diab") and info["trials"] >= 1
    assert isinstance(info["validation_score"], float) and info["created"].endswith("Z")
    ok(kernel, f"%predict {name}_loaded on={work / new} out={after}")
    assert before.read_bytes() == after.read_bytes()
    assert len(pd.read_csv(after)) == len(pd.read_csv(work / new))


def test_load_default_name_and_summary(kernel, work, models):
    path = work / "churn-model.amlm"
    ok(kernel, f"%save mb {path}")
    iop = ok(kernel, f"%load {path}")
    text = stream_text(iop)
    assert "Loaded model 'churn-model'" in text
    plain = [m["content"]["data"]["text/plain"] for m in of_type(iop, "display_data")][0]
    for word in ("binary", "inputs", "members", "validation", "test", "created"):
        assert word in plain, (word, plain)
    # a path without extension gets .amlm, on save and on load
    ok(kernel, f"%save mb {work / 'plain'}")
    assert (work / "plain.amlm").exists()
    ok(kernel, f"%load {work / 'plain'} as p2")


def _good_bytes(kernel, work):
    path = work / "good.amlm"
    if not path.exists():
        ok(kernel, f"%save mr {path}")
    return path.read_bytes()


@pytest.mark.parametrize("case,expect", [
    ("corrupted", "checksum mismatch"),
    ("truncated", "truncated model file"),
    ("png", "looks like a PNG image"),
    ("csv", "looks like text (a CSV file?)"),
    ("empty", "empty file"),
    ("newer", "newer than this engine reads"),
    ("trailing", "unexpected bytes"),
    ("missing", "cannot open"),
])
def test_load_refuses_bad_files(kernel, work, models, case, expect):
    good = _good_bytes(kernel, work)
    path = work / f"bad-{case}.amlm"
    if case == "corrupted":
        b = bytearray(good)
        b[len(b) // 2] ^= 0x20
        path.write_bytes(bytes(b))
    elif case == "truncated":
        path.write_bytes(good[: len(good) // 3])
    elif case == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    elif case == "csv":
        path.write_bytes(b"a,b,c\n1,2,3\n4,5,6\n")
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "newer":
        path.write_bytes(good[:4] + struct.pack("<I", 99) + good[8:])
    elif case == "trailing":
        path.write_bytes(good + b"junk")
    content = fails(kernel, f"%load {path} as bad")
    assert content["ename"] in ("ModelFileError", "FileNotFoundError"), content
    assert expect in content["evalue"], content["evalue"]
    assert "\n" not in content["evalue"]
    # the failed load did not add a model
    reply, iop = kernel.execute("%predict bad on=x.csv")
    assert "no model named 'bad'" in reply["content"]["evalue"]


def test_load_version_2_file(kernel, work, models):
    """A version-2 file (no training info) still loads."""
    good = _good_bytes(kernel, work)
    plen = struct.unpack("<Q", good[8:16])[0]
    payload = good[16:16 + plen]
    # a table model's image section is its last 8 bytes (flag 0); before it the info
    assert payload[-8:] == bytes(8)
    payload = payload[:-8]
    # the info string is then the last section: find its length prefix by walking back
    for start in range(len(payload) - 8, 0, -1):
        n = struct.unpack("<Q", payload[start:start + 8])[0]
        if start + 8 + n == len(payload) and payload[start + 8:start + 9] == b"{":
            break
    v2 = payload[:start]
    blob = b"AMLM" + struct.pack("<IQ", 2, len(v2)) + v2 + struct.pack("<I", zlib.crc32(v2))
    path = work / "v2.amlm"
    path.write_bytes(blob)
    iop = ok(kernel, f"%load {path} as old")
    assert model_doc(iop)["info"] == {}
    assert "older version" in of_type(iop, "display_data")[0]["content"]["data"]["text/plain"]
    ok(kernel, f"%predict old on={work / 'diab_new.csv'}")


def test_save_atomic(kernel, work, models):
    target = work / "keep.amlm"
    ok(kernel, f"%save mr {target}")
    first = target.read_bytes()
    # the folder cannot hold a file (its parent is a file): error, nothing left behind
    blocker = work / "not-a-folder"
    blocker.write_text("x")
    content = fails(kernel, f"%save mr {blocker}/m.amlm")
    assert content["ename"] == "ModelFileError" and "cannot create" in content["evalue"]
    # a folder in the way of the file
    (work / "adir.amlm").mkdir()
    content = fails(kernel, f"%save mr {work / 'adir.amlm'}")
    assert "is a folder" in content["evalue"]
    # a model that does not exist: the file is untouched
    fails(kernel, f"%save nosuch {target}")
    assert target.read_bytes() == first
    if os.geteuid() != 0:  # root writes into read-only folders
        ro = work / "ro"
        ro.mkdir()
        (ro / "m.amlm").write_bytes(b"old")
        ro.chmod(0o555)
        try:
            fails(kernel, f"%save mr {ro / 'm.amlm'}")
            assert (ro / "m.amlm").read_bytes() == b"old"
            assert os.listdir(ro) == ["m.amlm"]
        finally:
            ro.chmod(0o755)
    # overwriting works and replaces the file whole
    ok(kernel, f"%save mb {target}")
    assert target.read_bytes() != first
    assert not [p for p in os.listdir(work) if ".tmp" in p]
