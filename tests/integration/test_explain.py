"""%explain over a real kernel: binary (bank-marketing sample), multiclass (wine) and
regression (diabetes), each with a pure-noise column added; the displays and their MIME
types, the numbers of application/vnd.automl.explanation+json, row=, on=, interrupt, and
every error case."""

import math
import time

import numpy as np
import pandas as pd
import pytest

from harness import REPO, SLOW

DATA = REPO / "tests" / "data" / "sklearn"
MIME = "application/vnd.automl.explanation+json"


def displays(iop):
    return [m["content"] for m in iop if m["msg_type"] == "display_data"]


def docs(iop, section=None):
    out = [d["data"][MIME] for d in displays(iop) if MIME in d["data"]]
    return [d for d in out if section is None or d["section"] == section]


def summary(iop):
    s = docs(iop, "summary")
    assert len(s) == 1, f"{len(s)} summaries"
    return s[0]


def with_noise(src, dst, n=None, seed=0, sep=","):
    df = pd.read_csv(src, sep=sep)
    if n is not None:
        df = df.sample(n=n, random_state=seed).reset_index(drop=True)
    df["noise"] = np.random.default_rng(seed).normal(size=len(df))
    df.to_csv(dst, index=False)
    return dst


def ok(kernel, code, timeout=120):
    reply, iop = kernel.execute(code, timeout=timeout * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    return iop


def error(kernel, code):
    reply, _ = kernel.execute(code, timeout=60 * SLOW)
    assert reply["content"]["status"] == "error", f"{code} did not fail"
    return reply["content"]["ename"], reply["content"]["evalue"]


def imp(doc, column):
    return next(e for e in doc["importance"] if e["column"] == column)


def check_displays(iop):
    ds = displays(iop)
    assert ds, "no display"
    for d in ds:
        assert "text/plain" in d["data"] and d["data"]["text/plain"].strip()
        assert "text/html" in d["data"] or "image/png" in d["data"], sorted(d["data"])
        assert MIME in d["data"], "a display without the explanation's numbers"
        if "image/png" in d["data"]:
            assert d["metadata"]["image/png"]["width"] > 0
    sections = [d["section"] for d in docs(iop) if d["section"] != "progress"]
    assert sections[0] == "summary"
    for s in ("importance", "pdp"):
        assert s in sections, f"no {s} display"
    charts = [d for d in ds if "image/png" in d["data"]]
    assert len(charts) >= 4, f"{len(charts)} charts"


@pytest.fixture(scope="module")
def bank(kernel, tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "bank.csv"
    with_noise(REPO / "share" / "data" / "bank-marketing.csv.gz", path, n=3000, sep=";")
    ok(kernel, f"%import {path} as bank target=y")
    ok(kernel, "%train bank budget=5s as b1")
    return path


@pytest.fixture(scope="module")
def wine(kernel, tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "wine.csv"
    with_noise(DATA / "wine.csv", path)
    ok(kernel, f"%import {path} as wine target=cultivar")
    ok(kernel, "%train wine budget=5s as w1")
    return path


@pytest.fixture(scope="module")
def diabetes(kernel, tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "diabetes.csv"
    with_noise(DATA / "diabetes.csv", path)
    ok(kernel, f"%import {path} as diabetes target=progression")
    ok(kernel, "%train diabetes budget=5s as d1")
    return path


def test_binary_bank(kernel, bank):
    iop = ok(kernel, "%explain b1 row=0")
    check_displays(iop)
    doc = summary(iop)
    assert doc["task"] == "binary" and doc["metric"] == "auc" and doc["model"] == "b1"
    assert doc["data"]["rows_used"] == 300 and doc["data"]["rows_given"] == 300
    assert 0.7 < doc["score"] <= 1.0
    assert doc["sentence"].startswith("The model relies most on ")
    top = doc["importance"][0]
    assert top["used"] and top["mean"] > 0.02, top
    assert doc["sentence"].startswith(f"The model relies most on {top['column']}")
    means = [e["mean"] for e in doc["importance"] if e["used"]]
    assert means == sorted(means, reverse=True)
    assert "duration" in [e["column"] for e in doc["importance"][:3]]
    noise = imp(doc, "noise")
    assert abs(noise["mean"]) < 0.01 and abs(noise["mean"]) < 0.1 * top["mean"], noise
    # partial dependence: the top columns, probabilities
    assert 1 <= len(doc["pdp"]) <= 3
    for p in doc["pdp"]:
        assert len(p["x"]) == len(p["y"]) == len(p["labels"]) >= 2
        assert all(0 <= y <= 1 for y in p["y"])
    # the row: from the base value to the prediction
    row = doc["row"]
    assert row["row"] == 0 and row["method"] in ("shap", "replacement")
    total = row["base"] + sum(c["contribution"] for c in row["contributions"])
    assert math.isclose(total, row["prediction"], rel_tol=1e-6, abs_tol=1e-6)
    assert 0 <= row["model_prediction"] <= 1
    assert any(d["data"][MIME]["section"] == "row" and "image/png" in d["data"]
               for d in displays(iop)), "no waterfall chart"


def test_binary_xgb_shap_matches_the_margin(kernel, bank):
    ok(kernel, "%train bank budget=5s models=xgb ensemble=no as bx")
    iop = ok(kernel, "%explain bx row=7")
    doc = summary(iop)
    shap = doc["shap"]
    assert shap["available"] and shap["tree_weight"] == pytest.approx(1.0)
    assert shap["units"] == "log-odds"
    vals = [v["mean_abs"] for v in shap["values"]]
    assert vals == sorted(vals, reverse=True) and vals[0] > 0
    noise = next(v for v in shap["values"] if v["column"] == "noise")
    assert noise["mean_abs"] < 0.25 * vals[0]
    row = doc["row"]
    assert row["method"] == "shap"
    p = row["model_prediction"]
    logit = math.log(p / (1 - p))
    if "Model: xgb" in doc["pipeline"]:
        # one booster: base + SHAP values = XGBoost's margin, exactly
        assert math.isclose(row["prediction"], logit, abs_tol=2e-3), (row, logit)
    else:
        # fold models of a run stopped before its final refit: the members' weighted
        # margin, said in a note
        assert abs(row["prediction"] - logit) < 0.5, (row, logit)
        assert any("weighted log-odds" in n for n in doc["notes"]), doc["notes"]
    assert docs(iop, "shap"), "no SHAP display"


def test_multiclass_wine(kernel, wine):
    iop = ok(kernel, "%explain w1 row=2")
    check_displays(iop)
    doc = summary(iop)
    assert doc["task"] == "multiclass" and doc["metric"] == "logloss"
    assert len(doc["classes"]) == 3
    top = doc["importance"][0]
    assert top["mean"] > 0, top
    assert imp(doc, "noise")["mean"] < 0.2 * top["mean"]
    for p in doc["pdp"]:
        assert len(p["classes"]) == 3
        for y in p["y"]:
            assert len(y) == 3 and math.isclose(sum(y), 1.0, abs_tol=1e-3)
    if doc["shap"]["available"]:
        assert all(len(v["per_class"]) == 3 for v in doc["shap"]["values"])
    row = doc["row"]
    assert row["class"] in doc["classes"]
    total = row["base"] + sum(c["contribution"] for c in row["contributions"])
    assert math.isclose(total, row["prediction"], rel_tol=1e-6, abs_tol=1e-6)


def test_regression_diabetes(kernel, diabetes):
    iop = ok(kernel, "%explain d1 row=1 repeats=3")
    check_displays(iop)
    doc = summary(iop)
    assert doc["task"] == "regression"
    top = doc["importance"][0]
    assert top["column"] in ("bmi", "s5", "bp", "s4", "s3"), top
    assert imp(doc, "noise")["mean"] < 0.15 * top["mean"]
    assert doc["row"]["class"] is None
    # partial dependence of a regression is in the target's range
    for p in doc["pdp"]:
        assert all(20 < y < 360 for y in p["y"])


def test_on_data_and_max_rows(kernel, bank):
    iop = ok(kernel, "%explain b1 on=bank max_rows=500 repeats=2")
    doc = summary(iop)
    assert doc["data"]["rows_given"] == 3000 and doc["data"]["rows_used"] == 500
    assert any("500 of the 3000 rows" in n for n in doc["notes"])
    text = next(d["data"]["text/plain"] for d in displays(iop)
                if d["data"][MIME]["section"] == "summary")
    assert "500 of the 3000 rows" in text


def test_errors(kernel, bank, wine, tmp_path):
    ename, evalue = error(kernel, "%explain nosuch")
    assert "no model named 'nosuch'" in evalue
    ename, evalue = error(kernel, "%explain b2")
    assert "did you mean 'b1'" in evalue
    ename, evalue = error(kernel, "%explain b1 row=300")
    assert "out of range" in evalue and "row=0 to row=299" in evalue
    ename, evalue = error(kernel, "%explain b1 row=-1")
    assert "out of range" in evalue
    ename, evalue = error(kernel, "%explain b1 row=abc")
    assert "row" in evalue
    ename, evalue = error(kernel, "%explain b1 on=/no/such/file.csv")
    assert "no data set or file" in evalue
    ename, evalue = error(kernel, "%explain b1 bogus=1")
    assert "unknown option 'bogus'" in evalue
    ename, evalue = error(kernel, "%explain b1 max_rows=3")
    assert "max_rows" in evalue
    # rows without the target
    nolabel = tmp_path / "nolabel.csv"
    pd.read_csv(bank).drop(columns=["y"]).head(50).to_csv(nolabel, index=False)
    ename, evalue = error(kernel, f"%explain b1 on={nolabel}")
    assert "target column 'y'" in evalue and "\n" not in evalue
    # rows without an input column
    nocol = tmp_path / "nocol.csv"
    pd.read_csv(bank).drop(columns=["age"]).head(50).to_csv(nocol, index=False)
    ename, evalue = error(kernel, f"%explain b1 on={nocol}")
    assert "'age'" in evalue
    # the data set the model was trained on changed under it
    small = tmp_path / "small.csv"
    pd.read_csv(wine).head(20).to_csv(small, index=False)
    ok(kernel, f"%import {small} as wine target=cultivar")
    ename, evalue = error(kernel, "%explain w1")
    assert "changed since model 'w1'" in evalue
    ok(kernel, f"%import {wine} as wine target=cultivar")


def test_no_model_yet(fresh_kernel):
    reply, _ = fresh_kernel.execute("%explain")
    assert reply["content"]["status"] == "error"
    assert "no model yet" in reply["content"]["evalue"]


def test_help(kernel):
    reply, _ = kernel.execute("%explain?")
    assert reply["content"]["status"] == "ok"
    pages = reply["content"]["payload"]
    text = pages[0]["data"]["text/plain"]
    assert "row=N" in text and "0-based" in text and "Examples" in text


def test_interrupt_stops_within_a_second(kernel, bank):
    msg_id = kernel.kc.execute("%explain b1 on=bank repeats=50 max_rows=3000")
    time.sleep(1.5 * SLOW)
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.reply(msg_id, timeout=30 * SLOW)
    stopped = time.monotonic() - t0
    kernel.iopub(msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert stopped < 1.0 + (2.0 if SLOW > 1 else 0), f"stopped {stopped:.2f} s after"
    ok(kernel, "%explain b1 repeats=1")   # the kernel is fine afterwards
