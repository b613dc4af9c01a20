"""The data magics over a real kernel: %import (the bundled data sets, bad files),
%schema, %datasets, %show, %analyze and %plot errors — what a user sees."""

import time

import pytest

from harness import SLOW, of_type, outputs, stream_text


def frame_doc(iop):
    shown = of_type(iop, "display_data")
    assert len(shown) == 1
    data = shown[0]["content"]["data"]
    assert "text/plain" in data and "text/html" in data
    return data["application/vnd.automl.frame+json"]


def one_error(reply, iop, ename):
    assert reply["content"]["status"] == "error"
    errors = of_type(iop, "error")
    assert len(outputs(iop)) == 1 and len(errors) == 1, [m["msg_type"] for m in iop]
    assert errors[0]["content"]["ename"] == ename, errors[0]["content"]
    return errors[0]["content"]["evalue"]


@pytest.fixture(scope="module")
def bank(kernel):
    reply, iop = kernel.execute("%import bank-marketing as bank", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok"
    return frame_doc(iop)


def test_bundled_bank_types(bank):
    assert bank["name"] == "bank" and bank["rows"] == 45211 and bank["target"] == "y"
    types = {c["name"]: c["type"] for c in bank["columns"]}
    integers = {"age", "balance", "day", "duration", "campaign", "pdays", "previous"}
    assert {n for n, t in types.items() if t == "integer"} == integers
    assert all(t == "categorical" for n, t in types.items() if n not in integers)
    y = next(c for c in bank["columns"] if c["name"] == "y")
    assert y["distinct"] == 2
    assert len(bank["preview"]) == 5 and len(bank["preview"][0]) == 17


def test_bundled_happydb_types(kernel):
    reply, iop = kernel.execute("%import happydb as happy", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok"
    doc = frame_doc(iop)
    assert doc["rows"] == 10560 and doc["target"] == "social"
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["moment"]["type"] == "text"
    assert cols["age"]["type"] == "number" and cols["age"]["invalid"] == 2
    text = of_type(iop, "display_data")[0]["content"]["data"]["text/plain"]
    assert "prefer not to say" in text, "the note on invalid values is missing"
    assert "HappyDB (Asai et al. 2018), CC BY 4.0" in text, "the attribution is missing"


def test_import_errors_say_where(kernel, tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n")
    evalue = one_error(*kernel.execute(f"%import {ragged}"), "DataError")
    assert "line 3" in evalue and "skip_errors" in evalue
    reply, iop = kernel.execute(f"%import {ragged} skip_errors as skipped")
    assert reply["content"]["status"] == "ok"
    assert frame_doc(iop)["rows"] == 2
    evalue = one_error(*kernel.execute("%import no-such-file.csv"), "FileNotFoundError")
    assert "no-such-file.csv" in evalue
    evalue = one_error(*kernel.execute("%import bank-marketng"), "FileNotFoundError")
    assert "bank-marketing" in evalue
    evalue = one_error(*kernel.execute("%import bank-marketing sep=x"), "UsageError")
    assert "sep" in evalue
    evalue = one_error(*kernel.execute("%import bank-marketing target=yy"), "UsageError")
    assert "did you mean 'y'" in evalue


def test_schema_change_is_all_or_nothing(kernel, bank):
    evalue = one_error(*kernel.execute("%schema bank day=categorical pdays=numbr"), "UsageError")
    assert "numbr" in evalue
    reply, iop = kernel.execute("%schema bank")
    types = {c["name"]: c["type"] for c in frame_doc(iop)["columns"]}
    assert types["day"] == "integer", "a failed %schema changed the data set"
    reply, iop = kernel.execute("%schema bank day=categorical")
    assert reply["content"]["status"] == "ok"
    types = {c["name"]: c["type"] for c in frame_doc(iop)["columns"]}
    assert types["day"] == "categorical"
    kernel.execute("%schema bank day=integer")


def test_datasets_and_show(kernel, bank):
    reply, iop = kernel.execute("%datasets")
    listed = of_type(iop, "display_data")[0]["content"]["data"]
    names = [d["name"] for d in listed["application/vnd.automl.datasets+json"]["datasets"]]
    assert "bank" in names
    reply, iop = kernel.execute("%show bank rows=3")
    assert len(frame_doc(iop)["preview"]) == 3
    evalue = one_error(*kernel.execute("%show bnk"), "UsageError")
    assert "did you mean 'bank'" in evalue


def test_analyze_bank_under_a_second(kernel, bank):
    t0 = time.monotonic()
    reply, iop = kernel.execute("%analyze bank target=y")
    elapsed = time.monotonic() - t0
    assert reply["content"]["status"] == "ok"
    shown = of_type(iop, "display_data")
    doc = shown[0]["content"]["data"]["application/vnd.automl.analysis+json"]
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["duration"]["association_kind"] == "correlation_ratio"
    assert cols["month"]["association_kind"] == "cramers_v"
    assert cols["duration"]["mutual_info"] > cols["default"]["mutual_info"]
    assert 40 < cols["age"]["mean"] < 42
    text = shown[0]["content"]["data"]["text/plain"]
    assert "Imbalanced" in text
    charts = [m for m in shown if "image/png" in m["content"]["data"]]
    assert len(charts) == 2, "target distribution and mutual information charts"
    if SLOW == 1.0:
        assert elapsed < 1.0, f"%analyze took {elapsed:.2f} s"


def test_plot_errors_are_one_line(kernel, bank):
    evalue = one_error(*kernel.execute("%plot bank x=agee"), "UsageError")
    assert "did you mean 'age'" in evalue
    evalue = one_error(*kernel.execute("%plot bank x=job kind=hist"), "UsageError")
    assert "categorical" in evalue
    evalue = one_error(*kernel.execute("%plot bank x=duration y=job kind=roc"), "UsageError")
    assert "two values" in evalue


def test_column_completion(kernel, bank):
    reply, _ = kernel.request("complete_request", {"code": "%plot bank x=dur", "cursor_pos": 16})
    assert reply["content"]["matches"] == ["x=duration"]
    reply, _ = kernel.request("complete_request", {"code": "%import bank-m", "cursor_pos": 14})
    assert "bank-marketing" in reply["content"]["matches"]
