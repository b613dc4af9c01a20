"""Memory after work: a kernel that has trained holds at most 60 MB plus what its models
and data sets hold (as %models and %datasets report it), however many runs it made; and
%models / %datasets show what each one holds, with the total.

A classroom runs dozens of kernels on one server: what a finished %train leaves behind
decides how many students fit."""

import re

import psutil
import pytest

import harness
from harness import REPO, SLOW, of_type

MiB = 2**20
BASE = 60 * MiB
WINE = REPO / "tests" / "data" / "sklearn" / "wine.csv"


def table_doc(iop, mime):
    docs = [m["content"]["data"] for m in of_type(iop, "display_data")
            if mime in m["content"]["data"]]
    assert len(docs) == 1, f"{len(docs)} displays of {mime}"
    return docs[0]


def held_bytes(k):
    """{name: bytes} of the session's data sets and models, as %datasets / %models say."""
    held = {}
    for magic, mime, key in (("%datasets", "application/vnd.automl.datasets+json", "datasets"),
                             ("%models", "application/vnd.automl.models+json", "models")):
        reply, iop = k.execute(magic)
        assert reply["content"]["status"] == "ok", reply["content"]
        if not of_type(iop, "display_data"):
            continue   # none yet
        for entry in table_doc(iop, mime)[mime][key]:
            held[f"{key}:{entry['name']}"] = entry["bytes"]
    return held


def rss_bound_report(rss, held):
    bound = BASE + sum(held.values())
    return bound, (f"RSS {rss / MiB:.1f} MiB, bound {bound / MiB:.1f} MiB = 60 MiB + " +
                   ", ".join(f"{n} {b / MiB:.2f} MiB" for n, b in held.items()))


def test_ten_trains_replacing_one_model_stay_bounded(fresh_kernel):
    k = fresh_kernel
    proc = psutil.Process(k.pid)
    reply, _ = k.execute("%import bank-marketing", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    after = []
    for i in range(10):
        reply, _ = k.execute("%train bank-marketing target=y budget=3s as m",
                             timeout=60 * SLOW)
        assert reply["content"]["status"] == "ok", f"run {i + 1}: {reply['content']}"
        after.append(proc.memory_info().rss)
    held = held_bytes(k)
    assert set(held) == {"datasets:bank-marketing", "models:m"}, held
    # the frame holds at least a byte per cell (45,211 rows x 17 columns)
    assert held["datasets:bank-marketing"] >= 45211 * 17, held
    assert held["models:m"] > 10_000, held
    rss = proc.memory_info().rss
    bound, report = rss_bound_report(rss, held)
    print(report + "; after each run: " + " ".join(f"{r / MiB:.0f}" for r in after))
    # ASan's quarantine keeps freed blocks (up to 256 MB) by design: the bound is the
    # release build's; under ASan, LSan is the leak check
    if harness.BUILD != "asan":
        assert rss <= bound, report
        assert max(after[2:]) <= bound, report


@pytest.fixture(scope="module")
def two_of_each(kernel):
    for code in (f"%import {WINE} as wine target=cultivar", "%import bank-marketing as bank",
                 "%train wine budget=2s models=linear as w1",
                 "%train wine budget=2s models=nb as w2"):
        reply, _ = kernel.execute(code, timeout=60 * SLOW)
        assert reply["content"]["status"] == "ok", reply["content"]
    return kernel


SIZE = re.compile(r"\d+(\.\d)? (B|KB|MB|GB)$")


@pytest.mark.parametrize("magic,mime,key", [
    ("%datasets", "application/vnd.automl.datasets+json", "datasets"),
    ("%models", "application/vnd.automl.models+json", "models")])
def test_listings_show_what_each_holds_and_the_total(two_of_each, magic, mime, key):
    reply, iop = two_of_each.execute(magic)
    assert reply["content"]["status"] == "ok", reply["content"]
    data = table_doc(iop, mime)
    entries = data[mime][key]
    assert len(entries) == 2 and all(e["bytes"] > 0 for e in entries), entries
    if key == "datasets":   # bank-marketing's 45,211 rows outweigh wine's 178
        sizes = {e["name"]: e["bytes"] for e in entries}
        assert sizes["bank"] > 50 * sizes["wine"], sizes
    lines = data["text/plain"].splitlines()
    assert lines[0].split()[-1] == "size", lines[0]
    rows = [ln for ln in lines[1:] if ln.strip() and not set(ln.strip()) <= set("-─ ")]
    assert len(rows) == 3, lines   # two entries and the total
    for row in rows:
        assert SIZE.search(row.rstrip()), f"no size at the end of {row!r}"
    assert rows[-1].startswith("total in memory"), rows[-1]
    total = sum(e["bytes"] for e in entries)
    shown = rows[-1].split()[-2:]
    unit = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[shown[1]]
    assert abs(float(shown[0]) * unit - total) <= 0.05 * unit + 0.001 * total, (shown, total)
    assert ">size</th>" in data["text/html"] and ">total in memory</td>" in data["text/html"]
